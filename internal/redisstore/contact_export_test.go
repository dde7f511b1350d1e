package redisstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestEachContact walks an index too big to come in one HSCAN reply, in
// small batches: every live person comes once, whatever their addresses.
func TestEachContact(t *testing.T) {
	s, client := newStore(t)
	const people = 150
	want := map[care.ContactID]bool{}
	var first []care.ContactID
	for i := range people {
		a := care.Address{Channel: care.WhatsApp, ID: fmt.Sprintf("62811%08d", i)}
		id, err := s.Import(ctx, a, care.Contact{})
		if err != nil {
			t.Fatal(err)
		}
		want[id] = true
		first = append(first, id)
		if i%10 == 0 { // a Telegram chat of the same person
			if _, err := s.Link(ctx, a, care.Address{Channel: care.Telegram, ID: fmt.Sprint(1000 + i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Two contacts found to be one person: until the merge is done both
	// stand, then the one they merged into.
	other, err := s.Import(ctx, care.Address{Channel: care.Telegram, ID: "777"}, care.Contact{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Link(ctx, care.Address{Channel: care.WhatsApp, ID: "6281100000001"}, care.Address{Channel: care.Telegram, ID: "777"}); err != nil {
		t.Fatal(err)
	}
	// A person whose first address the index files elsewhere is given at
	// the next one.
	if err := client.HSet(ctx, s.index, care.Address{Channel: care.WhatsApp, ID: "6281100000020"}.String(), string(care.NewContactID())).Err(); err != nil {
		t.Fatal(err)
	}
	// A person erasing their data is not given.
	erasing := care.Address{Channel: care.WhatsApp, ID: "6281100000149"}
	stub, _, err := s.Contact(ctx, first[149])
	if err != nil {
		t.Fatal(err)
	}
	stub.Erasing = time.Now()
	mustCommit(t, s, care.Commit{Inbound: care.Inbound{Address: erasing, MessageID: "erase", Kind: care.KindText, Text: "YA", At: time.Now()},
		Contact: stub, Erase: true, SessionTTL: time.Hour})
	delete(want, first[149])

	// Entries whose profile is gone (a crash mid-erasure) give nobody;
	// they also make the index big enough that HSCAN pages through it.
	for i := range 600 {
		a := care.Address{Channel: care.Telegram, ID: fmt.Sprint(900000 + i)}
		if err := client.HSet(ctx, s.index, a.String(), string(care.NewContactID())).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if enc := client.ObjectEncoding(ctx, s.index).Val(); enc != "hashtable" {
		t.Fatalf("the index is a %s, want a hashtable that HSCAN pages through", enc)
	}

	walk := func() map[care.ContactID]int {
		t.Helper()
		got := map[care.ContactID]int{}
		err := s.eachContact(ctx, 7, func(c care.Contact) error {
			got[c.ID]++
			if !c.Live() || len(c.Addresses) == 0 {
				t.Errorf("given %+v, want a live contact", c)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	check := func(when string, want map[care.ContactID]bool) {
		t.Helper()
		got := walk()
		for id, n := range got {
			if n != 1 || !want[id] {
				t.Errorf("%s: %s given %d times, want %d", when, id, n, map[bool]int{true: 1}[want[id]])
			}
		}
		for id := range want {
			if got[id] == 0 {
				t.Errorf("%s: %s not given", when, id)
			}
		}
	}
	want[other] = true
	check("before the merge", want)
	if _, err := s.Sweep(ctx, nil); err != nil {
		t.Fatal(err)
	}
	delete(want, other)
	check("after the merge", want)
}
