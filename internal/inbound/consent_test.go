package inbound

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// say sends texts from addr one after the other and returns what the
// bot queued in answer to the last.
func (f *fixture) say(t *testing.T, addr care.Address, msgs ...string) string {
	t.Helper()
	var out string
	for _, s := range msgs {
		f.now = f.now.Add(time.Minute)
		id := "m" + f.now.Format("150405")
		if err := f.rt.Handle(context.Background(), text(addr, id, s)); err != nil {
			t.Fatalf("handle %q: %v", s, err)
		}
		out = texts(f.drain(t))
	}
	return out
}

// TestOptInRecordsEvidence: the contact's YA is recorded with their
// message, the exact question shown and its version; the profile holds
// the grant.
func TestOptInRecordsEvidence(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "halo", "mulai")
	if got := f.say(t, alice, "YA"); !strings.Contains(got, "Terima kasih, Kak!") {
		t.Fatalf("after YA the bot said %q", got)
	}
	ledger, err := f.store.Ledger(context.Background(), f.id(t, alice))
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 1 {
		t.Fatalf("ledger %+v, want one grant", ledger)
	}
	e := ledger[0]
	if e.Purpose != care.Promotions || !e.Granted || e.Source != care.SourceFlow || e.Channel != care.WhatsApp ||
		e.Text != "YA" || e.MessageID == "" || e.Version == "" || !e.At.Equal(f.now) ||
		!strings.HasPrefix(e.Question, "Kakak mau menerima info promo dari Warung Bu Sari lewat chat ini?") ||
		!strings.HasSuffix(e.Question, "\n1. YA, mau\n2. TIDAK") {
		t.Errorf("ledger entry %+v", e)
	}
	c, _, err := f.store.Contact(context.Background(), f.id(t, alice))
	if err != nil || !c.Consents(care.Promotions) {
		t.Errorf("profile %+v, %v: want promotions granted", c, err)
	}
}

// TestStopFromAnyState withdraws promotions whatever the conversation is
// doing: mid-question, and while a person holds it.
func TestStopFromAnyState(t *testing.T) {
	for _, tt := range []struct {
		name   string
		before []string
	}{
		{"mid-question", []string{"halo", "mulai", "ya", "hapus data"}},
		{"while staff holds the conversation", []string{"halo", "mulai", "ya", "halo", "4", "kapan dikirim?"}},
		{"first message ever", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.say(t, alice, tt.before...)
			if got := f.say(t, alice, "Stoppp!!"); !strings.Contains(got, "tidak akan mengirim promo lagi") {
				t.Fatalf("STOP answered %q", got)
			}
			ledger, err := f.store.Ledger(context.Background(), f.id(t, alice))
			if err != nil {
				t.Fatal(err)
			}
			last := ledger[len(ledger)-1]
			if last.Purpose != care.Promotions || last.Granted || last.Source != care.SourceKeyword || last.Text != "Stoppp!!" {
				t.Errorf("last ledger entry %+v, want the withdrawal", last)
			}
			c, _, _ := f.store.Contact(context.Background(), f.id(t, alice))
			if c.Consents(care.Promotions) {
				t.Errorf("profile still grants promotions: %+v", c.Consent)
			}
		})
	}
}

// TestMyData shows the contact their profile, consents and recent
// messages, read from Redis.
func TestMyData(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "halo", "mulai", "ya")
	got := f.say(t, alice, "DATA SAYA")
	for _, want := range []string{
		"Ini semua data yang Warung Bu Sari simpan tentang Kakak",
		"whatsapp 6281234567890", "Alice",
		"✓ promotions (flow: \"ya\")",
		"← mulai", "→ Terima kasih, Kak!",
		"Pesanan:\n(belum ada)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("MY DATA lacks %q:\n%s", want, got)
		}
	}
}

// TestErasure erases everything but the processed ids, keeps a salted
// hash, and the next message starts afresh.
func TestErasure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.say(t, alice, "halo", "mulai", "ya", "hapus data")
	id := f.id(t, alice)
	if got := f.say(t, alice, "ya"); !strings.Contains(got, "Data Kakak sudah kami hapus") {
		t.Fatalf("erasure answered %q", got)
	}
	f.now = f.now.Add(2 * time.Minute) // past the erasure's grace
	if n, err := f.store.Sweep(ctx, nil); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v; want the erasure finished", n, err)
	}
	if _, ok, err := f.store.Contact(ctx, id); ok || err != nil {
		t.Errorf("profile still kept (%v)", err)
	}
	rec, err := f.store.Records(ctx, id)
	if err != nil || len(rec.Consent) != 0 || len(rec.Transcript) != 0 {
		t.Errorf("records after erasure: %+v, %v", rec, err)
	}
	if at, err := f.store.Suppressed(ctx, alice); err != nil || at.IsZero() {
		t.Errorf("suppressed at %v, %v: want the erasure time", at, err)
	}
	if got := f.say(t, alice, "halo"); !strings.Contains(got, "Halo Alice!") {
		t.Errorf("after erasure the bot said %q, want a fresh greeting", got)
	}
}

// TestShopPhoneHoldsTheChat: a person writing from the shop's phone
// makes the bot keep quiet until the customer asks for the menu.
func TestShopPhoneHoldsTheChat(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "halo")
	staff := care.Inbound{Address: alice, MessageID: "s1", Kind: care.KindStaff, Text: "Halo Bu, saya cek dulu ya"}
	if err := f.rt.Handle(context.Background(), staff); err != nil {
		t.Fatal(err)
	}
	if got := f.say(t, alice, "ok ditunggu"); got != "" {
		t.Errorf("the bot said %q while a person answers", got)
	}
	if got := f.say(t, alice, "menu"); !strings.Contains(got, "Ada yang bisa kami bantu, Kak?") {
		t.Errorf("MENU answered %q", got)
	}
}

// TestDeepLinks: the opt-in link asks the question; a plain start greets.
func TestDeepLinks(t *testing.T) {
	f := newFixture(t)
	tg := care.Address{Channel: care.Telegram, ID: "77"}
	for _, tt := range []struct{ start, want string }{
		{"promo", "mau menerima info promo"},
		{care.StartGreeting, "Selamat datang"},
		{"unknown", "Selamat datang"},
	} {
		f.now = f.now.Add(time.Minute)
		in := care.Inbound{Address: tg, MessageID: "d-" + tt.start, Kind: care.KindText, Text: "/start " + tt.start, Start: tt.start}
		if err := f.rt.Handle(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		if got := texts(f.drain(t)); !strings.Contains(got, tt.want) {
			t.Errorf("start %q answered %q, want %q", tt.start, got, tt.want)
		}
	}
}

// TestStaffAnswerIsNotConsent: when a person at the shop writes while
// the bot's opt-in question waits, the customer's "ya" answers the
// person, not the question.
func TestStaffAnswerIsNotConsent(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "halo", "promo")
	staff := care.Inbound{Address: alice, MessageID: "s1", Kind: care.KindStaff, Text: "Mau warna biru, Bu?"}
	if err := f.rt.Handle(context.Background(), staff); err != nil {
		t.Fatal(err)
	}
	if got := f.say(t, alice, "ya"); got != "" {
		t.Errorf("the bot answered %q while a person holds the chat", got)
	}
	if ledger, _ := f.store.Ledger(context.Background(), f.id(t, alice)); len(ledger) != 0 {
		t.Errorf("ledger %+v: the answer to a person became consent", ledger)
	}
}
