package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// fakeSim is an in-test Simulator: it records what is submitted and serves
// the bot messages it holds. The real runtime is wired in end-to-end tests
// elsewhere.
type fakeSim struct {
	mu      sync.Mutex
	submits []care.Inbound
	msgs    map[care.Address][]care.SimMessage
	// submitErr and listErr, when set, are returned by Submit and Messages.
	submitErr, listErr error
	// unavailable is how many Submits fail with care.EUnavailable before
	// they succeed.
	unavailable int
	// attempts counts every Submit, failed ones included.
	attempts int
	// reply, when set, answers each stored message with bot messages.
	reply func(care.Inbound) []care.SimMessage
}

var testNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func (f *fakeSim) Submit(ctx context.Context, in care.Inbound) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.unavailable > 0 {
		f.unavailable--
		return care.Errorf(care.EUnavailable, "redis is away")
	}
	if f.submitErr != nil {
		return f.submitErr
	}
	f.submits = append(f.submits, in)
	if f.reply != nil {
		for _, m := range f.reply(in) {
			f.addLocked(in.Address, m)
		}
	}
	return nil
}

func (f *fakeSim) Messages(ctx context.Context, id care.Address, after int64, max int) ([]care.SimMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []care.SimMessage
	for _, m := range f.msgs[id] {
		if m.Seq > after && len(out) < max {
			out = append(out, m)
		}
	}
	return out, nil
}

// add appends bot messages for id, numbering them.
func (f *fakeSim) add(id care.Address, msgs ...care.SimMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range msgs {
		f.addLocked(id, m)
	}
}

func (f *fakeSim) addLocked(id care.Address, m care.SimMessage) {
	if f.msgs == nil {
		f.msgs = map[care.Address][]care.SimMessage{}
	}
	m.Seq = int64(len(f.msgs[id]) + 1)
	if m.Class == "" {
		m.Class = care.Reply
	}
	if m.At.IsZero() {
		m.At = testNow
	}
	f.msgs[id] = append(f.msgs[id], m)
}

// got returns what was submitted so far.
func (f *fakeSim) got() []care.Inbound {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]care.Inbound(nil), f.submits...)
}

func newTestServer(f *fakeSim) *Server {
	return New(Config{
		Simulator: f,
		ShopName:  "Toko Sari",
		Now:       func() time.Time { return testNow },
		Logger:    slog.New(slog.DiscardHandler),
	})
}

func wa(user string) care.Address {
	return care.Address{Channel: care.WhatsApp, ID: care.SimPrefix + user}
}

func do(t *testing.T, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSimulatorOff(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	for _, path := range []string{"/api/sim/messages?user=u1", "/static/sim.js"} {
		if rec := do(t, s, httptest.NewRequest("GET", path, nil)); rec.Code != 404 {
			t.Errorf("GET %s: %d without a simulator, want 404", path, rec.Code)
		}
	}
}
