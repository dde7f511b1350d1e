package redisstore

import (
	"strings"
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

// TestOrderMarks: a change of any order moves the orders' mark, and a
// change of a customer's order moves the mark of their conversation.
func TestOrderMarks(t *testing.T) {
	s, _ := newStore(t)
	empty, err := s.OrdersMark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := customer(t, s, alice, "Alice", "id")
	o := newOrder(t, s, id, care.MethodTransfer)
	marks := func() (string, string) {
		t.Helper()
		all, err := s.OrdersMark(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := s.ConversationMarks(ctx, []care.ContactID{id})
		if err != nil {
			t.Fatal(err)
		}
		return all, ms[0].Mark
	}
	all, conv := marks()
	if all == empty || !strings.Contains(all, string(o.ID)) {
		t.Errorf("after an order was filed the mark is %q (was %q)", all, empty)
	}
	for _, ch := range []care.OrderChange{{Order: care.OrderConfirmed}, {Payment: care.PaymentPaid}} {
		if _, err := s.UpdateOrder(ctx, o.Number, func(o care.Order) (care.Order, error) { return o.Apply(ch, "sari", s.now()) }); err != nil {
			t.Fatal(err)
		}
		a, c := marks()
		if a == all || c == conv {
			t.Errorf("after %+v the marks stayed: %q, %q", ch, a, c)
		}
		all, conv = a, c
	}
	if a, c := marks(); a != all || c != conv {
		t.Errorf("the marks moved without a change: %q, %q", a, c)
	}
}
