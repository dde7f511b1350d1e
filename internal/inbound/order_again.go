package inbound

import (
	"strings"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
)

// A customer who ordered before can order the same again ("pesan lagi",
// "order again"): their last order, priced today and checked against
// what the shop has now, becomes the order being made. A regular — three
// orders completed — is greeted by name and offered it as their usual.

// CallOrderAgain is the call that copies the last order.
const CallOrderAgain = "order_again"

// The {{mitra.x}} values of a customer's orders.
const (
	mitraLastOrder = "last_order"
	mitraUsual     = "usual"
)

// orderValues adds the values of a customer's orders (read) to m: their
// last order not cancelled, as the draft of an order writes it (its
// items, delivery or pickup, how it was paid) with its address on a
// line of its own, and for a regular that order in words.
func (o *orderDesk) orderValues(m map[string]string, orders []care.Order, lang string) {
	var last *care.Order
	done := 0
	for i := range orders {
		switch orders[i].State {
		case care.OrderCancelled:
			continue
		case care.OrderCompleted:
			done++
		}
		last = &orders[i]
	}
	if last == nil {
		return
	}
	d := draft{pickup: last.Delivery.Pickup, deliver: !last.Delivery.Pickup && last.Delivery.Address != "", address: last.Delivery.Address,
		pay: string(last.Method)}
	var words []string
	for _, l := range last.Lines {
		d.lines = append(d.lines, catalog.Line{Item: l.Item, Qty: l.Qty})
		name, unit := l.Name, l.Unit
		if it, ok := o.itemOf(l.Item); ok {
			name, unit = it.Name(lang), it.UnitWord(l.Qty, lang)
		}
		words = append(words, name+" "+qtyWord(l.Qty, lang)+" "+unit)
	}
	vars, ok := d.vars(last.Created)
	if !ok {
		return
	}
	m[mitraLastOrder] = vars[varOrder] + "\n" + vars[varOrderAddr]
	if done >= care.RegularOrders {
		m[mitraUsual] = strings.Join(words, ", ")
	}
}

// itemOf is the catalog's item of id, when there is a catalog.
func (o *orderDesk) itemOf(id string) (catalog.Item, bool) {
	if o.cat == nil {
		return catalog.Item{}, false
	}
	return o.cat.Item(id)
}

// again makes the order being made a copy of the customer's last one
// (mitra.last_order), paid the same way if the shop still takes it,
// priced today and checked against what the shop has now: what cannot
// be ordered any more is told, what no longer fits (too much for the
// stock) is asked. order_next is "none" when
// there is no order to copy; the order flow takes it from there.
func (o *orderDesk) again(in flow.CallIn) flow.CallOut {
	if o.cat == nil {
		return flow.CallOut{Set: map[string]string{varOrderNext: routeStaff}}
	}
	first, addr, _ := strings.Cut(in.Env.Mitra[mitraLastOrder], "\n")
	last, ok := readDraft(map[string]string{varOrder: first, varOrderAddr: addr})
	if !ok || len(last.lines) == 0 {
		return flow.CallOut{Set: map[string]string{varOrderNext: "none"}}
	}
	now := in.Env.Now
	d := draft{pickup: last.pickup, deliver: last.deliver, address: last.address}
	if o.accepts(care.PaymentMethod(last.pay)) {
		d.pay = last.pay
	}
	var told []string
	for _, l := range last.lines {
		it, ok := o.cat.Item(l.Item)
		if !ok {
			told = append(told, pick(in.Lang, "Maaf, Kak, %s sudah tidak kami jual.", "Sorry, we no longer sell %s.", l.Item))
			continue
		}
		line, bad := o.check(it.ID, l.Qty, now)
		if bad != nil {
			if says, ok := o.tell(*bad, in.Lang); ok {
				told = append(told, says)
				continue
			}
		}
		d.settle(line, bad)
	}
	vars, _ := d.vars(now)
	vars[varOrderNext], vars[varOrderQ], vars[varOrderIn] = "again", "", ""
	return flow.CallOut{Set: vars, Say: told}
}

// accepts reports whether the shop takes payment by m now.
func (o *orderDesk) accepts(m care.PaymentMethod) bool {
	p := o.cat.Payment()
	switch m {
	case care.MethodTransfer:
		return p.Transfer != nil
	case care.MethodQRIS:
		return p.QRIS
	case care.MethodCOD:
		return p.COD
	}
	return false
}

// qtyWord writes a quantity: 5, 0,5 (0.5 in English).
func qtyWord(q float64, lang string) string {
	if lang == "en" {
		return num(q)
	}
	return strings.Replace(num(q), ".", ",", 1)
}
