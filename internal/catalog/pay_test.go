package catalog

import (
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

// TestOrderPayText says how to pay an order whose fee was just set.
func TestOrderPayText(t *testing.T) {
	c := demo(t)
	rice := care.OrderLine{Item: "beras", Name: "Beras pandan wangi", Qty: 2, Unit: "kg", Price: 15_000}
	cake := care.OrderLine{Item: "lapis_legit", Name: "Kue lapis legit", Qty: 1, Unit: "loyang", Price: 350_000, Preorder: true}
	tests := []struct {
		name string
		o    care.Order
		lang string
		want string
	}{
		{"transfer", care.Order{Method: care.MethodTransfer, Lines: []care.OrderLine{rice}, Total: 42_000}, "id",
			"Silakan bayar Rp42.000 lewat:\n• Transfer BCA 1234567890 a.n. Sari Wulandari\n• QRIS (kodenya kami kirimkan)\nSetelah bayar, kirim foto bukti bayarnya di sini ya, Kak."},
		{"english", care.Order{Method: care.MethodQRIS, Lines: []care.OrderLine{rice}, Total: 42_000}, "en",
			"Please pay Rp42,000 by:\n• Bank transfer: BCA 1234567890 (Sari Wulandari)\n• QRIS (we will send you the code)\nOnce paid, send a photo of the receipt here."},
		{"cod", care.Order{Method: care.MethodCOD, Lines: []care.OrderLine{rice}, Total: 42_000}, "id",
			"Bayarnya di tempat (COD) Rp42.000 saat pesanan sampai ya, Kak."},
		{"pre-order deposit", care.Order{Method: care.MethodTransfer, Lines: []care.OrderLine{rice, cake}, Total: 392_000, PreOrder: &care.PreOrder{Deposit: 175_000}}, "id",
			"Silakan bayar Rp217.000 lewat:\n• Transfer BCA 1234567890 a.n. Sari Wulandari\n• QRIS (kodenya kami kirimkan)\nItu DP pre-order-nya; sisanya dibayar saat pesanan siap.\nSetelah bayar, kirim foto bukti bayarnya di sini ya, Kak."},
	}
	for _, tt := range tests {
		if got := c.OrderPayText(tt.o, tt.lang); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}
