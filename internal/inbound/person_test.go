package inbound

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestLIDThenPhoneIsOnePerson: WhatsApp shows a sender first by LID,
// later by phone number with the LID beside it. Both are one contact,
// one conversation, one consent.
func TestLIDThenPhoneIsOnePerson(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lid := care.Address{Channel: care.WhatsApp, ID: "lid-98765432101234"}
	f.say(t, lid, "halo", "mulai")
	if got := f.say(t, lid, "ya"); !strings.Contains(got, "Terima kasih") {
		t.Fatalf("opt-in answered %q", got)
	}
	byLID := f.id(t, lid)
	in := text(alice, "p1", "stop")
	in.Alias = lid
	if err := f.rt.Handle(ctx, in); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	if got := f.id(t, alice); got != byLID {
		t.Fatalf("the phone number is contact %s, the LID %s: want one person", got, byLID)
	}
	c, _, err := f.store.Contact(ctx, byLID)
	if err != nil || !c.Has(alice) || !c.Has(lid) || c.Consents(care.Promotions) {
		t.Errorf("profile %+v, %v: want both addresses and the STOP", c, err)
	}
}

// TestAddressesOfTwoContactsMerge: a Telegram contact and a WhatsApp
// contact turn out to be one person (the platform reveals it); the
// runtime schedules the merge and the person's STOP covers both.
func TestAddressesOfTwoContactsMerge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tg := care.Address{Channel: care.Telegram, ID: "777"}
	f.say(t, tg, "halo", "mulai", "ya")
	f.say(t, alice, "halo")
	tgID := f.id(t, tg)
	in := text(alice, "p1", "stop")
	in.Alias = tg
	if err := f.rt.Handle(ctx, in); err != nil {
		t.Fatal(err)
	}
	if n, err := f.store.Sweep(ctx, nil); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v; want the merge done", n, err)
	}
	if f.id(t, tg) != f.id(t, alice) {
		t.Fatalf("after the merge Telegram is %s and WhatsApp %s", f.id(t, tg), f.id(t, alice))
	}
	c, _, err := f.store.Contact(ctx, tgID)
	if err != nil || c.Consents(care.Promotions) || !c.Has(tg) {
		t.Errorf("the person %+v, %v: want the STOP on WhatsApp to cover Telegram", c, err)
	}
	// The runtime's remembered id for the Telegram chat is stale now: the
	// next message still lands on the person.
	if got := f.say(t, tg, "menu"); got == "" {
		t.Fatal("no answer after the merge")
	}
	if n, _ := f.store.Sweep(ctx, nil); n != 0 {
		t.Errorf("another merge after the first")
	}
}

// TestPoisonMessageIsDeadLettered: a record that cannot be read makes
// the message fail a few times, then it is dead-lettered and
// acknowledged: the channel's polling moves on.
func TestPoisonMessageIsDeadLettered(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.say(t, alice, "halo")
	id := f.id(t, alice)
	client, prefix := f.client, f.prefix
	if err := client.Set(ctx, prefix+":{c:"+string(id)+"}:s", "not a session", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := f.rt.Handle(ctx, text(alice, "poison", "menu")); err != nil {
		t.Fatalf("Handle of a message that cannot be processed = %v, want it dead-lettered and acknowledged", err)
	}
	dead, err := f.store.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].Error, "does not decode") {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
	// Other contacts are not held up.
	if got := f.say(t, care.Address{Channel: care.Telegram, ID: "9"}, "halo"); got == "" {
		t.Error("another contact got no answer")
	}
}

// TestUnavailableMeansNotStored pauses Redis's writes while a message
// is handled with a deadline: the caller hears "unavailable" and, once
// Redis resumes, the message was not stored, so a resend is processed
// once, not twice.
func TestUnavailableMeansNotStored(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.say(t, alice, "halo")
	id := f.id(t, alice)
	if err := f.client.Do(ctx, "CLIENT", "PAUSE", "3000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	err := f.rt.Handle(short, text(alice, "during-pause", "menu"))
	cancel()
	if care.ErrorCode(err) != care.EUnavailable {
		t.Fatalf("Handle while Redis is paused = %v, want unavailable", err)
	}
	if err := f.client.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // what Redis held runs now
	conv, err := f.store.Load(ctx, id, "during-pause")
	if err != nil {
		t.Fatal(err)
	}
	if conv.Seen {
		t.Fatal("a message answered 503 was stored once Redis resumed")
	}
	if err := f.rt.Handle(ctx, text(alice, "during-pause", "menu")); err != nil {
		t.Fatal(err)
	}
	if conv, _ := f.store.Load(ctx, id, "during-pause"); !conv.Seen || conv.Session.Version != 2 {
		t.Errorf("after the resend: %+v, want it stored once", conv)
	}
}
