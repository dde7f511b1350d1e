package telegram

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/telegram/telegramtest"
)

// inbox is the runtime's side of the contract: it stores each message
// once (de-duplicating by address and message id) and can be told to
// fail.
type inbox struct {
	mu       sync.Mutex
	stored   map[string]bool
	order    []care.Inbound // the first store of each message
	attempts map[string]int
	dups     int
	// fail, if set, decides the outcome of each attempt before storing.
	fail   func(ctx context.Context, in care.Inbound, attempt int) error
	notify chan care.Inbound
}

func newInbox() *inbox {
	return &inbox{stored: map[string]bool{}, attempts: map[string]int{}, notify: make(chan care.Inbound, 1000)}
}

func key(in care.Inbound) string { return in.Address.String() + "/" + in.MessageID }

func (b *inbox) Handle(ctx context.Context, in care.Inbound) error {
	b.mu.Lock()
	b.attempts[key(in)]++
	n, fail := b.attempts[key(in)], b.fail
	b.mu.Unlock()
	if fail != nil {
		if err := fail(ctx, in, n); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stored[key(in)] {
		b.dups++
		return nil
	}
	b.stored[key(in)] = true
	b.order = append(b.order, in)
	b.notify <- in
	return nil
}

func (b *inbox) isStored(k string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stored[k]
}

func (b *inbox) attemptsOf(k string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts[k]
}

func (b *inbox) duplicates() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dups
}

func (b *inbox) messages() []care.Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]care.Inbound(nil), b.order...)
}

// next waits for the next newly stored message.
func (b *inbox) next(t *testing.T) care.Inbound {
	t.Helper()
	select {
	case in := <-b.notify:
		return in
	case <-time.After(10 * time.Second):
		t.Fatal("no message stored within 10s")
		return care.Inbound{}
	}
}

var errStoreDown = care.Errorf(care.EUnavailable, "redis away")

// eventually waits, generously, for cond to hold.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// personal matches what must never be logged above debug level: the
// test chats' ids, the customer's name and the texts the tests send.
var personal = regexp.MustCompile(`(^|[^0-9-])(4242|-4001)([^0-9]|$)|Siti|Rahma|(?i:halo|baju merah)`)

// logLines is a log that keeps its lines and checks each as it comes: no
// line holds the token, and none above debug level holds personal data.
type logLines struct {
	t     *testing.T
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Write(p []byte) (int, error) {
	line := string(p)
	if strings.Contains(line, telegramtest.Token) {
		l.t.Errorf("the token is in a log line: %s", line)
	}
	if !strings.Contains(line, "level=DEBUG") && personal.MatchString(line) {
		l.t.Errorf("personal data in a log line above debug level: %s", line)
	}
	l.t.Logf("%s", p)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	return len(p), nil
}

// with returns the lines that hold every one of parts.
func (l *logLines) with(parts ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(line, p) }) {
			out = append(out, line)
		}
	}
	return out
}

// testLog is a debug-level log to t, checked by a logLines.
func testLog(t *testing.T) *slog.Logger {
	log, _ := captureLog(t)
	return log
}

// captureLog is testLog that also returns the lines.
func captureLog(t *testing.T) (*slog.Logger, *logLines) {
	l := &logLines{t: t}
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})), l
}

// newChannel builds a channel on s with quick retries.
func newChannel(t *testing.T, s *telegramtest.Server, cfg Config, h care.Handler) *Channel {
	t.Helper()
	c, _ := newChannelLog(t, s, cfg, h)
	return c
}

// newChannelLog is newChannel that also returns what the channel logs.
func newChannelLog(t *testing.T, s *telegramtest.Server, cfg Config, h care.Handler) (*Channel, *logLines) {
	t.Helper()
	cfg.Token = telegramtest.Token
	cfg.APIURL = s.URL()
	log, lines := captureLog(t)
	c, err := New(context.Background(), cfg, h, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.retryMin, c.retryMax = 5*time.Millisecond, 50*time.Millisecond
	return c, lines
}

// cosmeticFailures records the calls Config.OnCosmeticFailure reports.
type cosmeticFailures struct {
	mu    sync.Mutex
	calls []string
}

func (f *cosmeticFailures) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *cosmeticFailures) get() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// limitCall is one call of a fakeLimiter.
type limitCall struct {
	key  string
	rate care.Rate
}

// fakeLimiter records the calls booked against it; answer, if set,
// decides the wait of the nth call (from 0) instead of booking it now:
// a wait beyond the caller's max books nothing.
type fakeLimiter struct {
	mu     sync.Mutex
	calls  []limitCall
	answer func(n int) (time.Duration, error)
}

func (f *fakeLimiter) Reserve(_ context.Context, limits []care.Limit, maxWait time.Duration) (time.Duration, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.calls)
	for _, l := range limits {
		f.calls = append(f.calls, limitCall{l.Key, l.Rate})
	}
	if f.answer == nil {
		return 0, true, nil
	}
	wait, err := f.answer(n)
	return wait, err == nil && wait <= maxWait, err
}

func (f *fakeLimiter) ReserveAll(ctx context.Context, reqs []care.Reservation) []care.Booking {
	out := make([]care.Booking, len(reqs))
	for i, r := range reqs {
		out[i].Wait, out[i].OK, out[i].Err = f.Reserve(ctx, r.Limits, r.MaxWait)
	}
	return out
}

func (f *fakeLimiter) Hold(context.Context, string, time.Time) error { return nil }

func (f *fakeLimiter) get() []limitCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// run runs c until the returned stop is called (or the test ends) and
// checks that Run returns nil.
func run(t *testing.T, c *Channel) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return within 10s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// noPersonal fails the test if err's text is empty or holds the chat id,
// the customer's name or text.
func noPersonal(t *testing.T, err error, text string) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.TrimSpace(err.Error()) == "" {
		t.Errorf("error %#v has no text", err)
	}
	if personal.MatchString(err.Error()) || strings.TrimSpace(text) != "" && strings.Contains(err.Error(), text) {
		t.Errorf("personal data in the error: %v", err)
	}
}

// noToken fails the test if err's text holds the token.
func noToken(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), telegramtest.Token) {
		t.Errorf("the token is in the error: %v", err)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && strings.Contains(uerr.URL, telegramtest.Token) {
		t.Errorf("the token is in the error's URL: %v", uerr.URL)
	}
}
