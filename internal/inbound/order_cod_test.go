package inbound

import (
	"context"
	"strings"
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

// change applies ch to the order number as staff do.
func (f *fixture) change(number string, ch care.OrderChange) error {
	_, err := f.store.UpdateOrder(context.Background(), number, func(o care.Order) (care.Order, error) { return o.Apply(ch, "budi", f.now) })
	return err
}

// sweepCOD sweeps at the fixture's time and returns how many were
// asked and what was queued.
func (f *fixture) sweepCOD(t *testing.T) (int, []care.Delivery) {
	t.Helper()
	n, err := f.rt.SweepCOD(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n, f.drain(t)
}

// TestCODConfirmed: once staff confirm a COD order to an address, its
// customer is asked, once, to confirm it, about the order; it cannot
// ship until their YA, which its history keeps as theirs.
func TestCODConfirmed(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "beras 2kg kirim ke jl mawar 5 sleman bayar cod", "ya")
	o := f.orders(t, alice)[0]
	if o.Method != care.MethodCOD || o.Delivery.Pickup {
		t.Fatalf("order %+v, want COD delivered", o)
	}
	if n, _ := f.sweepCOD(t); n != 0 {
		t.Fatalf("asked %d before staff confirmed", n)
	}
	if err := f.change(o.Number, care.OrderChange{Order: care.OrderConfirmed}); err != nil {
		t.Fatal(err)
	}
	if out := f.drain(t); len(out) != 0 {
		t.Errorf("the confirmation told %q; the question tells instead", texts(out))
	}
	n, out := f.sweepCOD(t)
	want := "Pesanan " + o.Number + " akan kami kirim, bayar di tempat " + care.Rupiah(o.Total, "id") + ". Sudah benar, Kak? Balas YA"
	if n != 1 || len(out) != 1 || out[0].Text != want || out[0].Class != care.Transactional || out[0].Order != o.Number {
		t.Fatalf("asked %d, queued %+v; want %q", n, out, want)
	}
	if n, _ := f.sweepCOD(t); n != 0 {
		t.Errorf("asked again: %d", n)
	}
	err := f.change(o.Number, care.OrderChange{Fulfilment: care.FulfilmentShipped, Resi: "JNE1"})
	if care.ErrorCode(err) != care.EConflict || !strings.Contains(err.Error(), "has not confirmed it yet") {
		t.Errorf("shipping unconfirmed: %v", err)
	}
	if got := f.say(t, alice, "ya"); got != "Terima kasih, Kak! Pesanan "+o.Number+" segera kami kirim 🙏\n" {
		t.Errorf("after YA the bot said %q", got)
	}
	o = f.orders(t, alice)[0]
	if e := o.History[len(o.History)-1]; !o.CODConfirmed() || e.What != care.FieldCOD || e.By != care.ByCustomer {
		t.Errorf("history %+v, want the customer's confirmation last", o.History)
	}
	if err := f.change(o.Number, care.OrderChange{Fulfilment: care.FulfilmentShipped, Resi: "JNE1"}); err != nil {
		t.Errorf("shipping confirmed: %v", err)
	}
}

// TestCODNotConfirmed: TIDAK hands the conversation to staff, naming
// the order, which stays unconfirmed.
func TestCODNotConfirmed(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "beras 2kg kirim ke jl mawar 5 sleman bayar cod", "ya")
	number := f.orders(t, alice)[0].Number
	if err := f.change(number, care.OrderChange{Order: care.OrderConfirmed}); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.sweepCOD(t); n != 1 {
		t.Fatalf("asked %d", n)
	}
	f.say(t, alice, "tidak")
	if h := f.handover(t, alice); h.State != care.StateWaiting || !strings.Contains(h.Reason, number) {
		t.Errorf("handover %+v, want waiting for staff about %s", h, number)
	}
	if f.orders(t, alice)[0].CODConfirmed() {
		t.Error("confirmed by TIDAK")
	}
}
