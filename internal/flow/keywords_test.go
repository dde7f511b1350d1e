package flow

import "testing"

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
		// Opting out: the whole message, however it is typed.
		{"STOP", "stop"},
		{"stop", "stop"},
		{"STOPPP!!", "stop"},
		{"Stop.", "stop"},
		{"  s t o p  ", ""},
		{"BERHENTI", "stop"},
		{"berhentiii 🙏", "stop"},
		{"UNSUBSCRIBE", "stop"},
		{"stop promo", "stop"},
		{"STOP   PROMO!!!", "stop"},
		{"berhenti promo", "stop"},
		{"Jangan kirim lagi", "stop"},
		{"jangan kirim lagi!!", "stop"},
		{"don't send me messages", "stop"},
		{"DONT SEND ME MESSAGES", "stop"},
		{"opt out", "stop"},
		{"stop promotions", "stop"},
		// Sentences that merely contain a stop word are not opt-outs.
		{"jangan stop dulu ya", ""},
		{"stop dulu deh kirimnya besok", ""},
		{"bus stop dekat toko", ""},
		{"kapan tokonya berhenti buka?", ""},
		{"stop kontak listrik ada?", ""},
		{"jangan kirim lagi yang kemarin, salah ukuran", ""},
		{"please don't stop", ""},
		{"stopwatch", ""},
		{"nonstop", ""},
		// Coming back is a question, never a silent re-subscribe.
		{"START", "start"},
		{"mulai", "start"},
		{"mulaiii!", "start"},
		{"mulai masak jam berapa?", ""},
		// Their data.
		{"DATA SAYA", "my_data"},
		{"my data", "my_data"},
		{"data saya salah", ""},
		{"HAPUS DATA", "erase"},
		{"Delete my data!", "erase"},
		{"hapus data pesanan kemarin", ""},
	}
	for _, tt := range tests {
		got, ok := Keyword(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Keyword(%q) = %q, %t, want %q", tt.in, got, ok, tt.want)
		}
	}
}
