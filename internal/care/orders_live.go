package care

import "context"

// OrdersLive is what the console's live list of orders reads: a mark
// that moves whenever an order is filed or changed, so a process finds
// changes with one cheap call a second and lists the orders again only
// then.
type OrdersLive interface {
	// OrdersMark changes whenever any order may have been filed or
	// changed.
	OrdersMark(ctx context.Context) (string, error)
}
