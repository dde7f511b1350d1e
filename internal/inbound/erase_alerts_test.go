package inbound

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// hold takes every queued message and, with fail set for an address,
// fails those to it (a dead letter) and holds the rest back until
// until, as a channel's retry-after would.
func (f *fixture) hold(t *testing.T, until time.Time, fail care.Address) []care.Delivery {
	t.Helper()
	ctx := context.Background()
	ds, err := f.store.Next(ctx, "test", allLanes, 100, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	res, errs := f.store.TakeAll(ctx, ds)
	for i, d := range ds {
		if errs[i] != nil {
			t.Fatalf("take %s: %v", d.ID, errs[i])
		}
		switch {
		case res[i] == care.Behind: // its turn comes after one held back
			err = f.store.Defer(ctx, d, care.Outcome{Verdict: care.Defer, At: f.now, Reason: "behind", Until: f.now.Add(5 * time.Second)})
		case res[i] != care.Taken:
			t.Fatalf("take %s: %v", d.ID, res[i])
		case d.Address == fail:
			err = f.store.Settle(ctx, d, care.Outcome{Verdict: care.Allow, At: f.now, Reason: "send failed", Error: "400: bad request"})
		default:
			err = f.store.Defer(ctx, d, care.Outcome{Verdict: care.Defer, At: f.now, Reason: "retry after", Until: until})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return ds
}

// TestErasureTakesTheAlertsAboutThePerson: a customer's name and first
// words, quoted by the alerts to the staff chats, go with their
// erasure, from an alert held back and from the dead letter of one that
// failed; another customer's alerts stay and go out.
func TestErasureTakesTheAlertsAboutThePerson(t *testing.T) {
	f := newFixture(t, shopHours, func(c *Config) { c.AlertGather = time.Minute })
	f.withStaff(t)
	at := func(h, m, s int) time.Time { return time.Date(2026, 5, 4, h, m, s, 0, jakarta) } // a Monday
	f.now = at(9, 0, 0)
	f.linkChat(t, rinaTG, "Rina")
	f.linkChat(t, budiWA, "Budi")
	tomorrow := time.Date(2026, 5, 5, 8, 0, 0, 0, jakarta)

	f.escalate(t, alice, "Alice", at(10, 0, 10))
	f.now = at(10, 0, 30)
	words := text(alice, "a2", "tolong kirim ke jl melati 9 magelang")
	words.Name = "Alice"
	f.handle(t, words)
	f.drain(t)
	f.now = at(10, 1, 20)
	if n, err := f.rt.SweepAlerts(context.Background()); n != 1 || err != nil {
		t.Fatalf("SweepAlerts = %d, %v; want Alice alerted", n, err)
	}
	ds := f.hold(t, tomorrow, budiWA)
	if len(ds) != 2 || !strings.Contains(ds[0].Text, "Alice") || !strings.Contains(ds[0].Text, "melati") {
		t.Fatalf("alerts %q, want two about Alice", texts(ds))
	}
	for _, d := range ds {
		if len(d.About) != 1 || d.About[0] != f.id(t, alice) {
			t.Errorf("the alert to %s is about %v, want Alice", d.Address, d.About)
		}
	}

	f.escalate(t, bob, "Bob", at(10, 5, 10))
	f.drain(t)
	f.now = at(10, 6, 20)
	if n, err := f.rt.SweepAlerts(context.Background()); n != 1 || err != nil {
		t.Fatalf("SweepAlerts = %d, %v; want Bob alerted", n, err)
	}
	f.hold(t, tomorrow, care.Address{})

	f.say(t, alice, "hapus data saya", "ya")
	f.now = f.now.Add(2 * time.Minute)
	if n, err := f.store.Sweep(context.Background(), nil); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v; want the erasure finished", n, err)
	}
	for _, personal := range []string{"Alice", "melati", alice.ID} {
		if where := f.holding(t, personal); len(where) > 0 {
			t.Errorf("after the erasure %q is still in %v", personal, where)
		}
	}
	if where := f.holding(t, "Bob"); len(where) == 0 {
		t.Errorf("Bob's alerts went with Alice's erasure")
	}
	f.now = tomorrow
	out := f.due(t)
	if len(out) != 2 || len(to(out, rinaTG)) != 1 || len(to(out, budiWA)) != 1 {
		t.Fatalf("at the opening %q, want Bob's alert to Rina and Budi", texts(out))
	}
	for _, d := range out {
		if !strings.Contains(d.Text, "Bob") || strings.Contains(d.Text, "Alice") {
			t.Errorf("at the opening %q, want Bob's alert only", d.Text)
		}
	}
}
