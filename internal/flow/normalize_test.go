package flow

import (
	"slices"
	"strings"
	"testing"
)

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
		{"stoppp", "stop"},
		{"STOPP", "stopp"},
		{"makasihhh", "makasih"},
		{"", ""},
		{"?!…", ""},
		{"menu", "menu"},
		// Full-width and styled letters are plain ones (NFKC).
		{"ＳＴＯＰ", "stop"},
		{"ｍｅｎｕ　１", "menu 1"},
		{"𝐒𝐓𝐎𝐏", "stop"},
		{"ﬁle", "file"},
		{"①", "1"},
		// Invisible characters go without leaving a space.
		{"S\u200bT\u200bO\u200bP", "stop"},
		{"st\u200cop\u200d", "stop"},
		{"\ufeffmenu", "menu"},
		{"me\u00adnu", "menu"},
		{"st\u2060op", "stop"},
		{"stop\ufe0f", "stop"},
		{"\u3164stop", "stop"},
		// Accents are dropped.
		{"ÉCOLE", "ecole"},
		{"café", "cafe"},
		{"cafe\u0301", "cafe"},
		{"Ñandú", "nandu"},
		// Emoji and symbols separate words.
		{"stop👋promo", "stop promo"},
		{"❤️❤️ makasih", "makasih"},
		{"1️⃣", "1"},
		{"👍🏽", ""},
		{"ok\u00a0kak", "ok kak"},
		// Other scripts stay whole.
		{"안녕하세요", "안녕하세요"},
		{"СТОП", "стоп"},
		{"مرحبا", "مرحبا"},
		{"ストップ", "ストップ"},
		{"नमस्ते", "नमस्ते"},
		{"Ёлка", "елка"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, in := range []string{"STOPPP!!", "ＳＴＯＰ", "café ☕ kak", "S\u200bT\u200bO\u200bP", "aaa bbb", "안녕하세요"} {
		once := Normalize(in)
		if twice := Normalize(once); twice != once {
			t.Errorf("Normalize(Normalize(%q)) = %q, want %q", in, twice, once)
		}
	}
}

func TestWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"🙏", ""},
		{"stop dong", "stop"},
		{"STOP!!!", "stop"},
		{"gw ga mau promonya lg kak", "saya tidak mau promo lagi"},
		{"nggak mau promo lagi", "tidak mau promo lagi"},
		{"enggak", "tidak"},
		{"brp harganya kak?", "berapa harga"},
		{"jgn kirim lg yaa", "jangan kirim lagi"},
		{"udh transfer blm dikirim", "sudah transfer belum dikirim"},
		{"dimana tokonya", "di mana toko"},
		{"gmn cara pesen", "bagaimana cara pesan"},
		{"makasihhh kak", "makasih"},
		{"terima kasih kak", "makasih"},
		{"thank you", "makasih"},
		{"thx", "makasih"},
		{"Don't send me messages", "dont send me messages"},
		{"I can't", "i cant"},
		{"that's enough", "that enough"},
		{"I'm done", "i done"},
		{"let's go", "let go"},
		{"baju ukuran m", "baju ukuran m"}, // a size, not "I'm"
		{"vitamin d", "vitamin d"},
		{"promo nya ga usah", "promo tidak usah"},
		{"gamau", "tidak mau"},
		{"jangan kirim apa2 lagi", "jangan kirim apa apa lagi"},
		{"ga usah chat2 lagi", "tidak usah chat chat lagi"},
		{"bisa2", "bisa"},
		{"kirimin dong", "kirimi"},
		// The suffix -nya.
		{"broadcastnya", "broadcast"},
		{"semuanya berapa", "semua berapa"},
		{"nomornya berapa", "nomor berapa"},
		{"brgnya udah sampe", "barang sudah sampai"}, // the rest is a chat spelling
		{"kayaknya enak", "seperti enak"},
		{"ongkirnyaa", "ongkir"},
		{"apa2nya", "apa apa"},
		{"sekilonya", "1 kilo"},
		{"punya", "punya"}, // too short to be a suffix
		{"hanya satu", "hanya 1"},
		{"mau tanya", "mau tanya"},
		{"boleh bertanya", "boleh bertanya"},
		{"nya", "nya"},
		// Numbers.
		{"2kg", "2 kg"},
		{"ST0P", "stop"},
		{"pr0mo 10kg", "promo 10 kg"},
		{"100", "100"},
		{"20rb", "20 rb"},
		{"pesan dua", "pesan 2"},
		{"dua belas", "12"},
		{"dua puluh", "20"},
		{"dua puluh lima", "25"},
		{"seratus dua puluh tiga", "123"},
		{"sepuluh", "10"},
		{"sebelas", "11"},
		{"tiga ratus ribu", "300000"},
		{"seribu lima ratus", "1500"},
		{"dua lima", "2 5"},
		{"nol", "0"},
		{"satu", "1"},
		{"setengah kilo", "0.5 kilo"},
		{"sekilo", "1 kilo"},
		{"sebungkus", "1 bungkus"},
		{"sekali", "sekali"},
		{"semua", "semua"},
		{"sepak bola", "sepak bola"},
		{"beli sekilo dua", "beli 1 kilo 2"},
		{"one", "1"},
		{"twelve", "12"},
		{"twenty", "20"},
		{"twenty five", "25"},
		{"puluhan ribu", "puluhan ribu"},
		{"ribu", "ribu"},
		// Particles go; meaningful words stay.
		{"ya", "ya"},
		{"yaa", "ya"},
		{"kak", "kak"},
		{"ok kak", "ok"},
		{"halo min", "halo"},
		{"iya kak", "iya"},
		{"ya kak stop", "stop"},
		{"stop aja", "stop saja"},
		{"bisa ngobrol sama admin", "bisa ngobrol sama admin"},
		{"tolong", "tolong"},
		{"please stop", "stop"},
		{"stop pls", "stop"},
		{"wkwkwk iya", "iya"},
		{"ＳＴＯＰ ｄｏｎｇ", "stop"},
		{"stopp", "stopp"},
	}
	for _, tt := range tests {
		got := strings.Join(Words(tt.in), " ")
		if got != tt.want {
			t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDictionary(t *testing.T) {
	if len(dictionary) < 120 {
		t.Errorf("dictionary has %d entries, want at least 120", len(dictionary))
	}
	for from, to := range dictionary {
		if len(to) == 0 {
			t.Errorf("%q maps to nothing", from)
		}
		for _, w := range to {
			if w == from {
				t.Errorf("%q maps to itself", from)
			}
			if next, ok := dictionary[w]; ok {
				t.Errorf("chain: %q maps to %q, which maps to %q", from, w, next)
			}
		}
		if particles[from] {
			t.Errorf("%q is both a particle and a dictionary entry", from)
		}
		if _, ok := numberWords[from]; ok {
			t.Errorf("%q is both a number word and a dictionary entry", from)
		}
	}
}

func TestParseDictionary(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string][]string
		wantErr string
	}{
		{in: "# only a comment\n\n", want: map[string][]string{}},
		{in: "gak tidak\ndimana di mana # two words\n", want: map[string][]string{"gak": {"tidak"}, "dimana": {"di", "mana"}}},
		{in: "gak\n", wantErr: "line 1"},
		{in: "gak tidak\ngak bukan\n", wantErr: "line 2: \"gak\" is already mapped"},
		{in: "Gak tidak\n", wantErr: "not normalized"},
	}
	for _, tt := range tests {
		got, err := parseDictionary(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseDictionary(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("parseDictionary(%q): %v", tt.in, err)
		case len(got) != len(tt.want):
			t.Errorf("parseDictionary(%q) = %v, want %v", tt.in, got, tt.want)
		default:
			for k, v := range tt.want {
				if !slices.Equal(got[k], v) {
					t.Errorf("parseDictionary(%q)[%q] = %q, want %q", tt.in, k, got[k], v)
				}
			}
		}
	}
}

// TestNormalizeASCIINoAlloc guards the fast path: a message already in
// normal form costs no allocation.
func TestNormalizeASCIINoAlloc(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Normalize("stop kirim promo lagi") }); n != 0 {
		t.Errorf("Normalize of a normalized message allocates %v times, want 0", n)
	}
}

// benchMessage is a typical 40-byte message.
const benchMessage = "Kak, tolong STOP kirim promonya ya!! 🙏"

func BenchmarkNormalize(b *testing.B) {
	for _, bm := range []struct{ name, text string }{
		{"ascii", "Kak, tolong STOP kirim promonya ya!!!!"},
		{"normalized", "kak tolong stop kirim promonya ya"},
		{"emoji", benchMessage},
		{"fullwidth", "ＳＴＯＰ ｋｉｒｉｍ ｐｒｏｍｏ"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Normalize(bm.text)
			}
		})
	}
}

func BenchmarkWords(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Words("Kak, gw ga mau promonya lg, stop kirim dua kali ya!!!")
	}
}
