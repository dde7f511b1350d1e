package inbound

import (
	"context"
	"fmt"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// A photo (or a file) the customer sends while one of their orders
// awaits payment is that order's proof of payment: it is kept on the
// order, an unpaid payment then awaits the shop's check, the customer
// is told so by the order's notice, and the conversation's events say
// so for staff. Any other photo gets the usual answer: only text is
// read.

// proofKept is what keeping a photo as a proof of payment did.
type proofKept struct {
	// number is the order's.
	number string
	// told: the order's notice tells the customer (its payment moved to
	// awaiting); otherwise the bot says it kept the photo.
	told bool
}

// proofKind reports whether a message of kind k may be a proof of
// payment: a photo, or a file (a bank's receipt).
func proofKind(k care.Kind) bool { return k == care.KindImage || k == care.KindDocument }

// attachProof keeps the photo of in as the proof of payment of the
// contact's order that awaits one (x.orders), and says so in x.proof.
// The message processed again finds the photo kept already. An order
// that moved on meanwhile (cancelled, paid) keeps nothing.
func (r *Runtime) attachProof(ctx context.Context, in care.Inbound, x *reads) error {
	if !proofKind(in.Kind) {
		return nil
	}
	o, ok := awaitingPayment(x.orders)
	if !ok {
		return nil
	}
	ref := proofRef(in)
	if o.Proof != ref {
		u, err := r.store.AttachProof(ctx, o.Number, ref, care.ByCustomer)
		switch code := care.ErrorCode(err); {
		case code == care.ENotFound, code == care.EConflict:
			r.cfg.Logger.Info("a photo was not kept as a proof of payment", "order", o.Number, "err", err)
			return nil
		case err != nil:
			return fmt.Errorf("keep the proof of payment of %s: %w", o.Number, err)
		}
		o = u.Order
		r.cfg.Logger.Info("proof of payment kept", "order", o.Number, "payment", o.Payment)
	}
	x.proof = &proofKept{number: o.Number, told: movedToAwaiting(o)}
	if x.proof.told {
		if err := r.alertProof(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// alertProof tells the linked chats that a proof of payment of o came,
// so someone checks it and marks it paid: one alert per spell the
// payment awaits the check, sent Config.AlertGather after the photo
// that started it (the photos the customer adds meanwhile are the same
// proof), and only when staff are on duty (else at the opening). Its id and time come from that change
// in the order's history, so the photo processed again queues the same
// alert, which the outbox keeps once.
//
// It names the order and links the conversation, nothing of the
// customer: an alert held back until the opening waits in the staff
// chat's outbox, which the customer's erasure (HAPUS DATA) does not
// reach, so their name there would outlive it. Staff read who it is in
// the console.
func (r *Runtime) alertProof(ctx context.Context, o care.Order) error {
	chats, err := r.store.StaffChats(ctx)
	if err != nil {
		return fmt.Errorf("alert staff to the proof of %s: %w", o.Number, err)
	}
	if len(chats) == 0 {
		return nil
	}
	at := o.History[len(o.History)-1].At
	due := r.cfg.StaffHours.Next(at.Add(r.cfg.AlertGather).In(r.cfg.TimeZone))
	_, w := r.words()
	text := fmt.Sprintf(w.proof, o.Number) + "\n" + fmt.Sprintf(w.console, r.consoleLink(o.Contact))
	out := make([]care.Outbound, len(chats))
	for i, c := range chats {
		out[i] = care.Outbound{ID: chatMessageID("p", c.Address.String(), o.Number, at.UTC().Format(time.RFC3339Nano)), Address: c.Address,
			Class: care.StaffAlert, Origin: care.OriginSystem, Staff: c.Account, Text: text, Lang: r.cfg.Lang, Order: o.Number,
			Created: at, NotBefore: due}
	}
	if err := r.store.QueueStaffChat(ctx, out); err != nil {
		return fmt.Errorf("alert staff to the proof of %s: %w", o.Number, err)
	}
	r.cfg.Logger.Info("staff alerted about a proof of payment", "order", o.Number, "chats", len(chats), "at", due)
	return nil
}

// awaitingPayment is the order a proof of payment is for: the last one
// not paid yet, else the last one whose DP only is paid, else the last
// one whose proof is being checked; COD orders are paid in cash.
func awaitingPayment(orders []care.Order) (care.Order, bool) {
	for _, want := range []care.PaymentState{care.PaymentUnpaid, care.PaymentDeposit, care.PaymentAwaiting} {
		for i := len(orders) - 1; i >= 0; i-- {
			if o := orders[i]; o.Payment == want && o.State != care.OrderCompleted && o.State != care.OrderCancelled {
				return o, true
			}
		}
	}
	return care.Order{}, false
}

// movedToAwaiting reports whether the order's last change moved its
// payment to awaiting: its notice told the customer the proof came.
func movedToAwaiting(o care.Order) bool {
	if len(o.History) == 0 {
		return false
	}
	e := o.History[len(o.History)-1]
	return e.What == care.FieldPayment && e.To == string(care.PaymentAwaiting)
}

// proofRef is how a proof of payment refers to the photo of in: the
// platform's file (Telegram's, which the bot can fetch), else the
// message, which staff find in the chat (WhatsApp, the simulator).
func proofRef(in care.Inbound) string {
	if in.Media != "" {
		return string(in.Address.Channel) + ":file:" + in.Media
	}
	return string(in.Address.Channel) + ":message:" + in.MessageID
}
