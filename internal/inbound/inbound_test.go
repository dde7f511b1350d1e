package inbound

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/flows"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// shipped loads the shipped flows with the shipped catalog.
func shipped(t testing.TB) *flow.Set {
	t.Helper()
	set, err := flow.Load(flows.FS, Options(shippedCatalog(t)))
	if err != nil {
		t.Fatalf("shipped flows: %v", err)
	}
	return set
}

// shippedCatalog loads the shipped catalog.
func shippedCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(flows.FS)
	if err != nil {
		t.Fatalf("shipped catalog: %v", err)
	}
	return cat
}

type fixture struct {
	store  *redisstore.Store
	client redis.UniversalClient
	prefix string
	rt     *Runtime
	now    time.Time
}

// newFixture starts a runtime on the shipped flows at 09:00 UTC on a
// Monday, with staff always on duty unless an option says otherwise.
func newFixture(t *testing.T, opts ...func(*Config)) *fixture {
	t.Helper()
	client, prefix := redistest.Client(t)
	f := &fixture{client: client, prefix: prefix, now: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	f.store = redisstore.New(client, prefix, redisstore.WithClock(clock), redisstore.WithTranscript(90*24*time.Hour))
	cfg := Config{Lang: "id", SessionTTL: time.Hour, Transcript: 90 * 24 * time.Hour, PromoMax: 2, PromoDays: 7,
		Catalog: shippedCatalog(t), Logger: quiet, Now: clock}
	for _, o := range opts {
		o(&cfg)
	}
	f.rt = New(cfg, shipped(t), f.store)
	t.Cleanup(f.rt.Close)
	return f
}

var alice = care.Address{Channel: care.WhatsApp, ID: "6281234567890"}

func text(addr care.Address, id, s string) care.Inbound {
	return care.Inbound{Address: addr, MessageID: id, Kind: care.KindText, Text: s, Name: "Alice"}
}

// allLanes are every lane of the outbox.
var allLanes = append(append(care.LanesOf(string(care.WhatsApp)), care.LanesOf(string(care.Telegram))...), care.LanesOf(care.SimChannel)...)

// id is the contact an address belongs to.
func (f *fixture) id(t *testing.T, a care.Address) care.ContactID {
	t.Helper()
	id, ok, err := f.store.Lookup(context.Background(), a)
	if err != nil || !ok {
		t.Fatalf("look up %s: %v, %v", a, ok, err)
	}
	return id
}

// drain reads every queued outbound message for the test's store.
func (f *fixture) drain(t *testing.T) []care.Delivery {
	t.Helper()
	var all []care.Delivery
	for {
		ds, err := f.store.Next(context.Background(), "test", allLanes, 100, time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			return all
		}
		res, errs := f.store.TakeAll(context.Background(), ds) // reads each message
		for i, d := range ds {
			if res[i] != care.Taken || errs[i] != nil {
				t.Fatalf("take %s: %v, %v", d.ID, res[i], errs[i])
			}
			if err := f.store.Settle(context.Background(), d, care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, ds...)
	}
}

func texts(ds []care.Delivery) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.Text)
		b.WriteString("\n")
	}
	return b.String()
}

func TestConversationQueuesReplies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.rt.Handle(ctx, text(alice, "m1", "halo")); err != nil {
		t.Fatal(err)
	}
	out := f.drain(t)
	if len(out) == 0 {
		t.Fatal("no replies queued")
	}
	last := out[len(out)-1]
	if len(last.Choices) == 0 {
		t.Errorf("the greeting should end with the menu's choices, got %q", last.Text)
	}
	for i, d := range out {
		if d.Class != care.Reply || d.InReplyTo != "m1" || d.Contact != f.id(t, alice) || d.Address != alice {
			t.Errorf("reply %d: %+v", i, d.Outbound)
		}
	}
	if !strings.Contains(texts(out), "Alice") {
		t.Errorf("greeting does not use the contact's name:\n%s", texts(out))
	}
	// Answer the menu by number: the flow moves on.
	if err := f.rt.Handle(ctx, text(alice, "m2", "1")); err != nil {
		t.Fatal(err)
	}
	if out := f.drain(t); len(out) == 0 {
		t.Error("no reply to a menu choice")
	}
	conv, err := f.store.Load(ctx, f.id(t, alice), "m3")
	if err != nil {
		t.Fatal(err)
	}
	if conv.Session.Version != 2 || conv.Contact.Name != "Alice" || conv.Contact.LastInbound.IsZero() {
		t.Errorf("stored conversation: %+v", conv)
	}
}

func TestDuplicateDeliveryIsProcessedOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := text(alice, "dup-1", "halo")
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.rt.Handle(ctx, in); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := f.rt.Handle(ctx, in); err != nil {
		t.Fatal(err)
	}
	first := f.drain(t)
	conv, err := f.store.Load(ctx, f.id(t, alice), "x")
	if err != nil {
		t.Fatal(err)
	}
	if conv.Session.Version != 1 {
		t.Errorf("session stored %d times, want once", conv.Session.Version)
	}
	// The replies of one message are queued once, whatever the deliveries.
	ids := map[string]bool{}
	for _, d := range first {
		if ids[d.ID] {
			t.Errorf("reply %s queued twice", d.ID)
		}
		ids[d.ID] = true
	}
}

// TestTwoRuntimesShareOneSession runs two runtimes (two processes) on the
// same Redis and conversation: compare-and-set must keep every step.
func TestTwoRuntimesShareOneSession(t *testing.T) {
	f := newFixture(t)
	other := New(Config{Lang: "id", Logger: quiet, Now: func() time.Time { return f.now }}, shipped(t), f.store)
	defer other.Close()
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rt := f.rt
			if i%2 == 1 {
				rt = other
			}
			if err := rt.Handle(ctx, text(alice, fmt.Sprintf("c%d", i), "menu")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	conv, err := f.store.Load(ctx, f.id(t, alice), "x")
	if err != nil {
		t.Fatal(err)
	}
	if conv.Session.Version != n {
		t.Errorf("session version %d after %d messages: an update was lost", conv.Session.Version, n)
	}
}

func TestManyConversationsInParallel(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := care.Address{Channel: care.Telegram, ID: fmt.Sprint(1000 + i)}
			for j, msg := range []string{"halo", "2", "menu"} {
				if err := f.rt.Handle(ctx, text(addr, fmt.Sprint(j), msg)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for i := range 50 {
		conv, err := f.store.Load(ctx, f.id(t, care.Address{Channel: care.Telegram, ID: fmt.Sprint(1000 + i)}), "x")
		if err != nil {
			t.Fatal(err)
		}
		if conv.Session.Version != 3 {
			t.Errorf("conversation %d: version %d, want 3", i, conv.Session.Version)
		}
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		in       care.Inbound
		wantErr  string
		contains string
	}{
		{"no message id", care.Inbound{Address: alice, Kind: care.KindText, Text: "halo"}, care.EInvalid, ""},
		{"unknown channel", care.Inbound{Address: care.Address{Channel: "sms", ID: "1"}, MessageID: "1", Kind: care.KindText}, care.EInvalid, ""},
		{"sticker", care.Inbound{Address: alice, MessageID: "k1", Kind: care.KindSticker}, "", "teks"},
		{"voice note", care.Inbound{Address: alice, MessageID: "k2", Kind: care.KindVoice}, "", "teks"},
		{"whitespace only", text(alice, "k3", " \n\t "), "", ""},
		{"broken UTF-8", text(alice, "k4", "halo \xff\xfe"), "", ""},
		{"huge text", text(alice, "k5", strings.Repeat("sayur ", 5000)), "", "4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.rt.Handle(ctx, tt.in)
			if tt.wantErr != "" {
				if care.ErrorCode(err) != tt.wantErr {
					t.Fatalf("Handle = %v, want code %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out := f.drain(t)
			if len(out) == 0 {
				t.Fatal("no reply")
			}
			for _, d := range out {
				if !utf8.ValidString(d.Text) {
					t.Errorf("reply is not valid UTF-8: %q", d.Text)
				}
			}
			if tt.contains != "" && !strings.Contains(texts(out), tt.contains) {
				t.Errorf("replies do not mention %q:\n%s", tt.contains, texts(out))
			}
		})
	}
}

func TestEscalateHoldsTheConversation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Two messages the bot does not understand offer a person.
	for i, msg := range []string{"halo", "qwerty zxcv", "asdf ghjk"} {
		if err := f.rt.Handle(ctx, text(alice, fmt.Sprint("e", i), msg)); err != nil {
			t.Fatal(err)
		}
	}
	offer := f.drain(t)
	last := offer[len(offer)-1]
	if len(last.Choices) == 0 {
		t.Fatalf("after two misses the bot should offer a person with choices:\n%s", texts(offer))
	}
	if err := f.rt.Handle(ctx, care.Inbound{Address: alice, MessageID: "e9", Kind: care.KindChoice, Choice: last.Choices[0].ID}); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	c, _, err := f.store.Contact(ctx, f.id(t, alice))
	if err != nil {
		t.Fatal(err)
	}
	if h := c.Handover; h.State != care.StateWaiting || !h.Until.After(f.now) {
		t.Fatalf("conversation not handed to staff: %+v", h)
	}
	// While a person holds it, the bot says nothing...
	if err := f.rt.Handle(ctx, text(alice, "e10", "halo? ada orang?")); err != nil {
		t.Fatal(err)
	}
	if out := f.drain(t); len(out) != 0 {
		t.Errorf("bot spoke while staff holds the conversation:\n%s", texts(out))
	}
	// ...until the customer asks for the menu.
	if err := f.rt.Handle(ctx, text(alice, "e11", "MENU")); err != nil {
		t.Fatal(err)
	}
	if out := f.drain(t); len(out) == 0 {
		t.Error("MENU did not bring the bot back")
	}
}

// TestRedisGoesAway stops Redis mid-run: nothing stored meanwhile is
// acknowledged, and processing resumes by itself once Redis is back.
func TestRedisGoesAway(t *testing.T) {
	srv := redistest.Server(t)
	client, err := redisstore.Open(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	store := redisstore.New(client, "t")
	rt := New(Config{Lang: "id", Logger: quiet}, shipped(t), store)
	defer rt.Close()
	ctx := context.Background()
	if err := rt.Handle(ctx, text(alice, "r1", "halo")); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = rt.Handle(short, text(alice, "r2", "menu"))
	cancel()
	if care.ErrorCode(err) != care.EUnavailable {
		t.Fatalf("Handle while Redis is down = %v, want an unavailable error (not acknowledged)", err)
	}
	// A channel keeps redelivering; one delivery waits while Redis is away.
	done := make(chan error, 1)
	go func() { done <- rt.Handle(ctx, text(alice, "r2", "menu")) }()
	time.Sleep(100 * time.Millisecond)
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("processing did not resume after Redis came back")
	}
	id, _, err := store.Lookup(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := store.Load(ctx, id, "r2")
	if err != nil {
		t.Fatal(err)
	}
	if !conv.Seen {
		t.Error("the message sent while Redis was away was not stored after it came back")
	}
}

// TestLoneMessageRoundTrips: with a catalog that limits some items, a
// known contact's message still costs two round trips, the load (which
// reads what is booked too) and the commit.
func TestLoneMessageRoundTrips(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.rt.Handle(ctx, text(alice, "m1", "halo")); err != nil {
		t.Fatal(err)
	}
	if !f.rt.orders.limited {
		t.Fatal("the shipped catalog limits no item: this test needs one that does")
	}
	if err := f.rt.Handle(ctx, text(alice, "m2", "harga telur sekilo brp kak?")); err != nil { // scripts cached
		t.Fatal(err)
	}
	before := f.store.RoundTrips()
	if err := f.rt.Handle(ctx, text(alice, "m3", "mau pesan telur 2 kilo")); err != nil {
		t.Fatal(err)
	}
	if n := f.store.RoundTrips() - before; n != 2 {
		t.Errorf("a known contact's message took %d round trips, want 2", n)
	}
}
