package catalog

import (
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

var (
	rice = care.OrderLine{Item: "beras", Name: "Beras pandan wangi", Qty: 2, Unit: "kg", Price: 15_000}
	eggs = care.OrderLine{Item: "telur", Name: "Telur ayam", Qty: 2, Unit: "kg", Price: 29_000}
	cake = care.OrderLine{Item: "lapis_legit", Name: "Kue lapis legit", Qty: 1, Unit: "loyang", Price: 350_000, Preorder: true}
)

// preorder is an order of lines delivered for fee, with a 50% DP of its
// cake, its payment pay and its history h.
func preorder(pay care.PaymentState, fee int64, h []care.OrderEvent, lines ...care.OrderLine) care.Order {
	o := care.Order{Number: "WBS-0142", Method: care.MethodTransfer, Lines: lines, DeliveryFee: fee, Payment: pay, History: h,
		Delivery: care.OrderDelivery{Address: "Jl. Mawar 5, Sleman"}, PreOrder: &care.PreOrder{Deposit: 175_000}}
	for _, l := range lines {
		o.Subtotal += l.Amount()
	}
	o.Total = o.Subtotal + fee
	if fee == 0 && h == nil {
		o.Delivery = care.OrderDelivery{Pickup: true}
	}
	return o
}

// feeChange is the history of an order whose payment moved from unpaid
// to pay, then whose fee changed from from to to.
func feeChange(pay care.PaymentState, from, to string) []care.OrderEvent {
	return []care.OrderEvent{{What: care.FieldPayment, From: "unpaid", To: string(pay)}, {What: care.FieldFee, From: from, To: to}}
}

// TestOrderPayText says how to pay an order whose fee was just set.
func TestOrderPayText(t *testing.T) {
	c := demo(t)
	plain := func(pay care.PaymentState, fee int64, h []care.OrderEvent) care.Order {
		o := preorder(pay, fee, h, rice)
		o.PreOrder = nil
		return o
	}
	const (
		ways    = "\n• Transfer BCA 1234567890 a.n. Sari Wulandari\n• QRIS (kodenya kami kirimkan)\n"
		receipt = "Setelah bayar, kirim foto bukti bayarnya di sini ya, Kak."
	)
	tests := []struct {
		name string
		o    care.Order
		lang string
		want string
	}{
		{"transfer", plain(care.PaymentUnpaid, 12_000, nil), "id", "Silakan bayar Rp42.000 lewat:" + ways + receipt},
		{"english", plain(care.PaymentUnpaid, 12_000, nil), "en",
			"Please pay Rp42,000 by:\n• Bank transfer: BCA 1234567890 (Sari Wulandari)\n• QRIS (we will send you the code)\nOnce paid, send a photo of the receipt here."},
		{"cod", func() care.Order { o := plain(care.PaymentCOD, 12_000, nil); o.Method = care.MethodCOD; return o }(), "id",
			"Bayarnya di tempat (COD) Rp42.000 saat pesanan sampai ya, Kak."},
		{"pre-order deposit, picked up", preorder(care.PaymentUnpaid, 0, nil, cake), "id",
			"Silakan bayar Rp175.000 lewat:" + ways + "Itu DP pre-order-nya, Kak; sisa pelunasan Rp175.000 dibayar saat pesanan siap.\n" + receipt},
		{"pre-order delivered", preorder(care.PaymentUnpaid, 8_000, nil, cake), "id",
			"Silakan bayar Rp183.000 lewat:" + ways + "Itu DP pre-order Rp175.000 dan ongkir Rp8.000, Kak; sisa pelunasan Rp175.000 dibayar saat pesanan siap.\n" + receipt},
		{"pre-order, eggs and the fee", preorder(care.PaymentUnpaid, 8_000, nil, cake, eggs), "id",
			"Silakan bayar Rp241.000 lewat:" + ways + "Itu DP pre-order Rp175.000, ongkir Rp8.000 dan belanjaan lainnya Rp58.000, Kak; sisa pelunasan Rp175.000 dibayar saat pesanan siap.\n" + receipt},
		{"pre-order, eggs and the fee, in English", preorder(care.PaymentUnpaid, 8_000, nil, cake, eggs), "en",
			"Please pay Rp241,000 by:\n• Bank transfer: BCA 1234567890 (Sari Wulandari)\n• QRIS (we will send you the code)\n" +
				"That is the pre-order deposit Rp175,000, the delivery fee Rp8,000 and the other items Rp58,000; the balance of Rp175,000 is paid when the order is ready.\n" +
				"Once paid, send a photo of the receipt here."},
		// Once money came in, only the difference.
		{"DP paid, the fee up: into the balance", preorder(care.PaymentDeposit, 12_000, feeChange(care.PaymentDeposit, "8000", "12000"), cake, eggs), "id",
			"Selisih ongkirnya masuk ke pelunasan ya, Kak: sisa pelunasannya sekarang Rp179.000, dibayar saat pesanan siap."},
		{"the DP's proof awaits, the fee down", preorder(care.PaymentAwaiting, 5_000, feeChange(care.PaymentAwaiting, "8000", "5000"), cake, eggs), "en",
			"The difference goes into the balance: it is now Rp172,000, paid when the order is ready."},
		{"a DP of it all, the fee down: given back", func() care.Order {
			o := preorder(care.PaymentDeposit, 5_000, feeChange(care.PaymentDeposit, "8000", "5000"), cake, eggs)
			o.PreOrder.Deposit = 350_000
			return o
		}(), "id", "Kelebihan bayarnya Rp3.000 kami kembalikan ya, Kak, dan pelunasannya tidak ada lagi."},
		{"a proof awaits, the fee up: the difference", plain(care.PaymentAwaiting, 12_000, feeChange(care.PaymentAwaiting, "8000", "12000")), "id",
			"Silakan bayar kekurangannya Rp4.000 lewat:" + ways + receipt},
		{"a proof awaits, the fee down: given back", plain(care.PaymentAwaiting, 5_000, feeChange(care.PaymentAwaiting, "8000", "5000")), "en",
			"We will give you back the Rp3,000 paid over."},
		{"the balance's proof awaits, the fee up", preorder(care.PaymentAwaiting, 12_000, []care.OrderEvent{
			{What: care.FieldPayment, From: "unpaid", To: "dp_paid"}, {What: care.FieldPayment, From: "dp_paid", To: "awaiting"},
			{What: care.FieldFee, From: "8000", To: "12000"}}, cake, eggs), "id",
			"Silakan bayar kekurangannya Rp4.000 lewat:" + ways + receipt},
	}
	for _, tt := range tests {
		if got := c.OrderPayText(tt.o, tt.lang); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

// TestHowToPayBalance: the balance in one sentence, by the first way
// the shop takes.
func TestHowToPayBalance(t *testing.T) {
	c := demo(t)
	o := preorder(care.PaymentDeposit, 8_000, []care.OrderEvent{{What: care.FieldPayment, From: "unpaid", To: "dp_paid"}}, cake, eggs)
	for lang, want := range map[string]string{
		"id": "Sisa pelunasan Rp175.000 ya, ke BCA 1234567890 a.n. Sari Wulandari.",
		"en": "The balance of Rp175,000 is due by then; please transfer it to BCA 1234567890 (Sari Wulandari).",
	} {
		if got := c.HowToPay(o, PayRequest{Ask: AskBalance}, lang); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	// QRIS alone, the way the customer chose.
	if got, want := c.HowToPay(o, PayRequest{Ask: AskBalance, Method: care.MethodQRIS}, "en"), "The balance of Rp175,000 is due by then; please pay it by QRIS."; got != want {
		t.Errorf("QRIS: %q, want %q", got, want)
	}
}
