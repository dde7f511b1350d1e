package broadcast

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
)

// An audience by orders (care.Audience's OrderedDays, Regulars, Bought)
// is planned without reading every contact's orders: the orders are far
// fewer than the contacts, so the customers who qualify are gathered
// once from the orders indexes, and each contact the scan hands over is
// looked up among them. Consent and the other exclusions still apply to
// them as to anyone.

// OrderScanner streams the orders an audience by orders is built from;
// see redisstore.Store.ScanOrders.
type OrderScanner interface {
	// ScanOrders hands fn the customers' orders in the index of status
	// ("" every order) changed at or after since, a page at a time, as
	// their records say now; one may come twice.
	ScanOrders(ctx context.Context, status string, since time.Time, fn func([]care.Order) error) error
}

// PlanStore is what a plan reads: the contacts and the orders.
type PlanStore interface {
	care.CampaignStore
	OrderScanner
}

// customers is the set of contacts an audience's order rules keep.
type customers map[care.ContactID]bool

// ordered gathers the contacts a's order rules keep at now, from the
// orders indexes; nil when a has none (it keeps everyone). A rule of
// a's that nobody meets gives an empty set.
func ordered(ctx context.Context, st OrderScanner, a care.Audience, now time.Time) (customers, error) {
	if !a.ByOrders() {
		return nil, nil
	}
	var sets []customers
	if a.OrderedDays > 0 {
		// An order placed since changed since: the index of every order
		// by its last change holds it.
		since := now.Add(-time.Duration(a.OrderedDays) * 24 * time.Hour)
		set := customers{}
		err := st.ScanOrders(ctx, "", since, func(os []care.Order) error {
			for _, o := range os {
				if o.State != care.OrderCancelled && !o.Created.Before(since) {
					set[o.Contact] = true
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("orders of the last %d days: %w", a.OrderedDays, err)
		}
		sets = append(sets, set)
	}
	if a.Regulars || a.Bought != "" {
		regulars, bought, err := completed(ctx, st, a.Bought)
		if err != nil {
			return nil, err
		}
		if a.Regulars {
			sets = append(sets, regulars)
		}
		if a.Bought != "" {
			sets = append(sets, bought)
		}
	}
	out := sets[0]
	for _, set := range sets[1:] {
		for id := range out {
			if !set[id] {
				delete(out, id)
			}
		}
	}
	return out, nil
}

// completed reads the completed orders once: the regulars (care.
// RegularOrders of them or more) and those with item among them (none
// when item is "").
func completed(ctx context.Context, st OrderScanner, item string) (regulars, bought customers, err error) {
	// Each customer's distinct orders, up to the count that makes a
	// regular: an order the scan hands over twice counts once.
	seen := map[care.ContactID][]care.OrderID{}
	regulars, bought = customers{}, customers{}
	err = st.ScanOrders(ctx, string(care.OrderCompleted), time.Time{}, func(os []care.Order) error {
		for _, o := range os {
			if item != "" && slices.ContainsFunc(o.Lines, func(l care.OrderLine) bool { return l.Item == item }) {
				bought[o.Contact] = true
			}
			ids := seen[o.Contact]
			if len(ids) >= care.RegularOrders || slices.Contains(ids, o.ID) {
				continue
			}
			seen[o.Contact] = append(ids, o.ID)
			if len(ids)+1 == care.RegularOrders {
				regulars[o.Contact] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("completed orders: %w", err)
	}
	return regulars, bought, nil
}

// CheckItem reports an item id that is not one of the catalog's items,
// naming the closest (or the item of an alias) as the one meant.
func CheckItem(id string, items []catalog.Item) error {
	id = strings.ToLower(strings.TrimSpace(id))
	best, dist := "", -1
	for _, it := range items {
		if it.ID == id {
			return nil
		}
		if slices.Contains(it.Aliases, id) {
			best, dist = it.ID, 0
		}
		if d := flow.Distance(id, it.ID); dist < 0 || d < dist {
			best, dist = it.ID, d
		}
	}
	if best == "" {
		return care.Errorf(care.EInvalid, "item %q: the catalog has no items", id)
	}
	return care.Errorf(care.EInvalid, "item %q is not in the catalog (did you mean %q?)", id, best)
}
