package inbound

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
)

// orders returns the orders of the contact of addr.
func (f *fixture) orders(t *testing.T, a care.Address) []care.Order {
	t.Helper()
	os, err := f.store.ContactOrders(context.Background(), f.id(t, a))
	if err != nil {
		t.Fatal(err)
	}
	return os
}

// TestOrderPlaced follows an order from the customer's sentence to the
// order book: the number and how to pay told, the order as the rekap
// said, the consent to hear about it recorded with the evidence, and
// the draft gone from the session.
func TestOrderPlaced(t *testing.T) {
	f := newFixture(t)
	rekap := f.say(t, alice, "min mau pesan beras 5kg sama telur sekilo, kirim ke jl mawar 5 sleman")
	if !strings.Contains(rekap, "Total: Rp112.000") || !strings.Contains(rekap, "Sudah benar, Kak?") {
		t.Fatalf("rekap:\n%s", rekap)
	}
	f.say(t, alice, "ya")
	got := f.say(t, alice, "tidak")
	want := "Terima kasih, Kak! 🙏 Pesanan WBS-0001 sudah kami catat.\nSilakan bayar Rp112.000 lewat:\n• Transfer BCA 1234567890 a.n. Sari Wulandari\n" +
		"• QRIS (kodenya kami kirimkan)\nSetelah bayar, kirim foto bukti bayarnya di sini ya, Kak.\n"
	if got != want {
		t.Errorf("placed: the bot said\n%s\nwant\n%s", got, want)
	}
	os := f.orders(t, alice)
	if len(os) != 1 {
		t.Fatalf("%d orders, want 1", len(os))
	}
	o := os[0]
	if o.Number != "WBS-0001" || o.Total != 112000 || o.DeliveryFee != 8000 || o.Method != care.MethodTransfer || o.State != care.OrderNew ||
		o.Payment != care.PaymentUnpaid || o.Delivery.Address != "jl mawar 5 sleman" || o.Delivery.Area != "Sleman" || o.Delivery.Recipient != "Alice" ||
		len(o.Lines) != 2 || o.Lines[0] != (care.OrderLine{Item: "beras", Name: "Beras pandan wangi", Qty: 5, Unit: "kg", Price: 15000}) || o.Placed == "" {
		t.Errorf("order %+v", o)
	}
	ledger, err := f.store.Ledger(context.Background(), f.id(t, alice))
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 1 {
		t.Fatalf("ledger %+v, want the orders event", ledger)
	}
	if e := ledger[0]; e.Purpose != care.Orders || !e.Granted || e.Source != care.SourceOrder || e.Text != "tidak" || e.MessageID != o.Placed ||
		!strings.HasPrefix(e.Question, "Bayar di tempat (COD)? YA/TIDAK") || e.Version == "" {
		t.Errorf("consent event %+v", e)
	}
	conv, err := f.store.Load(context.Background(), f.id(t, alice), "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range orderVars {
		if _, ok := conv.Session.Vars[v]; ok {
			t.Errorf("the session keeps %s after the order was placed: %v", v, conv.Session.Vars)
		}
	}
	if !conv.Contact.Consent[care.Orders].Granted {
		t.Errorf("profile consent %+v", conv.Contact.Consent)
	}
	// The next order has the next number.
	f.say(t, alice, "tempe 2 papan ambil sendiri", "ya")
	if got := f.say(t, alice, "cod"); !strings.Contains(got, "Pesanan WBS-0002 sudah kami catat.\nBayarnya tunai Rp12.000 saat diambil di toko ya, Kak.") {
		t.Errorf("a COD pickup: the bot said\n%s", got)
	}
}

// TestOrderPlacedTexts: how to pay, by what the customer chose and the
// order, in both languages.
func TestOrderPlacedTexts(t *testing.T) {
	tests := []struct {
		name string
		lang string
		msgs []string
		want string
	}{
		{"cod delivery", "id", []string{"beras 2kg kirim ke jl mawar 5 sleman", "ya", "ya"},
			"Terima kasih, Kak! 🙏 Pesanan WBS-0001 sudah kami catat.\nBayarnya di tempat (COD) Rp38.000 saat pesanan sampai. Kami hubungi Kakak dulu sebelum pesanan dikirim.\n"},
		{"qris named", "id", []string{"beras 2kg ambil sendiri bayar qris", "ya"},
			"Terima kasih, Kak! 🙏 Pesanan WBS-0001 sudah kami catat.\nSilakan bayar Rp30.000 lewat:\n• QRIS (kodenya kami kirimkan)\nSetelah bayar, kirim foto bukti bayarnya di sini ya, Kak.\n"},
		{"fee not known", "id", []string{"beras 2kg kirim ke jl mawar 5 magelang, transfer", "ya"},
			"Terima kasih, Kak! 🙏 Pesanan WBS-0001 sudah kami catat.\nOngkir ke alamat ini dikonfirmasi admin dulu ya, Kak. Setelah itu kami kabari totalnya dan cara bayarnya di sini 🙏\n"},
		{"pre-order deposit", "id", []string{"pesan lapis legit 1 loyang ambil sendiri, transfer", "ya"},
			"Terima kasih, Kak! 🙏 Pesanan WBS-0001 sudah kami catat.\nSilakan bayar Rp175.000 lewat:\n• Transfer BCA 1234567890 a.n. Sari Wulandari\nItu DP pre-order-nya, Kak; sisa pelunasan Rp175.000 dibayar saat pesanan siap.\nSetelah bayar, kirim foto bukti bayarnya di sini ya, Kak.\n"},
		{"english", "en", []string{"english please", "I want 2 kg rice, deliver to jl mawar 5 sleman", "yes", "no"},
			"Thank you! 🙏 Your order WBS-0001 is in.\nPlease pay Rp38,000 by:\n• Bank transfer: BCA 1234567890 (Sari Wulandari)\n• QRIS (we will send you the code)\nOnce paid, send a photo of the receipt here.\n"},
		{"english cod", "en", []string{"english please", "I want 2 kg rice, deliver to jl mawar 5 sleman", "yes", "yes"},
			"Thank you! 🙏 Your order WBS-0001 is in.\nYou pay Rp38,000 cash on delivery (COD). We will check with you before we send it.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if got := f.say(t, alice, tt.msgs...); got != tt.want {
				t.Errorf("the bot said\n%s\nwant\n%s", got, tt.want)
			}
			if os := f.orders(t, alice); len(os) != 1 {
				t.Errorf("%d orders, want 1", len(os))
			}
		})
	}
}

// TestOrderPreorder: a pre-order keeps its down payment and the day it
// is ready; once its orders close, it is refused with the day.
func TestOrderPreorder(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "pesan lapis legit 1 loyang ambil sendiri, transfer", "ya")
	o := f.orders(t, alice)[0]
	if o.PreOrder == nil || o.PreOrder.Deposit != 175000 || !o.PreOrder.Ready.Equal(time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)) || o.Total != 350000 {
		t.Errorf("pre-order %+v %+v", o, o.PreOrder)
	}
	f.now = time.Date(2026, 12, 21, 10, 30, 0, 0, time.UTC)
	if got := f.say(t, alice, "pesan lapis legit 1 loyang"); !strings.Contains(got, "Maaf, Kak, PO Kue lapis legit sudah ditutup tanggal 20 Desember 2026.") {
		t.Errorf("a closed pre-order: the bot said\n%s", got)
	}
}

// TestOrderPlacedOnce: the message that placed an order, processed
// again after its step was not stored (a conflict, a redelivery),
// finds the order instead of filing a second.
func TestOrderPlacedOnce(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "beras 2kg ambil sendiri bayar transfer")
	ctx := context.Background()
	id := f.id(t, alice)
	convs, err := f.store.LoadMany(ctx, []care.MessageRef{{Contact: id, MessageID: "again"}})
	if err != nil {
		t.Fatal(err)
	}
	in := text(alice, "again", "ya")
	for range 2 {
		c, st := f.rt.decide(id, care.Resolution{}, convs[0], in, f.now, reads{})
		if st.place == nil {
			t.Fatal("YA placed nothing")
		}
		if err := f.rt.place(ctx, &c, st.place); err != nil {
			t.Fatal(err)
		}
		if n := len(c.Outbound); n != 1 || !strings.Contains(c.Outbound[0].Text, "Pesanan WBS-0001") {
			t.Errorf("replies %+v", c.Outbound)
		}
	}
	if os := f.orders(t, alice); len(os) != 1 {
		t.Errorf("%d orders, want 1", len(os))
	}
}

// TestOrderRefused: an order the book refuses (its customer is no live
// contact) is apologised for and the draft kept, to place again.
func TestOrderRefused(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "beras 2kg ambil sendiri bayar transfer")
	ctx := context.Background()
	id := f.id(t, alice)
	convs, err := f.store.LoadMany(ctx, []care.MessageRef{{Contact: id, MessageID: "again"}})
	if err != nil {
		t.Fatal(err)
	}
	c, st := f.rt.decide(id, care.Resolution{}, convs[0], text(alice, "again", "ya"), f.now, reads{})
	st.place.order.Contact = care.NewContactID()
	if err := f.rt.place(ctx, &c, st.place); err != nil {
		t.Fatal(err)
	}
	if len(c.Outbound) != 1 || !strings.Contains(c.Outbound[0].Text, "belum bisa kami catat") || len(c.Consent) != 0 {
		t.Errorf("commit %+v", c)
	}
	if c.Session.Vars[varOrder] == "" {
		t.Errorf("the draft went: %v", c.Session.Vars)
	}
}

// TestOrderAfterErasure: a customer who erases their data mid-order
// loses the order being made with everything else; their YA places
// nothing.
func TestOrderAfterErasure(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "beras 2kg ambil sendiri bayar transfer", "hapus data saya", "ya")
	f.now = f.now.Add(2 * time.Minute)
	if _, err := f.store.Sweep(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	got := f.say(t, alice, "ya")
	if strings.Contains(got, "Pesanan") {
		t.Errorf("after the erasure YA said %q", got)
	}
	if os := f.orders(t, alice); len(os) != 0 {
		t.Errorf("%d orders placed after the erasure", len(os))
	}
}

// TestOrderSessionSmall: a draft at every bound keeps the stored
// session under 1 KiB.
func TestOrderSessionSmall(t *testing.T) {
	o := newOrderDesk(shippedCatalog(t))
	d := draft{deliver: true, pay: payAhead, guide: "i12", more: true, note: strings.Repeat("catatan ", 30), address: strings.Repeat("Jl. Kaliurang ", 20),
		name: strings.Repeat("Nama ", 20), phone: strings.Repeat("0812", 10)}
	for _, it := range o.cat.Items() {
		d.lines = append(d.lines, catalog.Line{Item: it.ID, Qty: 12.25})
		d.ask = append(d.ask, catalog.Unclear{Reason: catalog.NotEnough, Item: it.ID, Qty: 100.5, Unit: "kg", Limit: 8.5, Said: strings.Repeat("kata ", 10)})
	}
	out := o.out(d, time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), nil, "id")
	sess := care.Session{Flow: "order", Step: "ask", Lang: "id", Updated: time.Now(), Vars: out.Set}
	b, err := json.Marshal(sess)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) >= 1024 {
		t.Errorf("the session is %d bytes: %s", len(b), b)
	}
	var many draft
	for i := range 30 {
		many.lines = append(many.lines, catalog.Line{Item: "item" + strings.Repeat("x", i%5), Qty: 1})
	}
	if _, ok := many.vars(time.Now()); ok {
		t.Error("30 lines fit the draft's bound")
	}
}

// TestDraftRoundTrip: a draft reads back as written.
func TestDraftRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 4, 9, 7, 0, 0, time.UTC)
	tests := []draft{
		{},
		{lines: []catalog.Line{{Item: "beras", Qty: 5}, {Item: "telur", Qty: 0.5}}, deliver: true, address: "jl mawar 5", pay: "cod"},
		{pickup: true, guide: "c", more: true, name: "Sari", phone: "0812", note: "pagi ya"},
		{ask: []catalog.Unclear{{Reason: catalog.Which, Qty: 3, Unit: "ikat", Suggest: []string{"bayam", "kangkung"}, Said: "sayur"},
			{Reason: catalog.Twice, Item: "beras", Qty: 2, First: 5, Unit: "kg", Said: "beras"}}},
	}
	for i, d := range tests {
		d.at = at
		vars, ok := d.vars(at)
		if !ok {
			t.Fatalf("%d: does not fit", i)
		}
		for k, v := range vars {
			if v == "" {
				delete(vars, k)
			}
		}
		got, ok := readDraft(vars)
		if !ok {
			t.Fatalf("%d: nothing read from %v", i, vars)
		}
		if g, w := flowJSON(t, got), flowJSON(t, d); g != w {
			t.Errorf("%d: read %s\nwant %s", i, g, w)
		}
	}
	if _, ok := readDraft(map[string]string{}); ok {
		t.Error("a draft read from nothing")
	}
}

// flowJSON writes a draft for comparison.
func flowJSON(t *testing.T, d draft) string {
	t.Helper()
	b, err := json.Marshal(struct {
		At                 time.Time
		Lines              []catalog.Line
		Pickup, Deliver    bool
		Address, Name, Tel string
		Note, Pay, Guide   string
		Ask                []catalog.Unclear
		More               bool
	}{d.at, d.lines, d.pickup, d.deliver, d.address, d.name, d.phone, d.note, d.pay, d.guide, d.ask, d.more})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOrderCatch: what starts an order and what does not.
func TestOrderCatch(t *testing.T) {
	o := newOrderDesk(shippedCatalog(t))
	env := flow.Env{Now: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	fresh, _ := draft{lines: []catalog.Line{{Item: "beras", Qty: 2}}}.vars(env.Now)
	tests := []struct {
		text  string
		vars  map[string]string
		claim bool
	}{
		{"min mau pesan beras 5kg sama telur sekilo", nil, true},
		{"beras 5kg", nil, true},
		{"beras 1000 kg", nil, true},
		{"sawi 2 ikat", nil, true},
		{"mau beras", nil, true},
		{"telr 2", nil, true},
		{"harga telur sekilo brp?", nil, false},
		{"ada beras 5kg?", nil, false},
		{"beras", nil, false},
		{"jl mawar 5", nil, false},
		{"halo kak", nil, false},
		{"telurnya ga jadi", nil, false},
		{"telurnya ga jadi", fresh, true},
		{"ambil sendiri aja", fresh, true},
		{"ambil sendiri aja", nil, false},
		{"buka jam berapa?", fresh, false},
	}
	for _, tt := range tests {
		if got := o.catch(flow.CallIn{Input: tt.text, Vars: tt.vars, Env: env}).Claim; got != tt.claim {
			t.Errorf("%q (draft %t): claimed %t, want %t", tt.text, tt.vars != nil, got, tt.claim)
		}
	}
	if newOrderDesk(nil).catch(flow.CallIn{Input: "beras 5kg", Env: env}).Claim {
		t.Error("a shop without a catalog claimed an order")
	}
}

// TestMyDataOrders: MY DATA lists the contact's orders, each with its
// number, day, total and states, in the language spoken, also when
// asked in a sentence.
func TestMyDataOrders(t *testing.T) {
	tests := []struct {
		name string
		msgs []string
		ask  string
		want []string
	}{
		{"indonesian", []string{"min mau pesan beras 5kg sama telur sekilo, kirim ke jl mawar 5 sleman", "ya", "tidak", "tempe 2 papan ambil sendiri", "ya", "cod"},
			"DATA SAYA",
			[]string{"Pesanan:\n• WBS-0001 · 2026-05-04 09:03 · Rp112.000 · baru, belum dibayar, belum diproses\n• WBS-0002 · 2026-05-04 09:06 · Rp12.000 · baru, COD, belum diproses\n\nPesan terakhir:",
				"✓ orders (order: \"tidak\")", "✓ orders (order: \"cod\")"}},
		{"english, in a sentence", []string{"english please", "I want 2 kg rice, deliver to jl mawar 5 sleman", "yes", "no"},
			"what data do you keep about me?",
			[]string{"Orders:\n• WBS-0001 · 2026-05-04 09:04 · Rp38,000 · new, unpaid, not started\n\nRecent messages:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.say(t, alice, tt.msgs...)
			got := f.say(t, alice, tt.ask)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("MY DATA lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// photo is a photo from addr with the platform's reference media.
func photo(addr care.Address, id, media string) care.Inbound {
	return care.Inbound{Address: addr, MessageID: id, Kind: care.KindImage, Media: media, Name: "Alice"}
}

// TestProofOfPayment: a photo sent while an order awaits payment is kept
// as its proof, the payment then awaits the shop's check, the customer
// is told by the order's notice, and the conversation's events say so
// for staff; a second photo is kept instead, and said so.
func TestProofOfPayment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.say(t, alice, "beras 2kg ambil sendiri bayar transfer", "ya")
	if err := f.rt.Handle(ctx, photo(alice, "p1", "")); err != nil {
		t.Fatal(err)
	}
	out := f.drain(t)
	if len(out) != 1 || out[0].Class != care.Transactional || out[0].Text != "Bukti bayar pesanan WBS-0001 sudah kami terima, Kak. Kami cek dulu ya." {
		t.Fatalf("after the photo the bot queued %+v", out)
	}
	o := f.orders(t, alice)[0]
	if o.Payment != care.PaymentAwaiting || o.Proof != "whatsapp:message:p1" || o.History[len(o.History)-1].By != care.ByCustomer {
		t.Errorf("order %+v", o)
	}
	tl, err := f.store.Timeline(ctx, f.id(t, alice), "budi")
	if err != nil {
		t.Fatal(err)
	}
	if e := tl.Events[len(tl.Events)-1]; e.Action != care.ActionProof || e.Reason != "WBS-0001" || e.By != care.ByCustomer {
		t.Errorf("last event %+v, want the proof of WBS-0001", e)
	}
	conv, err := f.store.Load(ctx, f.id(t, alice), "x")
	if err != nil {
		t.Fatal(err)
	}
	if conv.Session.Flow != "" {
		t.Errorf("the photo moved the conversation to %s/%s", conv.Session.Flow, conv.Session.Step)
	}
	f.now = f.now.Add(time.Minute)
	if err := f.rt.Handle(ctx, photo(alice, "p2", "")); err != nil {
		t.Fatal(err)
	}
	if got := texts(f.drain(t)); got != "Terima kasih, Kak 🙏 Fotonya kami simpan sebagai bukti bayar pesanan WBS-0001; staf kami akan mengeceknya.\n" {
		t.Errorf("after a second photo the bot said %q", got)
	}
	if o := f.orders(t, alice)[0]; o.Proof != "whatsapp:message:p2" || o.Payment != care.PaymentAwaiting {
		t.Errorf("order after a second photo %+v", o)
	}
}

// TestProofNotAwaited: a photo when no order awaits payment gets the
// usual answer and keeps nothing; a Telegram photo is kept by its file.
func TestProofNotAwaited(t *testing.T) {
	tg := care.Address{Channel: care.Telegram, ID: "4242"}
	tests := []struct {
		name    string
		addr    care.Address
		msgs    []string
		proof   string
		payment care.PaymentState
	}{
		{"no order", alice, []string{"halo"}, "", ""},
		{"a COD order", alice, []string{"beras 2kg ambil sendiri bayar cod", "ya"}, "", care.PaymentCOD},
		{"a cancelled order being made", alice, []string{"beras 2kg ambil sendiri", "batal"}, "", ""},
		{"telegram", tg, []string{"beras 2kg ambil sendiri bayar transfer", "ya"}, "telegram:file:AgAD", care.PaymentAwaiting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.say(t, tt.addr, tt.msgs...)
			f.now = f.now.Add(time.Minute)
			if err := f.rt.Handle(context.Background(), photo(tt.addr, "p1", "AgAD")); err != nil {
				t.Fatal(err)
			}
			got := texts(f.drain(t))
			os := f.orders(t, tt.addr)
			if tt.proof != "" {
				if len(os) != 1 || os[0].Proof != tt.proof || os[0].Payment != tt.payment {
					t.Errorf("orders %+v", os)
				}
				return
			}
			if !strings.HasPrefix(got, "Maaf, Kak, saya hanya bisa membaca pesan teks. 🙏\n") {
				t.Errorf("the bot said %q, want not_text", got)
			}
			for _, o := range os {
				if o.Proof != "" || o.Payment != tt.payment {
					t.Errorf("order %+v", o)
				}
			}
		})
	}
}

// complete has the shop confirm, hand over and complete order number,
// paid.
func (f *fixture) complete(t *testing.T, number string) {
	t.Helper()
	ctx := context.Background()
	for _, ch := range []care.OrderChange{{Order: care.OrderConfirmed}, {Order: care.OrderCompleted, Payment: care.PaymentPaid, Fulfilment: care.FulfilmentPickedUp}} {
		if _, err := f.store.UpdateOrder(ctx, number, func(o care.Order) (care.Order, error) { return o.Apply(ch, "budi", f.now) }); err != nil {
			t.Fatalf("%s: %v", number, err)
		}
	}
	f.drain(t)
}

// TestOrderAgain: "pesan lagi" makes the last order the order being
// made, priced today; YA places it again under a new number.
func TestOrderAgain(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "min mau pesan beras 5kg sama telur sekilo, kirim ke jl mawar 5 sleman", "ya", "tidak")
	f.now = f.now.Add(5 * time.Hour)
	got := f.say(t, alice, "pesan lagi dong")
	if !strings.Contains(got, "• Beras pandan wangi 5 kg × Rp15.000 = Rp75.000\n• Telur ayam 1 kg × Rp29.000 = Rp29.000\nSubtotal: Rp104.000\nOngkir Sleman: Rp8.000") ||
		!strings.Contains(got, "Sudah benar, Kak?") {
		t.Fatalf("pesan lagi: the bot said\n%s", got)
	}
	if got := f.say(t, alice, "ya"); !strings.Contains(got, "Pesanan WBS-0002 sudah kami catat.\nSilakan bayar Rp112.000 lewat:") {
		t.Errorf("placed again, paid as before: the bot said\n%s", got)
	}
	if os := f.orders(t, alice); len(os) != 2 || os[1].Total != os[0].Total || os[1].Delivery.Address != "jl mawar 5 sleman" {
		t.Errorf("orders %+v", os)
	}
}

// TestRegular: a customer with three orders completed is greeted by
// name and offered their usual, which YA orders again; before the
// third, the welcome is the usual one.
func TestRegular(t *testing.T) {
	f := newFixture(t)
	for i := range care.RegularOrders {
		f.say(t, alice, "tempe 2 papan ambil sendiri, bayar cod", "ya")
		f.complete(t, care.OrderNumber("WBS", int64(i+1)))
		f.now = f.now.Add(24 * time.Hour)
		got := f.say(t, alice, "halo")
		regular := strings.Contains(got, "Halo Alice! 😊 Senang Kakak mampir lagi ke Warung Bu Sari. Mau pesan yang biasa: Tempe 2 papan?")
		if regular != (i+1 >= care.RegularOrders) {
			t.Errorf("after %d orders completed the welcome is\n%s", i+1, got)
		}
	}
	if got := f.say(t, alice, "ya"); !strings.Contains(got, "• Tempe 2 papan × Rp6.000 = Rp12.000") {
		t.Errorf("the usual: the bot said\n%s", got)
	}
	if got := f.say(t, alice, "ya"); !strings.Contains(got, "Pesanan WBS-0004 sudah kami catat.") {
		t.Errorf("the usual placed: the bot said\n%s", got)
	}
}
