package inbound

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/outreach"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// Staff chats of the tests: Rina and Dewi answer customers on Telegram,
// Budi owns the shop and links his WhatsApp.
var (
	rinaTG = care.Address{Channel: care.Telegram, ID: "7001"}
	dewiTG = care.Address{Channel: care.Telegram, ID: "7003"}
	budiWA = care.Address{Channel: care.WhatsApp, ID: "6281100000002"}
	bob    = care.Address{Channel: care.Telegram, ID: "5001"}
)

// withStaff adds the accounts Rina and Dewi (staff) and Budi (owner).
func (f *fixture) withStaff(t *testing.T) {
	t.Helper()
	st := f.store.Staff(redisstore.WithBcryptCost(bcrypt.MinCost))
	for name, role := range map[string]care.StaffRole{"Rina": care.RoleStaff, "Dewi": care.RoleStaff, "Budi": care.RoleOwner} {
		if _, err := st.AddStaff(context.Background(), name, role, "kopi-susu-2026"); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) handle(t *testing.T, in care.Inbound) {
	t.Helper()
	if in.At.IsZero() {
		in.At = f.now
	}
	if err := f.rt.Handle(context.Background(), in); err != nil {
		t.Fatalf("handle %q: %v", in.Text, err)
	}
}

// sent takes every queued message through the gate, as the sender
// would at f.now, and returns those it lets through; a refusal fails
// the test.
func (f *fixture) sent(t *testing.T) []care.Delivery {
	t.Helper()
	gate := outreach.NewGate(outreach.GateConfig{Quiet: outreach.QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour}})
	var out []care.Delivery
	for _, d := range f.drain(t) {
		if dec := gate.Decide(d, f.now); dec.Verdict != care.Allow {
			t.Errorf("the gate says %s to %q for %s: %s", dec.Verdict, d.Text, d.Address, dec.Reason)
			continue
		}
		out = append(out, d)
	}
	return out
}

// to is what of ds goes to a.
func to(ds []care.Delivery, a care.Address) []care.Delivery {
	return slices.DeleteFunc(slices.Clone(ds), func(d care.Delivery) bool { return d.Address != a })
}

// wantAnswer checks that the only message sent is one to a staff chat
// saying text.
func wantAnswer(t *testing.T, ds []care.Delivery, a care.Address, text string) {
	t.Helper()
	if len(ds) != 1 || ds[0].Address != a || ds[0].Class != care.StaffAlert || !strings.Contains(ds[0].Text, text) {
		var got []string
		for _, d := range ds {
			got = append(got, string(d.Class)+" to "+d.Address.String()+": "+d.Text)
		}
		t.Errorf("sent %q, want one staff alert to %s saying %q", got, a, text)
	}
}

// linkChat links a to the account name as its staff member does: LINK
// and a code from `mitra staff link`.
func (f *fixture) linkChat(t *testing.T, a care.Address, name string) {
	t.Helper()
	code, _, err := f.store.StaffLinkCode(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	f.handle(t, text(a, "link-"+code, "LINK "+code))
	wantAnswer(t, f.sent(t), a, "Terhubung sebagai "+name)
}

// noContact checks that a chat has no contact: no conversation,
// session or consent was ever kept for it.
func (f *fixture) noContact(t *testing.T, a care.Address) {
	t.Helper()
	if id, ok, err := f.store.Lookup(context.Background(), a); err != nil || ok {
		t.Errorf("%s is contact %s (%v), want none", a, id, err)
	}
}

func TestLinkStaffChat(t *testing.T) {
	f := newFixture(t)
	f.withStaff(t)
	ctx := context.Background()
	code, _, err := f.store.StaffLinkCode(ctx, "rina")
	if err != nil {
		t.Fatal(err)
	}
	dewi, _, err := f.store.StaffLinkCode(ctx, "dewi")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		in   care.Inbound
		want string // what the bot answers; "" for nothing
	}{
		{"a wrong code", text(rinaTG, "l1", "LINK 000000"), "Kode itu salah atau sudah kedaluwarsa"},
		{"the code, in any case", text(rinaTG, "l2", "link "+code), "✅ Terhubung sebagai Rina."},
		{"the same message delivered again", text(rinaTG, "l2", "link "+code), ""},
		{"the code used again, from another chat", text(dewiTG, "l3", "LINK "+code), "Kode itu salah"},
		{"Telegram's deep link", care.Inbound{Address: dewiTG, MessageID: "l4", Kind: care.KindText, Text: "/start link-" + dewi, Start: "link-" + dewi},
			"✅ Terhubung sebagai Dewi."},
	}
	for _, st := range steps {
		f.now = f.now.Add(time.Minute)
		f.handle(t, st.in)
		got := f.sent(t)
		if st.want == "" {
			if len(got) != 0 {
				t.Errorf("%s: sent %v, want nothing", st.name, got)
			}
			continue
		}
		wantAnswer(t, got, st.in.Address, st.want)
	}
	f.noContact(t, rinaTG)
	f.noContact(t, dewiTG)

	// Five wrong codes an hour from one chat, and it is locked out.
	stranger := care.Address{Channel: care.WhatsApp, ID: "6289900000009"}
	first := f.now
	for i := range 5 {
		f.handle(t, text(stranger, "x"+string(rune('1'+i)), "LINK 12345"+string(rune('0'+i))))
		wantAnswer(t, f.sent(t), stranger, "Kode itu salah")
	}
	right, _, err := f.store.StaffLinkCode(ctx, "budi")
	if err != nil {
		t.Fatal(err)
	}
	f.handle(t, text(stranger, "x6", "LINK "+right))
	wantAnswer(t, f.sent(t), stranger, "Terlalu banyak kode salah dari chat ini. Coba lagi setelah pukul "+first.Add(time.Hour).Format("15.04"))
	f.noContact(t, stranger)
	if cs, _ := f.store.StaffChats(ctx); len(cs) != 2 {
		t.Errorf("linked chats %+v, want Rina's and Dewi's", cs)
	}
}

// TestStaffChatIsNoCustomer: once linked, what a staff member writes
// from their chat is a command to the staff desk, whatever it says: it
// never reaches the flows, consent or the inbox, even when the chat was
// a customer's before, and the runtime knew it so.
func TestStaffChatIsNoCustomer(t *testing.T) {
	f := newFixture(t)
	f.withStaff(t)
	ctx := context.Background()
	if got := f.say(t, rinaTG, "halo"); !strings.Contains(got, "Selamat datang") {
		t.Fatalf("Rina as a customer got %q", got)
	}
	customer := f.id(t, rinaTG)
	f.linkChat(t, rinaTG, "Rina")
	f.linkChat(t, budiWA, "Budi")

	for i, msg := range []string{"halo", "4", "STOP", "DATA SAYA", "HAPUS DATA", "klaim", "link"} {
		f.now = f.now.Add(time.Minute)
		f.handle(t, text(rinaTG, "s"+string(rune('a'+i)), msg))
		wantAnswer(t, f.sent(t), rinaTG, "Ini chat staf Mitra untuk Rina.\n• KLAIM <kode>")
		f.handle(t, text(budiWA, "s"+string(rune('a'+i)), msg))
		wantAnswer(t, f.sent(t), budiWA, "Ini chat staf Mitra untuk Budi.")
	}
	f.handle(t, care.Inbound{Address: rinaTG, MessageID: "st", Kind: care.KindSticker})
	wantAnswer(t, f.sent(t), rinaTG, "Ini chat staf Mitra untuk Rina.")
	f.handle(t, text(rinaTG, "sa", "halo")) // delivered again
	if got := f.sent(t); len(got) != 0 {
		t.Errorf("a message delivered again was answered again: %v", got)
	}

	conv, err := f.store.Load(ctx, customer, "-")
	if err != nil {
		t.Fatal(err)
	}
	if conv.Session.Version != 1 || conv.Contact.Handover.State != "" || len(conv.Contact.Consent) != 0 {
		t.Errorf("Rina's customer record moved: session %d, %+v", conv.Session.Version, conv.Contact)
	}
	for _, view := range []care.InboxView{care.InboxWaiting, care.InboxHeld} {
		if es, _ := f.store.Conversations(ctx, view, 10); len(es) != 0 {
			t.Errorf("%s: %+v, want nothing", view, es)
		}
	}
	f.noContact(t, budiWA)

	f.handle(t, text(rinaTG, "u1", "UNLINK"))
	wantAnswer(t, f.sent(t), rinaTG, "Chat ini tidak lagi terhubung dengan akun Rina")
	if got := f.say(t, rinaTG, "halo"); !strings.Contains(got, "Selamat datang") {
		t.Errorf("unlinked, Rina as a customer got %q", got)
	}
}

// TestStaffChatOfARemovedAccount: a chat acts for a live account only.
// A code whose account was removed since links nothing; a chat whose
// account went without its link is unlinked at its next message.
func TestStaffChatOfARemovedAccount(t *testing.T) {
	f := newFixture(t)
	f.withStaff(t)
	ctx := context.Background()
	staff := f.store.Staff(redisstore.WithBcryptCost(bcrypt.MinCost))
	code, _, err := f.store.StaffLinkCode(ctx, "dewi")
	if err != nil {
		t.Fatal(err)
	}
	if err := staff.RemoveStaff(ctx, "dewi"); err != nil {
		t.Fatal(err)
	}
	f.handle(t, text(dewiTG, "l1", "LINK "+code))
	wantAnswer(t, f.sent(t), dewiTG, "Kode itu salah")
	if res, err := f.store.Resolve(ctx, []care.ResolveRequest{{Address: dewiTG, CheckStaff: true}}); err != nil || res[0].StaffChat != "" {
		t.Errorf("a code of a removed account linked the chat: %+v, %v", res, err)
	}

	// Rina's account goes, and is made again, while her chat stays
	// linked to the first (as if the link outlived it).
	f.linkChat(t, rinaTG, "Rina")
	if err := f.client.HDel(ctx, f.prefix+":{staff}:accounts", "rina").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := staff.AddStaff(ctx, "rina", care.RoleStaff, "kopi-susu-2026"); err != nil {
		t.Fatal(err)
	}
	f.handle(t, text(rinaTG, "k1", "KLAIM 1234"))
	wantAnswer(t, f.sent(t), rinaTG, "Akun staf chat ini sudah dihapus")
	if got := f.say(t, rinaTG, "halo"); !strings.Contains(got, "Selamat datang") {
		t.Errorf("the unlinked chat is a customer's again; got %q", got)
	}
}

// escalate hands a customer's conversation to staff at at: "halo" ten
// seconds before, then "4" from the menu.
func (f *fixture) escalate(t *testing.T, a care.Address, name string, at time.Time) {
	t.Helper()
	f.now = at.Add(-10 * time.Second)
	in := text(a, "h"+at.Format("150405"), "halo")
	in.Name = name
	f.handle(t, in)
	sent := f.sent(t)
	f.now = at
	in = text(a, "e"+at.Format("150405"), "4")
	in.Name = name
	f.handle(t, in)
	for _, d := range append(sent, f.sent(t)...) {
		if d.Class != care.Reply || d.Address != a {
			t.Errorf("escalating %s sent %s to %s", name, d.Class, d.Address)
		}
	}
}

// sweep runs the alerts at at and checks how many conversations they
// alerted about.
func (f *fixture) sweep(t *testing.T, at time.Time, want int) []care.Delivery {
	t.Helper()
	f.now = at
	n, err := f.rt.SweepAlerts(context.Background())
	if err != nil || n != want {
		t.Fatalf("sweep at %s: %d, %v; want %d", at.Format("15:04:05"), n, err, want)
	}
	return f.sent(t)
}

var claimCode = regexp.MustCompile(`Balas KLAIM (\d{4})`)

// TestAlerts: staff on duty hear once about each conversation that
// starts waiting, those of one minute in one message; the first to
// claim one from an alert takes it, the next hears who did; a
// conversation still unclaimed ten minutes later alerts the owner,
// once.
func TestAlerts(t *testing.T) {
	f := newFixture(t, shopHours, func(c *Config) {
		c.AlertOwner, c.AlertGather, c.PublicURL = 10*time.Minute, time.Minute, "https://toko.example"
	})
	f.withStaff(t)
	ctx := context.Background()
	at := func(h, m, s int) time.Time { return time.Date(2026, 5, 4, h, m, s, 0, jakarta) } // a Monday
	f.now = at(9, 0, 0)
	f.linkChat(t, rinaTG, "Rina")
	f.linkChat(t, dewiTG, "Dewi")
	f.linkChat(t, budiWA, "Budi")

	f.escalate(t, alice, "Alice", at(10, 0, 10))
	f.sweep(t, at(10, 0, 20), 0) // gathering
	f.escalate(t, bob, "Bob", at(10, 0, 40))
	f.now = at(10, 0, 50)
	more := text(bob, "b2", "pesanan saya kemarin belum sampai, "+strings.Repeat("tolong dicek ya ", 20))
	more.Name = "Bob"
	f.handle(t, more)
	f.sent(t)
	f.sweep(t, at(10, 1, 9), 0)
	sent := f.sweep(t, at(10, 1, 10), 2)
	aliceID, bobID := f.id(t, alice), f.id(t, bob)
	for _, a := range []care.Address{rinaTG, dewiTG, budiWA} {
		if len(to(sent, a)) != 1 {
			t.Fatalf("alerts %v, want one to %s", sent, a)
		}
	}
	rina := to(sent, rinaTG)[0]
	for _, want := range []string{"🔔 2 percakapan menunggu staf:", "• Alice · WhatsApp · sejak 10.00 · minta bicara dengan staf\n\n", "• Bob · Telegram · sejak 10.00",
		"\n“pesanan saya kemarin belum sampai, tolong dicek ya", "dicek…”", "Konsol: https://toko.example/console"} {
		if !strings.Contains(rina.Text, want) {
			t.Errorf("Rina's alert\n%s\ndoes not say %q", rina.Text, want)
		}
	}
	wantButtons := []care.Choice{{ID: "claim:" + string(aliceID), Label: "Klaim Alice"}, {ID: "claim:" + string(bobID), Label: "Klaim Bob"}}
	if !slices.Equal(rina.Choices, wantButtons) || rina.Staff != "Rina" || rina.Origin != care.OriginSystem {
		t.Errorf("Rina's alert: buttons %v, staff %q, origin %s; want %v", rina.Choices, rina.Staff, rina.Origin, wantButtons)
	}
	budi := to(sent, budiWA)[0]
	codes := claimCode.FindAllStringSubmatch(budi.Text, -1)
	if len(codes) != 2 || len(budi.Choices) != 0 {
		t.Fatalf("Budi's alert on WhatsApp:\n%s\nwith %v; want a KLAIM code for each, no buttons", budi.Text, budi.Choices)
	}

	// Once per waiting spell: asking again is the same wait.
	f.sweep(t, at(10, 2, 0), 0)
	f.now = at(10, 2, 30)
	f.handle(t, text(alice, "again", "4"))
	f.sent(t)
	f.sweep(t, at(10, 3, 0), 0)

	// Rina taps Klaim under Alice; Dewi a moment later.
	f.now = at(10, 4, 0)
	f.handle(t, care.Inbound{Address: rinaTG, MessageID: "q1", Kind: care.KindChoice, Choice: "claim:" + string(aliceID)})
	wantAnswer(t, f.sent(t), rinaTG, "✅ Percakapan dengan Alice sekarang Anda pegang. Balas di konsol: https://toko.example/console/c/"+string(aliceID))
	f.handle(t, care.Inbound{Address: dewiTG, MessageID: "q2", Kind: care.KindChoice, Choice: "claim:" + string(aliceID)})
	wantAnswer(t, f.sent(t), dewiTG, "Rina sudah mengambil percakapan dengan Alice.")
	if h := f.handover(t, alice); h.State != care.StateHeld || h.Holder != "Rina" {
		t.Errorf("Alice's handover %+v, want Rina holds it", h)
	}

	// Bob waits on: ten minutes after the alert, the owner hears, once.
	f.sweep(t, at(10, 11, 9), 0)
	sent = f.sweep(t, at(10, 11, 10), 1)
	if len(sent) != 1 || sent[0].Address != budiWA || !strings.Contains(sent[0].Text, "⏰ 1 percakapan belum diambil staf, 10 menit setelah pemberitahuan:") ||
		!strings.Contains(sent[0].Text, "• Bob · Telegram") || strings.Contains(sent[0].Text, "Alice") {
		t.Fatalf("the owner's alert: %v", sent)
	}
	f.sweep(t, at(10, 20, 0), 0)

	// Budi answers with Bob's code from the owner's alert.
	code := claimCode.FindStringSubmatch(sent[0].Text)[1]
	f.handle(t, text(budiWA, "k1", "klaim "+code))
	wantAnswer(t, f.sent(t), budiWA, "✅ Percakapan dengan Bob sekarang Anda pegang.")
	if h := f.handover(t, bob); h.State != care.StateHeld || h.Holder != "Budi" {
		t.Errorf("Bob's handover %+v, want Budi holds it", h)
	}
	f.handle(t, text(budiWA, "k2", "KLAIM 0000"))
	wantAnswer(t, f.sent(t), budiWA, "Kode KLAIM 0000 tidak dikenal atau sudah kedaluwarsa.")

	// An alert to a customer's address never leaves: the gate refuses it.
	if err := f.store.QueueStaffChat(ctx, []care.Outbound{{ID: "a-alice", Address: alice, Class: care.StaffAlert, Origin: care.OriginSystem,
		Staff: "Rina", Text: "🔔", Created: f.now}}); err != nil {
		t.Fatal(err)
	}
	ds := f.drain(t)
	gate := outreach.NewGate(outreach.GateConfig{})
	if len(ds) != 1 || gate.Decide(ds[0], f.now).Reason != "not a linked staff address" {
		t.Errorf("an alert to a customer: %v", ds)
	}
}

// TestAlertsWaitForStaffHours: nobody is on duty at night, so nobody is
// alerted; at the opening, staff hear about the night's conversations in
// one message that says since when each waits.
func TestAlertsWaitForStaffHours(t *testing.T) {
	f := newFixture(t, shopHours, func(c *Config) { c.AlertGather = time.Minute })
	f.withStaff(t)
	f.now = time.Date(2026, 5, 4, 16, 0, 0, 0, jakarta)
	f.linkChat(t, rinaTG, "Rina")
	f.escalate(t, alice, "Alice", time.Date(2026, 5, 4, 18, 0, 0, 0, jakarta))
	f.escalate(t, bob, "", time.Date(2026, 5, 5, 6, 30, 0, 0, jakarta))
	f.sweep(t, time.Date(2026, 5, 4, 19, 0, 0, 0, jakarta), 0)
	f.sweep(t, time.Date(2026, 5, 5, 7, 59, 0, 0, jakarta), 0)
	if h := f.handover(t, alice); !h.Alerted.IsZero() {
		t.Errorf("alerted at night: %+v", h)
	}
	sent := f.sweep(t, time.Date(2026, 5, 5, 8, 0, 0, 0, jakarta), 2)
	if len(sent) != 1 || !strings.Contains(sent[0].Text, "• Alice · WhatsApp · sejak kemarin 18.00") ||
		!strings.Contains(sent[0].Text, "• #"+string(f.id(t, bob)[1:7])+" · Telegram · sejak 06.30") {
		t.Errorf("the morning's alert: %v", sent)
	}
}
