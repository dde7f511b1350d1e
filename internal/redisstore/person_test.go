package redisstore

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

var (
	lid   = care.Address{Channel: care.WhatsApp, ID: "lid-123456789012345"}
	phone = care.Address{Channel: care.WhatsApp, ID: "6281234500001"}
	tgID  = care.Address{Channel: care.Telegram, ID: "5550001"}
)

func resolve(t *testing.T, s *Store, r care.ResolveRequest) care.Resolution {
	t.Helper()
	res, err := s.Resolve(ctx, []care.ResolveRequest{r})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func TestResolve(t *testing.T) {
	s, _ := newStore(t)
	first := resolve(t, s, care.ResolveRequest{Address: lid})
	if !first.New || first.Contact.Validate() != nil {
		t.Fatalf("first sight = %+v, want a new contact", first)
	}
	if again := resolve(t, s, care.ResolveRequest{Address: lid}); again.New || again.Contact != first.Contact {
		t.Fatalf("second sight = %+v, want the same contact", again)
	}
	// The LID's phone number becomes known: the same contact.
	byPhone := resolve(t, s, care.ResolveRequest{Address: phone, Alias: lid})
	if byPhone.New || byPhone.Contact != first.Contact || byPhone.Other != "" {
		t.Fatalf("phone with the LID as alias = %+v, want contact %s", byPhone, first.Contact)
	}
	if id, ok, _ := s.Lookup(ctx, phone); !ok || id != first.Contact {
		t.Fatalf("the phone number is filed under %s, want %s", id, first.Contact)
	}
	// Two contacts seen apart, then revealed as one: a merge is due.
	other := resolve(t, s, care.ResolveRequest{Address: tgID})
	both := resolve(t, s, care.ResolveRequest{Address: phone, Alias: tgID})
	if both.Contact != first.Contact || both.Other != other.Contact {
		t.Fatalf("resolution %+v, want %s with %s to merge", both, first.Contact, other.Contact)
	}
	// An erasing contact's address gets a new contact.
	fresh := resolve(t, s, care.ResolveRequest{Address: lid, Replace: first.Contact})
	if !fresh.New || fresh.Contact == first.Contact {
		t.Fatalf("address of an erasing contact = %+v, want a new contact", fresh)
	}
}

// person gives each address a contact with a session, a consent event, a
// transcript line and a queued message, the way conversations would.
func person(t *testing.T, s *Store, a care.Address, granted bool, at time.Time) care.ContactID {
	t.Helper()
	id := resolve(t, s, care.ResolveRequest{Address: a}).Contact
	c := care.Commit{
		Inbound:    care.Inbound{Address: a, MessageID: "m-" + a.ID, Kind: care.KindText, Text: "halo dari " + string(a.Channel)},
		Session:    care.Session{Flow: "menu", Step: "start"},
		Contact:    care.Contact{ID: id, Addresses: []care.Address{a}, Name: "Sari", FirstSeen: at, LastInbound: at, LastInboundOn: map[care.Channel]time.Time{a.Channel: at}, Tags: []string{"langganan", string(a.Channel)}},
		Consent:    []care.ConsentEvent{{Purpose: care.Promotions, Granted: granted, At: at, Channel: a.Channel, Source: care.SourceKeyword}},
		Outbound:   []care.Outbound{{ID: "o-" + a.ID, Contact: id, Address: a, Class: care.Reply, Text: "balasan", Created: at}},
		Transcript: time.Hour,
	}
	c.Contact = c.Contact.Apply(c.Consent[0])
	if a.Channel == care.Telegram {
		// On Telegram the person asked for staff, and staff noted it.
		c.Contact.Handover = care.Handover{State: care.StateWaiting, Since: at, Until: at.Add(time.Hour)}
		c.Events = []care.StaffEvent{{At: at, Action: care.ActionHandedOver, By: care.ByMitra}}
	}
	mustCommit(t, s, c)
	if a.Channel == care.Telegram {
		if _, err := s.Note(ctx, id, "rina", "asked on Telegram"); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func TestMergeIsOnePerson(t *testing.T) {
	s, _ := newStore(t)
	wa := person(t, s, phone, true, t0)                  // said YA on WhatsApp
	tg := person(t, s, tgID, false, t0.Add(time.Minute)) // then STOP on Telegram
	if _, err := s.Link(ctx, phone, tgID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Sweep(ctx, nil); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
	checkMerged(t, s, wa, tg)
}

// checkMerged checks that tg's records are wa's now: one person whose
// later STOP holds on both channels.
func checkMerged(t *testing.T, s *Store, wa, tg care.ContactID) {
	t.Helper()
	for _, a := range []care.Address{phone, tgID} {
		if id, ok, _ := s.Lookup(ctx, a); !ok || id != wa {
			t.Errorf("%s is filed under %s, want %s", a, id, wa)
		}
	}
	c, ok, err := s.Contact(ctx, tg) // the stub points on
	if err != nil || !ok || c.ID != wa {
		t.Fatalf("contact %s = %+v, %v; want the person %s", tg, c, err, wa)
	}
	if !c.Has(phone) || !c.Has(tgID) || c.Consents(care.Promotions) {
		t.Errorf("merged profile %+v: want both addresses and the later STOP", c)
	}
	ledger, err := s.Ledger(ctx, wa)
	if err != nil || len(ledger) != 2 {
		t.Errorf("merged ledger %v, %v; want both events", ledger, err)
	}
	rec, err := s.Records(ctx, wa)
	if err != nil || len(rec.Transcript) != 4 {
		t.Errorf("merged transcript %v, %v; want both conversations", rec.Transcript, err)
	}
	if !slices.Equal(c.Tags, []string{"langganan", "whatsapp", "telegram"}) {
		t.Errorf("merged tags %v: want both contacts', once each", c.Tags)
	}
	if c.Handover.State != care.StateWaiting {
		t.Errorf("merged handover %+v: want the person waiting for staff, as on Telegram", c.Handover)
	}
	tl, err := s.Timeline(ctx, wa, "rina")
	if err != nil || len(tl.Notes) != 1 || len(tl.Events) != 1 {
		t.Errorf("merged notes %v and events %v, %v; want Telegram's once", tl.Notes, tl.Events, err)
	}
	if es, err := s.Conversations(ctx, care.InboxWaiting, 10); err != nil || len(es) != 1 || es[0].Contact != wa {
		t.Errorf("waiting %+v, %v; want the person alone", es, err)
	}
	// A merge run again may queue a moved message twice; Take lets one
	// entry send it.
	mine := map[string]bool{}
	for _, d := range mustNext(t, s, "w", 100) {
		if d.Contact == wa {
			mine[d.ID] = true
		}
	}
	if len(mine) != 2 {
		t.Errorf("%d queued messages under the person, want both", len(mine))
	}
}

// TestMergeSurvivesACrashAtEachStep stops the merge job at each step,
// as a dying process would, and runs it again after its claim lapsed.
func TestMergeSurvivesACrashAtEachStep(t *testing.T) {
	for _, crash := range []JobStep{StepMergeData, StepMergeIndex, StepMergeQueue, StepMergeStub} {
		t.Run(string(crash), func(t *testing.T) {
			now := time.Now()
			var mu sync.Mutex
			s, _ := newStore(t, WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
			wa := person(t, s, phone, true, t0)
			tg := person(t, s, tgID, false, t0.Add(time.Minute))
			if _, err := s.Link(ctx, phone, tgID); err != nil {
				t.Fatal(err)
			}
			died := errors.New("process died")
			if _, err := s.sweep(ctx, nil, func(step JobStep) error {
				if step == crash {
					return died
				}
				return nil
			}); !errors.Is(err, died) {
				t.Fatalf("the merge did not stop at %s: %v", crash, err)
			}
			mu.Lock()
			now = now.Add(2 * jobLease)
			mu.Unlock()
			if n, err := s.Sweep(ctx, nil); n != 1 || err != nil {
				t.Fatalf("restart: Sweep = %d, %v", n, err)
			}
			checkMerged(t, s, wa, tg)
		})
	}
}

// TestProfileWritesNeverLoseEachOther: many writers change one profile at
// once (staff, the sender marking a channel, links, a conversation step)
// and every change lands.
func TestProfileWritesNeverLoseEachOther(t *testing.T) {
	s, _ := newStore(t)
	id, err := s.Import(ctx, phone, care.Contact{})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 20
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, err := s.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
				c.Name += string(rune('a' + i))
				return c, nil, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Go(func() {
		if err := s.MarkUnreachable(ctx, id, care.Telegram, "blocked"); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	c, _, err := s.Contact(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Name) != writers || c.Unreachable[care.Telegram] != "blocked" {
		t.Errorf("profile after concurrent writes: name %q, unreachable %v; want all %d changes and the mark", c.Name, c.Unreachable, writers)
	}
	// A conversation step read before those writes is refused, not
	// written over them.
	stale := step(phone, "late", 0)
	stale.Contact.ID, stale.Contact.Version = id, 1
	for i := range stale.Outbound {
		stale.Outbound[i].Contact = id
	}
	if err := s.Commit(ctx, stale); !errors.Is(err, care.ErrConflict) {
		t.Errorf("a step over a stale profile = %v, want a conflict", err)
	}
	// Nothing revives an erased or unknown contact.
	if err := s.MarkUnreachable(ctx, care.NewContactID(), care.Telegram, "blocked"); err != nil {
		t.Errorf("marking an unknown contact = %v, want nothing done", err)
	}
	if _, err := s.UpdateContact(ctx, care.NewContactID(), func(c care.Contact) (care.Contact, []care.ConsentEvent, error) { return c, nil, nil }); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("updating an unknown contact = %v, want not found", err)
	}
}

// TestLinkANewAddress: linking an address never seen files it under the
// person, and the profile lists it.
func TestLinkANewAddress(t *testing.T) {
	s, _ := newStore(t)
	id, err := s.Import(ctx, phone, care.Contact{Name: "Budi"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Link(ctx, phone, tgID); err != nil || got != id {
		t.Fatalf("Link = %s, %v; want %s", got, err, id)
	}
	c, _, err := s.Contact(ctx, id)
	if err != nil || !c.Has(tgID) || !c.Has(phone) {
		t.Errorf("profile %+v, %v: want both addresses", c, err)
	}
	if got, ok, _ := s.Lookup(ctx, tgID); !ok || got != id {
		t.Errorf("the linked address is filed under %s, want %s", got, id)
	}
}
