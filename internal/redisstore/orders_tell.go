package redisstore

import (
	"context"

	"github.com/mitra-care/mitra/internal/care"
)

// UpdateOrderTelling is UpdateOrder whose notice to the customer is
// tell's text of the order as changed, in their language ("" tells
// nothing), instead of the changes' own sentences: a message about the
// order only its caller can word (the reminder of a pre-order's
// balance names the shop's account). The change and the message are
// one write, so a message is queued exactly when its change is.
func (s *Store) UpdateOrderTelling(ctx context.Context, ref string, fn func(care.Order) (care.Order, error), tell func(o care.Order, lang string) string) (care.OrderUpdate, error) {
	return s.updateOrder(ctx, ref, fn, tell)
}
