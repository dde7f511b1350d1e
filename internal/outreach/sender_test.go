package outreach

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

// channel records what a sender hands it, and answers with err when set.
type channel struct {
	mu   sync.Mutex
	sent []care.Outbound
	err  func(m care.Outbound) error
}

func (c *channel) Send(_ context.Context, m care.Outbound) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		if err := c.err(m); err != nil {
			return err
		}
	}
	c.sent = append(c.sent, m)
	return nil
}

func (c *channel) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.sent {
		out = append(out, m.Text)
	}
	return out
}

// harness is a sender over a real Redis with a clock the test moves.
type harness struct {
	t     *testing.T
	store *redisstore.Store
	ch    *channel
	s     *Sender
	mu    sync.Mutex
	now   time.Time
}

var ctx = context.Background()

// t0 is 10:00 WIB, a Monday morning.
var t0 = time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, opts ...func(*SenderConfig)) *harness {
	t.Helper()
	client, prefix := redistest.Client(t)
	h := &harness{t: t, ch: &channel{}, now: t0}
	h.store = redisstore.New(client, prefix, redisstore.WithClock(h.clock), redisstore.WithClaimTimeout(time.Millisecond))
	jkt, _ := time.LoadLocation("Asia/Jakarta")
	cfg := SenderConfig{
		Outbox:   h.store,
		Limiter:  h.store,
		Channels: map[care.Channel]care.Sender{care.WhatsApp: h.ch, care.Telegram: h.ch},
		Gate:     NewGate(GateConfig{Quiet: QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour}, TimeZone: jkt}),
		Caps:     Caps{Max: 2, Window: 7 * 24 * time.Hour},
		OptOutLine: func(lang string) string {
			if lang == "en" {
				return "Type STOP to stop promotions."
			}
			return "Ketik STOP untuk berhenti menerima promo."
		},
		Consumer: "test",
		Now:      h.clock,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.s = NewSender(cfg)
	return h
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

// drain runs the sender until the queue is empty: due held-back messages
// return to the queue, and each batch goes through the gate.
func (h *harness) drain() {
	h.t.Helper()
	for range 100 {
		if _, err := h.store.PromoteDue(ctx, h.clock(), 500); err != nil {
			h.t.Fatal(err)
		}
		replies, shop := h.s.Lanes()
		ds, err := h.store.Next(ctx, "test", append(replies, shop...), 100, 0)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(ds) == 0 {
			return
		}
		for _, st := range care.Steps(ds) {
			h.s.deliver(ctx, st)
		}
	}
	h.t.Fatal("the queue never emptied")
}

var (
	sari    = care.Address{Channel: care.WhatsApp, ID: "6281200000001"}
	sariTG  = care.Address{Channel: care.Telegram, ID: "5550001"}
	budi    = care.Address{Channel: care.Telegram, ID: "5550002"}
	seq     int
	seqLock sync.Mutex
)

// contact stores a profile: a contact who wrote an hour ago, in tz. A
// same person given before is linked: one contact on two channels.
func (h *harness) contact(a care.Address, tz string, same ...care.Address) {
	h.t.Helper()
	id, err := h.store.Import(ctx, a, care.Contact{TimeZone: tz})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, b := range same {
		if id, err = h.store.Link(ctx, b, a); err != nil {
			h.t.Fatal(err)
		}
		if _, err := h.store.Sweep(ctx, nil); err != nil {
			h.t.Fatal(err)
		}
	}
	_, err = h.store.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		c.LastInbound = h.clock().Add(-time.Hour)
		on := map[care.Channel]time.Time{}
		for _, x := range c.Addresses {
			on[x.Channel] = c.LastInbound
		}
		c.LastInboundOn = on
		return c, nil, nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// id is the contact of an address.
func (h *harness) id(a care.Address) care.ContactID {
	h.t.Helper()
	id, ok, err := h.store.Lookup(ctx, a)
	if err != nil || !ok {
		h.t.Fatalf("look up %s: %v, %v", a, ok, err)
	}
	return id
}

// consent records a grant or withdrawal of promotions, as the contact's
// YA or STOP would.
func (h *harness) consent(a care.Address, granted bool) {
	h.t.Helper()
	_, err := h.store.UpdateContact(ctx, h.id(a), func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: granted, At: h.clock(), Channel: a.Channel, Source: care.SourceFlow}}, nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) promo(a care.Address, text string, origin care.Origin, at time.Time) care.Outbound {
	seqLock.Lock()
	seq++
	n := seq
	seqLock.Unlock()
	return care.Outbound{ID: fmt.Sprintf("p%d", n), Contact: h.id(a), Address: a, Class: care.Promotional,
		Text: text, Lang: "id", Origin: origin, Campaign: "c1", Created: at}
}

// paths are the ways a promotional message can be composed: a flow's
// step (stored with the session), a follow-up held back for later, a
// broadcast and a staff member. Each queues through a different call,
// and all must meet the same gate.
var paths = []struct {
	name  string
	queue func(h *harness, m care.Outbound)
}{
	{"flow", func(h *harness, m care.Outbound) {
		m.Origin = care.OriginFlow
		conv, err := h.store.Load(ctx, m.Contact, "in-"+m.ID)
		if err != nil {
			h.t.Fatal(err)
		}
		sess := conv.Session
		c := care.Commit{Inbound: care.Inbound{Address: m.Address, MessageID: "in-" + m.ID, Kind: care.KindText, Text: "ya"},
			Session: sess, Contact: conv.Contact, Outbound: []care.Outbound{m}}
		if err := h.store.Commit(ctx, c); err != nil {
			h.t.Fatal(err)
		}
	}},
	{"follow-up", func(h *harness, m care.Outbound) {
		m.Origin, m.NotBefore = care.OriginFollowUp, m.Created.Add(time.Hour)
		if err := h.store.Enqueue(ctx, []care.Outbound{m}); err != nil {
			h.t.Fatal(err)
		}
		h.advance(time.Hour)
	}},
	{"broadcast", func(h *harness, m care.Outbound) {
		m.Origin = care.OriginBroadcast
		if err := h.store.Enqueue(ctx, []care.Outbound{m}); err != nil {
			h.t.Fatal(err)
		}
	}},
	{"staff", func(h *harness, m care.Outbound) {
		m.Origin = care.OriginStaff
		if err := h.store.Enqueue(ctx, []care.Outbound{m}); err != nil {
			h.t.Fatal(err)
		}
	}},
}

// TestNoPromotionWithoutConsent sends a promotion through every path to
// a contact who never said yes, one who said yes, and one who withdrew
// while the message waited in the queue or in the held-back set.
func TestNoPromotionWithoutConsent(t *testing.T) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			h := newHarness(t)
			h.contact(sari, "Asia/Jakarta")
			p.queue(h, h.promo(sari, "never asked", "", h.clock()))
			h.drain()
			if got := h.ch.texts(); len(got) != 0 {
				t.Fatalf("sent %q to a contact who never consented", got)
			}

			h.consent(sari, true)
			p.queue(h, h.promo(sari, "diskon", "", h.clock()))
			h.drain()
			if got := h.ch.texts(); len(got) != 1 || got[0] != "diskon\n\nKetik STOP untuk berhenti menerima promo." {
				t.Fatalf("sent %q, want the promotion with the opt-out line", got)
			}

			// Queued, then the contact says STOP before it goes.
			p.queue(h, h.promo(sari, "after stop", "", h.clock()))
			h.consent(sari, false)
			h.drain()
			if got := h.ch.texts(); len(got) != 1 {
				t.Fatalf("sent %q after the contact withdrew", got[1:])
			}
		})
	}
}

// TestWithdrawnWhileHeldBack withdraws consent while a promotion waits
// for the end of the quiet hours.
func TestWithdrawnWhileHeldBack(t *testing.T) {
	h := newHarness(t)
	h.advance(12 * time.Hour) // 22:00 WIB
	h.contact(sari, "Asia/Jakarta")
	h.consent(sari, true)
	if err := h.store.Enqueue(ctx, []care.Outbound{h.promo(sari, "malam", care.OriginBroadcast, h.clock())}); err != nil {
		t.Fatal(err)
	}
	h.drain() // deferred to 08:00
	h.consent(sari, false)
	h.advance(11 * time.Hour)
	h.drain()
	if got := h.ch.texts(); len(got) != 0 {
		t.Fatalf("sent %q after the contact withdrew", got)
	}
}

// TestQuietHoursByTimeZone sends one promotion at 20:30 WIB to contacts
// in WIB, WITA and WIT: only the first is outside the quiet hours, the
// others go at 08:00 their time.
func TestQuietHoursByTimeZone(t *testing.T) {
	h := newHarness(t)
	h.now = time.Date(2026, 3, 2, 13, 30, 0, 0, time.UTC) // 20:30 WIB, 21:30 WITA, 22:30 WIT
	zones := map[string]care.Address{
		"Asia/Jakarta":  {Channel: care.Telegram, ID: "701"},
		"Asia/Makassar": {Channel: care.Telegram, ID: "702"},
		"Asia/Jayapura": {Channel: care.Telegram, ID: "703"},
	}
	for tz, a := range zones {
		h.contact(a, tz)
		h.consent(a, true)
		if err := h.store.Enqueue(ctx, []care.Outbound{h.promo(a, tz, care.OriginBroadcast, h.clock())}); err != nil {
			t.Fatal(err)
		}
	}
	h.drain()
	want := func(texts ...string) {
		t.Helper()
		var got []string
		for _, s := range h.ch.texts() {
			got = append(got, strings.SplitN(s, "\n", 2)[0])
		}
		if strings.Join(got, ",") != strings.Join(texts, ",") {
			t.Fatalf("at %s sent %q, want %q", h.clock().UTC().Format(time.Kitchen), got, texts)
		}
	}
	want("Asia/Jakarta")
	h.now = time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC) // 08:00 WIT
	h.drain()
	want("Asia/Jakarta", "Asia/Jayapura")
	h.now = time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC) // 08:00 WITA
	h.drain()
	want("Asia/Jakarta", "Asia/Jayapura", "Asia/Makassar")
}

// TestCapAcrossChannels caps one person who has WhatsApp and Telegram at
// two promotions a week, whichever channel they come through.
func TestCapAcrossChannels(t *testing.T) {
	h := newHarness(t)
	h.contact(sari, "")
	h.consent(sari, true)
	h.contact(sariTG, "", sari) // the same person: one contact, one cap
	h.contact(budi, "")
	h.consent(budi, true)
	for _, m := range []care.Outbound{h.promo(sari, "one", "", h.clock()), h.promo(sariTG, "two", "", h.clock()), h.promo(sariTG, "three", "", h.clock()), h.promo(budi, "budi", "", h.clock())} {
		if err := h.store.Enqueue(ctx, []care.Outbound{m}); err != nil {
			t.Fatal(err)
		}
		h.advance(time.Minute)
		h.drain()
	}
	if got := len(h.ch.texts()); got != 3 {
		t.Fatalf("sent %d promotions, want 3 (two to Sari's two channels, one to Budi)", got)
	}
	h.advance(7*24*time.Hour - 3*time.Minute) // the first leaves the window
	h.drain()
	if got := h.ch.texts(); len(got) != 4 || !strings.HasPrefix(got[3], "three") {
		t.Fatalf("sent %q, want the third once the week has passed", got)
	}
}

// TestErasureThenReimport: a contact who erased their data and is then
// imported again gets no promotion, whatever the import says; only a new
// yes of their own brings them back.
func TestErasureThenReimport(t *testing.T) {
	h := newHarness(t)
	h.contact(budi, "")
	h.consent(budi, true)
	id := h.id(budi)
	cur, _, err := h.store.Contact(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	erase := care.Commit{Inbound: care.Inbound{Address: budi, MessageID: "e1", Kind: care.KindText, Text: "ya"},
		Contact: care.Contact{ID: id, Version: cur.Version, Addresses: []care.Address{budi}, Erasing: h.clock()}, Erase: true}
	if err := h.store.Schedule(ctx, care.Job{Kind: care.JobErase, Contact: id, Due: h.clock()}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.Commit(ctx, erase); err != nil {
		t.Fatal(err)
	}
	if n, err := h.store.Sweep(ctx, nil); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
	h.advance(time.Hour)
	// The import claims consent: Import never grants any.
	if _, err := h.store.Import(ctx, budi, care.Contact{Name: "Budi",
		Consent: map[care.Purpose]care.ConsentState{care.Promotions: {Granted: true, At: h.clock()}}}); err != nil {
		t.Fatal(err)
	}
	if h.id(budi) == id {
		t.Fatal("the re-imported contact kept the erased contact's id")
	}
	// A staff member records a grant dated before the erasure: still no.
	_, err = h.store.UpdateContact(ctx, h.id(budi), func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		c.LastInbound = h.clock()
		return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: true, At: t0.Add(-time.Hour), Source: care.SourceStaff}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.Enqueue(ctx, []care.Outbound{h.promo(budi, "welcome back", care.OriginBroadcast, h.clock())}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if got := h.ch.texts(); len(got) != 0 {
		t.Fatalf("sent %q to an erased, re-imported contact", got)
	}
	h.consent(budi, true) // their own yes, after the erasure
	if err := h.store.Enqueue(ctx, []care.Outbound{h.promo(budi, "welcome back", care.OriginBroadcast, h.clock())}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if got := h.ch.texts(); len(got) != 1 {
		t.Fatalf("sent %q, want the promotion after their new yes", got)
	}
}

// TestCrashBetweenSendAndAck: a sender takes a message, the channel
// accepts it, and the sender dies before recording the outcome. Another
// sender reclaims the entry but never sends the message again.
func TestCrashBetweenSendAndAck(t *testing.T) {
	h := newHarness(t)
	h.contact(budi, "")
	reply := staff(h.id(budi), budi, "r1", "halo", h.clock())
	if err := h.store.Enqueue(ctx, []care.Outbound{reply}); err != nil {
		t.Fatal(err)
	}
	replies, _ := h.s.Lanes()
	ds, err := h.store.Next(ctx, "dying", replies, 10, 0)
	if err != nil || len(ds) != 1 {
		t.Fatalf("Next = %v, %v", ds, err)
	}
	if got, errs := h.store.TakeAll(ctx, ds); got[0] != care.Taken || errs[0] != nil {
		t.Fatalf("Take = %v, %v", got, errs)
	}
	_ = h.ch.Send(ctx, ds[0].Outbound) // accepted by the platform; then the process dies
	time.Sleep(5 * time.Millisecond)   // past the claim timeout of the test store
	h.drain()
	if got := h.ch.texts(); len(got) != 1 {
		t.Fatalf("sent %q, want the message once", got)
	}
	// Long after, the taken message is settled once as "outcome
	// unknown": never sent again, never left behind.
	h.advance(redisstore.DefaultTakeTimeout + 2*time.Minute)
	h.drain()
	if got := h.ch.texts(); len(got) != 1 {
		t.Fatalf("sent %q, want the message once", got)
	}
	if _, err := h.store.Next(ctx, "late", replies, 10, 0); err != nil {
		t.Fatal(err)
	}
	if n := h.audit("outcome unknown"); n != 1 {
		t.Errorf("%d audit entries say the outcome is unknown, want 1: %v", n, h.auditEntries())
	}
	if held, err := h.store.Recover(ctx); err != nil || held != 0 {
		t.Errorf("Recover found %d messages left, %v", held, err)
	}
}

// staff is a reply a staff member wrote.
func staff(id care.ContactID, a care.Address, msgID, text string, at time.Time) care.Outbound {
	return care.Outbound{ID: msgID, Contact: id, Address: a, Class: care.Reply, Origin: care.OriginStaff, Staff: "rina", Text: text, Created: at}
}

// auditEntries are every audit entry.
func (h *harness) auditEntries() []map[string]string {
	h.t.Helper()
	es, err := h.store.Audit(ctx, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	return es
}

// audit counts the audit entries whose reason starts with reason.
func (h *harness) audit(reason string) int {
	h.t.Helper()
	n := 0
	for _, e := range h.auditEntries() {
		if strings.HasPrefix(e["reason"], reason) {
			n++
		}
	}
	return n
}

// TestChannelAnswers covers what the sender does with a channel's
// refusals: wait when asked, mark a contact who blocked the bot, and
// keep the reason of anything else.
func TestChannelAnswers(t *testing.T) {
	h := newHarness(t)
	h.contact(budi, "")
	calls := 0
	h.ch.err = func(m care.Outbound) error {
		calls++
		switch {
		case m.Text == "busy" && calls == 1:
			return &care.RetryAfterError{After: 30 * time.Second, Reason: "429"}
		case m.Text == "blocked":
			return care.Errorf(care.EUnreachable, "403: bot was blocked by the user")
		case m.Text == "bad":
			return errors.New("400: chat not found")
		}
		return nil
	}
	send := func(text string) {
		t.Helper()
		m := staff(h.id(budi), budi, strings.ReplaceAll(text, " ", "-"), text, h.clock())
		if err := h.store.Enqueue(ctx, []care.Outbound{m}); err != nil {
			t.Fatal(err)
		}
		h.drain()
	}
	send("busy")
	if got := h.ch.texts(); len(got) != 0 {
		t.Fatalf("sent %q while the channel asked to wait", got)
	}
	h.advance(31 * time.Second)
	h.drain()
	if got := h.ch.texts(); len(got) != 1 || got[0] != "busy" {
		t.Fatalf("sent %q, want the message after the wait", got)
	}
	send("bad")
	send("blocked")
	c, _, err := h.store.Contact(ctx, h.id(budi))
	if err != nil || !strings.Contains(c.Unreachable[care.Telegram], "blocked") {
		t.Fatalf("contact %+v, %v: want it marked unreachable", c, err)
	}
	send("after blocked")
	if got := h.ch.texts(); len(got) != 1 {
		t.Fatalf("sent %q to a contact who blocked the bot", got[1:])
	}
	dead, err := h.store.DeadLetters(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, d := range dead {
		reasons = append(reasons, d.ID+": "+d.Error)
	}
	if strings.Join(reasons, "; ") != "bad: 400: chat not found; blocked: 403: bot was blocked by the user" {
		t.Errorf("dead letters %q", reasons)
	}
}

// TestRateLimitDefers holds a message back when a chat's limit is far
// off, instead of blocking the sender.
func TestRateLimitDefers(t *testing.T) {
	h := newHarness(t, func(c *SenderConfig) {
		c.Limits = map[care.Channel]Limits{care.Telegram: {PerChat: care.Rate{N: 1, Per: time.Hour}}}
	})
	h.contact(budi, "")
	for _, text := range []string{"one", "two"} {
		m := staff(h.id(budi), budi, text, text, h.clock())
		if err := h.store.Enqueue(ctx, []care.Outbound{m}); err != nil {
			t.Fatal(err)
		}
	}
	h.drain()
	if got := h.ch.texts(); strings.Join(got, ",") != "one" {
		t.Fatalf("sent %q, want only the first within the limit", got)
	}
}

// bookingSignal is a rate limiter that tells booked each time the
// sender has booked.
type bookingSignal struct {
	care.RateLimiter
	booked chan []care.Booking
}

func (l bookingSignal) ReserveAll(ctx context.Context, reqs []care.Reservation) []care.Booking {
	b := l.RateLimiter.ReserveAll(ctx, reqs)
	l.booked <- b
	return b
}

// TestChatLimitHoldsOnlyItsChat: a reply that Budi's own limit (one a
// second on Telegram) holds back waits for its moment without holding
// the channel's overall limit: another call on the channel, such as the
// answer to his button tap, goes at once meanwhile.
func TestChatLimitHoldsOnlyItsChat(t *testing.T) {
	booked := make(chan []care.Booking, 10)
	h := newHarness(t, func(c *SenderConfig) {
		c.Limits = map[care.Channel]Limits{care.Telegram: {Overall: care.Rate{N: 30, Per: time.Second}, PerChat: care.Rate{N: 1, Per: time.Second}}}
		c.Limiter = bookingSignal{c.Limiter, booked}
	})
	h.contact(budi, "")
	send := func(text string) {
		if err := h.store.Enqueue(ctx, []care.Outbound{staff(h.id(budi), budi, text, text, h.clock())}); err != nil {
			t.Fatal(err)
		}
		replies, _ := h.s.Lanes()
		ds, err := h.store.Next(ctx, "test", replies, 10, 0)
		if err != nil || len(ds) != 1 {
			t.Fatalf("Next = %d messages, %v; want one", len(ds), err)
		}
		h.s.deliver(ctx, ds)
	}
	send("one")
	<-booked
	done := make(chan struct{})
	go func() { defer close(done); send("two") }()
	if b := <-booked; len(b) != 1 || len(b[0].Waits) != 0 || b[0].Wait < 900*time.Millisecond {
		t.Errorf("the second reply's first booking = %+v, want nothing booked, a second to wait", b)
	}
	wait, ok, err := h.store.Reserve(ctx, []care.Limit{{Key: string(care.Telegram), Rate: care.Rate{N: 30, Per: time.Second}}}, time.Minute)
	if err != nil || !ok || wait > 100*time.Millisecond {
		t.Errorf("another call on the channel waits %v (%v, %v), want at most the overall interval", wait, ok, err)
	}
	<-done
	if got := strings.Join(h.ch.texts(), ","); got != "one,two" {
		t.Errorf("sent %s, want one,two: the second after its wait, in place", got)
	}
}

// TestStopOnOneChannelStopsTheOther: Sari is one person on WhatsApp and
// Telegram; her STOP on Telegram stops a promotion queued for WhatsApp.
func TestStopOnOneChannelStopsTheOther(t *testing.T) {
	h := newHarness(t)
	h.contact(sari, "")
	h.contact(sariTG, "", sari)
	h.consent(sari, true)
	if err := h.store.Enqueue(ctx, []care.Outbound{h.promo(sari, "diskon", care.OriginBroadcast, h.clock())}); err != nil {
		t.Fatal(err)
	}
	h.consent(sariTG, false) // STOP, on the other channel, while it waits
	h.drain()
	if got := h.ch.texts(); len(got) != 0 {
		t.Fatalf("sent %q after the person said STOP on Telegram", got)
	}
}

// TestOneContactInOrder: two senders read the same lane; one contact's
// messages still go out in the order they were composed.
func TestOneContactInOrder(t *testing.T) {
	h := newHarness(t)
	h.contact(budi, "")
	for i := range 6 { // six entries, each its own step
		m := staff(h.id(budi), budi, fmt.Sprintf("s%d", i), fmt.Sprintf("part %d", i), h.clock().Add(time.Duration(i)*time.Millisecond))
		if err := h.store.Enqueue(ctx, []care.Outbound{m}); err != nil {
			t.Fatal(err)
		}
	}
	replies, _ := h.s.Lanes()
	a, err := h.store.Next(ctx, "a", replies, 3, 0) // the first three
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.store.Next(ctx, "b", replies, 3, 0) // the last three, elsewhere
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("read %d and %d messages, want 3 and 3", len(a), len(b))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, st := range care.Steps(b) { // the later ones try first
			h.s.deliver(ctx, st)
		}
	})
	wg.Wait()
	for _, st := range care.Steps(a) {
		h.s.deliver(ctx, st)
	}
	for range 5 {
		h.advance(time.Second)
		h.drain()
	}
	want := "part 0,part 1,part 2,part 3,part 4,part 5"
	if got := strings.Join(h.ch.texts(), ","); got != want {
		t.Errorf("sent %s, want %s", got, want)
	}
}

// TestStepHeldInOrder: the messages of one step go out in order; one
// the channel hands back holds back those after it, and they follow it
// once it goes.
func TestStepHeldInOrder(t *testing.T) {
	h := newHarness(t)
	h.contact(budi, "")
	asked := false
	h.ch.err = func(m care.Outbound) error {
		if m.Text == "two" && !asked {
			asked = true
			return &care.RetryAfterError{After: 30 * time.Second, Reason: "429"}
		}
		return nil
	}
	var step []care.Outbound
	for i, text := range []string{"one", "two", "three"} {
		step = append(step, staff(h.id(budi), budi, text, text, h.clock().Add(time.Duration(i)*time.Millisecond)))
	}
	if err := h.store.Enqueue(ctx, step); err != nil {
		t.Fatal(err)
	}
	replies, _ := h.s.Lanes()
	ds, err := h.store.Next(ctx, "test", replies, 10, 0)
	if err != nil || len(care.Steps(ds)) != 1 || len(ds) != 3 {
		t.Fatalf("Next = %d messages in %d steps, %v; want one step of three", len(ds), len(care.Steps(ds)), err)
	}
	h.s.deliver(ctx, ds)
	if got := strings.Join(h.ch.texts(), ","); got != "one" {
		t.Fatalf("sent %s, want only the first while the channel asks to wait", got)
	}
	h.advance(31 * time.Second)
	h.drain()
	if got := strings.Join(h.ch.texts(), ","); got != "one,two,three" {
		t.Errorf("sent %s, want one,two,three", got)
	}
	if n := h.audit("channel asked to wait"); n != 1 {
		t.Errorf("%d audit entries say the channel asked to wait, want 1 (the rest only waited their turn)", n)
	}
}
