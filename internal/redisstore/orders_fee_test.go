package redisstore

import (
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

// TestSetOrderFee sets the fee of an order filed without one: the
// history keeps who, the total follows, and the customer is told the
// fee, the total and how to pay in one message, queued once however
// often the same fee is set.
func TestSetOrderFee(t *testing.T) {
	s, _ := newStore(t)
	id := customer(t, s, alice, "Alice", "id")
	o, err := s.CreateOrder(ctx, care.Order{Contact: id, Method: care.MethodTransfer, FeePending: true,
		Lines:    []care.OrderLine{{Name: "Beras", Qty: 2, Unit: "kg", Price: 15_000}},
		Delivery: care.OrderDelivery{Recipient: "Alice", Address: "Jl. Magelang 9"}}, "WBS")
	if err != nil || !o.FeePending || o.Total != 30_000 {
		t.Fatalf("filed %+v, %v", o, err)
	}
	pay := func(o care.Order, lang string) string {
		return "Silakan bayar " + care.Rupiah(o.Total, "id") + " ke BCA 123."
	}
	for range 2 {
		u, err := s.SetOrderFee(ctx, o.Number, 12_000, "sari", pay)
		if err != nil || u.Order.FeePending || u.Order.Total != 42_000 || len(u.Order.History) != 1 || u.Order.History[0].By != "sari" {
			t.Fatalf("set fee: %+v, %v", u.Order, err)
		}
	}
	want := "Ongkir pesanan WBS-0001 Rp12.000, jadi totalnya Rp42.000, Kak.\nSilakan bayar Rp42.000 ke BCA 123."
	if ds := mustNext(t, s, "w", 10); len(ds) != 1 || ds[0].Text != want || ds[0].Class != care.Transactional || ds[0].Order != o.Number {
		t.Errorf("queued %q, want once %q", texts(ds), want)
	}
	if _, err := s.SetOrderFee(ctx, o.Number, -1, "sari", pay); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("a fee below 0: %v", err)
	}
	if _, err := s.SetOrderFee(ctx, "WBS-0404", 1, "sari", pay); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("no such order: %v", err)
	}
}
