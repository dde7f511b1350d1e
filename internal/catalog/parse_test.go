package catalog

import (
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/flows"
)

// demo loads the catalog Mitra ships with, Warung Bu Sari's: telur
// counted (stock 8, max 10), sawi out of stock and a pre-order of kue
// lapis legit that closes on 2026-12-20 (quota 30, max 3 an order).
func demo(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load(flows.FS)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// day is the day the table's messages are read: the pre-order is open.
var day = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// TestParse is a table of order messages as customers write them, each
// with everything Parse must understand (see summary): the lines, what
// it must ask about, delivery or pickup with the address, name, phone,
// payment and note.
func TestParse(t *testing.T) {
	c := demo(t)
	tests := []struct{ msg, want string }{
		// Free sentences, one item or several.
		{"min mau pesan beras 5kg sama telur sekilo, kirim ke jl mawar 5", `beras 5 kg; telur 1 kg; delivery "jl mawar 5"`},
		{"kak pesen beras 5 kilo", `beras 5 kg`},
		{"beras 5kg", `beras 5 kg`},
		{"5kg beras", `beras 5 kg`},
		{"beras lima kilo ya kak", `beras 5 kg`},
		{"mau beras 2 kg dan gula 1 kg", `beras 2 kg; gula 1 kg`},
		{"beras 10 kg, minyak 2 liter, gula 2 kg", `beras 10 kg; minyak 2 liter; gula 2 kg`},
		{"telur 2 kg, tempe 3 papan, tahu 2 papan", `telur 2 kg; tempe 3 papan; tahu 2 papan`},
		// Numbers and units in words and chat forms.
		{"dua papan tempe", `tempe 2 papan`},
		{"tempe 2", `tempe 2 papan`},
		{"tahu 3 papan", `tahu 3 papan`},
		{"tempe sepapan aja", `tempe 1 papan`},
		{"nasi bungkus 3", `nasi_bungkus 3 bungkus`},
		{"3 bks nasi", `nasi_bungkus 3 bungkus`},
		{"nasbung 5 bungkus ya kak", `nasi_bungkus 5 bungkus`},
		{"nasi bungkus 2 porsi", `?wrong_unit:nasi_bungkus`},
		{"minyak goreng 2 liter", `minyak 2 liter`},
		{"migor 1 ltr", `minyak 1 liter`},
		{"minyak 2L", `minyak 2 liter`},
		{"minyak setengah liter", `minyak 0.5 liter`},
		{"gula setengah kilo", `gula 0.5 kg`},
		{"gula 1/2 kg", `gula 0.5 kg`},
		{"gula 500 gram", `gula 0.5 kg`},
		{"gula 5 ons", `gula 0.5 kg`},
		{"gula 1,5 kg", `gula 1.5 kg`},
		{"gula 1.5kg", `gula 1.5 kg`},
		{"gula pasir dua setengah kilo", `gula 2.5 kg`},
		{"beras satu setengah kilo", `beras 1.5 kg`},
		{"telur sekilo setengah", `telur 1.5 kg`},
		{"bayam 2 ikat", `bayam 2 ikat`},
		{"kangkung 3 iket", `kangkung 3 ikat`},
		{"bayam seikat sama kangkung seikat", `bayam 1 ikat; kangkung 1 ikat`},
		// A category of several items: which one?
		{"sayur 2 ikat", `?which:"sayur"[bayam kangkung]`},
		{"sayur bayam 2 ikat", `bayam 2 ikat`},
		{"sawi 2 ikat", `?out_of_stock:sawi`},
		// Never guessed: no quantity, a unit that does not fit, a number out of bounds.
		{"mau beras", `?no_quantity:beras`},
		{"mau pesan telur", `?no_quantity:telur`},
		{"beli gula sama minyak", `?no_quantity:gula; ?no_quantity:minyak`},
		{"3 liter beras", `?wrong_unit:beras`},
		{"beras 3 liter", `?wrong_unit:beras`},
		{"telur 10 butir", `?wrong_unit:telur`},
		{"telur 10", `?no_unit:telur`},
		{"telur 2", `?no_unit:telur`},
		{"tahu 5 biji", `?wrong_unit:tahu`},
		{"beras 1000 kg", `?too_much:beras`},
		{"beras 0 kg", `?bad_quantity:beras`},
		{"setengah papan tempe", `?bad_quantity:tempe`},
		{"tempe 1,5 papan", `?bad_quantity:tempe`},
		{"beras 60 kg", `?too_much:beras`},
		{"telur 15 kg", `?too_much:telur`},
		{"minyak 25 liter", `?too_much:minyak`},
		// Typos and unknown products: a letter stretched at the end is read
		// without it (berass, gulaa); any other typo is asked about.
		{"telr 1 kg", `?unknown_item:"telr"[telur]`},
		{"berass 5kg", `beras 5 kg`},
		{"gulaa 2 kg", `gula 2 kg`},
		{"minyk goreng 2 liter", `?unknown_item:"minyk goreng"[minyak]`},
		{"kangkong 2 ikat", `kangkung 2 ikat`},
		{"tempeh 4 blocks", `tempe 4 papan`},
		{"ayam goreng 2", `?unknown_item:"ayam goreng"`},
		{"mau pesan ayam goreng 2 porsi", `?unknown_item:"ayam goreng"`},
		{"mau pesen berass sama telur 1kg", `telur 1 kg; ?no_quantity:beras`},
		{"telurr 2 kg", `telur 2 kg`},
		{"tahuu 2 papan", `tahu 2 papan`},
		// "tahu" is also the verb to know.
		{"gak tau mau pesan apa", ``},
		{"pengen tau harga telur", `?no_quantity:telur`},
		// Item and quantity in either order; each; twice; taken back.
		{"tahu 2 papan sama tempe 2 papan", `tahu 2 papan; tempe 2 papan`},
		{"beras 5kg telur 2kg", `beras 5 kg; telur 2 kg`},
		{"5 kg beras 2 kg telur", `beras 5 kg; telur 2 kg`},
		{"beras 5kg, eh beras 3kg aja", `?twice:beras`},
		{"beras 5 kg 2 kg telur", `beras 5 kg; telur 2 kg`},
		{"tempe dan tahu masing2 2 papan", `tempe 2 papan; tahu 2 papan`},
		{"tempe dan tahu masing-masing 3 papan", `tempe 3 papan; tahu 3 papan`},
		{"beras 5kg, telur ga jadi", `beras 5 kg; cancel telur`},
		{"telurnya batal aja kak", `cancel telur`},
		// Delivery, pickup, addresses, names, phones, payment.
		{"beras 5kg ga usah dikirim saya ambil sendiri", `beras 5 kg; pickup`},
		{"beras 2kg, nanti saya ambil", `beras 2 kg; pickup`},
		{"beras 2 kg diambil besok pagi", `beras 2 kg; pickup`},
		{"pesan telur 1kg, pickup ya", `telur 1 kg; pickup`},
		{"gula 1kg, antar ke perum griya asri blok c3 depok sleman", `gula 1 kg; delivery "perum griya asri blok c3 depok sleman"`},
		{"beras 5kg kirim ke Jl. Kaliurang km 7, Ngaglik, Sleman ya kak makasih", `beras 5 kg; delivery "Jl. Kaliurang km 7, Ngaglik, Sleman"`},
		{"beras 5kg. Kirim ke Jl. Mawar No. 5. Bayar transfer ya", `beras 5 kg; delivery "Jl. Mawar No. 5"; pay transfer`},
		{"telur 1kg alamat jl melati 3 jogja", `telur 1 kg; delivery "jl melati 3 jogja"`},
		{"beras 5kg dikirim ya", `beras 5 kg; delivery`},
		{"alamatnya di mana kak?", ``},
		{"beras 2kg atas nama Budi, kirim ke jl mawar 5", `beras 2 kg; delivery "jl mawar 5"; name "Budi"`},
		{"telur 1kg a.n. Siti Aminah", `telur 1 kg; name "Siti Aminah"`},
		{"minyak 1 liter, no hp 081234567890", `minyak 1 liter; phone 081234567890`},
		{"beras 5kg bayar cod", `beras 5 kg; pay cod`},
		{"beras 5kg bayar qris", `beras 5 kg; pay qris`},
		{"beras 5kg tf aja", `beras 5 kg; pay transfer`},
		// A bare quantity with no item asked about.
		{"2", `?no_item:"2"`},
		{"setengah kilo aja", `?no_item:"0.5 kilo"`},
		{"5 aja kak", `?no_item:"5"`},
		{"2 kg", `?no_item:"2 kg"`},
		{"sekilo", `?no_item:"1 kilo"`},
		// English.
		{"2 kg of rice and a dozen eggs", `beras 2 kg; ?wrong_unit:telur`},
		{"I'd like 2 kg of rice please", `beras 2 kg`},
		{"can I order 3 tempeh and 2 tofu", `tempe 3 papan; tahu 2 papan`},
		{"2 liters of cooking oil and 1 kg sugar", `minyak 2 liter; gula 1 kg`},
		{"half a kilo of sugar", `gula 0.5 kg`},
		{"one kilo of eggs", `telur 1 kg`},
		{"a kilo of eggs", `telur 1 kg`},
		{"three rice packs", `nasi_bungkus 3 bungkus`},
		{"5 rice boxes please", `nasi_bungkus 5 bungkus`},
		{"I want some eggs", `?no_quantity:telur`},
		{"spinach 2 bunches and water spinach 1 bunch", `bayam 2 ikat; kangkung 1 ikat`},
		{"2 bottles of cooking oil", `?wrong_unit:minyak`},
		{"deliver to Jl Kaliurang 10 Sleman", `delivery "Jl Kaliurang 10 Sleman"`},
		{"1 kg rice, pick up tomorrow", `beras 1 kg; pickup`},
		{"rice 5kg, send to Jalan Mawar 5, Depok", `beras 5 kg; delivery "Jalan Mawar 5, Depok"`},
		{"I'll pick it up", `pickup`},
		// The pre-order item.
		{"kue lapis 1 loyang", `lapis_legit 1 loyang`},
		{"lapis legit 2", `lapis_legit 2 loyang`},
		{"pesan kue lapis legit 5 loyang", `?too_much:lapis_legit`},
		{"layer cake 1", `lapis_legit 1 loyang`},
		{"kue lapis setengah loyang", `?bad_quantity:lapis_legit`},
		// Not orders, or questions about an item.
		{"halo kak", ``},
		{"makasih bu sari", ``},
		{"selamat pagi, mau tanya harga beras", `?no_quantity:beras`},
		{"ada telur?", `?no_quantity:telur`},
		{"stok minyak masih ada?", `?no_quantity:minyak`},
		// Numbers that are not quantities, counts, odd forms.
		{"beras 5kg 2", `beras 5 kg; ?no_item:"2"`},
		{"tambah telur 1kg", `telur 1 kg`},
		{"terus tempe 2 papan juga", `tempe 2 papan`},
		{"beras 5rb", `?no_quantity:beras`},
		{"beras yang 15rb per kg 2 kg", `beras 2 kg`},
		{"besok jam 10 kirim beras 2kg", `beras 2 kg; delivery`},
		{"buat 10 orang nasi bungkus", `?no_quantity:nasi_bungkus`},
		{"nasi bungkus untuk 10 orang", `?no_quantity:nasi_bungkus`},
		{"beras 2 karung", `?wrong_unit:beras`},
		{"selusin telur", `?wrong_unit:telur`},
		{"telur 1 lusin", `?wrong_unit:telur`},
		{"nasi bungkus selusin", `nasi_bungkus 12 bungkus`},
		{"gula 2 ons", `gula 0.2 kg`},
		{"gula pasir 250 gr", `gula 0.25 kg`},
		{"minyak 500 ml", `minyak 0.5 liter`},
		{"MIN MAU BERAS 5KG", `beras 5 kg`},
		{"Beras 5 Kg, Telur 1 Kg", `beras 5 kg; telur 1 kg`},
		{"beras 5kg 🙏", `beras 5 kg`},
		{"beras5kg", `beras 5 kg`},
		{"pesen beras 5kg + telor 1kg", `beras 5 kg; telur 1 kg`},
		{"beras 5kg & minyak 2l", `beras 5 kg; minyak 2 liter`},
		{"beras 5kg / gula 2kg", `beras 5 kg; gula 2 kg`},
		{"endog 1 kg", `telur 1 kg`},
		{"beras pandan wangi 5 kg", `beras 5 kg`},
		{"pandan wangi 10 kg", `beras 10 kg`},
		{"nasi lauk 2", `nasi_bungkus 2 bungkus`},
		{"sembako 2 kg", `?which:"sembako"[beras telur minyak gula]`},
		{"mau pesan sayur", `?which:"sayur"[bayam kangkung]`},
		{"aku mau gula sekilo trus minyak seliter", `gula 1 kg; minyak 1 liter`},
		{"gw pesen telor sekilo ama beras 3 kilo", `telur 1 kg; beras 3 kg`},
		{"sy mau order telur 2 kg + gula 1 kg dikirim ke jl anggrek 12 condongcatur", `telur 2 kg; gula 1 kg; delivery "jl anggrek 12 condongcatur"`},
		{"beras 5 kg x 2", `beras 5 kg; ?no_item:"x 2"`},
		{"tempe x3", `tempe 3 papan`},
		{"telur 1kg. gula 1kg. minyak 1 liter.", `telur 1 kg; gula 1 kg; minyak 1 liter`},
		// Format orders and lists.
		{"Nama: Budi Santoso\nNo HP: 0812-3456-7890\nAlamat: Jl. Kenari No. 3, Ngaglik, Sleman\nPesanan:\n1. Beras 5 kg\n2. Telur 1 kg\n3. Tempe 2 papan\nPengiriman: kirim\nPembayaran: transfer", `beras 5 kg; telur 1 kg; tempe 2 papan; delivery "Jl. Kenari No. 3, Ngaglik, Sleman"; name "Budi Santoso"; phone 081234567890; pay transfer`},
		{"FORMAT ORDER\nNama :\nRina\nNo. HP/WA : +62 857 1234 5678\nAlamat lengkap : Perum Griya Asri Blok C3, Depok, Sleman\nPesanan : beras 10kg, gula 2kg\nCatatan : tolong telurnya yang besar", `beras 10 kg; gula 2 kg; delivery "Perum Griya Asri Blok C3, Depok, Sleman"; name "Rina"; phone 6285712345678; note "tolong telurnya yang besar"`},
		{"Nama: Siti\nHP: 085712345678\nOrder:\n- nasi bungkus 5\n- tempe 2 papan\nDiambil/dikirim: diambil", `nasi_bungkus 5 bungkus; tempe 2 papan; pickup; name "Siti"; phone 085712345678`},
		{"Name: John\nPhone: +6281234567890\nAddress: Jl. Prawirotaman 12, Mergangsan, Yogyakarta\nOrder: 2 kg rice, 1 kg eggs, 2 litres cooking oil\nPayment: QRIS", `beras 2 kg; telur 1 kg; minyak 2 liter; delivery "Jl. Prawirotaman 12, Mergangsan, Yogyakarta"; name "John"; phone 6281234567890; pay qris`},
		{"Nama: Ani\nBeras : 5 kg\nTelur : 1 kg\nAlamat: jl mawar 5", `beras 5 kg; telur 1 kg; delivery "jl mawar 5"; name "Ani"`},
		{"Nama: -\nNo HP: -\nAlamat: ambil sendiri\nPesanan: kue lapis legit 1 loyang", `lapis_legit 1 loyang; pickup`},
		{"Kak mau order ya\n- beras 5kg\n- telor 1kg\n- minyak 2 liter\nkirim ke jl kaliurang km 10 ngaglik", `beras 5 kg; telur 1 kg; minyak 2 liter; delivery "jl kaliurang km 10 ngaglik"`},
		{"Selamat siang Bu. Saya mau pesan nasi bungkus 10 bungkus untuk arisan besok. Diantar ke Jl. Melati 7 Condongcatur jam 11 ya. Bayar COD.", `nasi_bungkus 10 bungkus; delivery "Jl. Melati 7 Condongcatur"; pay cod`},
		{"Kirim ke: Jl. Gejayan 20, Caturtunggal\nberas 3kg\ngula 1kg", `beras 3 kg; gula 1 kg; delivery "Jl. Gejayan 20, Caturtunggal"`},
		{"Pesanan atas nama Dewi\n• Beras 5 kg\n• Gula 2 kg\n• Bayam 3 ikat\nAmbil di warung jam 4 sore", `beras 5 kg; gula 2 kg; bayam 3 ikat; pickup; name "Dewi"`},
		{"mau pesen telr sama beras 2 kg", `beras 2 kg; ?unknown_item:"telr"[telur]`},
		{"beras 5kg sm telor 1/2 kg", `beras 5 kg; telur 0.5 kg`},
		{"minyak goreng 2 liter sama gula pasir 1 kilo sama telur setengah kilo, dianter ke jalan kaliurang km 5 sleman", `minyak 2 liter; gula 1 kg; telur 0.5 kg; delivery "jalan kaliurang km 5 sleman"`},
		{"kak beras 5kg ya, telurnya 2kg. alamat: jl. cendana no. 8, umbulharjo, jogja", `beras 5 kg; telur 2 kg; delivery "jl. cendana no. 8, umbulharjo, jogja"`},
		{"telur 9 kg", `?not_enough:telur`},
		{"tahu 2 papan, tempe 2 papan, kangkung 2 ikat, bayam 2 ikat", `tahu 2 papan; tempe 2 papan; kangkung 2 ikat; bayam 2 ikat`},
		// More of everything.
		{"nasi bungkus dua puluh", `nasi_bungkus 20 bungkus`},
		{"seperempat kilo gula", `gula 0.25 kg`},
		{"gula 1 1/2 kg", `gula 1.5 kg`},
		{"½ kg telur", `telur 0.5 kg`},
		{"telur ½ kilo", `telur 0.5 kg`},
		{"Can I get 2kg of sugar and 1 litre of oil delivered to Jl. Magelang km 5, Mlati?", `gula 2 kg; minyak 1 liter; delivery "Jl. Magelang km 5, Mlati"`},
		{"hi, i'd like to order rice 5 kg and tofu 3 blocks, i'll pick it up", `beras 5 kg; tahu 3 papan; pickup`},
		{"please send 10 rice packs to my office at Jl Affandi 3, Caturtunggal", `nasi_bungkus 10 bungkus; delivery "my office at Jl Affandi 3, Caturtunggal"`},
		{"eggs 2", `?no_unit:telur`},
		{"2 eggs", `?no_unit:telur`},
		{"I need half a kilo of eggs and two bunches of spinach", `telur 0.5 kg; bayam 2 ikat`},
		{"order: 1 kg sugar, 2 blocks tempeh", `gula 1 kg; tempe 2 papan`},
		{"Kak, saya Rina. Mau pesan gula 2kg. Kirim ke Perum Candi Gebang Permai Blok R 12 Condongcatur. Makasih 🙏", `gula 2 kg; delivery "Perum Candi Gebang Permai Blok R 12 Condongcatur"`},
		{"bun mau tanya, beras 5 kg sama telor 1 kg jadi berapa ya? dikirim ke kotagede", `beras 5 kg; telur 1 kg; delivery "kotagede"`},
		{"sy pesen tempe 5 papan ya bu, nanti sore sy ambil", `tempe 5 papan; pickup`},
		{"tlg kirim minyak 2 liter ke rumah, jl. sawo 4 ngaglik, a.n. Pak Joko", `minyak 2 liter; delivery "rumah, jl. sawo 4 ngaglik"; name "Pak Joko"`},
		{"pesen kangkung 2 ikat, bayem 2 ikat", `kangkung 2 ikat; bayam 2 ikat`},
		{"beli tahu putih 2 papan", `tahu 2 papan`},
		{"mau nasbung 4 bks, lauknya ayam semua", `nasi_bungkus 4 bungkus`},
		{"saya mau order 5 kg beras pandan wangi dan 2 liter migor, ongkir ke sleman berapa?", `beras 5 kg; minyak 2 liter`},
		{"gulanya jadi 3 kg aja", `gula 3 kg`},
		{"tambah beras sekarung", `?wrong_unit:beras`},
		{"telur 1kg tapi yang besar ya", `telur 1 kg`},
		{"beras pandan wangi 5kg harganya berapa?", `beras 5 kg`},
		{"kue lapis legit 1 loyang untuk tanggal 24", `lapis_legit 1 loyang`},
		{"tolong kirim rekapnya ke saya", ``},
		{"kirim ke sini aja", `delivery`},
		// English unit words.
		{"2 bunches of spinach", `bayam 2 ikat`},
		{"a bunch of spinach and a bunch of water spinach", `bayam 1 ikat; kangkung 1 ikat`},
		{"three bunches of kangkung", `kangkung 3 ikat`},
		{"2 bunch spinach", `bayam 2 ikat`},
		{"two blocks of tofu please", `tahu 2 papan`},
		{"I'd like 2 trays of tempeh", `tempe 2 papan`},
		{"tofu 2 slabs", `tahu 2 papan`},
		{"a tray of eggs", `?wrong_unit:telur`},
		{"can I order 5 packets of rice box", `nasi_bungkus 5 bungkus`},
		{"3 packs of rice pack", `nasi_bungkus 3 bungkus`},
		{"a dozen rice packs", `nasi_bungkus 12 bungkus`},
		{"one pan of lapis legit", `lapis_legit 1 loyang`},
		{"a kilo of sugar and 2 bottles of oil", `gula 1 kg; ?wrong_unit:minyak`},
		{"1 sack of rice", `?wrong_unit:beras`},
		{"a bag of rice", `?wrong_unit:beras`},
		{"2 pieces of tempeh", `?wrong_unit:tempe`},
		{"half a litre of cooking oil", `minyak 0.5 liter`},
	}
	if len(tests) < 210 {
		t.Errorf("%d messages, want at least 210", len(tests))
	}
	for _, tt := range tests {
		if got := summary(c.Parse(tt.msg, Context{Today: day})); got != tt.want {
			t.Errorf("Parse(%q)\n got  %s\n want %s", tt.msg, got, tt.want)
		}
	}
}

// TestParseAnswer reads short answers to the bot's "how much?": a bare
// quantity is of the item asked about, once; what does not fit it is
// still asked.
func TestParseAnswer(t *testing.T) {
	c := demo(t)
	tests := []struct{ asking, msg, want string }{
		{"beras", "2", `beras 2 kg`},
		{"beras", "setengah kilo aja", `beras 0.5 kg`},
		{"beras", "5 aja kak", `beras 5 kg`},
		{"beras", "sekilo", `beras 1 kg`},
		{"beras", "dua kilo", `beras 2 kg`},
		{"beras", "3 liter", `?wrong_unit:beras`},
		{"beras", "100", `?too_much:beras`},
		{"beras", "2 kg, sama telur 1 kg", `beras 2 kg; telur 1 kg`},
		{"beras", "2 kg sama 3 kg", `beras 2 kg; ?no_item:"3 kg"`},
		{"beras", "gula 1 kg aja", `gula 1 kg`},
		{"beras", "ga jadi deh", ``},
		{"telur", "2", `?no_unit:telur`},
		{"telur", "2 kg", `telur 2 kg`},
		{"telur", "a dozen", `?wrong_unit:telur`},
		{"tempe", "setengah", `?bad_quantity:tempe`},
		{"tempe", "3", `tempe 3 papan`},
		{"nasi_bungkus", "sepuluh", `nasi_bungkus 10 bungkus`},
		{"minyak", "500 ml", `minyak 0.5 liter`},
		{"", "2", `?no_item:"2"`},
		{"nope", "2", `?no_item:"2"`},
	}
	for _, tt := range tests {
		if got := summary(c.Parse(tt.msg, Context{Today: day, Asking: tt.asking})); got != tt.want {
			t.Errorf("Parse(%q) asking %s\n got  %s\n want %s", tt.msg, tt.asking, got, tt.want)
		}
	}
}

// TestParsePreorder checks the pre-order's closing day and quota.
func TestParsePreorder(t *testing.T) {
	c := demo(t)
	tests := []struct {
		name   string
		ctx    Context
		msg    string
		want   string
		limit  float64
		closes string
	}{
		{"open", Context{Today: day}, "kue lapis 2 loyang", `lapis_legit 2 loyang`, 0, ""},
		{"the day it closes", Context{Today: time.Date(2026, 12, 20, 23, 0, 0, 0, time.FixedZone("WIB", 7*3600))}, "kue lapis 1", `lapis_legit 1 loyang`, 0, ""},
		{"the day after", Context{Today: time.Date(2026, 12, 21, 0, 30, 0, 0, time.FixedZone("WIB", 7*3600))}, "kue lapis 1", `?preorder_closed:lapis_legit`, 0, ""},
		{"unknown day", Context{}, "kue lapis 1", `lapis_legit 1 loyang`, 0, ""},
		{"closed, no quantity", Context{Today: time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)}, "mau lapis legit", `?preorder_closed:lapis_legit`, 0, ""},
		{"quota nearly full", Context{Today: day, Booked: map[string]float64{"lapis_legit": 29}}, "kue lapis 2 loyang", `?preorder_full:lapis_legit`, 1, ""},
		{"quota exactly met", Context{Today: day, Booked: map[string]float64{"lapis_legit": 28}}, "kue lapis 2 loyang", `lapis_legit 2 loyang`, 0, ""},
		{"quota full", Context{Today: day, Booked: map[string]float64{"lapis_legit": 30}}, "kue lapis 1 loyang", `?preorder_full:lapis_legit`, 0, ""},
		{"booked elsewhere", Context{Today: day, Booked: map[string]float64{"beras": 500}}, "beras 5 kg", `beras 5 kg`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.Parse(tt.msg, tt.ctx)
			if got := summary(p); got != tt.want {
				t.Fatalf("Parse(%q) = %s, want %s", tt.msg, got, tt.want)
			}
			if len(p.Unclear) == 1 && p.Unclear[0].Limit != tt.limit {
				t.Errorf("Limit = %v, want %v", p.Unclear[0].Limit, tt.limit)
			}
		})
	}
}

// TestQuestion words each reason as the bot asks it.
func TestQuestion(t *testing.T) {
	c := demo(t)
	tests := []struct{ msg, id, en string }{
		{"telr 1 kg", "Maaf, Kak, maksudnya Telur ayam?", "Sorry, did you mean Chicken eggs?"},
		{"ayam goreng 2", `Maaf, Kak, kami tidak menjual "ayam goreng".`, `Sorry, we don't sell "ayam goreng".`},
		{"sayur 2 ikat", "Sayur yang mana, Kak: Bayam atau Kangkung?", "Which vegetables would you like: Spinach or Water spinach?"},
		{"2 bunches of vegetables", "Sayur yang mana, Kak: Bayam atau Kangkung?", "Which vegetables would you like: Spinach or Water spinach?"},
		{"mau sembako", "Sembako yang mana, Kak: Beras pandan wangi, Telur ayam, Minyak goreng atau Gula pasir?",
			"Which groceries would you like: Pandan fragrant rice, Chicken eggs, Cooking oil or Sugar?"},
		{"I'd like some Groceries", "Sembako yang mana, Kak: Beras pandan wangi, Telur ayam, Minyak goreng atau Gula pasir?",
			"Which groceries would you like: Pandan fragrant rice, Chicken eggs, Cooking oil or Sugar?"},
		{"soy foods 2", "Kedelai yang mana, Kak: Tempe atau Tahu?", "Which soy foods would you like: Tempeh or Tofu?"},
		{"2 kg", "2 kg itu untuk apa, Kak?", "What would you like 2 kg of?"},
		{"mau beras", "Beras pandan wangi mau berapa kg, Kak?", "How much Pandan fragrant rice would you like, in kg?"},
		{"mau tempe", "Tempe mau berapa papan, Kak?", "How many blocks of Tempeh would you like?"},
		{"telur 10", "Telur ayam 10 itu 10 kg, Kak?", "Chicken eggs 10: is that 10 kg?"},
		{"3 liter beras", "Beras pandan wangi kami jual per kg, Kak. Mau berapa kg?", "We sell Pandan fragrant rice by the kg. How much Pandan fragrant rice would you like, in kg?"},
		{"setengah papan tempe", "Tempe kami jual per papan utuh, Kak. Mau berapa papan?", "We sell Tempeh by the whole block. How many blocks of Tempeh would you like?"},
		{"beras 0 kg", "Beras pandan wangi mau berapa kg, Kak?", "How much Pandan fragrant rice would you like, in kg?"},
		{"beras 1000 kg", "Beras pandan wangi paling banyak 50 kg per pesanan, Kak. Mau berapa kg?", "We take at most 50 kg of Pandan fragrant rice per order. How much Pandan fragrant rice would you like, in kg?"},
		{"telur 9 kg", "Stok Telur ayam tinggal 8 kg, Kak. Mau 8 kg saja?", "We only have 8 kg of Chicken eggs left. Would 8 kg do?"},
		{"sawi 2 ikat", "Maaf, Kak, Sawi hijau sedang habis.", "Sorry, Mustard greens is out of stock."},
		{"beras 5 kg, beras 2,5 kg", "Beras pandan wangi tertulis dua kali, Kak (5 kg dan 2,5 kg). Jadi totalnya berapa kg?", "Pandan fragrant rice is in your message twice (5 kg and 2.5 kg). How much in all, in kg?"},
		{"nasi bungkus 2 porsi", "Nasi bungkus dengan lauk kami jual per bungkus, Kak. Mau berapa bungkus?", "We sell Rice pack with a side dish by the pack. How many packs of Rice pack with a side dish would you like?"},
	}
	for _, tt := range tests {
		p := c.Parse(tt.msg, Context{Today: day})
		if len(p.Unclear) != 1 {
			t.Errorf("Parse(%q) = %s, want one thing unclear", tt.msg, summary(p))
			continue
		}
		if got := c.Question(p.Unclear[0], "id"); got != tt.id {
			t.Errorf("Question(%q, id)\n got  %s\n want %s", tt.msg, got, tt.id)
		}
		if got := c.Question(p.Unclear[0], "en"); got != tt.en {
			t.Errorf("Question(%q, en)\n got  %s\n want %s", tt.msg, got, tt.en)
		}
	}
	late := c.Parse("kue lapis 1", Context{Today: time.Date(2026, 12, 22, 0, 0, 0, 0, time.UTC)})
	if got, want := c.Question(late.Unclear[0], "id"), "Maaf, Kak, PO Kue lapis legit sudah ditutup tanggal 20 Desember 2026."; got != want {
		t.Errorf("closed pre-order: %s, want %s", got, want)
	}
	full := c.Parse("kue lapis 3", Context{Today: day, Booked: map[string]float64{"lapis_legit": 28}})
	if got, want := c.Question(full.Unclear[0], "en"), "Only 2 cakes of Lapis legit layer cake are left to pre-order. Would 2 cakes do?"; got != want {
		t.Errorf("full pre-order: %s, want %s", got, want)
	}
}

// TestParseIgnoresNoise checks that what is not an order gives nothing:
// chat, questions about the shop, numbers that are not quantities.
func TestParseIgnoresNoise(t *testing.T) {
	c := demo(t)
	for _, msg := range []string{
		"", "   ", "🙏🙏", "ok kak", "siap, ditunggu ya", "terima kasih banyak bu sari",
		"jam buka sampai jam 9?", "rekening bca nya berapa kak", "sudah transfer 59.000 ya",
		"wkwkwk", "bisa dikirim hari ini?", strings.Repeat("kak ", 500),
	} {
		p := c.Parse(msg, Context{Today: day})
		if len(p.Lines) > 0 || len(p.Unclear) > 0 || len(p.Cancel) > 0 {
			t.Errorf("Parse(%q) = %s, want no order", msg, summary(p))
		}
	}
}

func BenchmarkParse(b *testing.B) {
	c := demo(b)
	msgs := []string{
		"min mau pesan beras 5kg sama telur sekilo, kirim ke jl mawar 5",
		"Nama: Budi Santoso\nNo HP: 0812-3456-7890\nAlamat: Jl. Kenari No. 3, Ngaglik, Sleman\nPesanan:\n1. Beras 5 kg\n2. Telur 1 kg\n3. Tempe 2 papan\nPengiriman: kirim\nPembayaran: transfer",
		"2 kg of rice and a dozen eggs",
		"setengah kilo aja",
		"mau pesen telr sama beras 2 kg",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Parse(msgs[i%len(msgs)], Context{Today: day, Asking: "beras"})
	}
}

// FuzzParse checks that no message makes Parse panic, and that every
// line it returns is of a known item in its unit and bounds.
func FuzzParse(f *testing.F) {
	c := demo(f)
	for _, s := range []string{"beras 5kg", "Nama: x\nAlamat:\n", "1,5,5 kg", "1/0 kg", "½ kg gula", "telur2", "kirim ke", "a.n.", "0812 3456 7890 1234 5678", "se", "x x x 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		p := c.Parse(msg, Context{Today: day, Asking: "beras"})
		for _, l := range p.Lines {
			it, ok := c.Item(l.Item)
			limit := it.Max
			if limit == 0 {
				limit = DefaultMax
			}
			if !ok || l.Unit != it.Unit || !(l.Qty > 0) || l.Qty > limit {
				t.Errorf("Parse(%q) gave line %+v", msg, l)
			}
		}
	})
}
