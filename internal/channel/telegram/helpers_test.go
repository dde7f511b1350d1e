package telegram

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
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

// testLog logs to t and fails the test if a line holds the token.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), telegramtest.Token) {
		w.t.Errorf("the token is in a log line: %s", p)
	}
	w.t.Logf("%s", p)
	return len(p), nil
}

// newChannel builds a channel on s with quick retries.
func newChannel(t *testing.T, s *telegramtest.Server, cfg Config, h care.Handler) *Channel {
	t.Helper()
	cfg.Token = telegramtest.Token
	cfg.APIURL = s.URL()
	c, err := New(context.Background(), cfg, h, testLog(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.retryMin, c.retryMax = 5*time.Millisecond, 50*time.Millisecond
	return c
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
