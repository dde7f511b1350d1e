package catalog

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/flow"
)

// Quote is an order priced: its lines, the delivery fee (ongkir) and
// the total, in whole rupiah, named as care.Order names them.
type Quote struct {
	Lines    []QuoteLine
	Subtotal int64
	// Pickup, Deliver and Address are the order's.
	Pickup, Deliver bool
	Address         string
	// Area is the delivery area the address is in; "" for the flat fee.
	Area        string
	DeliveryFee int64
	// FeeKnown is false when the fee cannot be told: the customer did
	// not say delivery or pickup, or the address is in no area and the
	// shop has no flat fee. Staff then say it; Total leaves it out.
	FeeKnown bool
	// Free: the fee is waived, the subtotal being at least free_over.
	Free  bool
	Total int64
	// Deposit is the part of the pre-order lines paid ahead (their
	// dp_percent), and Due what to pay now (care.SplitDue): the total
	// less the rest of the pre-order lines, the balance paid when they
	// are ready.
	Deposit, Due int64
}

// QuoteLine is a line of an order priced, as an order keeps it (its
// Name is the item's first name in catalog.yaml), and whether its item
// is made to order.
type QuoteLine struct {
	care.OrderLine
	Preorder bool
}

// Quote prices an order. Its lines must be of the catalog's items in
// their units, as Parse returns them.
func (c *Catalog) Quote(o Order) (Quote, error) {
	q := Quote{Pickup: o.Pickup, Deliver: o.Deliver, Address: o.Address}
	var preorder int64
	for i, l := range o.Lines {
		it, ok := c.Item(l.Item)
		switch {
		case !ok:
			return Quote{}, fmt.Errorf("quote line %d: no item %q in the catalog", i+1, l.Item)
		case l.Unit != it.Unit:
			return Quote{}, fmt.Errorf("quote line %d: %s is sold by the %s, not the %s", i+1, l.Item, it.Unit, l.Unit)
		case !(l.Qty > 0):
			return Quote{}, fmt.Errorf("quote line %d: %s: quantity %v is not above 0", i+1, l.Item, l.Qty)
		}
		ql := QuoteLine{OrderLine: care.OrderLine{Item: l.Item, Name: it.names[0].text, Qty: l.Qty, Unit: l.Unit, Price: it.Price}, Preorder: it.Preorder != nil}
		amount := ql.Amount()
		q.Subtotal += amount
		if ql.Preorder {
			preorder += amount
			q.Deposit += int64(math.Round(float64(amount) * float64(it.Preorder.DPPercent) / 100))
		}
		q.Lines = append(q.Lines, ql)
	}
	d := c.delivery
	switch {
	case q.Pickup:
		q.FeeKnown = true
	case q.Deliver:
		if a, ok := d.area(o.Address); ok {
			q.Area, q.DeliveryFee, q.FeeKnown = a.Name, a.Fee, true
		} else if d.Flat >= 0 {
			q.DeliveryFee, q.FeeKnown = d.Flat, true
		}
		if q.FeeKnown && d.FreeOver > 0 && q.Subtotal >= d.FreeOver {
			q.DeliveryFee, q.Free = 0, true
		}
	}
	q.Total = q.Subtotal + q.DeliveryFee
	q.Due, _ = care.SplitDue(q.Total, preorder, q.Deposit)
	return q, nil
}

// area finds the delivery area an address names, the first listed
// winning.
func (d Delivery) area(address string) (Area, bool) {
	words := " " + flow.Normalize(address) + " "
	for _, a := range d.Areas {
		for _, m := range a.Match {
			if strings.Contains(words, " "+m+" ") {
				return a, true
			}
		}
	}
	return Area{}, false
}

// Rekap writes a quote as the shop sends it back: each item with its
// quantity × price, the subtotal, the delivery fee and the total, short
// and warm, in Indonesian or, for lang "en", English. Money is written
// the Indonesian way in both, with the separator of the language:
// Rp59.000, and Rp59,000 in English.
func (c *Catalog) Rekap(q Quote, lang string) string {
	en := lang == "en"
	var b strings.Builder
	b.WriteString(pick(en, "Rekap pesanan Kakak 🧾\n", "Your order 🧾\n"))
	for _, l := range q.Lines {
		it, _ := c.Item(l.Item)
		fmt.Fprintf(&b, "• %s %s %s × %s = %s", it.Name(lang), formatQty(l.Qty, lang), it.UnitWord(l.Qty, lang),
			care.Rupiah(l.Price, lang), care.Rupiah(l.Amount(), lang))
		if po := it.Preorder; po != nil {
			if po.Ready.IsZero() {
				b.WriteString(" (PO)")
			} else {
				b.WriteString(pick(en, " (PO, siap %s)", " (pre-order, ready %s)", formatDate(po.Ready, lang)))
			}
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "Subtotal: %s\n", care.Rupiah(q.Subtotal, lang))
	switch {
	case q.Pickup:
		b.WriteString(pick(en, "Ambil di toko: tanpa ongkir\n", "Pickup at the shop: no delivery fee\n"))
	case q.Free:
		b.WriteString(pick(en, "Ongkir: gratis (belanja %s ke atas) 🎉\n", "Delivery: free (orders of %s or more) 🎉\n", care.Rupiah(c.delivery.FreeOver, lang)))
	case q.FeeKnown && q.Area != "":
		b.WriteString(pick(en, "Ongkir %s: %s\n", "Delivery to %s: %s\n", q.Area, care.Rupiah(q.DeliveryFee, lang)))
	case q.FeeKnown:
		b.WriteString(pick(en, "Ongkir: %s\n", "Delivery: %s\n", care.Rupiah(q.DeliveryFee, lang)))
	case q.Deliver:
		b.WriteString(pick(en, "Ongkir ke alamat ini dikonfirmasi admin dulu ya, Kak\n", "Delivery fee to this address: the shop confirms it first\n"))
	}
	if q.FeeKnown {
		fmt.Fprintf(&b, "Total: %s\n", care.Rupiah(q.Total, lang))
	} else {
		b.WriteString(pick(en, "Total: %s (belum termasuk ongkir)\n", "Total: %s (before delivery)\n", care.Rupiah(q.Total, lang)))
	}
	if q.Deposit > 0 {
		b.WriteString(pick(en, "DP pre-order: %s\n", "Pre-order deposit: %s\n", care.Rupiah(q.Deposit, lang)))
	}
	if q.Deliver && q.Address != "" {
		b.WriteString(pick(en, "Dikirim ke: %s\n", "Delivered to: %s\n", q.Address))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// PaymentText says how to pay what is due on a quote, from the payment
// section, in Indonesian or, for lang "en", English.
func (c *Catalog) PaymentText(q Quote, lang string) string {
	en := lang == "en"
	var b strings.Builder
	b.WriteString(pick(en, "Silakan bayar %s lewat:", "Please pay %s by:", care.Rupiah(q.Due, lang)))
	p := c.payment
	if t := p.Transfer; t != nil {
		b.WriteString(pick(en, "\n• Transfer %s %s a.n. %s", "\n• Bank transfer: %s %s (%s)", t.Bank, t.Account, t.Name))
	}
	if p.QRIS {
		b.WriteString(pick(en, "\n• QRIS (kodenya kami kirimkan)", "\n• QRIS (we'll send the code)"))
	}
	if p.COD && q.Pickup {
		b.WriteString(pick(en, "\n• Tunai saat ambil di toko", "\n• Cash when you pick it up"))
	} else if p.COD {
		b.WriteString(pick(en, "\n• Bayar di tempat (COD)", "\n• Cash on delivery (COD)"))
	}
	if !q.FeeKnown {
		b.WriteString(pick(en, "\nOngkirnya menyusul ya, Kak 🙏", "\nThe delivery fee comes on top; we'll tell you 🙏"))
	}
	return b.String()
}

// formatQty writes a quantity: 2, 0,5 (0.5 in English), 1,25.
func formatQty(q float64, lang string) string {
	s := strconv.FormatFloat(q, 'f', -1, 64)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// unitWord writes a unit for a quantity: its name in Indonesian, its
// English word (singular for 1) in English.
func unitWord(u *unit, q float64, lang string) string {
	switch {
	case u == nil:
		return ""
	case lang != "en":
		return u.name
	case q == 1:
		return u.en
	}
	return u.enPlural
}

// months are the months in Indonesian.
var months = [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}

// formatDate writes a day: 24 Desember 2026, 24 December 2026.
func formatDate(d time.Time, lang string) string {
	if lang == "en" {
		return d.Format("2 January 2006")
	}
	return fmt.Sprintf("%d %s %d", d.Day(), months[d.Month()-1], d.Year())
}
