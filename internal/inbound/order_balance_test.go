package inbound

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestPelunasanReminder: a pre-order whose DP is paid is reminded of
// its balance a day before it is ready, once, after the quiet hours,
// whichever process sweeps; one paid in full, or whose DP is not paid,
// is not.
func TestPelunasanReminder(t *testing.T) {
	wib := time.FixedZone("WIB", 7*60*60)
	f := newFixture(t, func(c *Config) {
		c.PelunasanBefore, c.TimeZone, c.QuietStart, c.QuietEnd = 24*time.Hour, wib, 21*time.Hour, 8*time.Hour
	})
	bob := care.Address{Channel: care.WhatsApp, ID: "6289876543210"}
	f.say(t, alice, "pesan lapis legit 1 loyang ambil sendiri, transfer", "ya")
	f.say(t, bob, "pesan lapis legit 1 loyang ambil sendiri, transfer", "ya")
	a, b := f.orders(t, alice)[0], f.orders(t, bob)[0]
	if a.PreOrder == nil || a.PreOrder.Deposit != 175_000 || a.Balance() != 175_000 {
		t.Fatalf("alice's order %+v", a)
	}
	for _, ch := range []care.OrderChange{{Payment: care.PaymentDeposit}} {
		if err := f.change(a.Number, ch); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range []care.OrderChange{{Payment: care.PaymentDeposit}, {Payment: care.PaymentPaid}} {
		if err := f.change(b.Number, ch); err != nil {
			t.Fatal(err)
		}
	}
	f.drain(t)
	other := New(f.rt.cfg, f.rt.flows, f.store) // a second process on the same Redis
	t.Cleanup(other.Close)
	steps := []struct {
		name string
		at   time.Time
		rt   *Runtime
		want int
	}{
		{"two days before", time.Date(2026, 12, 22, 10, 0, 0, 0, wib), f.rt, 0},
		{"due in the quiet hours", time.Date(2026, 12, 23, 6, 0, 0, 0, wib), f.rt, 0},
		{"after the quiet hours", time.Date(2026, 12, 23, 8, 1, 0, 0, wib), f.rt, 1},
		{"once", time.Date(2026, 12, 23, 8, 2, 0, 0, wib), f.rt, 0},
		{"once in another process too", time.Date(2026, 12, 23, 9, 0, 0, 0, wib), other, 0},
	}
	for _, st := range steps {
		f.now = st.at
		n, err := st.rt.SweepBalances(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		out := f.drain(t)
		if n != st.want || len(out) != st.want {
			t.Fatalf("%s: reminded %d, queued %+v; want %d", st.name, n, out, st.want)
		}
		if n == 0 {
			continue
		}
		m := out[0]
		if m.Contact != a.Contact || m.Class != care.Transactional || m.Order != a.Number || m.Origin != care.OriginSystem ||
			m.Text != "Kak, pesanan WBS-0001 (Kue lapis legit) siap 24 Des. Sisa pelunasan Rp175.000 ya, ke BCA 1234567890 a.n. Sari Wulandari. Terima kasih! 🙏" {
			t.Errorf("%s: the reminder %+v", st.name, m.Outbound)
		}
	}
	if o := f.orders(t, alice)[0]; !o.BalanceReminded() || o.Payment != care.PaymentDeposit {
		t.Errorf("alice's order after the reminder %+v", o)
	}
	if o := f.orders(t, bob)[0]; o.BalanceReminded() {
		t.Errorf("bob paid in full and was reminded: %+v", o.History)
	}
}

// TestBalanceMixedOrder: a pre-order delivered with other items is
// paid ahead with its DP, the fee and the other items, and leaves the
// pre-order's rest as its balance, in the notices and in the English
// reminder; a fee changed once the DP is in moves the balance by the
// difference only.
func TestBalanceMixedOrder(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PelunasanBefore = 24 * time.Hour })
	ctx := context.Background()
	f.say(t, alice, "english please", "I want 1 lapis legit and 2 kg eggs, deliver to jl mawar 5 magelang, transfer", "yes")
	o := f.orders(t, alice)[0]
	if !o.FeePending || o.Total != 408_000 || o.PreOrder == nil || o.PreOrder.Deposit != 175_000 {
		t.Fatalf("order %+v", o)
	}
	f.drain(t)
	if err := f.change(o.Number, care.OrderChange{Payment: care.PaymentDeposit}); care.ErrorCode(err) != care.EConflict ||
		!strings.Contains(err.Error(), "set the fee before its down payment (DP) is marked paid") {
		t.Errorf("DP paid before the fee: %v", err)
	}
	if _, err := f.store.SetOrderFee(ctx, o.Number, 8_000, "rina", f.rt.orders.cat.OrderPayText); err != nil {
		t.Fatal(err)
	}
	told := f.drain(t)
	want := "The delivery fee of order WBS-0001 is Rp8,000, so the total is Rp416,000.\nPlease pay Rp241,000 by:\n" +
		"• Bank transfer: BCA 1234567890 (Sari Wulandari)\n• QRIS (we will send you the code)\n" +
		"That is the pre-order deposit Rp175,000, the delivery fee Rp8,000 and the other items Rp58,000; the balance of Rp175,000 is paid when the order is ready.\n" +
		"Once paid, send a photo of the receipt here."
	if len(told) != 1 || told[0].Text != want {
		t.Errorf("fee set: told %+v\nwant %q", told, want)
	}
	if err := f.change(o.Number, care.OrderChange{Payment: care.PaymentDeposit}); err != nil {
		t.Fatal(err)
	}
	told = f.drain(t)
	want = "We received the deposit for order WBS-0001. The balance of Rp175,000 is due when the order is ready."
	if len(told) != 1 || told[0].Text != want {
		t.Errorf("DP paid: told %+v\nwant %q", told, want)
	}
	if _, err := f.store.SetOrderFee(ctx, o.Number, 12_000, "rina", f.rt.orders.cat.OrderPayText); err != nil {
		t.Fatal(err)
	}
	told = f.drain(t)
	want = "The delivery fee of order WBS-0001 is now Rp12,000, so the total is Rp420,000.\nThe difference goes into the balance: it is now Rp179,000, paid when the order is ready."
	if len(told) != 1 || told[0].Text != want {
		t.Errorf("fee changed after the DP: told %+v\nwant %q", told, want)
	}
	f.now = time.Date(2026, 12, 23, 10, 0, 0, 0, time.UTC)
	if n, err := f.rt.SweepBalances(ctx); err != nil || n != 1 {
		t.Fatalf("reminded %d, %v", n, err)
	}
	told = f.drain(t)
	want = "Hi! Your order WBS-0001 (Lapis legit layer cake) will be ready on 24 Dec. The balance of Rp179,000 is due by then; " +
		"please transfer it to BCA 1234567890 (Sari Wulandari). Thank you!"
	if len(told) != 1 || told[0].Text != want {
		t.Errorf("reminder: %+v\nwant %q", told, want)
	}
}
