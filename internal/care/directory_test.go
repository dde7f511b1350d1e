package care

import "testing"

func TestContactMatches(t *testing.T) {
	c := Contact{Name: "Rina Wati", Addresses: []Address{{Channel: WhatsApp, ID: "6281234567890"}, {Channel: Telegram, ID: "987654"}}}
	tests := []struct {
		search string
		want   bool
	}{
		{"", true},
		{"rin", true},
		{"RINA W", true},
		{"wati", true},
		{"ina", false},
		{"62812", true},
		{"+62812", true},
		{"0812", true},
		{"0", false},
		{"whatsapp:6281", true},
		{"telegram:98", true},
		{"98765", true},
		{"telegram:62", false},
		{"81234", false},
	}
	for _, tt := range tests {
		if got := c.Matches(tt.search); got != tt.want {
			t.Errorf("Matches(%q) = %t, want %t", tt.search, got, tt.want)
		}
	}
}
