package redisstore

import (
	"context"

	"github.com/mitra-care/mitra/internal/care"
)

var _ care.OrderFees = (*Store)(nil)

// SetOrderFee sets an order's delivery fee and tells its customer the
// fee, the new total and how to pay, in one write; see care.OrderFees.
func (s *Store) SetOrderFee(ctx context.Context, ref string, fee int64, by string, pay care.PayText) (care.OrderUpdate, error) {
	var prev care.Order // the version fn changed, for the notice
	return s.UpdateOrderTelling(ctx, ref, func(o care.Order) (care.Order, error) {
		prev = o
		return o.SetFee(fee, by, s.now())
	}, func(o care.Order, lang string) string {
		text := o.Notice(prev, lang)
		if pay == nil || text == "" {
			return text
		}
		if p := pay(o, lang); p != "" {
			text += "\n" + p
		}
		return text
	})
}
