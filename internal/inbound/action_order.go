package inbound

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
)

// ActionOrderPlace places the order being made in the chat (the draft
// in the session's variables): the runtime files it in the order book
// under the shop's next number before the step is stored, tells the
// customer the number and how to pay, and records their consent to
// hear about this order (purpose orders, source order), which ordering
// implies. The order starts new: the shop confirms it (stock, the fee
// of an address in no area, a COD order with the customer).
const ActionOrderPlace = "order_place"

var orderPlaceAction = action{do: func(s *step, a flow.Action) { s.placeOrder(a) }}

// placement is an order a step places: filed, and told, before the step
// is committed (Runtime.place).
type placement struct {
	order care.Order
	// ahead: the customer pays before delivery by any way the shop
	// takes (not one they named).
	ahead   bool
	lang    string
	consent care.ConsentEvent
}

// placeOrder prepares the order of the draft for Runtime.place; the
// customer is told when there is nothing to place.
func (s *step) placeOrder(a flow.Action) {
	r := s.r
	lang := cmp.Or(s.sess.Lang, r.cfg.Lang)
	d, ok := r.orders.draftOf(s.sess.Vars)
	if r.orders.cat == nil || !ok || len(d.lines) == 0 || len(d.ask) > 0 {
		s.say = append(s.say, flow.Message{Text: pick(lang, "Maaf, Kak, pesanannya belum lengkap. Tulis saja lagi pesanannya di sini 🙏",
			"Sorry, the order is not complete yet. Just write it here again 🙏")})
		return
	}
	q, err := r.orders.cat.Quote(d.order())
	if err != nil {
		r.cfg.Logger.Error("an order being made does not price; nothing placed", "contact", s.contact.ID, "err", err)
		s.say = append(s.say, flow.Message{Text: pick(lang, "Maaf, Kak, pesanannya belum bisa kami catat. Staf kami akan membantu 🙏",
			"Sorry, we could not take the order. Someone from the shop will help 🙏")})
		return
	}
	o := care.Order{Contact: s.contact.ID, DeliveryFee: q.DeliveryFee, Method: r.orders.method(d.pay), Note: d.note, Placed: s.in.MessageID,
		Delivery: care.OrderDelivery{Pickup: d.pickup, Recipient: cmp.Or(d.name, s.contact.Name), Phone: d.phone, Area: q.Area}}
	if d.deliver {
		o.Delivery.Address = d.address
		// An address in no area, and no flat fee: staff set the fee.
		o.FeePending = !q.FeeKnown
	}
	var ready time.Time
	for _, l := range q.Lines {
		l.OrderLine.Preorder = l.Preorder
		o.Lines = append(o.Lines, l.OrderLine)
		if it, _ := r.orders.cat.Item(l.Item); it.Preorder != nil && it.Preorder.Ready.After(ready) {
			ready = it.Preorder.Ready
		}
	}
	if q.Deposit > 0 {
		o.PreOrder = &care.PreOrder{Deposit: q.Deposit, Ready: ready}
	}
	s.place = &placement{order: o, ahead: !care.PaymentMethod(d.pay).Valid(), lang: lang,
		consent: care.ConsentEvent{Purpose: care.Orders, Granted: true, At: s.now, Channel: s.in.Address.Channel, Source: care.SourceOrder,
			MessageID: s.in.MessageID, Text: consentText(s.in), Question: a.Question, Version: a.Version}}
}

// settle does what the actions of a step leave to do before it is
// stored (st, as decide returns it): the order it places, the feedback
// it keeps, the suggestion it indexes.
func (r *Runtime) settle(ctx context.Context, c *care.Commit, st *step, now time.Time) error {
	if st.place != nil {
		if err := r.place(ctx, c, st.place); err != nil {
			return err
		}
	}
	if st.feedback != nil {
		if err := r.writeFeedback(ctx, st.feedback, now); err != nil {
			return err
		}
	}
	if st.cod != "" {
		if err := r.confirmCOD(ctx, st.cod, now); err != nil {
			return err
		}
	}
	if st.suggested {
		if err := r.store.Suggested(ctx, c.Contact.ID, now); err != nil {
			return fmt.Errorf("index a suggestion: %w", err)
		}
	}
	return nil
}

// place files the order a step places and completes the step's commit:
// the draft goes, the customer hears the number and how to pay, and
// their consent to hear about the order is recorded. The message that
// placed an order, processed again (a conflict, a redelivery), finds
// it instead of filing a second. An order the book refuses (the
// contact is being erased) is apologised for, and the draft kept.
func (r *Runtime) place(ctx context.Context, c *care.Commit, pl *placement) error {
	o, found, err := r.placedBy(ctx, c.Contact.ID, c.Inbound.MessageID)
	if err != nil {
		return err
	}
	if !found {
		if err := r.keepLimits(ctx); err != nil {
			return err
		}
		pl.order.ID = care.PlacedOrderID(c.Contact.ID, c.Inbound.MessageID)
		o, err = r.store.CreateOrder(ctx, pl.order, r.prefix)
		var over *care.OverBookedError
		switch code := care.ErrorCode(err); {
		case errors.As(err, &over):
			r.reply(c, []flow.Message{{Text: r.overBooked(over, pl)}})
			return nil
		case code == care.ENotFound, code == care.EInvalid:
			r.cfg.Logger.Warn("an order was not placed", "contact", c.Contact.ID, "err", err)
			r.reply(c, []flow.Message{{Text: pick(pl.lang, "Maaf, Kak, pesanannya belum bisa kami catat. Staf kami akan membantu 🙏",
				"Sorry, we could not take the order. Someone from the shop will help 🙏")}})
			return nil
		case err != nil:
			return fmt.Errorf("place order: %w", err)
		}
		r.cfg.Logger.Info("order placed", "contact", c.Contact.ID, "order", o.Number, "total", o.Total)
	}
	if o.FeePending {
		if err := r.alertFee(ctx, o); err != nil {
			return err
		}
	}
	vars := maps.Clone(c.Session.Vars)
	for _, v := range orderVars {
		delete(vars, v)
	}
	c.Session.Vars = vars
	c.Consent = append(c.Consent, pl.consent)
	c.Contact = c.Contact.Apply(pl.consent)
	r.reply(c, []flow.Message{{Text: r.placedText(o, pl)}})
	return nil
}

// placedBy finds the order a message of the contact placed.
func (r *Runtime) placedBy(ctx context.Context, id care.ContactID, messageID string) (care.Order, bool, error) {
	orders, err := r.store.ContactOrders(ctx, id)
	if err != nil {
		return care.Order{}, false, fmt.Errorf("orders of %s: %w", id, err)
	}
	for _, o := range orders {
		if o.Placed == messageID {
			return o, true, nil
		}
	}
	return care.Order{}, false, nil
}

// placedText tells the customer their order's number and how to pay:
// the shop's account and QRIS for a payment ahead (the amount due now,
// a pre-order's down payment), cash on delivery or at the shop for COD.
func (r *Runtime) placedText(o care.Order, pl *placement) string {
	lang := pl.lang
	var b strings.Builder
	b.WriteString(pick(lang, "Terima kasih, Kak! 🙏 Pesanan %s sudah kami catat.", "Thank you! 🙏 Your order %s is in.", o.Number))
	switch {
	case o.FeePending:
		b.WriteString(pick(lang, "\nOngkir ke alamat ini dikonfirmasi admin dulu ya, Kak. Setelah itu kami kabari totalnya dan cara bayarnya di sini 🙏",
			"\nThe shop confirms the delivery fee to this address first; then we will tell you the total and how to pay, here 🙏"))
	case o.Method == care.MethodCOD && o.Delivery.Pickup:
		b.WriteString(pick(lang, "\nBayarnya tunai %s saat diambil di toko ya, Kak.", "\nPlease pay %s in cash when you pick it up.", care.Rupiah(o.Total, lang)))
	case o.Method == care.MethodCOD:
		b.WriteString(pick(lang, "\nBayarnya di tempat (COD) %s saat pesanan sampai. Kami hubungi Kakak dulu sebelum pesanan dikirim.",
			"\nYou pay %s cash on delivery (COD). We will check with you before we send it.", care.Rupiah(o.Total, lang)))
	default:
		// The ways the customer named, or every way the shop takes.
		var only care.PaymentMethod
		if !pl.ahead {
			only = o.Method
		}
		b.WriteString("\n" + r.orders.cat.HowToPay(o, catalog.PayRequest{Ask: catalog.AskDue, Method: only}, lang))
	}
	return b.String()
}

// overBooked tells what of the order placed asks more than its stock
// or its pre-order's quota has left, counting what every order holds
// now (another customer may have ordered since the rekap): the
// catalog's answer for each. The draft is kept, for the customer to
// change.
func (r *Runtime) overBooked(over *care.OverBookedError, pl *placement) string {
	var told []string
	for _, l := range pl.order.Lines {
		left, ok := over.Left[l.Item]
		if !ok {
			continue
		}
		u := catalog.Unclear{Reason: catalog.NotEnough, Item: l.Item, Qty: l.Qty, Unit: l.Unit, Limit: left}
		switch {
		case l.Preorder:
			u.Reason = catalog.PreorderFull
		case left <= 0:
			u.Reason = catalog.OutOfStock
		}
		told = append(told, r.orders.cat.Question(u, pl.lang))
	}
	return strings.Join(told, "\n") + pick(pl.lang, "\nTulis saja yang mau diubah, Kak, atau BATAL untuk batal.", "\nJust write what to change, or CANCEL.")
}
