package care

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// An item the shop has a limited amount of — a stock it counts, or a
// pre-order's quota — is booked by the orders that are not cancelled,
// across all customers: an order is filed only if what it asks fits in
// what is left, in one step of the store, so two customers (or two
// processes) never get the same last kilo.

// ItemLimit is how much of an item orders may book, from the catalog.
type ItemLimit struct {
	// Stock is what the shop has to sell now (stock: N); 0 for an item
	// whose stock is not counted. A new number starts the count again:
	// the orders filed before it do not count against it.
	Stock float64
	// Quota is the most a pre-order makes, counting every order of it;
	// 0 for no limit.
	Quota float64
}

// OverBookedError refuses an order that asks more of some item than its
// stock or quota has left. Its code is EConflict.
type OverBookedError struct {
	// Left is what is left of each item the order asked too much of, by
	// item id (0 when nothing is).
	Left map[string]float64
}

// Error implements error.
func (e *OverBookedError) Error() string {
	var parts []string
	for _, item := range slices.Sorted(maps.Keys(e.Left)) {
		parts = append(parts, item+" "+strconv.FormatFloat(e.Left[item], 'f', -1, 64))
	}
	return "not enough left for the order: " + strings.Join(parts, ", ") + " left"
}

// Unwrap gives the error its code, EConflict.
func (e *OverBookedError) Unwrap() error { return Errorf(EConflict, "%s", e.Error()) }

// PlacedOrderID is the id of the order the message messageID of contact
// places: the same message, processed again after a failure, files and
// books its order under the same id, so what it booked is never booked
// twice.
func PlacedOrderID(contact ContactID, messageID string) OrderID {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s", contact, messageID))
	return OrderID("o" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:10])))
}
