package catalog

import (
	"strconv"
	"strings"

	"github.com/mitra-care/mitra/internal/care"
)

// Ask is what HowToPay asks a customer to pay of an order.
type Ask int

// What a customer is asked to pay.
const (
	// AskDue: what is due when the order is placed (care.Order.DueNow),
	// as a list of the ways to pay; for a pre-order with a down payment
	// it says what the amount is made of and what is left for later.
	AskDue Ask = iota
	// AskDifference: Amount more, after the delivery fee went up once
	// money had come in, as a list of the ways to pay.
	AskDifference
	// AskBalance: the balance of a pre-order (care.Order.Balance), in one
	// sentence that names where to pay it, for the reminder.
	AskBalance
)

// PayRequest is what HowToPay asks for.
type PayRequest struct {
	Ask Ask
	// Amount is what AskDifference asks for.
	Amount int64
	// Method limits the ways named to the one the customer chose; ""
	// names every way the shop takes ahead (transfer, QRIS).
	Method care.PaymentMethod
}

// HowToPay says how the customer of order o pays what r asks, by the
// bank transfer and QRIS of the shop's payment section, in Indonesian
// or, for lang "en", English: the one text of how to pay an order, when
// it is placed, when its fee is set and when its balance is due.
func (c *Catalog) HowToPay(o care.Order, r PayRequest, lang string) string {
	en := lang == "en"
	p := c.payment
	transfer := p.Transfer
	if r.Method != "" && r.Method != care.MethodTransfer {
		transfer = nil
	}
	qris := p.QRIS && (r.Method == "" || r.Method == care.MethodQRIS)
	if r.Ask == AskBalance {
		var b strings.Builder
		b.WriteString(pick(en, "Sisa pelunasan %s ya", "The balance of %s is due by then", care.Rupiah(o.Balance(), lang)))
		switch {
		case transfer != nil:
			b.WriteString(pick(en, ", ke %s %s a.n. %s.", "; please transfer it to %s %s (%s).", transfer.Bank, transfer.Account, transfer.Name))
		case qris:
			b.WriteString(pick(en, ", lewat QRIS.", "; please pay it by QRIS."))
		default:
			b.WriteString(".")
		}
		return b.String()
	}
	var b strings.Builder
	if r.Ask == AskDifference {
		b.WriteString(pick(en, "Silakan bayar kekurangannya %s lewat:", "Please pay the difference of %s by:", care.Rupiah(r.Amount, lang)))
	} else {
		b.WriteString(pick(en, "Silakan bayar %s lewat:", "Please pay %s by:", care.Rupiah(o.DueNow(), lang)))
	}
	if transfer != nil {
		b.WriteString(pick(en, "\n• Transfer %s %s a.n. %s", "\n• Bank transfer: %s %s (%s)", transfer.Bank, transfer.Account, transfer.Name))
	}
	if qris {
		b.WriteString(pick(en, "\n• QRIS (kodenya kami kirimkan)", "\n• QRIS (we will send you the code)"))
	}
	if balance := o.BalanceBase(); r.Ask == AskDue && balance > 0 {
		b.WriteString("\n" + dueParts(o, balance, lang))
	}
	b.WriteString(pick(en, "\nSetelah bayar, kirim foto bukti bayarnya di sini ya, Kak.", "\nOnce paid, send a photo of the receipt here."))
	return b.String()
}

// dueParts says what a pre-order's amount due now is made of — its DP,
// the delivery fee, the other lines — and the balance left for when it
// is ready.
func dueParts(o care.Order, balance int64, lang string) string {
	en := lang == "en"
	deposit := o.PreOrder.Deposit
	rest := balance
	if deposit == o.DueNow() {
		return pick(en, "Itu DP pre-order-nya, Kak; sisa pelunasan %s dibayar saat pesanan siap.",
			"That is the pre-order deposit; the balance of %s is paid when the order is ready.", care.Rupiah(rest, lang))
	}
	parts := []string{pick(en, "DP pre-order %s", "the pre-order deposit %s", care.Rupiah(deposit, lang))}
	if o.DeliveryFee > 0 {
		parts = append(parts, pick(en, "ongkir %s", "the delivery fee %s", care.Rupiah(o.DeliveryFee, lang)))
	}
	if other := o.DueNow() - deposit - o.DeliveryFee; other > 0 {
		parts = append(parts, pick(en, "belanjaan lainnya %s", "the other items %s", care.Rupiah(other, lang)))
	}
	and := pick(en, " dan ", " and ")
	list := parts[0]
	if n := len(parts); n > 1 {
		list = strings.Join(parts[:n-1], ", ") + and + parts[n-1]
	}
	return pick(en, "Itu %s, Kak; sisa pelunasan %s dibayar saat pesanan siap.",
		"That is %s; the balance of %s is paid when the order is ready.", list, care.Rupiah(rest, lang))
}

// OrderPayText says how the customer pays an order once staff set or
// changed its delivery fee (a care.PayText): cash on delivery of the
// total for a COD order; for one whose money has not come in, what is
// due now (HowToPay); for one whose money has come in (a proof awaiting
// the check, a pre-order's DP paid), only the difference: added to the
// balance of a pre-order whose balance is not paid yet, else asked for
// now (or, when the fee went down, given back). In Indonesian or, for
// lang "en", English.
func (c *Catalog) OrderPayText(o care.Order, lang string) string {
	en := lang == "en"
	if o.Method == care.MethodCOD {
		return pick(en, "Bayarnya di tempat (COD) %s saat pesanan sampai ya, Kak.", "You pay %s cash on delivery (COD).", care.Rupiah(o.Total, lang))
	}
	paidFee, in := o.FeePaid()
	if !in {
		return c.HowToPay(o, PayRequest{Ask: AskDue}, lang)
	}
	if o.PreOrder != nil && o.PreOrder.Deposit > 0 && (o.Payment == care.PaymentDeposit || o.Payment == care.PaymentAwaiting && !o.AwaitingBalance()) {
		// The balance is still to come: the difference goes into it.
		if over := paidFee - o.DeliveryFee - o.BalanceBase(); over > 0 {
			return pick(en, "Kelebihan bayarnya %s kami kembalikan ya, Kak, dan pelunasannya tidak ada lagi.",
				"We will give you back the %s paid over, and there is no balance left to pay.", care.Rupiah(over, lang))
		}
		return pick(en, "Selisih ongkirnya masuk ke pelunasan ya, Kak: sisa pelunasannya sekarang %s, dibayar saat pesanan siap.",
			"The difference goes into the balance: it is now %s, paid when the order is ready.", care.Rupiah(o.Balance(), lang))
	}
	// The whole (or the balance) was paid with the fee as it was before
	// this change.
	diff := o.DeliveryFee - lastFee(o, paidFee)
	switch {
	case diff > 0:
		return c.HowToPay(o, PayRequest{Ask: AskDifference, Amount: diff}, lang)
	case diff < 0:
		return pick(en, "Kelebihan bayarnya %s kami kembalikan ya, Kak.", "We will give you back the %s paid over.", care.Rupiah(-diff, lang))
	}
	return ""
}

// lastFee is the delivery fee of order o before its last change; def
// when it has none.
func lastFee(o care.Order, def int64) int64 {
	for i := len(o.History) - 1; i >= 0; i-- {
		if e := o.History[i]; e.What == care.FieldFee {
			fee, _ := strconv.ParseInt(e.From, 10, 64) // "" (not known) is 0
			return fee
		}
	}
	return def
}
