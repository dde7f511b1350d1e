package inbound

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/flow"
)

// A cash-on-delivery order is confirmed by its customer before it
// ships (care.Order.ConfirmCOD): once staff confirm one that is
// delivered, the bot starts the cod_confirm flow in a step of its own,
// with the order's number and total in vars, its messages about the
// order (transactional). YA keeps the confirmation on the order, by the
// customer; TIDAK or BATAL hands the conversation to staff naming the
// order (the flow's escalate).

// The action, the flow and the variables of confirming a COD order.
const (
	// ActionCODConfirm records on the order of vars.cod_order that the
	// customer confirmed it.
	ActionCODConfirm = "cod_confirm"
	codFlow          = "cod_confirm"
	varCODOrder      = "cod_order"
	varCODTotal      = "cod_total"
	// codScan bounds the confirmed orders one sweep looks at.
	codScan = 200
)

var codConfirmAction = action{do: func(s *step, _ flow.Action) { s.keepCOD() }}

// keepCOD prepares the confirmation for Runtime.confirmCOD; the
// variables go.
func (s *step) keepCOD() {
	if s.cod = s.sess.Vars[varCODOrder]; s.cod == "" {
		s.r.cfg.Logger.Error("a COD confirmation without an order; nothing kept", "contact", s.contact.ID)
	}
	s.drop(varCODOrder, varCODTotal)
}

// confirmCOD keeps the customer's confirmation on the order number. An
// order gone (erased) or moved on (cancelled) keeps nothing.
func (r *Runtime) confirmCOD(ctx context.Context, number string, now time.Time) error {
	_, err := r.store.UpdateOrder(ctx, number, func(o care.Order) (care.Order, error) { return o.ConfirmCOD(care.ByCustomer, now) })
	switch code := care.ErrorCode(err); {
	case code == care.ENotFound, code == care.EConflict:
		r.cfg.Logger.Info("a COD confirmation was not kept", "order", number, "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("keep the COD confirmation of %s: %w", number, err)
	}
	r.cfg.Logger.Info("customer confirmed a COD order", "order", number)
	return nil
}

// codDue reports whether o's customer is to be asked to confirm it:
// confirmed by staff, paid on delivery to an address, not shipped,
// asked or confirmed yet.
func codDue(o care.Order) bool {
	return o.State == care.OrderConfirmed && o.Method == care.MethodCOD && !o.Delivery.Pickup && o.Contact != "" &&
		o.CODAsked.IsZero() && !o.CODConfirmed() && (o.Fulfilment == "" || o.Fulfilment == care.FulfilmentPreparing)
}

// SweepCOD asks the customers of the COD orders staff confirmed to
// confirm them too, each order once, outside their quiet hours and
// never in the middle of a conversation (asked at a later sweep). It
// returns how many were asked. An order is marked asked over the
// version read before its step, which is stored once.
func (r *Runtime) SweepCOD(ctx context.Context) (int, error) {
	if !slices.Contains(r.flows.Flows(), codFlow) {
		return 0, nil
	}
	asked, err := r.sweepOrders(ctx, string(care.OrderConfirmed), codScan, r.cfg.Now(), codDue, r.askCOD)
	if err != nil {
		return asked, fmt.Errorf("orders confirmed: %w", err)
	}
	return asked, nil
}

// askCOD asks o's customer to confirm it, unless it is their quiet
// hours or their conversation is under way; it reports whether it
// asked.
func (r *Runtime) askCOD(ctx context.Context, o care.Order, now time.Time) (bool, error) {
	msgID := "cod." + string(o.ID)
	vars := map[string]string{varCODOrder: o.Number}
	marked := false
	for range maxConflicts {
		convs, err := r.store.LoadMany(ctx, []care.MessageRef{{Contact: o.Contact, MessageID: msgID}})
		if err != nil {
			return false, fmt.Errorf("COD confirmation of %s: %w", o.Number, err)
		}
		conv := convs[0]
		if conv.Broken != nil {
			return false, fmt.Errorf("COD confirmation of %s: %w", o.Number, conv.Broken)
		}
		if conv.Seen || !conv.Contact.Live() || r.busy(conv, now) {
			return false, nil
		}
		vars[varCODTotal] = care.Rupiah(o.Total, cmp.Or(conv.Session.Lang, conv.Contact.Lang, r.cfg.Lang))
		c, ok := r.orderStep(conv, o, msgID, codFlow, vars, now)
		if !ok {
			return false, nil
		}
		if !marked {
			_, err := r.store.UpdateOrder(ctx, o.Number, func(cur care.Order) (care.Order, error) {
				if !codDue(cur) {
					return care.Order{}, errAsked
				}
				cur.CODAsked = now
				return cur, nil
			})
			switch {
			case errors.Is(err, errAsked), care.ErrorCode(err) == care.ENotFound:
				return false, nil
			case err != nil:
				return false, fmt.Errorf("mark %s asked to confirm: %w", o.Number, err)
			}
			marked = true
		}
		err = r.store.CommitMany(ctx, []care.Commit{c})[0]
		switch {
		case err == nil:
			r.cfg.Logger.Info("customer asked to confirm a COD order", "contact", o.Contact, "order", o.Number)
			return true, nil
		case errors.Is(err, care.ErrDuplicate):
			return false, nil
		case !errors.Is(err, care.ErrConflict):
			return false, fmt.Errorf("ask to confirm %s: %w", o.Number, err)
		}
	}
	return false, fmt.Errorf("ask to confirm %s: %w", o.Number, care.ErrConflict)
}
