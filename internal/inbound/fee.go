package inbound

import (
	"context"
	"fmt"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// alertFee tells the linked chats that order o waits for its delivery
// fee (an address in no area): someone at the shop sets it, and the
// customer then hears the total and how to pay. Like the alert of a
// proof of payment it is sent Config.AlertGather after the order was
// placed, and only while staff are on duty (else at the opening); its
// id comes from the order, so the message that placed it, processed
// again, queues the same alert, which the outbox keeps once.
//
// It names the order and links the conversation, nothing of the
// customer: it may wait in the staff chat's outbox overnight, where
// the customer's erasure does not reach (see alertProof), and staff
// read the name and the address in the console.
func (r *Runtime) alertFee(ctx context.Context, o care.Order) error {
	chats, err := r.store.StaffChats(ctx)
	if err != nil {
		return fmt.Errorf("alert staff to the fee of %s: %w", o.Number, err)
	}
	if len(chats) == 0 {
		return nil
	}
	due := r.cfg.StaffHours.Next(o.Created.Add(r.cfg.AlertGather).In(r.cfg.TimeZone))
	_, w := r.words()
	text := fmt.Sprintf(w.fee, o.Number) + "\n" + fmt.Sprintf(w.console, r.consoleLink(o.Contact))
	out := make([]care.Outbound, len(chats))
	for i, c := range chats {
		out[i] = care.Outbound{ID: chatMessageID("f", c.Address.String(), o.Number, o.Created.UTC().Format(time.RFC3339Nano)), Address: c.Address,
			Class: care.StaffAlert, Origin: care.OriginSystem, Staff: c.Account, Text: text, Lang: r.cfg.Lang, Order: o.Number,
			Created: o.Created, NotBefore: due}
	}
	if err := r.store.QueueStaffChat(ctx, out); err != nil {
		return fmt.Errorf("alert staff to the fee of %s: %w", o.Number, err)
	}
	r.cfg.Logger.Info("staff alerted about an order without a delivery fee", "order", o.Number, "chats", len(chats), "at", due)
	return nil
}

// PayText says how the customer pays order o, in lang, from the
// catalog loaded last: the care.PayText that tells them, once staff set
// an order's delivery fee, how to pay the new total. It is "" when the
// shop has no catalog.
func (r *Runtime) PayText(o care.Order, lang string) string {
	cat := r.Current().orders.cat
	if cat == nil {
		return ""
	}
	return cat.OrderPayText(o, lang)
}
