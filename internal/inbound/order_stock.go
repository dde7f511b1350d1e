package inbound

import (
	"context"
	"fmt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
)

// What orders book of an item the shop has a limited amount of — a
// stock it counts (stock: N), a pre-order's quota — is counted across
// all customers by the store, which files an order only if it fits in
// what is left (care.OrderBook.CreateOrder). The desk reads what is
// booked for every step, so the rekap and the questions say what is
// left; placing the order checks it again, at once with filing it.

// limits are the catalog's limits by item: the stocks it counts and
// the pre-orders' quotas (the catalog refuses both on one item).
func (o *orderDesk) limits() map[string]care.ItemLimit {
	out := map[string]care.ItemLimit{}
	for _, it := range o.cat.Items() {
		switch {
		case it.Stock > 0:
			out[it.ID] = care.ItemLimit{Stock: it.Stock}
		case it.Preorder != nil:
			out[it.ID] = care.ItemLimit{Quota: it.Preorder.Quota}
		}
	}
	return out
}

// soldOut reports whether orders booked all of the item's counted
// stock.
func (o *orderDesk) soldOut(it catalog.Item) bool {
	return it.Stock > 0 && it.Stock-o.booked[it.ID] <= 0
}

// keepLimits keeps the catalog's limits in the store once per catalog
// loaded, before what is booked is first read: a stock number that
// changed since the last load is a restock (care.OrderBook.SetLimits).
// Should the store fail, the next step tries again.
func (r *Runtime) keepLimits(ctx context.Context) error {
	o := r.orders
	if o.cat == nil || o.kept.Load() {
		return nil
	}
	if err := r.store.SetLimits(ctx, o.limits()); err != nil {
		return fmt.Errorf("keep the catalog's stock and quotas: %w", err)
	}
	o.kept.Store(true)
	return nil
}
