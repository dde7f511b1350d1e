package inbound

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
)

// A pre-order with a down payment (DP) leaves a balance, the
// pelunasan. Once staff mark the DP paid (payment dp_paid), the
// customer is reminded of the balance Config.PelunasanBefore before
// the day the pre-order is ready: one transactional message about the
// order, in their language, naming what is ready when, how much is
// left and where to pay it. The reminder is recorded in the order's
// history in the same write that queues the message (so it is queued
// exactly once, whichever process sweeps, and a restart finds it done),
// only while the order is neither cancelled nor completed nor paid in
// full, and never in the quiet hours of the customer's day: one due in
// them waits for their end, when it is decided again (an order paid in
// full overnight is not reminded).

// balanceScan bounds the orders with their DP paid one sweep looks at.
const balanceScan = 500

// SweepBalances reminds the customers of the pre-orders due (see
// above) of their balance; it returns how many were reminded.
func (r *Runtime) SweepBalances(ctx context.Context) (int, error) {
	if r.cfg.PelunasanBefore <= 0 || r.orders.cat == nil {
		return 0, nil
	}
	now := r.cfg.Now()
	n, err := r.sweepOrders(ctx, string(care.PaymentDeposit), balanceScan, now,
		func(o care.Order) bool { return r.balanceDue(o, now) }, r.remindBalance)
	if err != nil {
		return n, fmt.Errorf("orders with their DP paid: %w", err)
	}
	return n, nil
}

// sweepOrders runs act on each of up to limit orders with status that
// due accepts, and returns on how many it acted (act reports whether it
// did); the errors of all are joined.
func (r *Runtime) sweepOrders(ctx context.Context, status string, limit int, now time.Time,
	due func(care.Order) bool, act func(context.Context, care.Order, time.Time) (bool, error)) (int, error) {
	orders, err := r.store.ListOrders(ctx, care.OrderQuery{Status: status, Limit: limit})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, o := range orders {
		if !due(o) {
			continue
		}
		ok, err := act(ctx, o, now)
		if err != nil {
			errs = append(errs, err)
		} else if ok {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// balanceDue reports whether o's customer is to be reminded of its
// balance at now: its DP is paid and the balance is not, it is neither
// completed nor cancelled nor reminded yet, and now is from
// PelunasanBefore before the day it is ready to the start of that day.
func (r *Runtime) balanceDue(o care.Order, now time.Time) bool {
	p := o.PreOrder
	if o.Contact == "" || p == nil || p.Ready.IsZero() || p.Deposit <= 0 || o.Payment != care.PaymentDeposit ||
		o.State == care.OrderCancelled || o.State == care.OrderCompleted || o.BalanceReminded() {
		return false
	}
	y, m, d := p.Ready.Date()
	ready := time.Date(y, m, d, 0, 0, 0, 0, r.cfg.TimeZone)
	return !now.Before(ready.Add(-r.cfg.PelunasanBefore)) && now.Before(ready)
}

// errNotDue: the order moved on since it was listed.
var errNotDue = errors.New("no balance to remind of")

// remindBalance reminds o's customer of its balance, unless it is the
// quiet hours of their day; it reports whether it did.
func (r *Runtime) remindBalance(ctx context.Context, o care.Order, now time.Time) (bool, error) {
	c, ok, err := r.store.Contact(ctx, o.Contact)
	if err != nil {
		return false, fmt.Errorf("remind %s of its balance: %w", o.Number, err)
	}
	if !ok || !c.Live() || inQuiet(now.In(r.location(c)), r.cfg.QuietStart, r.cfg.QuietEnd) {
		return false, nil
	}
	u, err := r.store.UpdateOrderTelling(ctx, o.Number, func(cur care.Order) (care.Order, error) {
		if !r.balanceDue(cur, now) {
			return care.Order{}, errNotDue
		}
		return cur.RemindBalance(care.ByMitra, now)
	}, r.balanceText)
	switch code := care.ErrorCode(err); {
	case errors.Is(err, errNotDue), code == care.ENotFound, code == care.EConflict:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("remind %s of its balance: %w", o.Number, err)
	}
	r.cfg.Logger.Info("customer reminded of a pre-order's balance", "contact", o.Contact, "order", o.Number, "balance", o.Balance(), "told", u.Notice != nil)
	return u.Notice != nil, nil
}

// location is the time zone of the contact's day: theirs, else the
// shop's.
func (r *Runtime) location(c care.Contact) *time.Location {
	if l, err := time.LoadLocation(c.TimeZone); err == nil && c.TimeZone != "" {
		return l
	}
	return r.cfg.TimeZone
}

// balanceText is the reminder of o's balance in lang: "Kak, pesanan
// WBS-0142 (Kue lapis legit) siap 24 Des. Sisa pelunasan Rp175.000 ya,
// ke BCA 1234567890 a.n. Sari Wulandari. Terima kasih! 🙏", and in
// English "Hi! Your order WBS-0142 (Lapis legit cake) will be ready on
// 24 Dec. The balance of Rp175,000 is due by then; please transfer it
// to BCA 1234567890 (Sari Wulandari). Thank you!".
func (r *Runtime) balanceText(o care.Order, lang string) string {
	var names []string
	for _, l := range o.Lines {
		if !l.Preorder {
			continue
		}
		name := l.Name
		if it, ok := r.orders.cat.Item(l.Item); ok {
			name = it.Name(lang)
		}
		names = append(names, name)
	}
	what := ""
	if len(names) > 0 {
		what = " (" + strings.Join(names, ", ") + ")"
	}
	return pick(lang, "Kak, pesanan %s%s siap %s. %s Terima kasih! 🙏", "Hi! Your order %s%s will be ready on %s. %s Thank you!",
		o.Number, what, shortDate(o.PreOrder.Ready, lang), r.orders.cat.HowToPay(o, catalog.PayRequest{Ask: catalog.AskBalance}, lang))
}
