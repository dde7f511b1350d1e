package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/telegram/telegramtest"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisserver"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// TelegramOptions say what `mitra bench --telegram` measures: the whole
// program (internal/app, Telegram polling, WhatsApp off) against a Bot
// API server on loopback that answers every call Delay later.
type TelegramOptions struct {
	// RedisURL is the Redis to use; empty starts a redis-server of its own.
	RedisURL string
	// Delay is each Bot API call's round trip: half before the server
	// reads the request, half before its answer reaches the bot.
	Delay time.Duration
	// Conversations talk at once in the throughput run, each sending
	// Conversation's messages, the next once the first reply to the last
	// one arrived.
	Conversations int
	// Light is how many conversations go one after the other, each
	// message after the bot's answers, for the first-reply latency at
	// light load.
	Light int
	// Conversation is what each customer says.
	Conversation []string
	// Progress, when set, receives a line per phase.
	Progress io.Writer
}

// DefaultConversation is the four-message conversation both bots answer:
// a greeting, a menu choice by number, the menu, help.
var DefaultConversation = []string{"halo", "2", "menu", "bantuan"}

// TelegramDefaults are the options `mitra bench --telegram` uses.
func TelegramDefaults() TelegramOptions {
	return TelegramOptions{Delay: 50 * time.Millisecond, Conversations: 500, Light: 10, Conversation: DefaultConversation}
}

// TelegramResult is what the Telegram run measured.
type TelegramResult struct {
	DelayMs float64 `json:"delay_ms"`
	// UpdatesPerSec is the throughput: customers' updates from the first
	// pushed to the last reply sent, Conversations at once.
	UpdatesPerSec float64 `json:"updates_per_sec"`
	Updates       int     `json:"updates"`
	Conversations int     `json:"conversations"`
	// LoadedP50ms and LoadedP99ms are first-reply latencies during the
	// throughput run.
	LoadedP50ms float64 `json:"loaded_first_reply_p50_ms"`
	LoadedP99ms float64 `json:"loaded_first_reply_p99_ms"`
	// FirstReplyP50ms and FirstReplyP99ms are the latencies from an
	// update pushed to the Bot API server to the first sendMessage for
	// its chat reaching it, at light load (one conversation at a time).
	FirstReplyP50ms float64 `json:"first_reply_p50_ms"`
	FirstReplyP99ms float64 `json:"first_reply_p99_ms"`
	// CallsPerUpdate counts the Bot API calls per update of the
	// throughput run, by method.
	CallsPerUpdate map[string]float64 `json:"calls_per_update"`
	// MaxConcurrentSends is the most sendMessage calls under way at once.
	MaxConcurrentSends int `json:"max_concurrent_sends"`
	Unanswered         int `json:"unanswered"`
}

// RunTelegram runs the whole program against an emulated Bot API server
// with a round trip of opts.Delay and measures updates per second and
// the first reply's latency.
func RunTelegram(ctx context.Context, opts TelegramOptions) (TelegramResult, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	if len(opts.Conversation) == 0 {
		opts.Conversation = DefaultConversation
	}
	res := TelegramResult{DelayMs: float64(opts.Delay.Microseconds()) / 1000, Conversations: opts.Conversations}
	url := opts.RedisURL
	if url == "" {
		srv, err := redisserver.Start(ctx, redisserver.Options{})
		if err != nil {
			return res, err
		}
		defer srv.Close()
		url = srv.URL()
		fmt.Fprintf(progress, "started redis-server at %s\n", srv.Addr())
	}

	tb := &fakeTB{}
	defer tb.cleanup()
	bot := telegramtest.NewServer(tb)
	api := &delayedAPI{bot: bot, delay: opts.Delay, replied: map[string]func(time.Time){}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	dir, err := os.MkdirTemp("", "mitra-bench-*")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	cfg := config.Defaults()
	cfg.RedisURL = url
	cfg.RedisPrefix = "mitrabench-" + randomHex()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.Simulator = false
	cfg.WhatsApp.Mode = "off"
	cfg.Telegram.Token = telegramtest.Token
	cfg.Telegram.APIURL = "http://" + ln.Addr().String()
	cfg.Telegram.Mode = "polling"
	// The emulator has no limits to protect, and the bot it is compared
	// with applies none.
	cfg.Rates = maps.Clone(cfg.Rates)
	cfg.Rates[care.Telegram] = config.ChannelRates{}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg, quiet)
	if err != nil {
		return res, fmt.Errorf("start mitra: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() {
		stop()
		<-done
		_ = a.Close()
		client, err := redisstore.Open(url)
		if err == nil {
			_ = redisstore.New(client, cfg.RedisPrefix).Purge(context.WithoutCancel(ctx))
			_ = client.Close()
		}
	}()

	d := &driver{bot: bot, api: api, conv: opts.Conversation}
	fmt.Fprintf(progress, "telegram: %d conversations one at a time, Bot API round trip %s\n", opts.Light, opts.Delay)
	var light []time.Duration
	for i := range opts.Light {
		lat, missing := d.conversation(ctx, 5_000_000+int64(i), 300*time.Millisecond)
		light = append(light, lat...)
		res.Unanswered += missing
	}
	res.FirstReplyP50ms, res.FirstReplyP99ms = percentile(light, 0.5), percentile(light, 0.99)

	fmt.Fprintf(progress, "telegram: %d conversations at once, %d messages each\n", opts.Conversations, len(opts.Conversation))
	calls0 := countCalls(bot)
	start := time.Now()
	var mu sync.Mutex
	var loaded []time.Duration
	var wg sync.WaitGroup
	for i := range opts.Conversations {
		wg.Go(func() {
			lat, missing := d.conversation(ctx, 6_000_000+int64(i), 0)
			mu.Lock()
			loaded = append(loaded, lat...)
			res.Unanswered += missing
			mu.Unlock()
		})
	}
	wg.Wait()
	// The last replies: until no message went out for a while.
	for time.Since(api.lastSent()) < 10*opts.Delay+200*time.Millisecond {
		time.Sleep(20 * time.Millisecond)
	}
	end := api.lastSent()
	res.Updates = opts.Conversations * len(opts.Conversation)
	res.UpdatesPerSec = math.Round(float64(res.Updates) / end.Sub(start).Seconds())
	res.LoadedP50ms, res.LoadedP99ms = percentile(loaded, 0.5), percentile(loaded, 0.99)
	res.MaxConcurrentSends = api.maxSending()
	res.CallsPerUpdate = map[string]float64{}
	for m, n := range countCalls(bot) {
		if dn := n - calls0[m]; dn > 0 {
			res.CallsPerUpdate[m] = round2(float64(dn) / float64(res.Updates))
		}
	}
	if errs := tb.errors(); len(errs) > 0 {
		return res, fmt.Errorf("bot api emulator: %s", strings.Join(errs, "; "))
	}
	return res, nil
}

// driver plays customers against the emulated Bot API.
type driver struct {
	bot  *telegramtest.Server
	api  *delayedAPI
	conv []string
	mu   sync.Mutex
	msg  int
}

// conversation has chat say each message of the conversation, each once
// the first reply to the last arrived and pause passed, and returns the
// first-reply latencies and how many messages got none.
func (d *driver) conversation(ctx context.Context, chat int64, pause time.Duration) (lat []time.Duration, missing int) {
	for _, text := range d.conv {
		d.mu.Lock()
		d.msg++
		id := d.msg
		d.mu.Unlock()
		got := make(chan time.Time, 1)
		d.api.expect(chat, func(at time.Time) {
			select {
			case got <- at:
			default:
			}
		})
		start := time.Now()
		d.bot.Push(telegramtest.TextUpdate(chat, id, text))
		select {
		case at := <-got:
			lat = append(lat, at.Sub(start))
		case <-time.After(replyTimeout):
			missing++
		case <-ctx.Done():
			return lat, missing
		}
		if pause > 0 {
			time.Sleep(pause)
		}
	}
	d.api.expect(chat, nil)
	return lat, missing
}

// countCalls counts the calls the emulator answered, by method.
func countCalls(bot *telegramtest.Server) map[string]int {
	out := map[string]int{}
	for _, m := range bot.Methods() {
		out[m]++
	}
	return out
}

// delayedAPI puts a round trip in front of the emulator: half of it
// before the request reaches the server, half before the answer reaches
// the bot. It tells a chat's watcher when a sendMessage to it reached
// the server.
type delayedAPI struct {
	bot   *telegramtest.Server
	delay time.Duration

	mu      sync.Mutex
	replied map[string]func(time.Time)
	last    time.Time
	sending int // sendMessage calls under way
	most    int
}

func (a *delayedAPI) maxSending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.most
}

func (a *delayedAPI) expect(chat int64, fn func(time.Time)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := strconv.FormatInt(chat, 10)
	if fn == nil {
		delete(a.replied, k)
		return
	}
	a.replied[k] = fn
}

func (a *delayedAPI) lastSent() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

func (a *delayedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	send := strings.HasSuffix(r.URL.Path, "/sendMessage")
	if send {
		a.mu.Lock()
		a.sending++
		a.most = max(a.most, a.sending)
		a.mu.Unlock()
		defer func() {
			a.mu.Lock()
			a.sending--
			a.mu.Unlock()
		}()
	}
	time.Sleep(a.delay / 2)
	if send && r.ParseForm() == nil {
		now := time.Now()
		a.mu.Lock()
		fn := a.replied[r.PostForm.Get("chat_id")]
		if now.After(a.last) {
			a.last = now
		}
		a.mu.Unlock()
		if fn != nil {
			fn(now)
		}
	}
	rec := httptest.NewRecorder()
	a.bot.ServeHTTP(rec, r)
	time.Sleep(a.delay / 2)
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = io.Copy(w, bytes.NewReader(rec.Body.Bytes()))
}

// fakeTB lets the emulator, made for tests, run in the benchmark: it
// collects the errors it reports and runs its clean-ups at the end.
type fakeTB struct {
	testing.TB // never called: the emulator uses only the methods below
	mu         sync.Mutex
	errs       []string
	cleanups   []func()
}

func (t *fakeTB) Helper() {}

func (t *fakeTB) Errorf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errs = append(t.errs, fmt.Sprintf(format, args...))
}

func (t *fakeTB) Cleanup(fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, fn)
}

func (t *fakeTB) errors() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.errs...)
}

func (t *fakeTB) cleanup() {
	t.mu.Lock()
	fns := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
