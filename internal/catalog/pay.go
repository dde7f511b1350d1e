package catalog

import (
	"strings"

	"github.com/mitra-care/mitra/internal/care"
)

// OrderPayText says how the customer pays an order filed before its
// delivery fee was known, once staff set it (a care.PayText): cash on
// delivery of the total for a COD order; otherwise what is due now —
// the total, or with a pre-order's down payment that and the other
// lines — by the bank transfer and QRIS the shop takes, and to send the
// receipt. In Indonesian or, for lang "en", English.
func (c *Catalog) OrderPayText(o care.Order, lang string) string {
	en := lang == "en"
	if o.Method == care.MethodCOD {
		return pick(en, "Bayarnya di tempat (COD) %s saat pesanan sampai ya, Kak.", "You pay %s cash on delivery (COD).", formatRupiah(o.Total, lang))
	}
	due := o.Total
	if po := o.PreOrder; po != nil && po.Deposit > 0 {
		for _, l := range o.Lines {
			if l.Preorder {
				due -= l.Amount()
			}
		}
		due += po.Deposit
	}
	var b strings.Builder
	b.WriteString(pick(en, "Silakan bayar %s lewat:", "Please pay %s by:", formatRupiah(due, lang)))
	p := c.payment
	if t := p.Transfer; t != nil {
		b.WriteString(pick(en, "\n• Transfer %s %s a.n. %s", "\n• Bank transfer: %s %s (%s)", t.Bank, t.Account, t.Name))
	}
	if p.QRIS {
		b.WriteString(pick(en, "\n• QRIS (kodenya kami kirimkan)", "\n• QRIS (we will send you the code)"))
	}
	if due != o.Total {
		b.WriteString(pick(en, "\nItu DP pre-order-nya; sisanya dibayar saat pesanan siap.", "\nThat is the pre-order deposit; the rest is paid when the order is ready."))
	}
	b.WriteString(pick(en, "\nSetelah bayar, kirim foto bukti bayarnya di sini ya, Kak.", "\nOnce paid, send a photo of the receipt here."))
	return b.String()
}
