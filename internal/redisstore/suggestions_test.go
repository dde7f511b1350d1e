package redisstore

import (
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestSuggestions: suggestions are read from the events of the contacts
// the index names, the newest first; an index entry of a contact who is
// gone is tidied away, and a list of a size that makes no sense is
// refused.
func TestSuggestions(t *testing.T) {
	s, client := newStore(t)
	a, b := care.Address{Channel: care.WhatsApp, ID: "6281111"}, care.Address{Channel: care.Telegram, ID: "2222"}
	ida, idb := customer(t, s, a, "Sari", "id"), customer(t, s, b, "Budi", "id")
	suggest := func(id care.ContactID, addr care.Address, msg, text string, at time.Time) {
		t.Helper()
		c, _, err := s.Contact(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		mustCommit(t, s, care.Commit{Inbound: care.Inbound{Address: addr, MessageID: msg, Kind: care.KindText, Text: text, At: at},
			Session: care.Session{Version: c.Version, Updated: at}, Contact: c, SessionTTL: time.Hour,
			Events: []care.StaffEvent{{At: at, Action: care.ActionSuggested, By: care.ByCustomer, Reason: text}}})
		if err := s.Suggested(ctx, id, at); err != nil {
			t.Fatal(err)
		}
	}
	t1 := s.now()
	suggest(ida, a, "s1", "buka lebih pagi", t1)
	suggest(idb, b, "s2", "tambah sayur asem", t1.Add(time.Minute))
	suggest(ida, a, "s3", "kirim pakai tas kain", t1.Add(2*time.Minute))
	if err := s.Suggested(ctx, care.NewContactID(), t1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Suggestions(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, x := range got {
		texts = append(texts, x.Text)
	}
	if want := []string{"kirim pakai tas kain", "tambah sayur asem", "buka lebih pagi"}; len(texts) != 3 || texts[0] != want[0] || texts[1] != want[1] || texts[2] != want[2] {
		t.Errorf("suggestions %q, want %q", texts, want)
	}
	if n := client.ZCard(ctx, s.suggestionsKey()).Val(); n != 2 {
		t.Errorf("the index holds %d contacts, want the one gone tidied away", n)
	}
	for _, limit := range []int{0, maxSuggestionList + 1} {
		if _, err := s.Suggestions(ctx, limit); care.ErrorCode(err) != care.EInvalid {
			t.Errorf("a list of %d: %v", limit, err)
		}
	}
}
