package catalog

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Line is how much of an item is ordered.
type Line struct {
	Item string  // the item's id
	Qty  float64 // in Unit: 0.5 is half a kilo
	Unit string  // the item's unit: what the customer said is converted to it
}

// Order is what a rekap is made of.
type Order struct {
	Lines []Line
	// Pickup: the customer collects the order at the shop. Deliver: it
	// is delivered, to Address when they gave one (as they wrote it).
	// Neither when they did not say; never both.
	Pickup, Deliver bool
	Address         string
}

// Parsed is what a message says about an order. An empty Parsed (no
// lines, nothing unclear, no delivery) is a message about something
// else.
type Parsed struct {
	Order
	// Unclear are the things to ask about before the order can be
	// rekap'd, in the order the customer wrote them.
	Unclear []Unclear
	// Cancel lists the items the customer took back ("telurnya ga
	// jadi"), by id.
	Cancel []string
	// Name and Phone come from a format order ("Nama: ...", "No HP:
	// ..."), "atas nama ..." or a phone number written out; Phone is its
	// digits.
	Name, Phone string
	// Payment is the way to pay the customer named, if any.
	Payment care.PaymentMethod
	// Note is a format order's "Catatan:".
	Note string
}

// Context is what Parse knows besides the message.
type Context struct {
	// Today is the shop's day, in its time zone: a pre-order is closed
	// after the day it closes. Zero takes every pre-order as open.
	Today time.Time
	// Booked is how much of each pre-order item, and of each item
	// whose stock is counted, earlier orders hold, by item id; the
	// quota and the stock count it.
	Booked map[string]float64
	// Asking is the item whose quantity the bot just asked about: a
	// message that is only a quantity ("2", "setengah kilo aja") is of
	// it.
	Asking string
}

// Parse reads an order from a customer's message: free sentences ("min
// mau pesan beras 5kg sama telur sekilo, kirim ke jl mawar 5"), a
// pasted format order, or a short answer. It never guesses: an unknown
// product, a missing quantity, a unit that does not fit, a quantity out
// of bounds, an item out of stock or a closed pre-order is Unclear, and
// the item is not in Lines.
func (c *Catalog) Parse(text string, ctx Context) Parsed {
	r := reader{c: c, ctx: ctx}
	r.message(text)
	r.finish()
	return r.p
}

// reader is the state of one Parse.
type reader struct {
	c     *Catalog
	ctx   Context
	p     Parsed
	wants []want
	// loose are unknown words right after an order verb ("mau pesan
	// berass") with no quantity: asked about when they look like a
	// product.
	loose []mention
}

// want is one thing the customer asked for, before it is checked.
type want struct {
	m    mention // the item, category or unknown words; kind 0 for none
	q    *qty    // nil when no quantity was given
	each bool    // the quantity is for each of the items before ("masing-masing")
}

// message reads a message line by line: a format order's fields, and
// everything else as free text.
func (r *reader) message(text string) {
	lines := strings.FieldsFunc(text, func(c rune) bool { return c == '\n' || c == '\r' })
	for i := 0; i < len(lines); i++ {
		key, val, ok := field(lines[i])
		if !ok {
			r.free(lines[i])
			continue
		}
		if val == "" && key != fieldOrder && i+1 < len(lines) {
			// "Alamat:" with the address on the next line.
			if _, _, next := field(lines[i+1]); !next {
				i++
				val = strings.TrimSpace(lines[i])
			}
		}
		r.field(key, val)
	}
}

// handover is how the customer gets the order, as a sentence says it.
type handover uint8

const (
	unsaid handover = iota
	pickup
	deliver
)

// handover records how the customer gets the order, the last said
// winning.
func (r *reader) handover(h handover) {
	if h != unsaid {
		r.p.Pickup, r.p.Deliver = h == pickup, h == deliver
	}
}

// finish checks what was asked for, item by item.
func (r *reader) finish() {
	for i := range r.wants {
		w := &r.wants[i]
		if w.each && w.q != nil {
			// "tempe dan tahu masing-masing 2 papan": the items before
			// with no quantity of their own get it too.
			for j := i - 1; j >= 0 && r.wants[j].q == nil && r.wants[j].m.kind == mItem; j-- {
				r.wants[j].q = w.q
			}
		}
	}
	seen := map[string]int{}   // item id → its index in p.Lines, plus one
	twice := map[string]bool{} // items already asked about as Twice
	asking, ok := r.c.byID[r.ctx.Asking]
	answered := !ok // a bare quantity is the answer, once, when an item was asked about
	for _, w := range r.wants {
		if w.m.kind == 0 && !answered {
			// The first bare quantity answers the question.
			answered = true
			w.m = mention{kind: mItem, entry: entry{items: []int{asking}}}
		}
		line, u := r.check(w)
		switch {
		case u != nil:
			r.p.Unclear = append(r.p.Unclear, *u)
		case twice[line.Item]:
		case seen[line.Item] > 0:
			// "beras 5kg ... beras 3kg": more, or a correction? Ask.
			j := seen[line.Item] - 1
			first := r.p.Lines[j]
			r.p.Lines = slices.Delete(r.p.Lines, j, j+1)
			for id, k := range seen {
				if k > j+1 {
					seen[id] = k - 1
				}
			}
			twice[line.Item] = true
			r.p.Unclear = append(r.p.Unclear, Unclear{Reason: Twice, Item: line.Item, Said: w.m.said,
				Qty: line.Qty, Unit: line.Unit, First: first.Qty})
		default:
			r.p.Lines = append(r.p.Lines, line)
			seen[line.Item] = len(r.p.Lines)
		}
	}
	for _, m := range r.loose {
		if s := r.c.suggest(m.words); len(s) > 0 {
			r.p.Unclear = append(r.p.Unclear, Unclear{Reason: UnknownItem, Said: m.said, Suggest: s})
		}
	}
}

// check turns a want into a line, or says what is unclear about it.
func (r *reader) check(w want) (Line, *Unclear) {
	u := &Unclear{Said: w.m.said}
	if w.q != nil {
		u.Qty, u.Said = w.q.n, strings.TrimSpace(w.m.said+" "+w.q.said)
		if w.q.unit != nil {
			u.Unit = w.q.unit.name
		}
	}
	switch {
	case w.m.kind == 0:
		u.Reason, u.Said = NoItem, w.q.said
		return Line{}, u
	case w.m.kind == mUnknown:
		u.Reason, u.Said, u.Suggest = UnknownItem, w.m.said, r.c.suggest(w.m.words)
		return Line{}, u
	case len(w.m.items) > 1:
		u.Reason, u.Said = Which, w.m.said
		// Offer what is in stock, unless nothing is.
		for _, avail := range []bool{true, false} {
			for _, i := range w.m.items {
				if it := &r.c.items[i]; it.Available || !avail {
					u.Suggest = append(u.Suggest, it.ID)
				}
			}
			if len(u.Suggest) > 0 {
				break
			}
		}
		return Line{}, u
	}
	it := &r.c.items[w.m.items[0]]
	u.Item = it.ID
	sold := unitNames[it.Unit]
	po := it.Preorder
	switch {
	case !it.Available || it.Stock > 0 && it.Stock-r.ctx.Booked[it.ID] <= 0:
		u.Reason = OutOfStock
		return Line{}, u
	case po != nil && !po.open(r.ctx.Today):
		u.Reason = PreorderClosed
		return Line{}, u
	case w.q == nil:
		u.Reason = NoQuantity
		return Line{}, u
	}
	qty := w.q.n
	switch {
	case w.q.unit == nil && it.UnitRequired:
		u.Reason = NoUnit
		return Line{}, u
	case w.q.unit != nil:
		var ok bool
		if qty, ok = convert(qty, w.q.unit, sold); !ok {
			u.Reason = WrongUnit
			return Line{}, u
		}
	}
	limit := it.Max
	if limit == 0 {
		limit = DefaultMax
	}
	switch {
	case qty <= 0 || sold.kind == count && qty != math.Trunc(qty):
		u.Reason = BadQuantity
	case qty > limit:
		u.Reason, u.Limit = TooMuch, limit
	case qty < it.Min:
		u.Reason, u.Limit = TooLittle, it.Min
	case it.Stock > 0 && qty > it.Stock-r.ctx.Booked[it.ID]:
		u.Reason, u.Limit = NotEnough, it.Stock-r.ctx.Booked[it.ID]
	case po != nil && po.Quota > 0 && qty > po.Quota-r.ctx.Booked[it.ID]:
		u.Reason, u.Limit = PreorderFull, max(po.Quota-r.ctx.Booked[it.ID], 0)
	default:
		return Line{Item: it.ID, Qty: qty, Unit: it.Unit}, nil
	}
	return Line{}, u
}

// roundQty rounds a converted quantity to grams and millilitres, so
// that 5 ons is 0.5 kg and not 0.5000000000000001.
func roundQty(q float64) float64 { return math.Round(q*1000) / 1000 }
