// Package bench measures Mitra against a real Redis with the shipped
// flows: the inbound pipeline (a message arriving to its replies being
// queued) and the whole path (inbound, runtime, outbox, sender, gate,
// rate limits, take and settle, audit, to a channel that records when
// each message reaches it), with the Redis commands, round trips and
// bytes they cost.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/inbound"
	"github.com/mitra-care/mitra/internal/redisserver"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// Options say what to measure.
type Options struct {
	// RedisURL is the Redis to use; empty starts a redis-server of its own.
	// Keys go under a fresh prefix and are deleted afterwards.
	RedisURL string
	// Conversations is how many contacts talk at once.
	Conversations int
	// Messages is how many messages the inbound throughput run sends.
	Messages int
	// Rate and Paced set the inbound latency run: Rate messages per
	// second for Paced.
	Rate  int
	Paced time.Duration
	// E2EMessages is how many messages the whole-path throughput run
	// sends; E2ERate and E2EPaced set its latency run.
	E2EMessages int
	E2ERate     int
	E2EPaced    time.Duration
	// E2EOverall and E2EPerChat are the Telegram limits of the whole-path
	// runs: high, so they are applied but do not set the pace. Zero
	// Overall applies none.
	E2EOverall, E2EPerChat care.Rate
	// LimitOverall and LimitPerChat are the limits the rate-limit run
	// checks in every one-second window, with LimitConversations
	// talking for LimitFor.
	LimitOverall, LimitPerChat care.Rate
	LimitConversations         int
	LimitFor                   time.Duration
	// Samples is how many fresh contacts send one message for the bytes
	// per contact.
	Samples int
	// Phases lists what to run: "inbound", "e2e", "limits"; empty runs
	// all.
	Phases []string
	// Progress, when set, receives a line per phase.
	Progress io.Writer
}

// Phases are the parts of a run, in order.
var Phases = []string{"inbound", "e2e", "limits"}

// Defaults are the options `mitra bench` uses unless told otherwise.
func Defaults() Options {
	return Options{
		Conversations: 1000, Messages: 100_000, Rate: 2000, Paced: 5 * time.Second,
		E2EMessages: 20_000, E2ERate: 2000, E2EPaced: 5 * time.Second,
		E2EPerChat:   care.Rate{N: 1000, Per: time.Second},
		LimitOverall: care.Rate{N: 100, Per: time.Second}, LimitPerChat: care.Rate{N: 1, Per: time.Second},
		LimitConversations: 300, LimitFor: 4 * time.Second,
		Samples: 200,
	}
}

// Result is what one run measured. Per-message figures count inbound
// messages.
type Result struct {
	// MsgsPerSec is the inbound throughput (to replies queued) with every
	// conversation sending as fast as it can.
	MsgsPerSec float64 `json:"msgs_per_sec"`
	// P50ms and P99ms are the latencies from inbound to replies queued,
	// at Rate messages per second.
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	// Rate is the pace of the latency run, messages per second.
	Rate int `json:"rate"`
	// RoundTripsPerMsg counts Redis round trips per message in the
	// inbound throughput run.
	RoundTripsPerMsg float64 `json:"redis_roundtrips_per_msg"`
	// RoundTripsLone and RoundTripsFirst are the round trips of a lone
	// message (nothing else going on) from a known contact and from a
	// new one, inbound to queued.
	RoundTripsLone  float64 `json:"redis_roundtrips_lone_msg"`
	RoundTripsFirst float64 `json:"redis_roundtrips_first_msg"`
	// BytesPerSession is the mean MEMORY USAGE of an idle session key
	// after the inbound runs.
	BytesPerSession float64 `json:"bytes_per_session"`
	// BytesPerActiveContact is the mean MEMORY USAGE of the keys
	// Store.MemoryUsage counts for a contact after the inbound runs'
	// messages (each sent about Messages/Conversations).
	BytesPerActiveContact float64 `json:"bytes_per_active_contact"`
	// InboundCmdsPerMsg counts the commands the client sent per message
	// in the inbound throughput run (pipelined ones one by one);
	// InboundRedisCPUusPerMsg and InboundGoCPUusPerMsg are the CPU time
	// Redis and this process spent per message there, in µs.
	InboundCmdsPerMsg       float64 `json:"inbound_redis_cmds_per_msg"`
	InboundRedisCPUusPerMsg float64 `json:"inbound_redis_cpu_us_per_msg"`
	InboundGoCPUusPerMsg    float64 `json:"inbound_go_cpu_us_per_msg"`
	Messages                int     `json:"messages"`
	Conversations           int     `json:"conversations"`

	// E2EMsgsPerSec is the whole-path throughput: inbound messages per
	// second, from the first handed to the runtime to the last reply
	// reaching the channel, every conversation waiting for the first
	// reply before its next message.
	E2EMsgsPerSec float64 `json:"e2e_msgs_per_sec"`
	E2EMessages   int     `json:"e2e_messages"`
	// E2EP50ms and E2EP99ms are the latencies from a message handed to
	// the runtime to its first reply reaching the channel, at E2ERate
	// messages per second; E2EQueuedP99ms the inbound-to-queued part.
	E2EP50ms       float64 `json:"e2e_p50_ms"`
	E2EP99ms       float64 `json:"e2e_p99_ms"`
	E2EQueuedP99ms float64 `json:"e2e_queued_p99_ms"`
	E2ERate        int     `json:"e2e_rate"`
	// E2EUnanswered counts messages of the whole-path runs whose reply
	// never reached the channel (should be 0).
	E2EUnanswered int `json:"e2e_unanswered"`
	// RepliesPerMsg is how many replies an inbound message got, on
	// average, in the whole-path throughput run.
	RepliesPerMsg float64 `json:"replies_per_msg"`
	// Outcomes counts what became of the replies of the whole-path runs
	// (sent, refused, deferred, ...), as the sender recorded them.
	Outcomes map[string]int64 `json:"e2e_outcomes"`
	// RedisCmdsPerMsg counts, per inbound message over the whole path,
	// the commands the client sent (a go-redis hook: each command of a
	// pipeline, each script as one command); RedisCmdsByName breaks it
	// down (scripts as evalsha:<script>).
	RedisCmdsPerMsg float64            `json:"redis_cmds_per_msg"`
	RedisCmdsByName map[string]float64 `json:"redis_cmds_by_name"`
	// RedisCallsPerMsg counts the same as Redis does (INFO
	// commandstats): scripts and the commands they run inside;
	// RedisCallsByName breaks it down and RedisUsecByName gives Redis's
	// time per message by command (a script's includes its commands').
	RedisCallsPerMsg float64            `json:"redis_calls_per_msg"`
	RedisCallsByName map[string]float64 `json:"redis_calls_by_name,omitempty"`
	RedisUsecByName  map[string]float64 `json:"redis_usec_by_name,omitempty"`
	// RoundTripsE2EPerMsg counts the client's round trips per inbound
	// message over the whole path.
	RoundTripsE2EPerMsg float64 `json:"redis_roundtrips_e2e_per_msg"`
	// RedisCPUusPerMsg and GoCPUusPerMsg are the CPU time Redis (INFO
	// cpu) and this process spent per message of the whole-path
	// throughput run, in µs.
	RedisCPUusPerMsg float64 `json:"redis_cpu_us_per_msg"`
	GoCPUusPerMsg    float64 `json:"go_cpu_us_per_msg"`
	// Lone is one message with nothing else going on, over the whole
	// path.
	Lone LoneResult `json:"e2e_lone"`

	// BytesPerContact is what a fresh contact who sent one message holds
	// in Redis once its replies went out: every key of the contact
	// (found by SCAN), and its share of the address index.
	BytesPerContact float64 `json:"bytes_per_contact"`
	// BytesByKind breaks it down by key kind ("index" is the share of
	// the address index).
	BytesByKind map[string]float64 `json:"bytes_by_kind,omitempty"`
	// BytesMemoryUsage is what Store.MemoryUsage reports for the same
	// contacts; it should agree with BytesPerContact.
	BytesMemoryUsage float64 `json:"bytes_memory_usage"`
	// BytesPerFreshSession is the session key of those contacts.
	BytesPerFreshSession float64 `json:"bytes_per_fresh_session"`
	// AuditBytesPerEntry is the audit stream's bytes per entry (one entry
	// per reply sent; the stream keeps about 100,000).
	AuditBytesPerEntry float64 `json:"audit_bytes_per_entry"`

	// RateLimits is the rate-limit run: sends per one-second window.
	RateLimits RateResult `json:"rate_limits"`
}

// LoneResult is one message through the whole path with nothing else
// going on.
type LoneResult struct {
	Ms         float64 `json:"ms"`
	Cmds       int64   `json:"redis_cmds"`
	RoundTrips int64   `json:"redis_roundtrips"`
	Replies    int64   `json:"replies"`
}

// RateResult is what the rate-limit run saw at the channel.
type RateResult struct {
	Overall string `json:"overall"`
	PerChat string `json:"per_chat"`
	Sends   int    `json:"sends"`
	// MaxOverall and MaxPerChat are the most sends in any one-second
	// window, over all chats and to one chat.
	MaxOverall int `json:"max_overall_per_window"`
	MaxPerChat int `json:"max_per_chat_per_window"`
	// Deferred counts replies held back because the wait was long.
	Deferred int64 `json:"deferred"`
	OK       bool  `json:"ok"`
	Ran      bool  `json:"ran"`
}

// script is what each simulated customer says, over and over: greeting,
// menu choices by number and by word, questions in sentences with slang
// (scored against every example of the flows), small talk, help, a
// sticker.
var script = []care.Inbound{
	{Kind: care.KindText, Text: "halo"},
	{Kind: care.KindText, Text: "2"},
	{Kind: care.KindText, Text: "harga telur sekilo brp kak?"},
	{Kind: care.KindText, Text: "ok makasih kak"},
	{Kind: care.KindText, Text: "menu"},
	{Kind: care.KindText, Text: "jam buka"},
	{Kind: care.KindText, Text: "bantuan"},
	{Kind: care.KindSticker},
	{Kind: care.KindText, Text: "min besok buka jam berapa ya"},
	{Kind: care.KindText, Text: "menu"},
}

// run is one benchmark run's shared parts.
type run struct {
	opts     Options
	progress io.Writer
	prefix   string
	// client is what Mitra's parts use; its commands are counted.
	client redis.UniversalClient
	// mon reads Redis's stats and memory, uncounted.
	mon     redis.UniversalClient
	store   *countingStore
	counter *cmdCounter
	rt      *inbound.Runtime
	log     *slog.Logger
	seq     atomic.Int64
	phases  map[string]bool
	res     Result
	// fresh are the contacts that sent one message, for the bytes per
	// contact.
	fresh []care.Address
}

// Run measures and returns the figures.
func Run(ctx context.Context, opts Options) (Result, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	phases := map[string]bool{}
	for _, p := range opts.Phases {
		if !slices.Contains(Phases, p) {
			return Result{}, fmt.Errorf("unknown phase %q (want %s)", p, strings.Join(Phases, ", "))
		}
		phases[p] = true
	}
	if len(phases) == 0 {
		for _, p := range Phases {
			phases[p] = true
		}
	}
	url := opts.RedisURL
	if url == "" {
		srv, err := redisserver.Start(ctx, redisserver.Options{})
		if err != nil {
			return Result{}, err
		}
		defer srv.Close()
		url = srv.URL()
		fmt.Fprintf(progress, "started redis-server at %s\n", srv.Addr())
	}
	client, err := redisstore.Open(url)
	if err != nil {
		return Result{}, err
	}
	defer client.Close()
	mon, err := redisstore.Open(url)
	if err != nil {
		return Result{}, err
	}
	defer mon.Close()
	prefix := "mitrabench-" + randomHex()
	counter := &cmdCounter{}
	client.AddHook(counter)
	store := &countingStore{Store: redisstore.New(client, prefix)}
	if err := store.Ping(ctx); err != nil {
		return Result{}, fmt.Errorf("redis: %w", err)
	}
	defer func() {
		if err := store.Purge(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(progress, "cleaning up %s:* failed: %v\n", prefix, err)
		}
	}()
	set, cat, err := app.LoadShop("") // the shipped flows and catalog, as mitra demo runs them
	if err != nil {
		return Result{}, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := inbound.New(inbound.Config{Lang: "id", SessionTTL: 30 * 24 * time.Hour, Transcript: 90 * 24 * time.Hour, PromoMax: 2, PromoDays: 7, Catalog: cat, Logger: quiet}, set, store)
	defer rt.Close()

	r := &run{opts: opts, progress: progress, prefix: prefix, client: client, mon: mon, store: store, counter: counter,
		rt: rt, log: quiet, phases: phases}
	r.res = Result{Rate: opts.Rate, Messages: opts.Messages, Conversations: opts.Conversations, E2ERate: opts.E2ERate}
	if phases["inbound"] {
		if err := r.inbound(ctx); err != nil {
			return r.res, err
		}
	}
	if phases["e2e"] || phases["limits"] {
		if err := r.wholePath(ctx); err != nil {
			return r.res, err
		}
	}
	return r.res, nil
}

// countingStore is the store, counting the replies the runtime queues,
// so a run knows when every one of them was settled.
type countingStore struct {
	*redisstore.Store
	queued atomic.Int64
}

func (s *countingStore) CommitMany(ctx context.Context, commits []care.Commit) []error {
	errs := s.Store.CommitMany(ctx, commits)
	for k, err := range errs {
		if err == nil {
			s.queued.Add(int64(len(commits[k].Outbound)))
		}
	}
	return errs
}

// inbound measures inbound to replies queued, on WhatsApp contacts,
// with no sender running: throughput, latency at a steady rate, round
// trips, and the bytes of idle sessions.
func (r *run) inbound(ctx context.Context) error {
	opts := r.opts
	b := &bencher{rt: r.rt, conversations: opts.Conversations, seq: &r.seq}

	// Warm up: every conversation starts, so the runs measure steady work.
	fmt.Fprintf(r.progress, "inbound: warming up %d conversations\n", opts.Conversations)
	if _, err := b.throughput(ctx, opts.Conversations); err != nil {
		return err
	}

	fmt.Fprintf(r.progress, "inbound: %d messages as fast as possible, to replies queued\n", opts.Messages)
	trips, cmds0 := r.store.RoundTrips(), r.counter.snapshot()
	srv0, cpu0 := readServerStats(ctx, r.mon), processCPU()
	elapsed, err := b.throughput(ctx, opts.Messages)
	if err != nil {
		return err
	}
	srv, cpu := readServerStats(ctx, r.mon).since(srv0), processCPU()-cpu0
	n := float64(opts.Messages)
	r.res.MsgsPerSec = math.Round(n / elapsed.Seconds())
	r.res.RoundTripsPerMsg = round2(float64(r.store.RoundTrips()-trips) / n)
	r.res.InboundCmdsPerMsg = round2(float64(r.counter.snapshot().since(cmds0).total) / n)
	r.res.InboundRedisCPUusPerMsg = round2(float64(srv.cpuUs) / n)
	r.res.InboundGoCPUusPerMsg = round2(float64(cpu) / n)

	fmt.Fprintf(r.progress, "inbound: %d messages/s for %s, to replies queued\n", opts.Rate, opts.Paced)
	lat, err := b.paced(ctx, opts.Rate, opts.Paced)
	if err != nil {
		return err
	}
	r.res.P50ms, r.res.P99ms = percentile(lat, 0.50), percentile(lat, 0.99)

	// A lone message, nothing else going on: a known contact, then a new
	// one.
	lone := func(in care.Inbound) (float64, error) {
		before := r.store.RoundTrips()
		if err := r.rt.Handle(ctx, in); err != nil {
			return 0, err
		}
		return float64(r.store.RoundTrips() - before), nil
	}
	if r.res.RoundTripsLone, err = lone(b.next(0, r.seq.Add(1))); err != nil {
		return err
	}
	in := script[0]
	in.Address = care.Address{Channel: care.WhatsApp, ID: "6289900000001"}
	in.MessageID, in.At = "lone-new", time.Now()
	if r.res.RoundTripsFirst, err = lone(in); err != nil {
		return err
	}

	sample := min(opts.Conversations, 200)
	var sess, total int64
	for i := range sample {
		id, _, err := r.store.Lookup(ctx, address(i))
		if err != nil {
			return fmt.Errorf("memory usage: %w", err)
		}
		s, t, err := r.store.MemoryUsage(ctx, id)
		if err != nil {
			return fmt.Errorf("memory usage: %w", err)
		}
		sess += s
		total += t
	}
	r.res.BytesPerSession = math.Round(float64(sess) / float64(sample))
	r.res.BytesPerActiveContact = math.Round(float64(total) / float64(sample))
	return nil
}

type bencher struct {
	rt            *inbound.Runtime
	conversations int
	seq           *atomic.Int64
}

func address(i int) care.Address {
	return care.Address{Channel: care.WhatsApp, ID: strconv.Itoa(6281200000000 + i)}
}

// next returns the next message of conversation i.
func (b *bencher) next(i int, n int64) care.Inbound {
	in := script[int(n)%len(script)]
	in.Address = address(i)
	in.MessageID = "b" + strconv.FormatInt(n, 10) + "-" + strconv.Itoa(i)
	in.At = time.Now()
	return in
}

// throughput sends n messages with every conversation talking at once,
// each waiting for its previous message to be stored, like a customer
// waits for the bot.
func (b *bencher) throughput(ctx context.Context, n int) (time.Duration, error) {
	var sent atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for i := range b.conversations {
		wg.Go(func() {
			for sent.Add(1) <= int64(n) {
				if err := b.rt.Handle(ctx, b.next(i, b.seq.Add(1))); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// paced sends rate messages per second for d, spread over the
// conversations, and returns each message's latency. Messages are sent
// on schedule whether or not earlier ones are done (an open loop), so a
// slow moment shows in the figures instead of slowing the load.
func (b *bencher) paced(ctx context.Context, rate int, d time.Duration) ([]time.Duration, error) {
	total := int(float64(rate) * d.Seconds())
	lat := make([]time.Duration, total)
	errs := make(chan error, total)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for k := range total {
		due := start.Add(time.Duration(k) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		wg.Go(func() {
			t := time.Now()
			if err := b.rt.Handle(ctx, b.next(k%b.conversations, b.seq.Add(1))); err != nil {
				errs <- err
			}
			lat[k] = time.Since(t)
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return lat, nil
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}

func randomHex() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ParseRate reads a rate as N/s, N/m or N/h ("0" for none).
func ParseRate(v string) (care.Rate, error) {
	if v == "0" || v == "" || v == "none" {
		return care.Rate{}, nil
	}
	n, per, ok := strings.Cut(v, "/")
	k, err := strconv.Atoi(n)
	if !ok || err != nil || k < 0 {
		return care.Rate{}, fmt.Errorf("rate %q: want N/s, N/m or N/h", v)
	}
	switch per {
	case "s":
		return care.Rate{N: k, Per: time.Second}, nil
	case "m":
		return care.Rate{N: k, Per: time.Minute}, nil
	case "h":
		return care.Rate{N: k, Per: time.Hour}, nil
	}
	return care.Rate{}, fmt.Errorf("rate %q: want N/s, N/m or N/h", v)
}

// RateString renders r as ParseRate reads it.
func RateString(r care.Rate) string {
	if r.Zero() {
		return "none"
	}
	switch r.Per {
	case time.Second:
		return strconv.Itoa(r.N) + "/s"
	case time.Minute:
		return strconv.Itoa(r.N) + "/m"
	case time.Hour:
		return strconv.Itoa(r.N) + "/h"
	}
	return strconv.Itoa(r.N) + "/" + r.Per.String()
}

var errTimeout = errors.New("timed out")
