package inbound

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestFeeNotKnown follows an order to an address in no delivery area
// (the demo shop has no flat fee): it is filed with its fee not known,
// the customer is told the shop confirms the ongkir first, the linked
// staff chats are alerted, and once staff set the fee the customer
// hears it with the new total and how to pay.
func TestFeeNotKnown(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AlertGather, c.PublicURL = time.Minute, "https://toko.example" })
	f.withStaff(t)
	f.linkChat(t, rinaTG, "Rina")
	ctx := context.Background()
	rekap := f.say(t, alice, "beras 2kg kirim ke jl mawar 5 magelang, transfer")
	if !strings.Contains(rekap, "Ongkir ke alamat ini dikonfirmasi admin dulu ya, Kak\nTotal: Rp30.000 (belum termasuk ongkir)") {
		t.Errorf("rekap:\n%s", rekap)
	}
	placed := f.say(t, alice, "ya")
	if !strings.Contains(placed, "Ongkir ke alamat ini dikonfirmasi admin dulu ya, Kak.") || strings.Contains(placed, "Silakan bayar") {
		t.Errorf("placed: the bot said\n%s\nwant the fee confirmed first, and no payment yet", placed)
	}
	o := f.orders(t, alice)[0]
	if !o.FeePending || o.DeliveryFee != 0 || o.Total != 30_000 {
		t.Fatalf("order %+v, want its fee not known", o)
	}
	f.now = f.now.Add(time.Minute)
	alert := to(f.due(t), rinaTG)
	want := "📦 Ongkir WBS-0001 dari Alice belum ada — alamatnya di luar area kirim (jl mawar 5 magelang); tentukan ongkirnya\nKonsol: https://toko.example/console/c/" + string(f.id(t, alice))
	if len(alert) != 1 || alert[0].Text != want || alert[0].Order != "WBS-0001" {
		t.Fatalf("alert %+v, want %q", alert, want)
	}
	// Nothing that needs the total goes before the fee.
	_, err := f.store.UpdateOrder(ctx, "WBS-0001", func(o care.Order) (care.Order, error) {
		return o.Apply(care.OrderChange{Order: care.OrderConfirmed}, "rina", f.now)
	})
	if care.ErrorCode(err) != care.EConflict || !strings.Contains(err.Error(), "set the fee before it is confirmed") {
		t.Errorf("confirmed without a fee: %v", err)
	}
	u, err := f.store.SetOrderFee(ctx, "WBS-0001", 15_000, "rina", f.rt.orders.cat.OrderPayText)
	if err != nil {
		t.Fatal(err)
	}
	if u.Order.FeePending || u.Order.Total != 45_000 || u.Order.History[len(u.Order.History)-1].By != "rina" {
		t.Errorf("fee set: %+v", u.Order)
	}
	told := to(f.sent(t), alice)
	want = "Ongkir pesanan WBS-0001 Rp15.000, jadi totalnya Rp45.000, Kak.\nSilakan bayar Rp45.000 lewat:\n• Transfer BCA 1234567890 a.n. Sari Wulandari\n" +
		"• QRIS (kodenya kami kirimkan)\nSetelah bayar, kirim foto bukti bayarnya di sini ya, Kak."
	if len(told) != 1 || told[0].Text != want || told[0].Class != care.Transactional {
		t.Errorf("the customer was told %+v, want %q", told, want)
	}
}
