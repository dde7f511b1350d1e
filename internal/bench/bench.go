// Package bench measures Mitra's inbound pipeline: many simulated
// conversations through the real runtime, the shipped flows and a real
// Redis, from a message arriving to its replies being queued.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mitra-care/mitra/flows"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/flow"
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
	// Messages is how many messages the throughput run sends.
	Messages int
	// Rate and Paced set the latency run: Rate messages per second for
	// Paced.
	Rate  int
	Paced time.Duration
	// Progress, when set, receives a line per phase.
	Progress io.Writer
}

// Defaults are the options `mitra bench` uses unless told otherwise.
func Defaults() Options {
	return Options{Conversations: 1000, Messages: 100_000, Rate: 2000, Paced: 5 * time.Second}
}

// Result is what one run measured.
type Result struct {
	// MsgsPerSec is the throughput with every conversation sending as fast
	// as it can.
	MsgsPerSec float64 `json:"msgs_per_sec"`
	// P50ms and P99ms are the latencies from inbound to replies queued,
	// at Rate messages per second.
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	// Rate is the pace of the latency run, messages per second.
	Rate int `json:"rate"`
	// RoundTripsPerMsg counts Redis round trips per message.
	RoundTripsPerMsg float64 `json:"redis_roundtrips_per_msg"`
	// BytesPerSession is the mean MEMORY USAGE of an idle session key;
	// BytesPerContact adds the profile, recent message ids, consent
	// ledger and transcript of the contact.
	BytesPerSession float64 `json:"bytes_per_session"`
	BytesPerContact float64 `json:"bytes_per_contact"`
	Messages        int     `json:"messages"`
	Conversations   int     `json:"conversations"`
}

// script is what each simulated customer says, over and over: greeting,
// menu choices by number and by word, help, a sticker, a free question.
var script = []care.Inbound{
	{Kind: care.KindText, Text: "halo"},
	{Kind: care.KindText, Text: "2"},
	{Kind: care.KindText, Text: "menu"},
	{Kind: care.KindText, Text: "jam buka"},
	{Kind: care.KindText, Text: "bantuan"},
	{Kind: care.KindSticker},
	{Kind: care.KindText, Text: "apakah ada tempe?"},
	{Kind: care.KindText, Text: "menu"},
}

// Run measures and returns the figures.
func Run(ctx context.Context, opts Options) (Result, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
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
	prefix := "mitrabench-" + randomHex()
	store := redisstore.New(client, prefix)
	if err := store.Ping(ctx); err != nil {
		return Result{}, fmt.Errorf("redis: %w", err)
	}
	defer func() {
		if err := store.Purge(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(progress, "cleaning up %s:* failed: %v\n", prefix, err)
		}
	}()
	set, err := flow.Load(flows.FS, inbound.FlowOptions)
	if err != nil {
		return Result{}, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := inbound.New(inbound.Config{Lang: "id", SessionTTL: 30 * 24 * time.Hour, Transcript: 90 * 24 * time.Hour, PromoMax: 2, PromoDays: 7, Logger: quiet}, set, store)
	defer rt.Close()

	res := Result{Rate: opts.Rate, Messages: opts.Messages, Conversations: opts.Conversations}
	b := &bencher{rt: rt, conversations: opts.Conversations}

	// Warm up: every conversation starts, so the runs measure steady work.
	fmt.Fprintf(progress, "warming up %d conversations\n", opts.Conversations)
	if _, err := b.throughput(ctx, opts.Conversations); err != nil {
		return res, err
	}

	fmt.Fprintf(progress, "throughput: %d messages as fast as possible\n", opts.Messages)
	trips := store.RoundTrips()
	elapsed, err := b.throughput(ctx, opts.Messages)
	if err != nil {
		return res, err
	}
	res.MsgsPerSec = float64(opts.Messages) / elapsed.Seconds()
	res.RoundTripsPerMsg = float64(store.RoundTrips()-trips) / float64(opts.Messages)

	fmt.Fprintf(progress, "latency: %d messages/s for %s\n", opts.Rate, opts.Paced)
	lat, err := b.paced(ctx, opts.Rate, opts.Paced)
	if err != nil {
		return res, err
	}
	res.P50ms, res.P99ms = percentile(lat, 0.50), percentile(lat, 0.99)

	sample := min(opts.Conversations, 200)
	var sess, total int64
	for i := range sample {
		id, _, err := store.Lookup(ctx, address(i))
		if err != nil {
			return res, fmt.Errorf("memory usage: %w", err)
		}
		s, t, err := store.MemoryUsage(ctx, id)
		if err != nil {
			return res, fmt.Errorf("memory usage: %w", err)
		}
		sess += s
		total += t
	}
	res.BytesPerSession = float64(sess) / float64(sample)
	res.BytesPerContact = float64(total) / float64(sample)
	return res, nil
}

type bencher struct {
	rt            *inbound.Runtime
	conversations int
	seq           atomic.Int64
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sent.Add(1) <= int64(n) {
				if err := b.rt.Handle(ctx, b.next(i, b.seq.Add(1))); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			if err := b.rt.Handle(ctx, b.next(k%b.conversations, b.seq.Add(1))); err != nil {
				errs <- err
			}
			lat[k] = time.Since(t)
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return lat, nil
}

func percentile(d []time.Duration, p float64) float64 {
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
