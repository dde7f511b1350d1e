package catalog

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestQuote(t *testing.T) {
	c := demo(t)
	flat, err := Load(fstest.MapFS{File: {Data: []byte(strings.Replace(small, "  pickup: true", "  pickup: true\n  flat: 10000\n  free_over: 100000", 1))}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    *Catalog
		msg  string
		// subtotal, fee, total, due
		sub, fee, total, due int64
		area                 string
		known, free          bool
	}{
		{"area by its place", c, "beras 5kg sama telur sekilo, kirim ke jl mawar 5 ngaglik", 104000, 8000, 112000, 112000, "Sleman", true, false},
		{"second area", c, "gula setengah kilo, alamat jl cendana 8 umbulharjo jogja", 8500, 12000, 20500, 20500, "Kota Yogyakarta", true, false},
		{"no area, no flat fee", c, "beras 2kg kirim ke jl raya solo km 20 klaten", 30000, 0, 30000, 30000, "", false, false},
		{"free over", c, "beras 10 kg sama minyak 2 liter, kirim ke depok sleman", 186000, 0, 186000, 186000, "Sleman", true, true},
		{"free at exactly", c, "beras 10 kg, kirim ke depok", 150000, 0, 150000, 150000, "Sleman", true, true},
		{"over free_over, no area, no flat fee: staff say it", c, "beras 10 kg kirim ke jl raya solo km 20 klaten", 150000, 0, 150000, 150000, "", false, false},
		{"pickup", c, "tempe 2 papan tahu 1 papan ambil sendiri", 18000, 0, 18000, 18000, "", true, false},
		{"not said", c, "nasi bungkus 3", 36000, 0, 36000, 36000, "", false, false},
		{"half a kilo", c, "telur setengah kilo, pickup", 14500, 0, 14500, 14500, "", true, false},
		{"pre-order deposit", c, "kue lapis 1 loyang, beras 5 kg, ambil sendiri", 425000, 0, 425000, 250000, "", true, false},
		{"flat fee", flat, "beras 2 kg, kirim ke jl solo 5 klaten", 30000, 10000, 40000, 40000, "", true, false},
		{"flat fee waived", flat, "beras 7 kg, dikirim ya", 105000, 0, 105000, 105000, "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.c.Parse(tt.msg, Context{Today: day})
			if len(p.Unclear) > 0 {
				t.Fatalf("Parse(%q) = %s", tt.msg, summary(p))
			}
			q, err := tt.c.Quote(p.Order)
			if err != nil {
				t.Fatal(err)
			}
			if q.Subtotal != tt.sub || q.DeliveryFee != tt.fee || q.Total != tt.total || q.Due != tt.due || q.Area != tt.area || q.FeeKnown != tt.known || q.Free != tt.free {
				t.Errorf("Quote = %+v", q)
			}
		})
	}
}

func TestQuoteRefusesLines(t *testing.T) {
	c := demo(t)
	for _, tt := range []struct {
		line Line
		want string
	}{
		{Line{Item: "ayam", Qty: 1, Unit: "kg"}, `quote line 1: no item "ayam" in the catalog`},
		{Line{Item: "beras", Qty: 1, Unit: "liter"}, "quote line 1: beras is sold by the kg, not the liter"},
		{Line{Item: "beras", Qty: 0, Unit: "kg"}, "quote line 1: beras: quantity 0 is not above 0"},
	} {
		if _, err := c.Quote(Order{Lines: []Line{tt.line}}); err == nil || err.Error() != tt.want {
			t.Errorf("Quote(%+v) = %v, want %s", tt.line, err, tt.want)
		}
	}
}

func TestRekap(t *testing.T) {
	c := demo(t)
	tests := []struct {
		msg, lang, want string
	}{
		{"min mau pesan beras 5kg sama telur sekilo, kirim ke jl mawar 5 ngaglik", "id", `Rekap pesanan Kakak 🧾
• Beras pandan wangi 5 kg × Rp15.000 = Rp75.000
• Telur ayam 1 kg × Rp29.000 = Rp29.000
Subtotal: Rp104.000
Ongkir Sleman: Rp8.000
Total: Rp112.000
Dikirim ke: jl mawar 5 ngaglik`},
		{"2 kg of rice and half a kilo of eggs, deliver to Jl Kaliurang 10 Sleman", "en", `Your order 🧾
• Pandan fragrant rice 2 kg × Rp15,000 = Rp30,000
• Chicken eggs 0.5 kg × Rp29,000 = Rp14,500
Subtotal: Rp44,500
Delivery to Sleman: Rp8,000
Total: Rp52,500
Delivered to: Jl Kaliurang 10 Sleman`},
		{"gula 1,5 kg, tempe 2 papan, bayam 3 ikat, ambil sendiri", "id", `Rekap pesanan Kakak 🧾
• Gula pasir 1,5 kg × Rp17.000 = Rp25.500
• Tempe 2 papan × Rp6.000 = Rp12.000
• Bayam 3 ikat × Rp5.000 = Rp15.000
Subtotal: Rp52.500
Ambil di toko: tanpa ongkir
Total: Rp52.500`},
		{"kue lapis 1 loyang, beras 10 kg, kirim ke depok", "id", `Rekap pesanan Kakak 🧾
• Kue lapis legit 1 loyang × Rp350.000 = Rp350.000 (PO, siap 24 Desember 2026)
• Beras pandan wangi 10 kg × Rp15.000 = Rp150.000
Subtotal: Rp500.000
Ongkir: gratis (belanja Rp150.000 ke atas) 🎉
Total: Rp500.000
DP pre-order: Rp175.000
Dikirim ke: depok`},
		{"layer cake 1, pick up", "en", `Your order 🧾
• Lapis legit layer cake 1 cake × Rp350,000 = Rp350,000 (pre-order, ready 24 December 2026)
Subtotal: Rp350,000
Pickup at the shop: no delivery fee
Total: Rp350,000
Pre-order deposit: Rp175,000`},
		{"nasi bungkus 3, kirim ke klaten", "id", `Rekap pesanan Kakak 🧾
• Nasi bungkus dengan lauk 3 bungkus × Rp12.000 = Rp36.000
Subtotal: Rp36.000
Ongkir ke alamat ini dikonfirmasi admin dulu ya, Kak
Total: Rp36.000 (belum termasuk ongkir)
Dikirim ke: klaten`},
		{"three rice packs", "en", `Your order 🧾
• Rice pack with a side dish 3 packs × Rp12,000 = Rp36,000
Subtotal: Rp36,000
Total: Rp36,000 (before delivery)`},
	}
	for _, tt := range tests {
		p := c.Parse(tt.msg, Context{Today: day})
		q, err := c.Quote(p.Order)
		if err != nil || len(p.Unclear) > 0 {
			t.Fatalf("Parse(%q) = %s, %v", tt.msg, summary(p), err)
		}
		if got := c.Rekap(q, tt.lang); got != tt.want {
			t.Errorf("Rekap(%q, %s):\n%s\nwant:\n%s", tt.msg, tt.lang, got, tt.want)
		}
	}
}

func TestPaymentText(t *testing.T) {
	c := demo(t)
	tests := []struct {
		msg, lang, want string
	}{
		{"beras 5kg, kirim ke ngaglik", "id", "Silakan bayar Rp83.000 lewat:\n• Transfer BCA 1234567890 a.n. Sari Wulandari\n• QRIS (kodenya kami kirimkan)\n• Bayar di tempat (COD)"},
		{"beras 5kg, pick up", "en", "Please pay Rp75,000 by:\n• Bank transfer: BCA 1234567890 (Sari Wulandari)\n• QRIS (we'll send the code)\n• Cash when you pick it up"},
		{"kue lapis 2, ambil sendiri", "id", "Silakan bayar Rp350.000 lewat:\n• Transfer BCA 1234567890 a.n. Sari Wulandari\n• QRIS (kodenya kami kirimkan)\n• Tunai saat ambil di toko"},
		{"beras 5kg", "id", "Silakan bayar Rp75.000 lewat:\n• Transfer BCA 1234567890 a.n. Sari Wulandari\n• QRIS (kodenya kami kirimkan)\n• Bayar di tempat (COD)\nOngkirnya menyusul ya, Kak 🙏"},
	}
	for _, tt := range tests {
		q, err := c.Quote(c.Parse(tt.msg, Context{Today: day}).Order)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.PaymentText(q, tt.lang); got != tt.want {
			t.Errorf("PaymentText(%q, %s):\n%s\nwant:\n%s", tt.msg, tt.lang, got, tt.want)
		}
	}
	only, err := Load(fstest.MapFS{File: {Data: []byte(small)}})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := only.Quote(Order{Lines: []Line{{Item: "tempe", Qty: 1, Unit: "papan"}}, Pickup: true})
	if got, want := only.PaymentText(q, "id"), "Silakan bayar Rp6.000 lewat:\n• Tunai saat ambil di toko"; got != want {
		t.Errorf("cod only: %q, want %q", got, want)
	}
}

// TestUnitWord shows each unit an item is sold by as a customer reads
// it: its Indonesian name, or its English word, singular for one; an
// item may name its unit in English itself.
func TestUnitWord(t *testing.T) {
	c, err := parseFile([]byte(`items:
  - {id: telur, name: Telur, price: 45000, unit: {id: papan, en: tray}}
  - {id: puyuh, name: Telur puyuh, price: 500, unit: butir}
  - {id: bayam, name: Bayam, price: 5000, unit: ikat}
  - {id: nasi, name: Nasi, price: 12000, unit: bungkus}
  - {id: kue, name: Kue, price: 90000, unit: loyang}
  - {id: kopi, name: Kopi, price: 2000, unit: sachet}
  - {id: beras, name: Beras, price: 300000, unit: karung}
  - {id: tempe, name: Tempe, price: 6000, unit: papan}
  - {id: gula, name: Gula, price: 17000, unit: kg}
  - {id: susu, name: Susu, price: 9000, unit: {id: kotak, en: carton}}
delivery: {pickup: true}
payment: {cod: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		item   string
		q      float64
		id, en string
	}{
		{"telur", 1, "papan", "tray"},
		{"telur", 2, "papan", "trays"},
		{"puyuh", 10, "butir", "pieces"},
		{"bayam", 1, "ikat", "bunch"},
		{"bayam", 3, "ikat", "bunches"},
		{"nasi", 2, "bungkus", "packs"},
		{"kue", 1, "loyang", "cake"},
		{"kue", 2, "loyang", "cakes"},
		{"kopi", 5, "sachet", "sachets"},
		{"beras", 1, "karung", "sack"},
		{"tempe", 2, "papan", "blocks"},
		{"gula", 2, "kg", "kg"},
		{"susu", 0.5, "kotak", "cartons"},
	}
	for _, tt := range tests {
		it, _ := c.Item(tt.item)
		if got := it.UnitWord(tt.q, "id"); got != tt.id {
			t.Errorf("%s %v in id = %q, want %q", tt.item, tt.q, got, tt.id)
		}
		if got := it.UnitWord(tt.q, "en"); got != tt.en {
			t.Errorf("%s %v in en = %q, want %q", tt.item, tt.q, got, tt.en)
		}
	}
	q, err := c.Quote(Order{Lines: []Line{{Item: "telur", Qty: 2, Unit: "papan"}}, Pickup: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Rekap(q, "en"), "• Telur 2 trays × Rp45,000 = Rp90,000"; !strings.Contains(got, want) {
		t.Errorf("rekap in English:\n%s\nwant a line %s", got, want)
	}
	u := c.Parse("mau telur", Context{}).Unclear[0]
	if got, want := c.Question(u, "en"), "How many trays of Telur would you like?"; got != want {
		t.Errorf("question = %q, want %q", got, want)
	}
}
