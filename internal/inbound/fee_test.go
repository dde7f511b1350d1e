package inbound

import (
	"context"
	"fmt"
	"slices"
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
	want := "📦 Ongkir WBS-0001 belum ada — alamatnya di luar area kirim; tentukan ongkirnya\nKonsol: https://toko.example/console/c/" + string(f.id(t, alice))
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

// TestOrderAlertsOutliveNoErasure: an alert about an order held back
// overnight waits in the staff chat's outbox, where the customer's
// erasure does not reach; so it names the order and links the
// conversation, never the customer's name or address, and once the
// customer erased their data overnight no key or value in Redis holds
// either, the alert included.
func TestOrderAlertsOutliveNoErasure(t *testing.T) {
	tests := []struct {
		name  string
		order []string
		photo bool
		want  string
	}{
		{"fee", []string{"beras 2kg kirim ke jl mawar 5 magelang, transfer", "ya"}, false,
			"📦 Ongkir WBS-0001 belum ada — alamatnya di luar area kirim; tentukan ongkirnya\nKonsol: /console/c/"},
		{"proof", []string{"beras 2kg kirim ke jl mawar 5 sleman, transfer", "ya"}, true,
			"🧾 Bukti bayar WBS-0001 masuk — cek lalu tandai dibayar\nKonsol: /console/c/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, shopHours, func(c *Config) { c.AlertGather = time.Minute })
			f.withStaff(t)
			f.now = time.Date(2026, 5, 4, 16, 0, 0, 0, jakarta)
			f.linkChat(t, rinaTG, "Rina")
			f.now = time.Date(2026, 5, 4, 22, 0, 0, 0, jakarta)
			f.say(t, alice, tt.order...)
			if tt.photo {
				if err := f.rt.Handle(context.Background(), photo(alice, "p1", "")); err != nil {
					t.Fatal(err)
				}
			}
			f.drain(t)
			id := f.id(t, alice)
			f.say(t, alice, "hapus data saya", "ya")
			f.now = f.now.Add(2 * time.Minute)
			if n, err := f.store.Sweep(context.Background(), nil); n != 1 || err != nil {
				t.Fatalf("Sweep = %d, %v; want the erasure finished", n, err)
			}
			for _, personal := range []string{"mawar", "Alice", "6281234567890"} {
				if where := f.holding(t, personal); len(where) > 0 {
					t.Errorf("after the erasure %q is still in %v", personal, where)
				}
			}
			f.now = time.Date(2026, 5, 5, 8, 0, 0, 0, jakarta)
			out := to(f.due(t), rinaTG)
			if want := tt.want + string(id); len(out) != 1 || out[0].Text != want {
				t.Errorf("at the opening %+v, want %q", out, want)
			}
		})
	}
}

// holding lists the keys of the fixture's Redis whose name or value
// holds s: every string, hash, list, set, sorted set and stream.
func (f *fixture) holding(t *testing.T, s string) []string {
	t.Helper()
	ctx := context.Background()
	keys, err := f.client.Keys(ctx, f.prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		var vals []string
		switch typ := f.client.Type(ctx, k).Val(); typ {
		case "string":
			vals = []string{f.client.Get(ctx, k).Val()}
		case "hash":
			for field, v := range f.client.HGetAll(ctx, k).Val() {
				vals = append(vals, field, v)
			}
		case "list":
			vals = f.client.LRange(ctx, k, 0, -1).Val()
		case "set":
			vals = f.client.SMembers(ctx, k).Val()
		case "zset":
			vals = f.client.ZRange(ctx, k, 0, -1).Val()
		case "stream":
			for _, e := range f.client.XRange(ctx, k, "-", "+").Val() {
				for field, v := range e.Values {
					vals = append(vals, field, fmt.Sprint(v))
				}
			}
		default:
			t.Fatalf("key %s of type %s", k, typ)
		}
		if strings.Contains(k, s) || slices.ContainsFunc(vals, func(v string) bool { return strings.Contains(v, s) }) {
			out = append(out, k)
		}
	}
	return out
}
