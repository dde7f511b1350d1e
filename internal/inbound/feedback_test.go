package inbound

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// withFeedback asks for feedback two hours after an order arrives,
// outside 21:00–08:00.
func withFeedback(c *Config) {
	c.FeedbackDelay, c.QuietStart, c.QuietEnd = 2*time.Hour, 21*time.Hour, 8*time.Hour
}

// handOver has the shop confirm order number and hand it over at the
// shop.
func (f *fixture) handOver(t *testing.T, number string) {
	t.Helper()
	for _, ch := range []care.OrderChange{{Order: care.OrderConfirmed}, {Fulfilment: care.FulfilmentPickedUp}} {
		if _, err := f.store.UpdateOrder(context.Background(), number, func(o care.Order) (care.Order, error) { return o.Apply(ch, "budi", f.now) }); err != nil {
			t.Fatalf("%s: %v", number, err)
		}
	}
	f.drain(t)
}

// sweepFeedback sweeps at the fixture's time and returns how many were
// asked and what was queued.
func (f *fixture) sweepFeedback(t *testing.T) (int, []care.Delivery) {
	t.Helper()
	n, err := f.rt.SweepFeedback(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n, f.drain(t)
}

// TestFeedback: the customer is asked how the order was the delay after
// it was handed over, once, about the order; the score and the comment
// are kept on it.
func TestFeedback(t *testing.T) {
	f := newFixture(t, withFeedback)
	f.say(t, alice, "tempe 2 papan ambil sendiri, bayar transfer", "ya")
	f.handOver(t, "WBS-0001")
	f.now = f.now.Add(119 * time.Minute)
	if n, _ := f.sweepFeedback(t); n != 0 {
		t.Fatalf("asked %d before the delay", n)
	}
	f.now = f.now.Add(2 * time.Minute)
	n, out := f.sweepFeedback(t)
	if n != 1 || len(out) != 1 {
		t.Fatalf("asked %d, queued %+v", n, out)
	}
	if m := out[0]; m.Class != care.Transactional || m.Order != "WBS-0001" || m.Origin != care.OriginSystem || len(m.Choices) != 5 ||
		m.Text != "Halo Alice 🙏 Pesanan WBS-0001 sudah sampai. Bagaimana pesanannya? Beri nilai 1 sampai 5 (5 = sangat puas)." {
		t.Errorf("the question %+v", m.Outbound)
	}
	if n, _ := f.sweepFeedback(t); n != 0 {
		t.Errorf("asked again: %d", n)
	}
	if got := f.say(t, alice, "5"); got != "Terima kasih, Kak! 😊 Ada komentar untuk kami? Tulis saja, atau balas LEWATI.\n" {
		t.Errorf("after the score the bot said %q", got)
	}
	f.say(t, alice, "tempenya enak, makasih bu")
	o := f.orders(t, alice)[0]
	if fb := o.Feedback; fb == nil || fb.Score != 5 || fb.Comment != "tempenya enak, makasih bu" || fb.Asked.IsZero() || fb.At.IsZero() {
		t.Errorf("feedback %+v", o.Feedback)
	}
	conv, err := f.store.Load(context.Background(), f.id(t, alice), "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(conv.Session.Vars) != 0 {
		t.Errorf("the session keeps %v", conv.Session.Vars)
	}
}

// TestFeedbackLowScore: a score of two or less hands the conversation
// to staff, with the order named, and is kept.
func TestFeedbackLowScore(t *testing.T) {
	f := newFixture(t, withFeedback)
	f.say(t, alice, "tempe 2 papan ambil sendiri, bayar transfer", "ya")
	f.handOver(t, "WBS-0001")
	f.now = f.now.Add(3 * time.Hour)
	f.sweepFeedback(t)
	got := f.say(t, alice, "1")
	if !strings.Contains(got, "Mohon maaf, Kak, pesanannya belum memuaskan") {
		t.Errorf("after a low score the bot said %q", got)
	}
	if h := f.handover(t, alice); h.State != care.StateWaiting || h.Reason != "feedback WBS-0001: 1/5" {
		t.Errorf("handover %+v", h)
	}
	if fb := f.orders(t, alice)[0].Feedback; fb == nil || fb.Score != 1 || fb.Comment != "" {
		t.Errorf("feedback %+v", fb)
	}
}

// TestFeedbackWaits: nobody is asked in the quiet hours of their day or
// in the middle of a conversation; they are asked once that is over.
func TestFeedbackWaits(t *testing.T) {
	f := newFixture(t, withFeedback)
	f.say(t, alice, "tempe 2 papan ambil sendiri, bayar transfer", "ya")
	f.now = time.Date(2026, 5, 4, 19, 30, 0, 0, time.UTC)
	f.handOver(t, "WBS-0001")
	f.now = time.Date(2026, 5, 4, 21, 45, 0, 0, time.UTC)
	if n, _ := f.sweepFeedback(t); n != 0 {
		t.Errorf("asked %d in the quiet hours", n)
	}
	f.now = time.Date(2026, 5, 5, 8, 1, 0, 0, time.UTC)
	f.say(t, alice, "beras 2kg")
	if n, _ := f.sweepFeedback(t); n != 0 {
		t.Errorf("asked %d in the middle of an order", n)
	}
	f.now = f.now.Add(45 * time.Minute)
	if n, _ := f.sweepFeedback(t); n != 1 {
		t.Errorf("asked %d once the conversation went quiet, want 1", n)
	}
}

// TestSuggestion: SARAN keeps the customer's words for the owner with
// their conversation; they go when the customer erases their data.
func TestSuggestion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.say(t, alice, "saran")
	if got := f.say(t, alice, "tolong tambah menu sayur asem ya kak"); !strings.Contains(got, "Sarannya sudah kami sampaikan ke pemilik toko") {
		t.Errorf("after the suggestion the bot said %q", got)
	}
	ss, err := f.store.Suggestions(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 || ss[0].Text != "tolong tambah menu sayur asem ya kak" || ss[0].Contact != f.id(t, alice) {
		t.Errorf("suggestions %+v", ss)
	}
	f.say(t, alice, "hapus data saya", "ya")
	f.now = f.now.Add(2 * time.Minute)
	if _, err := f.store.Sweep(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if ss, err := f.store.Suggestions(ctx, 10); err != nil || len(ss) != 0 {
		t.Errorf("after the erasure: %+v, %v", ss, err)
	}
}
