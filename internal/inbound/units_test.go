package inbound

import (
	"strings"
	"testing"
)

// TestGuidedEnglishUnits follows the guided path in English: the lists,
// the question of how much and the rekap show each category and unit by
// its English word, never the Indonesian one.
func TestGuidedEnglishUnits(t *testing.T) {
	f := newFixture(t)
	f.say(t, alice, "english please")
	steps := []struct{ say, want, not string }{
		{"how to order", "Pick a category 🛒\n1. Groceries\n2. Vegetables\n3. Soy foods", "Sayur"},
		{"2", "Vegetables:\n1. Spinach — Rp5,000/bunch", "ikat"},
		{"1", "How many bunches of Spinach would you like?", "ikat"},
		{"2", "Spinach 2 bunches × Rp5,000", "ikat"},
	}
	for _, s := range steps {
		got := f.say(t, alice, s.say)
		if !strings.Contains(got, s.want) || s.not != "" && strings.Contains(got, s.not) {
			t.Fatalf("after %q the bot said\n%s\nwant %q, and no %q", s.say, got, s.want, s.not)
		}
	}
	f.say(t, alice, "cancel")
	got := f.say(t, alice, "I'd like one pan of lapis legit, I'll pick it up")
	for _, want := range []string{"Lapis legit layer cake 1 cake × Rp350,000", "Lapis legit layer cake: 29 cakes left, ready 24 Dec"} {
		if !strings.Contains(got, want) || strings.Contains(got, "loyang") {
			t.Errorf("a pre-order in English: the bot said\n%s\nwant %q, and no loyang", got, want)
		}
	}
}
