package redisstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestScanOrders: the scan hands over each customer's order of the
// index once across pages, even when they all changed in the same
// millisecond, as its record says now and only while it is in the
// status; the books' orders and those changed before since are not.
func TestScanOrders(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s, _ := newStore(t, WithClock(func() time.Time { return at }))
	const n = 2*orderScanBatch + 7
	ids := make([]care.ContactID, 4)
	for i := range ids {
		ids[i] = customer(t, s, care.Address{Channel: care.Telegram, ID: fmt.Sprint(500 + i)}, "p", "id")
	}
	for i := range n {
		newOrder(t, s, ids[i%len(ids)], care.MethodCOD)
	}
	// One cancelled, and one of a customer who erased their data.
	mustChange(t, s, "WBS-0001", care.OrderChange{Order: care.OrderCancelled, Reason: "habis"})
	gone := customer(t, s, care.Address{Channel: care.Telegram, ID: "999"}, "p", "id")
	newOrder(t, s, gone, care.MethodCOD)
	if err := s.bookOrders(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if err := s.client.Del(ctx, s.key(gone, keyOrders)).Err(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		status string
		since  time.Time
		want   int
	}{
		{"every order", "", time.Time{}, n},
		{"new ones", "baru", time.Time{}, n - 1},
		{"cancelled", "cancelled", time.Time{}, 1},
		{"changed since they were made", "", at, n},
		{"changed later: the cancelled one", "", at.Add(time.Millisecond), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[care.OrderID]int{}
			pages := 0
			if err := s.ScanOrders(ctx, tt.status, tt.since, func(os []care.Order) error {
				pages++
				for _, o := range os {
					seen[o.ID]++
					if o.Contact == "" || o.Contact == gone {
						t.Errorf("order %s of %q handed over", o.Number, o.Contact)
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(seen) != tt.want {
				t.Errorf("%d orders in %d pages, want %d", len(seen), pages, tt.want)
			}
			for id, k := range seen {
				if k != 1 {
					t.Errorf("order %s handed over %d times", id, k)
				}
			}
		})
	}
	if err := s.ScanOrders(ctx, "lost", time.Time{}, func([]care.Order) error { return nil }); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("an unknown status: %v", err)
	}
}
