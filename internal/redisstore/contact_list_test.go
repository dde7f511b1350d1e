package redisstore

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

func TestListContacts(t *testing.T) {
	s, client, clk := inboxStore(t)
	people := []struct {
		name string
		addr care.Address
	}{
		{"Rina Wati", care.Address{Channel: care.WhatsApp, ID: "6281111111111"}},
		{"Budi", care.Address{Channel: care.Telegram, ID: "424242"}},
		{"Rudi", care.Address{Channel: care.WhatsApp, ID: "6285222222222"}},
		{"", care.Address{Channel: care.WhatsApp, ID: "6287333333333"}},
	}
	ids := map[string]care.ContactID{}
	for i, p := range people {
		clk.set(t0.Add(time.Duration(i) * time.Hour))
		id, err := s.Import(ctx, p.addr, care.Contact{Name: p.name})
		if err != nil {
			t.Fatal(err)
		}
		ids[p.addr.ID] = id
	}
	// Rina's Telegram is filed under her too: she is listed once.
	if _, err := s.Link(ctx, people[0].addr, care.Address{Channel: care.Telegram, ID: "777"}); err != nil {
		t.Fatal(err)
	}
	// Alice writes: she comes first.
	// (handed commits without resolving; the index learns her here.)
	aliceID := handed(t, s, alice, t0.Add(10*time.Hour))
	if err := client.HSet(ctx, s.index, alice.String(), string(aliceID)).Err(); err != nil {
		t.Fatal(err)
	}

	idsOf := func(cs []care.Contact) []care.ContactID {
		var out []care.ContactID
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	rina, budi, rudi, nameless := ids["6281111111111"], ids["424242"], ids["6285222222222"], ids["6287333333333"]
	tests := []struct {
		name  string
		q     care.ContactQuery
		want  []care.ContactID
		total int
	}{
		{name: "everyone", q: care.ContactQuery{Limit: 10}, want: []care.ContactID{aliceID, nameless, rudi, budi, rina}, total: 5},
		{name: "first page", q: care.ContactQuery{Limit: 2}, want: []care.ContactID{aliceID, nameless}, total: 5},
		{name: "last page", q: care.ContactQuery{Offset: 4, Limit: 2}, want: []care.ContactID{rina}, total: 5},
		{name: "past the end", q: care.ContactQuery{Offset: 9, Limit: 2}, total: 5},
		{name: "by name", q: care.ContactQuery{Search: "r", Limit: 10}, want: []care.ContactID{rudi, rina}, total: 2},
		{name: "by a word of the name", q: care.ContactQuery{Search: "Wati", Limit: 10}, want: []care.ContactID{rina}, total: 1},
		{name: "by a linked address", q: care.ContactQuery{Search: "telegram:7", Limit: 10}, want: []care.ContactID{rina}, total: 1},
		{name: "by a phone number as written", q: care.ContactQuery{Search: "0873", Limit: 10}, want: []care.ContactID{nameless}, total: 1},
		{name: "nobody", q: care.ContactQuery{Search: "zz", Limit: 10}, total: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := s.ListContacts(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := idsOf(page.Contacts); !slices.Equal(got, tt.want) || page.Total != tt.total || page.Capped {
				t.Errorf("got %v of %d (capped %t), want %v of %d", got, page.Total, page.Capped, tt.want, tt.total)
			}
		})
	}
	for _, q := range []care.ContactQuery{{Limit: 0}, {Limit: 501}, {Offset: -1, Limit: 5}} {
		if _, err := s.ListContacts(ctx, q); care.ErrorCode(err) != care.EInvalid {
			t.Errorf("ListContacts(%+v): %v, want EInvalid", q, err)
		}
	}
}

func TestContactNames(t *testing.T) {
	s, client, _ := inboxStore(t)
	rina, err := s.Import(ctx, care.Address{Channel: care.WhatsApp, ID: "6281111111111"}, care.Contact{Name: "Rina"})
	if err != nil {
		t.Fatal(err)
	}
	nameless, err := s.Import(ctx, care.Address{Channel: care.Telegram, ID: "424242"}, care.Contact{})
	if err != nil {
		t.Fatal(err)
	}
	// A stub a merge left behind points on to Rina.
	stub := care.NewContactID()
	if err := client.Set(ctx, s.key(stub, keyProfile), `3|{"id":"`+string(stub)+`","addresses":[],"merged_into":"`+string(rina)+`"}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	gone := care.NewContactID()
	got, err := s.ContactNames(ctx, []care.ContactID{rina, nameless, stub, gone, "not-an-id", rina})
	if err != nil {
		t.Fatal(err)
	}
	want := map[care.ContactID]string{rina: "Rina", nameless: "", stub: "Rina"}
	if !maps.Equal(got, want) {
		t.Errorf("ContactNames = %v, want %v", got, want)
	}
}
