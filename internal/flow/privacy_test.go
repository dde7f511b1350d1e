package flow

import "testing"

// privacyCase is a message and what Privacy must make of it: a keyword,
// "" for none, or a keyword and "?" when it must ask ("stop?").
type privacyCase struct{ in, want string }

// checkPrivacy runs Privacy on the Words of each message.
func checkPrivacy(t *testing.T, tests []privacyCase) {
	t.Helper()
	for _, tt := range tests {
		in := Privacy(Words(tt.in))
		got := in.Keyword
		if in.Unsure {
			got += "?"
		}
		if got != tt.want {
			t.Errorf("Privacy(%q) = %q (%s), want %q; words %q", tt.in, got, in.Why, tt.want, Words(tt.in))
		}
		if in.Keyword != "" && in.Why == "" {
			t.Errorf("Privacy(%q) = %q with no reason", tt.in, in.Keyword)
		}
	}
}

func TestPrivacyOptOut(t *testing.T) {
	var tests []privacyCase
	for _, in := range []string{
		// Bare, however it is typed.
		"stop",
		"STOP",
		"STOP!!!",
		"STOPP",
		"stopp",
		"STOPPP",
		"ＳＴＯＰ",
		"S\u200bT\u200bO\u200bP",
		"stop dong",
		"tolong stop",
		"stop aja",
		"stop kak",
		"min stop ya",
		"please stop",
		"stop please",
		"stop stop stop",
		"stop sekarang",
		"udah stop aja",
		"berhenti",
		"BERHENTI",
		"berhentiii 🙏",
		"UNREG",
		"unreg",
		"unsubscribe",
		"UNSUBSCRIBE",
		"ｕｎｓｕｂｓｃｒｉｂｅ",
		"unsub",
		"optout",
		"opt out",
		"opt-out",
		// Typos.
		"stpo",
		"sotp",
		"berhneti",
		"berhenit",
		"unsubscibe",
		"unsubcribe",
		"unrge",
		// Stop what.
		"stop kirim promo",
		"stop promo",
		"STOP PROMO!!!",
		"stop promosi",
		"stop kirim pesan",
		"stop kirim2 pesan",
		"stop pesan",
		"stop chat",
		"stop broadcast",
		"stop bc",
		"stop spam",
		"stop spam saya",
		"stop langganan",
		"stop wa promo",
		"stop promo dulu",
		"stop kirim",
		"berhenti promo",
		"berhenti kirim pesan",
		"berhenti mengirim pesan",
		"berhenti kirim broadcast",
		"berhenti kirim promo ya kak",
		"berhenti berlangganan",
		"berhenti langganan",
		"saya mau berhenti berlangganan",
		"kak tolong stop kirim promo",
		"udah stop aja kirim promonya",
		"hentikan promo",
		"hentikan pengiriman promo",
		"unreg promo",
		"saya mau unsubscribe",
		"saya sudah unreg tapi masih dapat promo",
		"stop dong min, ganggu",
		"STOP!!! ganggu banget",
		"stop!! I said stop",
		"ok stop",
		"berhenti promosi",
		"berhenti kirim",
		"berhenti kirim promo",
		"berhenti pesan",
		"berhenti chat",
		"berhenti broadcast",
		"berhenti bc",
		"berhenti spam",
		"mau berhenti langganan",
		"tolong stop kirim broadcast ke saya",
		"berhenti kirim promo ke nomor ini",
		// Not wanting them.
		"ga mau promo lagi",
		"nggak mau promo lagi",
		"gak mau promo lagi",
		"tidak mau promo",
		"tidak mau dikirimi promo lagi",
		"tidak mau dikirimi lagi",
		"gak mau terima promo lagi",
		"nggak mau dapat promo lagi",
		"gw ga mau dapet promo lg",
		"saya tidak mau terima promo lagi",
		"saya tidak mau menerima promo lagi",
		"saya tidak mau terima pesan lagi",
		"nggak mau di-chat lagi",
		"saya tidak mau berlangganan",
		"ogah promo",
		"tidak mau promo lagi",
		"tidak mau dikirimi",
		"tidak mau terima promo",
		"tidak mau terima promo lagi",
		"tidak mau dapat promo",
		"tidak mau dapat promo lagi",
		"aku ga mau lagi dapet promo",
		"saya tdk mau menerima pesan promosi lagi",
		"ga mau diganggu",
		// Don't send.
		"jangan kirim promo",
		"jangan kirim promo lagi",
		"jangan kirim pesan lagi",
		"jgn kirim chat lagi",
		"jangan kirim lagi",
		"jangan kirim lagi!!",
		"jangan kirim apa apa lagi",
		"jangan kirim apa2 lagi",
		"jangan kirimi saya promo lagi",
		"jangan spam lagi",
		"jangan spam",
		"jangan chat saya lagi",
		"jangan hubungi saya lagi",
		"jangan ganggu saya",
		"tidak usah kirim promo lagi",
		"gak usah kirim promo lagi",
		"ngga usah kirim2 promo lagi",
		"ga usah chat2 lagi",
		"gausah kirim promo lagi",
		"cukup, jangan kirim promo lagi",
		"jangan kirim promo lagi, stop!",
		"jangan kirim pesan",
		"jangan kirim chat",
		"jangan kirim apa apa",
		"jangan kirim promo ke nomor ini lagi",
		"jangan wa saya lagi",
		"jgn bc lg",
		"udah ga usah kirim2 lagi",
		"mohon tidak mengirim promo lagi",
		"mohon jangan mengirimkan promosi lagi",
		// Off the list.
		"hapus saya dari daftar promo",
		"hapus saya dari daftar",
		"hapus nomor saya dari daftar promo",
		"keluarkan saya dari daftar",
		"keluarkan saya dari list",
		"keluarkan saya dari grup broadcast",
		// Enough.
		"cukup promonya",
		"sudah cukup promonya",
		// English.
		"stop sending",
		"stop sending me messages",
		"stop messaging me",
		"stop texting me",
		"stop spamming me",
		"stop the messages",
		"stop all messages",
		"stop promotions",
		"pls stop sending me promos",
		"no more messages",
		"no more promos",
		"no more promotions",
		"no more spam please",
		"don't send me messages",
		"don't send me",
		"dont send me",
		"do not send me",
		"do not message me",
		"don't text me",
		"dont text me",
		"stop calling me",
		"I want to stop receiving messages",
		"i'd like to unsubscribe please",
		"can you please take me off your mailing list",
		"DONT SEND ME MESSAGES",
		"dont message me",
		"don't message me",
		"do not text me",
		"don't contact me again",
		"never message me again",
		"no need to send me promos",
		"I don't want promotions anymore",
		"i dont want any more messages",
		"i do not want to receive your promos",
		"unsubscribe me",
		"i want to unsubscribe",
		"remove me from your list",
		"remove me from the list",
		"please remove me from your mailing list",
		"take me off your list",
		"delete me from your list",
		"opt me out",
		"leave me alone",
		"can you stop sending me promos",
		"batalkan langganan",
		"batal langganan promo",
		"cancel my subscription",
		"unsubs",
	} {
		tests = append(tests, privacyCase{in, KeywordStop})
	}
	if len(tests) < 80 {
		t.Fatalf("%d opt-out sentences, want at least 80", len(tests))
	}
	checkPrivacy(t, tests)
}

func TestPrivacyNotOptOut(t *testing.T) {
	tests := []privacyCase{
		// Negated.
		{"jangan stop dulu", ""},
		{"jangan stop dulu ya", ""},
		{"jangan stop", ""},
		{"kemarin promonya bagus, jangan berhenti ya", ""},
		{"jangan berhenti ya", ""},
		{"jangan berhenti kirim promo ya", ""},
		{"promonya jangan berhenti dong", ""},
		{"tidak usah berhenti", ""},
		{"gak usah stop", ""},
		{"tidak mau berhenti berlangganan", ""},
		{"semoga promonya tidak berhenti", ""},
		{"don't stop sending me deals", ""},
		{"don't stop", ""},
		{"please don't stop", ""},
		{"do not stop", ""},
		{"never stop", ""},
		{"i love your promos, never stop", ""},
		{"don't ever stop", ""},
		{"i don't want to stop receiving promos", ""},
		{"i can't stop buying here lol", ""},
		{"jangan unsubscribe saya", ""},
		// Another stop.
		{"bus stop terdekat dimana", ""},
		{"bus stop", ""},
		{"bus stop dekat toko", ""},
		{"where is the nearest bus stop", ""},
		{"stop kontak rusak", ""},
		{"stop kontak", ""},
		{"stopkontak", ""},
		{"stop kontak listrik ada?", ""},
		{"harga stop kontak berapa", ""},
		{"ada stop kontak 3 lubang?", ""},
		{"berhenti di halte", ""},
		{"berhenti di depan toko ya pak", ""},
		{"bisa berhenti di indomaret?", ""},
		{"stop by the shop", ""},
		{"can i stop by today?", ""},
		{"stop at the corner please", ""},
		{"one stop shop", ""},
		{"stopwatch", ""},
		{"nonstop", ""},
		{"stop motion", ""},
		{"saya mau berhenti merokok", ""},
		{"mobil saya berhenti mendadak", ""},
		{"sudah berhenti hujannya?", ""},
		{"stop kirim barangnya, saya batal", ""},
		{"stop pesanan saya", ""},
		{"stop dulu deh kirimnya besok", ""},
		{"oke stop dulu ya kak, nanti saya kabari", ""},
		{"stop pengiriman", ""},
		{"stop produksi", ""},
		{"stop jualan ya kak?", ""},
		{"stop bot, mau bicara dengan admin", ""},
		{"non stop 24 jam", ""},
		{"pit stop", ""},
		{"stop sign", ""},
		// Subscriptions to products.
		{"stop langganan galon", ""},
		{"berhenti langganan susu", ""},
		{"batal langganan galon", ""},
		{"tidak mau langganan galon lagi", ""},
		{"stop kirim galon", ""},
		{"jangan kirim susu lagi", ""},
		{"STOP. Saya mau tanya harga", ""},
		// Asking when something stops.
		{"kapan promonya berhenti?", ""},
		{"kapan tokonya berhenti buka?", ""},
		{"jam berapa tokonya berhenti buka", ""},
		{"kapan stop promo?", ""},
		{"when does the promo stop", ""},
		{"promonya berhenti?", ""},
		// Look alike.
		{"step", ""},
		{"shop", ""},
		{"top", ""},
		{"stops", ""},
		{"harus", ""},
		// Promotions wanted, or another meaning.
		{"keep the promos coming", ""},
		{"promo apa hari ini?", ""},
		{"ada promo?", ""},
		{"kenapa promonya tidak dikirim lagi?", ""},
		{"kok saya tidak dapat promo lagi?", ""},
		{"jangan lupa kirim promo ya", ""},
		{"kirim promo lagi dong", KeywordStart},
		{"tidak mau yang merah, mau yang biru", ""},
		{"saya tidak mau pedas", ""},
		{"saya tidak mau pesan lagi", ""},
		{"tidak mau promo yang mahal", ""},
		{"gak mau dikirim", ""},
		{"saya ga mau kirim sekarang", ""},
		{"gak mau chat sama bot, mau sama admin", ""},
		{"jangan kirim pakai JNE", ""},
		{"jangan kirim sebelum saya transfer", ""},
		{"jangan kirim lagi yang kemarin, salah ukuran", ""},
		{"jangan kirim", ""},
		{"jangan kirim dulu", ""},
		{"don't send me the wrong size again", ""},
		{"no more stock?", ""},
		{"cukup", ""},
		{"cukup itu saja kak", ""},
		{"sudah cukup", ""},
		{"tolong kirim ya", ""},
		{"halo kak, mau pesan 2 kg", ""},
		{"makasih kak", ""},
		{"s t o p", ""},
		{"batal pesan", ""},
		{"batalkan pesanan saya", ""},
		{"cancel my order", ""},
		{"", ""},
	}
	if len(tests) < 60 {
		t.Fatalf("%d sentences, want at least 60", len(tests))
	}
	checkPrivacy(t, tests)
}

func TestPrivacyUnsure(t *testing.T) {
	checkPrivacy(t, []privacyCase{
		{"stop dulu", "stop?"},
		{"berhenti dulu", "stop?"},
		{"udah dulu", "stop?"},
		{"udah dulu ya kak", "stop?"},
		{"sudah dulu", "stop?"},
		{"cukup dulu", "stop?"},
		{"stop it", "stop?"},
		{"stop this", "stop?"},
		{"stop sementara", "stop?"},
		{"berhenti sebentar", "stop?"},
		{"stop kirim dulu", "stop?"},
		{"how do i unsubscribe", "stop?"},
		{"bagaimana cara unreg", "stop?"},
		{"gimana caranya stop promo?", "stop?"},
		{"cara berhenti berlangganan gimana?", "stop?"},
		{"unsubscribe gimana?", "stop?"},
		{"how to stop these messages", "stop?"},
		{"how do I stop receiving these", "stop?"},
		{"cara stop promo", "stop?"},
		{"stop for now", "stop?"},
	})
}

func TestPrivacyStart(t *testing.T) {
	checkPrivacy(t, []privacyCase{
		{"mulai", KeywordStart},
		{"MULAI", KeywordStart},
		{"mulaiii!", KeywordStart},
		{"start", KeywordStart},
		{"START", KeywordStart},
		{"mulai lagi", KeywordStart},
		{"start again", KeywordStart},
		{"mulai promo", KeywordStart},
		{"start promo", KeywordStart},
		{"promo", KeywordStart},
		{"info promo", KeywordStart},
		{"mau promo", KeywordStart},
		{"saya mau promo lagi", KeywordStart},
		{"mau terima promo lagi", KeywordStart},
		{"mau dapat promo", KeywordStart},
		{"daftar promo", KeywordStart},
		{"langganan promo", KeywordStart},
		{"saya mau berlangganan promo", KeywordStart},
		{"berlangganan", KeywordStart},
		{"subscribe", KeywordStart},
		{"subscribe me", KeywordStart},
		{"kirim promo lagi dong", KeywordStart},
		{"kirimi saya promo", KeywordStart},
		{"i want promotions", KeywordStart},
		{"i want to receive your promos again", KeywordStart},
		{"send me deals", KeywordStart},
		{"sign me up", KeywordStart},
		{"aktifkan promo lagi", KeywordStart},
		{"daftarin saya promo", KeywordStart},
		// Not asking for promotions.
		{"promo apa hari ini?", ""},
		{"ada promo apa?", ""},
		{"mulai masak jam berapa?", ""},
		{"mau pesan", ""},
		{"mau langganan galon", ""},
		{"daftar", ""},
		{"daftar harga", ""},
		{"spam", ""},
		{"mau", ""},
		{"keep the promos coming", ""},
		{"jangan berhenti kirim promo ya", ""},
		{"kirim pesan lagi", ""},
	})
}

func TestPrivacyMyData(t *testing.T) {
	checkPrivacy(t, []privacyCase{
		{"data saya", KeywordMyData},
		{"DATA SAYA", KeywordMyData},
		{"lihat data saya", KeywordMyData},
		{"cek data pribadi saya", KeywordMyData},
		{"saya mau lihat data saya", KeywordMyData},
		{"data apa yang disimpan", KeywordMyData},
		{"data apa yang disimpan?", KeywordMyData},
		{"data apa saja tentang saya", KeywordMyData},
		{"informasi apa yang kalian simpan", KeywordMyData},
		{"apa saja data saya yang kalian simpan?", KeywordMyData},
		{"what data do you have about me", KeywordMyData},
		{"what do you know about me", KeywordMyData},
		{"apa yang kamu tahu tentang saya", KeywordMyData},
		{"show my data", KeywordMyData},
		{"my data", KeywordMyData},
		{"see my data", KeywordMyData},
		{"minta data saya", KeywordMyData},
		{"data saya apa saja", KeywordMyData},
		{"saya mau tahu data saya", KeywordMyData},
		{"apa yang kalian simpan tentang saya", KeywordMyData},
		{"what information do you have on me", KeywordMyData},
		{"what personal data do you store", KeywordMyData},
		// Not theirs, or not asking to see it.
		{"data saya salah", ""},
		{"paket data apa yang kamu punya?", ""},
		{"beli paket data", ""},
		{"data apa yang harus saya isi?", ""},
		{"kuota data", ""},
		{"data", ""},
	})
}

func TestPrivacyErase(t *testing.T) {
	checkPrivacy(t, []privacyCase{
		{"hapus data", KeywordErase},
		{"HAPUS DATA", KeywordErase},
		{"hapus data saya", KeywordErase},
		{"tolong hapus data saya", KeywordErase},
		{"tolong hapus semua data saya ya kak", KeywordErase},
		{"hapus nomor saya", KeywordErase},
		{"hapus akun saya", KeywordErase},
		{"saya mau data saya dihapus", KeywordErase},
		{"hapus data saya dari sistem", KeywordErase},
		{"delete my data", KeywordErase},
		{"Delete my data!", KeywordErase},
		{"erase my data", KeywordErase},
		{"delete my information", KeywordErase},
		{"delete all my data", KeywordErase},
		{"remove my data", KeywordErase},
		{"forget me", KeywordErase},
		{"lupakan saya", KeywordErase},
		{"delete everything about me", KeywordErase},
		{"hapus semua tentang saya", KeywordErase},
		{"hapus nomor wa saya", KeywordErase},
		{"please delete my number", KeywordErase},
		{"delete my account", KeywordErase},
		{"delete me", KeywordErase},
		// About something else, or refused.
		{"hapus data pesanan kemarin", ""},
		{"hapus pesanan saya", ""},
		{"hapus keranjang", ""},
		{"hapus", ""},
		{"jangan hapus data saya", ""},
		{"kenapa data saya dihapus?", ""},
		{"hapus saya dari daftar promo", KeywordStop},
		{"hapus nomor saya dari database kalian", KeywordErase},
	})
}

func TestNear(t *testing.T) {
	tests := []struct {
		w, target string
		want      bool
	}{
		{"stop", "stop", true},
		{"stpo", "stop", true},
		{"sotp", "stop", true},
		{"tsop", "stop", true},
		{"stopp", "stop", true},
		{"sstop", "stop", true},
		{"sttop", "stop", true},
		{"step", "stop", false},
		{"shop", "stop", false},
		{"top", "stop", false},
		{"stops", "stop", false},
		{"atop", "stop", false},
		{"berhneti", "berhenti", true},
		{"berhenit", "berhenti", true},
		{"berhent", "berhenti", true},
		{"berhentii", "berhenti", true},
		{"berhanti", "berhenti", true},
		{"berhasil", "berhenti", false},
		{"unsubscibe", "unsubscribe", true},
		{"unsubscrbe", "unsubscribe", true},
		{"unsubscribr", "unsubscribe", true},
		{"subscribe", "unsubscribe", false},
		{"harus", "hapus", false},
	}
	for _, tt := range tests {
		if got := near(tt.w, tt.target); got != tt.want {
			t.Errorf("near(%q, %q) = %t, want %t", tt.w, tt.target, got, tt.want)
		}
	}
}

func BenchmarkPrivacy(b *testing.B) {
	words := Words("kak tolong stop kirim promonya ya, makasih")
	b.ReportAllocs()
	for b.Loop() {
		Privacy(words)
	}
}

// BenchmarkWordsPrivacy is the whole cost a message adds: its words and
// the privacy rules.
func BenchmarkWordsPrivacy(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Privacy(Words("Kak, gw ga mau promonya lg ya!! 🙏"))
	}
}
