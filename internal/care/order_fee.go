package care

import (
	"cmp"
	"context"
	"strconv"
	"time"
)

// A delivery to an address in none of the shop's areas, when the shop
// has no flat fee elsewhere, is filed with its fee not known yet
// (Order.FeePending): the customer is told the shop confirms the ongkir
// first, staff are alerted, and staff set it (SetFee). Until then the
// order's total leaves the fee out, and the order is not confirmed,
// paid, shipped or completed; the customer hears how to pay once the
// fee is set, with the new total.

// FieldFee: staff set the delivery fee (To, in rupiah) of an order, one
// that was not known yet (From "") or a correction (From the fee
// before). The total moves with it.
const FieldFee OrderField = "delivery_fee"

// PayText says how the customer of order o pays it, in lang: the shop's
// account, QRIS, cash on delivery. Nil says nothing.
type PayText func(o Order, lang string) string

// OrderFees sets the delivery fees of orders.
type OrderFees interface {
	// SetOrderFee sets the delivery fee of the order of ref (as
	// Order.SetFee, by staff member by) and queues the notice that tells
	// the customer the fee, the new total and, with pay, how to pay it,
	// in the same atomic step (class Transactional, through the gate).
	SetOrderFee(ctx context.Context, ref string, fee int64, by string, pay PayText) (OrderUpdate, error)
}

// SetFee returns the order with its delivery fee set to fee (rupiah) by
// whom, at, recorded in the history, and its total with it. The fee of
// an order delivered to an address is set while the order is neither
// completed nor cancelled, its payment not yet paid, its goods not yet
// shipped, and a COD order not yet put to its customer to confirm:
// afterwards the total is what they were told. A pickup has no fee.
// Setting the fee it has already changes nothing.
func (o Order) SetFee(fee int64, by string, at time.Time) (Order, error) {
	if fee < 0 || fee > maxPrice {
		return Order{}, Errorf(EInvalid, "delivery fee %d: want 0 to %d rupiah", fee, int64(maxPrice))
	}
	if !o.FeePending && fee == o.DeliveryFee {
		return o, nil
	}
	by, err := changedBy(by)
	if err != nil {
		return Order{}, err
	}
	e := OrderEvent{At: at, By: by, What: FieldFee, To: strconv.FormatInt(fee, 10)}
	if !o.FeePending {
		e.From = strconv.FormatInt(o.DeliveryFee, 10)
	}
	return o.step(e)
}

// checkFee reports why change e cannot be made while the order's fee
// is not known: confirming, completing, marking it paid or its DP paid,
// shipping it and reminding its customer of the balance wait for the
// fee.
func (o Order) checkFee(e OrderEvent) error {
	if !o.FeePending {
		return nil
	}
	var what string
	switch {
	case e.What == FieldOrder && (e.To == string(OrderConfirmed) || e.To == string(OrderCompleted)):
		what = "it is confirmed"
		if e.To == string(OrderCompleted) {
			what = "it is completed"
		}
	case e.What == FieldPayment && e.To == string(PaymentPaid):
		what = "it is marked paid"
	case e.What == FieldPayment && e.To == string(PaymentDeposit):
		what = "its down payment (DP) is marked paid: the customer pays the fee with the DP"
	case e.What == FieldFulfilment && e.To == string(FulfilmentShipped):
		what = "it is shipped"
	case e.What == FieldBalanceReminder:
		what = "its customer is reminded of the balance"
	default:
		return nil
	}
	return refused("order %s has no delivery fee yet (the address is in none of the shop's areas): set the fee before %s", o.Number, what)
}

// stepFee makes the fee change e, when it may be made now.
func (o Order) stepFee(e OrderEvent) (Order, error) {
	fee, err := strconv.ParseInt(e.To, 10, 64)
	switch {
	case err != nil || fee < 0 || fee > maxPrice:
		return Order{}, Errorf(EInvalid, "order %s: delivery fee %q: want 0 to %d rupiah", o.Number, clipName(e.To), int64(maxPrice))
	case e.From == "" && !o.FeePending, e.From != "" && (o.FeePending || e.From != strconv.FormatInt(o.DeliveryFee, 10)):
		return Order{}, Errorf(EConflict, "order %s: its delivery fee is %s, not %s", o.Number, o.feeName(), cmp.Or(e.From, "not known"))
	case o.Delivery.Pickup:
		return Order{}, refused("order %s is picked up at the shop: it has no delivery fee", o.Number)
	case o.State.final():
		return Order{}, refused("order %s is %s: its delivery fee does not change any more", o.Number, o.State)
	case o.Payment == PaymentPaid:
		return Order{}, refused("order %s is paid already: its total does not change", o.Number)
	case o.Fulfilment != "" && o.Fulfilment != FulfilmentPreparing:
		return Order{}, refused("order %s was %s already: its delivery fee does not change", o.Number, fulfilmentVerb(o.Fulfilment))
	case !o.CODAsked.IsZero() || o.CODConfirmed():
		return Order{}, refused("order %s: its customer was asked to confirm it, paid on delivery, with its total: it does not change", o.Number)
	}
	o.DeliveryFee, o.FeePending = fee, false
	o.Total = o.Subtotal + fee
	return o, nil
}

// feeName is the order's delivery fee as a change names it.
func (o Order) feeName() string {
	if o.FeePending {
		return "not known"
	}
	return strconv.FormatInt(o.DeliveryFee, 10)
}

// checkFeePending reports why a new order cannot have its fee not known:
// only a delivery has a fee, and one not known is not a number yet.
func (o Order) checkFeePending() error {
	if o.FeePending && (o.Delivery.Pickup || o.DeliveryFee != 0) {
		return Errorf(EInvalid, "an order whose delivery fee is not known is delivered, with a fee of 0 until it is set")
	}
	return nil
}

// feeNotice tells the customer the fee of order o that e set, and the
// total: "Ongkir pesanan WBS-0142 Rp12.000, jadi totalnya Rp71.000, Kak."
func feeNotice(o Order, e OrderEvent, en bool) string {
	fee, _ := strconv.ParseInt(e.To, 10, 64)
	if en {
		if e.From != "" {
			return "The delivery fee of order " + o.Number + " is now " + Rupiah(fee, "en") + ", so the total is " + Rupiah(o.Total, "en") + "."
		}
		return "The delivery fee of order " + o.Number + " is " + Rupiah(fee, "en") + ", so the total is " + Rupiah(o.Total, "en") + "."
	}
	if e.From != "" {
		return "Ongkir pesanan " + o.Number + " kami perbarui jadi " + Rupiah(fee, "id") + ", jadi totalnya " + Rupiah(o.Total, "id") + ", Kak."
	}
	return "Ongkir pesanan " + o.Number + " " + Rupiah(fee, "id") + ", jadi totalnya " + Rupiah(o.Total, "id") + ", Kak."
}
