package inbound

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// due moves the messages held back until f.now into their lanes, as
// the sender does, and returns what the gate lets through.
func (f *fixture) due(t *testing.T) []care.Delivery {
	t.Helper()
	if _, err := f.store.PromoteDue(context.Background(), f.now, 100); err != nil {
		t.Fatal(err)
	}
	return f.sent(t)
}

// TestProofAlert: a proof of payment alerts the linked chats once,
// AlertGather after the photo, naming the order and the conversation's
// console page (never the customer: see TestOrderAlertsOutliveNoErasure);
// more photos meanwhile alert nobody again.
func TestProofAlert(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AlertGather, c.PublicURL = time.Minute, "https://toko.example" })
	f.withStaff(t)
	f.linkChat(t, rinaTG, "Rina")
	f.linkChat(t, budiWA, "Budi")
	ctx := context.Background()
	f.say(t, alice, "beras 2kg ambil sendiri bayar transfer", "ya")
	if err := f.rt.Handle(ctx, photo(alice, "p1", "")); err != nil {
		t.Fatal(err)
	}
	if out := f.sent(t); len(out) != 1 || out[0].Address != alice {
		t.Fatalf("at once %+v, want only the customer's notice", out)
	}
	f.now = f.now.Add(30 * time.Second)
	if err := f.rt.Handle(ctx, photo(alice, "p2", "")); err != nil {
		t.Fatal(err)
	}
	if out := f.sent(t); len(out) != 1 || out[0].Address != alice {
		t.Fatalf("after a second photo %+v, want only the customer's thanks", out)
	}
	f.now = f.now.Add(29 * time.Second)
	if out := f.due(t); len(out) != 0 {
		t.Fatalf("before the gather %+v", out)
	}
	f.now = f.now.Add(time.Second)
	out := f.due(t)
	want := "🧾 Bukti bayar WBS-0001 masuk — cek lalu tandai dibayar\nKonsol: https://toko.example/console/c/" + string(f.id(t, alice))
	if len(out) != 2 || len(to(out, rinaTG)) != 1 || len(to(out, budiWA)) != 1 {
		t.Fatalf("after the gather %+v, want one alert to each linked chat", out)
	}
	for _, d := range out {
		if d.Text != want || d.Order != "WBS-0001" {
			t.Errorf("alert to %s: %q (order %q), want %q", d.Address, d.Text, d.Order, want)
		}
	}
	f.now = f.now.Add(time.Hour)
	if err := f.rt.Handle(ctx, photo(alice, "p3", "")); err != nil {
		t.Fatal(err)
	}
	if out := f.due(t); len(out) != 1 || out[0].Address != alice {
		t.Errorf("a photo of the same proof later: %+v", out)
	}
}

// TestProofAlertWaitsForStaffHours: a proof sent at night alerts staff
// at the opening.
func TestProofAlertWaitsForStaffHours(t *testing.T) {
	f := newFixture(t, shopHours, func(c *Config) { c.AlertGather = time.Minute })
	f.withStaff(t)
	f.now = time.Date(2026, 5, 4, 16, 0, 0, 0, jakarta)
	f.linkChat(t, rinaTG, "Rina")
	f.say(t, alice, "beras 2kg ambil sendiri bayar transfer", "ya")
	f.now = time.Date(2026, 5, 4, 22, 0, 0, 0, jakarta)
	if err := f.rt.Handle(context.Background(), photo(alice, "p1", "")); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	f.now = time.Date(2026, 5, 5, 7, 59, 0, 0, jakarta)
	if out := f.due(t); len(out) != 0 {
		t.Errorf("alerted at night: %+v", out)
	}
	f.now = time.Date(2026, 5, 5, 8, 0, 0, 0, jakarta)
	if out := to(f.due(t), rinaTG); len(out) != 1 || !strings.Contains(out[0].Text, "Bukti bayar WBS-0001") {
		t.Errorf("at the opening %+v", out)
	}
}
