package flow

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"MENU", "menu"},
		{"MENUUU!!", "menu"},
		{"bantuan   ?", "bantuan"},
		{"  Jam   Buka\n", "jam buka"},
		{"jam-buka", "jam buka"},
		{"1.", "1"},
		{"Produk & harga", "produk harga"},
		{"tolooooong 🙏🙏", "tolong"},
		{"halo kaaak", "halo kak"},
		{"aa bb", "aa bb"},     // two in a row stay
		{"Rp 1000", "rp 1000"}, // digits are not squeezed
		{"ÉCOLE", "école"},
		{"", ""},
		{"?!…", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKeyword(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for not a keyword
	}{
		{"HELP", "help"},
		{"help!", "help"},
		{"Bantuan", "help"},
		{"bantuan   ?", "help"},
		{"TOLONG", "help"},
		{"tolooong", "help"},
		{"MENU", "menu"},
		{"MENUUU!!", "menu"},
		{" menu. ", "menu"},
		{"tolong kirim ya", ""},
		{"saya butuh bantuan", ""},
		{"lihat menu", ""},
		{"menu utama", ""},
		{"menus", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := Keyword(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Keyword(%q) = %q, %t, want %q", tt.in, got, ok, tt.want)
		}
	}
}
