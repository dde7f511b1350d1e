package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
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
// program (internal/app, Telegram polling, WhatsApp off), or another bot
// (Bot), against a Bot API server on loopback that answers every call
// Delay later.
type TelegramOptions struct {
	// RedisURL is the Redis to use; empty starts a redis-server of its own.
	RedisURL string
	// Bot, when set, is the command of the bot to measure instead of
	// Mitra, such as "node internal/bench/telegraf/bot.mjs": split at
	// spaces and run without a shell, with BOT_TOKEN, API_ROOT (the Bot
	// API server's base URL, round trip included), REDIS_URL and
	// REDIS_PREFIX (the prefix its keys must start with, followed by a
	// colon; they are deleted after) in its environment. It is measured
	// once it polls, and stopped with an interrupt at the end.
	Bot string
	// Delay is each Bot API call's round trip: half before the server
	// reads the request, half before its answer reaches the bot.
	Delay time.Duration
	// Conversations talk at once in the throughput run, each sending
	// Conversation's messages, the next once the whole answer to the
	// last one arrived: as many replies as it got at light load.
	Conversations int
	// Light is how many conversations go one after the other, each
	// message 300 ms after the first reply to the last, for the
	// first-reply latency at light load and the number of replies that
	// answer each message.
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
	// Bot is the bot measured: "mitra", or TelegramOptions.Bot.
	Bot     string  `json:"bot"`
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

// RunTelegram runs the whole program, or the bot opts.Bot names, against
// an emulated Bot API server with a round trip of opts.Delay and measures
// updates per second and the first reply's latency. The customers start
// talking once the bot polls.
func RunTelegram(ctx context.Context, opts TelegramOptions) (TelegramResult, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	if len(opts.Conversation) == 0 {
		opts.Conversation = DefaultConversation
	}
	res := TelegramResult{Bot: "mitra", DelayMs: float64(opts.Delay.Microseconds()) / 1000, Conversations: opts.Conversations}
	if opts.Bot != "" {
		res.Bot = opts.Bot
	}
	redisURL := opts.RedisURL
	if redisURL == "" {
		srv, err := redisserver.Start(ctx, redisserver.Options{})
		if err != nil {
			return res, err
		}
		defer srv.Close()
		redisURL = srv.URL()
		fmt.Fprintf(progress, "started redis-server at %s\n", srv.Addr())
	}
	prefix := "mitrabench-" + randomHex()
	defer func() {
		client, err := redisstore.Open(redisURL)
		if err == nil {
			_ = redisstore.New(client, prefix).Purge(context.WithoutCancel(ctx))
			_ = client.Close()
		}
	}()

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

	apiURL := "http://" + ln.Addr().String()
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	var b *runningBot
	if opts.Bot != "" {
		fmt.Fprintf(progress, "telegram: starting %s\n", opts.Bot)
		b, err = startCommand(runCtx, opts.Bot, []string{
			"BOT_TOKEN=" + telegramtest.Token, "API_ROOT=" + apiURL, "REDIS_URL=" + redisURL, "REDIS_PREFIX=" + prefix,
		}, progress)
	} else {
		b, err = startMitra(runCtx, redisURL, prefix, apiURL)
	}
	if err != nil {
		stop()
		return res, err
	}
	defer func() {
		stop()
		<-b.done
	}()
	if err := b.waitPolling(ctx, bot); err != nil {
		return res, fmt.Errorf("%s: %w", res.Bot, err)
	}

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
	// answer is how many messages the bot sends in answer to each
	// message of conv, as counted at light load; nil until counted.
	answer []int
}

// conversation has chat say each message of the conversation and
// returns the first-reply latencies and how many messages got none.
// With a pause (light load), each message comes pause after the first
// reply to the one before, and the replies that arrived by then are the
// answer to it. Without one, each message comes once the whole answer
// to the one before arrived, as counted at light load: a customer reads
// the menu before picking from it, and a reply still to come to the
// message before is not taken for the first reply to the next.
func (d *driver) conversation(ctx context.Context, chat int64, pause time.Duration) (lat []time.Duration, missing int) {
	replies := make(chan time.Time, 64)
	d.api.expect(chat, func(at time.Time) {
		select {
		case replies <- at:
		default:
		}
	})
	defer d.api.expect(chat, nil)
	counted := make([]int, len(d.conv))
	for i, text := range d.conv {
		d.mu.Lock()
		d.msg++
		id := d.msg
		rest := 0
		if d.answer != nil {
			rest = d.answer[i] - 1
		}
		d.mu.Unlock()
		start := time.Now()
		d.bot.Push(telegramtest.TextUpdate(chat, id, text))
		select {
		case at := <-replies:
			lat = append(lat, at.Sub(start))
			counted[i] = 1
		case <-time.After(replyTimeout):
			missing++
			continue
		case <-ctx.Done():
			return lat, missing
		}
		if pause > 0 {
			time.Sleep(pause)
			for len(replies) > 0 {
				<-replies
				counted[i]++
			}
			continue
		}
		for range rest {
			select {
			case <-replies:
			case <-time.After(replyTimeout):
			case <-ctx.Done():
				return lat, missing
			}
		}
	}
	if pause > 0 && missing == 0 {
		d.count(counted)
	}
	return lat, missing
}

// count notes the answer counted in one conversation at light load; of
// several, the smallest count for each message is kept, so that no
// customer waits for a reply that does not come.
func (d *driver) count(answer []int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.answer == nil {
		d.answer = answer
		return
	}
	for i, n := range answer {
		d.answer[i] = min(d.answer[i], n)
	}
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
	if err := formOf(r); err != nil {
		http.Error(w, `{"ok":false,"error_code":400,"description":"Bad Request: can't parse JSON"}`, http.StatusBadRequest)
		return
	}
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

// formOf turns a call whose parameters come as a JSON object, as
// Telegraf sends them, into the form the emulator reads; the Bot API
// takes either. A string stays as it is, any other value becomes its
// JSON text (numbers, true, a reply_markup object), and null is left out.
func formOf(r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&fields); err != nil {
		return fmt.Errorf("JSON parameters: %w", err)
	}
	form := url.Values{}
	for k, raw := range fields {
		var s string
		switch {
		case string(raw) == "null":
		case json.Unmarshal(raw, &s) == nil:
			form.Set(k, s)
		default:
			form.Set(k, string(raw))
		}
	}
	body := form.Encode()
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return nil
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

// startTimeout bounds a bot's start, until its first getUpdates call.
const startTimeout = time.Minute

// runningBot is a bot under way, Mitra or a command.
type runningBot struct {
	done chan struct{} // closed once the bot stopped
	err  error         // why it stopped, when not asked to; set before done is closed
}

// waitPolling waits until the bot's first getUpdates call reaches the
// emulator: until then the bot is starting, and a customer's message
// would measure its start.
func (r *runningBot) waitPolling(ctx context.Context, bot *telegramtest.Server) error {
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for len(bot.Calls("getUpdates")) == 0 {
		select {
		case <-r.done:
			if r.err == nil {
				return errors.New("stopped before it polled")
			}
			return fmt.Errorf("stopped before it polled: %w", r.err)
		case <-deadline.C:
			return fmt.Errorf("not polling after %s", startTimeout)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// startMitra runs the whole program until ctx ends, on the Redis at
// redisURL with its keys under prefix, polling the Bot API at apiURL.
func startMitra(ctx context.Context, redisURL, prefix, apiURL string) (*runningBot, error) {
	dir, err := os.MkdirTemp("", "mitra-bench-*")
	if err != nil {
		return nil, err
	}
	cfg := config.Defaults()
	cfg.RedisURL = redisURL
	cfg.RedisPrefix = prefix
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.Simulator = false
	cfg.WhatsApp.Mode = "off"
	cfg.Telegram.Token = telegramtest.Token
	cfg.Telegram.APIURL = apiURL
	cfg.Telegram.Mode = "polling"
	// The emulator has no limits to protect, and the bot it is compared
	// with applies none.
	cfg.Rates = maps.Clone(cfg.Rates)
	cfg.Rates[care.Telegram] = config.ChannelRates{}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg, quiet)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start mitra: %w", err)
	}
	r := &runningBot{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := a.Run(ctx); err != nil && ctx.Err() == nil {
			r.err = err
		}
		_ = a.Close()
		_ = os.RemoveAll(dir)
	}()
	return r, nil
}

// startCommand runs command, split at spaces, with env added to this
// process's environment, until ctx ends; it is then interrupted, and
// killed if it has not exited 5 s later. What it prints goes to out.
func startCommand(ctx context.Context, command string, env []string, out io.Writer) (*runningBot, error) {
	args := strings.Fields(command)
	if len(args) == 0 {
		return nil, errors.New("no bot command")
	}
	tail := &tailWriter{}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	// The same writer for both: one pipe, the lines in the order printed.
	cmd.Stdout = io.MultiWriter(out, tail)
	cmd.Stderr = cmd.Stdout
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", command, err)
	}
	r := &runningBot{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		err := cmd.Wait()
		switch {
		case ctx.Err() != nil:
		case err != nil:
			r.err = fmt.Errorf("%s, after printing %q: %w", args[0], tail, err)
		default:
			r.err = fmt.Errorf("%s exited, after printing %q", args[0], tail)
		}
	}()
	return r, nil
}

// tailWriter keeps the last tailSize bytes written to it.
type tailWriter struct {
	mu sync.Mutex
	b  []byte
}

// tailSize is how much of a bot's output an error quotes.
const tailSize = 2048

// Write implements io.Writer.
func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > tailSize {
		t.b = t.b[len(t.b)-tailSize:]
	}
	return len(p), nil
}

// String returns what was kept, trimmed.
func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
