package whatsapp

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"github.com/mitra-care/mitra/internal/care"
)

// wib is the shop's time zone in tests (Asia/Jakarta without tzdata).
var wib = time.FixedZone("WIB", 7*60*60)

// clock is a fake clock; sleeping on it moves it forward at once, and
// moving it forward runs the functions that were due by then.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	timers []*timer
}

// timer is a function waiting for the clock to reach at.
type timer struct {
	at time.Time
	f  func()
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// advance moves the clock forward by d and runs what fell due, earliest
// first, on the caller's goroutine.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	var due, later []*timer
	for _, t := range c.timers {
		if t.at.After(c.t) {
			later = append(later, t)
		} else {
			due = append(due, t)
		}
	}
	c.timers = later
	c.mu.Unlock()
	slices.SortStableFunc(due, func(a, b *timer) int { return a.at.Compare(b.at) })
	for _, t := range due {
		t.f()
	}
}

// afterFunc runs f once the clock moved d forward; stop cancels it and
// reports whether it was still waiting, like time.AfterFunc.
func (c *clock) afterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.t.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		i := slices.Index(c.timers, t)
		if i < 0 {
			return false
		}
		c.timers = slices.Delete(c.timers, i, i+1)
		return true
	}
}

// fakeClient records what the adapter asked of WhatsApp, one line per
// call, and answers as told.
type fakeClient struct {
	mu           sync.Mutex
	calls        []string
	sendErr      error
	onWA         map[string]bool // phone → registered; absent → no answer
	onWAErr      error
	nextID       int
	connects     int
	connected    chan int // receives the connect count, when set
	connectErr   error
	disconnects  int
	disconnected chan int // receives the disconnect count, when set
	// The cosmetic calls fail with these.
	presenceErr, chatPresenceErr, readErr error
}

var _ waClient = (*fakeClient)(nil)

func (f *fakeClient) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeClient) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeClient) ConnectContext(context.Context) error {
	f.mu.Lock()
	f.connects++
	n, ch, err := f.connects, f.connected, f.connectErr
	f.calls = append(f.calls, "connect")
	f.mu.Unlock()
	if ch != nil {
		ch <- n
	}
	return err
}

func (f *fakeClient) Disconnect() {
	f.mu.Lock()
	f.disconnects++
	n, ch := f.disconnects, f.disconnected
	f.calls = append(f.calls, "disconnect")
	f.mu.Unlock()
	if ch != nil {
		ch <- n
	}
}

func (f *fakeClient) GenerateMessageID() types.MessageID {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return fmt.Sprintf("3EB0TEST%02d", f.nextID)
}

func (f *fakeClient) SendMessage(_ context.Context, to types.JID, m *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	id := ""
	if len(extra) == 1 {
		id = extra[0].ID
	}
	f.record("send %s %s %q", to, id, m.GetConversation())
	f.mu.Lock()
	defer f.mu.Unlock()
	return whatsmeow.SendResponse{ID: id}, f.sendErr
}

func (f *fakeClient) MarkRead(_ context.Context, ids []types.MessageID, _ time.Time, chat, _ types.JID, _ ...types.ReceiptType) error {
	f.record("read %s %s", chat, strings.Join(ids, ","))
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readErr
}

func (f *fakeClient) SendChatPresence(_ context.Context, jid types.JID, state types.ChatPresence, _ types.ChatPresenceMedia) error {
	f.record("%s %s", state, jid)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.chatPresenceErr
}

func (f *fakeClient) SendPresence(_ context.Context, state types.Presence) error {
	f.record("presence %s", state)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.presenceErr
}

func (f *fakeClient) IsOnWhatsApp(_ context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error) {
	f.record("ask %s", strings.Join(phones, ","))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.onWAErr != nil {
		return nil, f.onWAErr
	}
	var res []types.IsOnWhatsAppResponse
	for _, p := range phones {
		digits := strings.TrimPrefix(p, "+")
		if in, ok := f.onWA[digits]; ok {
			res = append(res, types.IsOnWhatsAppResponse{Query: p, JID: types.NewJID(digits, types.DefaultUserServer), IsIn: in})
		}
	}
	return res, nil
}

// fakeSelf is the paired device.
type fakeSelf struct{ jid, lid types.JID }

func (s fakeSelf) GetJID() types.JID { return s.jid }
func (s fakeSelf) GetLID() types.JID { return s.lid }

// fakeLIDs is whatsmeow's LID store: LID → phone number.
type fakeLIDs map[types.JID]types.JID

func (m fakeLIDs) GetPNForLID(_ context.Context, lid types.JID) (types.JID, error) {
	return m[lid], nil
}

func (m fakeLIDs) GetLIDForPN(_ context.Context, pn types.JID) (types.JID, error) {
	for lid, p := range m {
		if p == pn {
			return lid, nil
		}
	}
	return types.JID{}, nil
}

// fakeHandler is the runtime: it records what it was handed and answers
// with the next queued error (nil when none).
type fakeHandler struct {
	mu   sync.Mutex
	got  []care.Inbound
	errs []error
	seen chan care.Inbound // receives each message, when set
}

func (h *fakeHandler) Handle(_ context.Context, in care.Inbound) error {
	h.mu.Lock()
	h.got = append(h.got, in)
	var err error
	if len(h.errs) > 0 {
		err, h.errs = h.errs[0], h.errs[1:]
	}
	seen := h.seen
	h.mu.Unlock()
	if seen != nil {
		seen <- in
	}
	return err
}

func (h *fakeHandler) received() []care.Inbound {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]care.Inbound(nil), h.got...)
}

func (h *fakeHandler) fail(errs ...error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, errs...)
}

// Numbers and ids used across the tests.
var (
	shopJID   = types.NewJID("6289990000001", types.DefaultUserServer)
	shopLID   = types.NewJID("99990000001", types.HiddenUserServer)
	sariJID   = types.NewJID("6281234567890", types.DefaultUserServer)
	sariLID   = types.NewJID("12345678901234", types.HiddenUserServer)
	budiJID   = types.NewJID("6285711112222", types.DefaultUserServer)
	budiLID   = types.NewJID("55555555555555", types.HiddenUserServer)
	ghostLID  = types.NewJID("77777777777777", types.HiddenUserServer)
	sentAt    = time.Date(2026, 3, 2, 9, 30, 0, 0, wib)
	startTime = time.Date(2026, 3, 2, 10, 0, 0, 0, wib)
)

// harness is a Channel wired to fakes, connected.
type harness struct {
	c      *Channel
	client *fakeClient
	h      *fakeHandler
	clock  *clock
	sleeps []time.Duration
	alerts []Alert
	logs   *strings.Builder
	mu     sync.Mutex
}

func newHarness(t *testing.T, tweak ...func(*Config)) *harness {
	t.Helper()
	hs := &harness{client: &fakeClient{onWA: map[string]bool{}}, h: &fakeHandler{}, clock: &clock{t: startTime}, logs: &strings.Builder{}}
	cfg := Config{
		TimeZone: wib,
		Now:      hs.clock.now,
		Rand:     func() float64 { return 0.5 },
		OnAlert: func(a Alert) {
			hs.mu.Lock()
			defer hs.mu.Unlock()
			hs.alerts = append(hs.alerts, a)
		},
	}
	for _, f := range tweak {
		f(&cfg)
	}
	log := slog.New(slog.NewTextHandler(lockedWriter{hs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hs.c = New(cfg, hs.h, log)
	hs.c.sleep = func(ctx context.Context, d time.Duration) error {
		hs.mu.Lock()
		hs.sleeps = append(hs.sleeps, d)
		hs.mu.Unlock()
		hs.clock.advance(d)
		return ctx.Err()
	}
	hs.c.afterFunc = hs.clock.afterFunc
	hs.c.after = func(time.Duration) <-chan time.Time {
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}
	hs.c.attach(context.Background(), hs.client, fakeSelf{jid: shopJID, lid: shopLID}, fakeLIDs{budiLID: budiJID})
	hs.c.setStatus(StatusConnected, "")
	return hs
}

// lockedWriter collects log output safely across goroutines.
type lockedWriter struct{ hs *harness }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.hs.mu.Lock()
	defer w.hs.mu.Unlock()
	return w.hs.logs.Write(p)
}

func (hs *harness) logged() string {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return hs.logs.String()
}

func (hs *harness) takeSleeps() []time.Duration {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	s := hs.sleeps
	hs.sleeps = nil
	return s
}

func (hs *harness) takeAlerts() []Alert {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	a := hs.alerts
	hs.alerts = nil
	return a
}

// takeSignal returns the signal an event left for Run, if any.
func (hs *harness) takeSignal() (signal, bool) {
	select {
	case s := <-hs.c.signals:
		return s, true
	default:
		return signal{}, false
	}
}
