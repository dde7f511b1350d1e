package redisstore

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

// stockOrder is an order of qty kg of eggs (and a bunch of spinach,
// which is not counted) by id.
func stockOrder(id care.ContactID, qty float64) care.Order {
	return care.Order{Contact: id, Method: care.MethodTransfer, Delivery: care.OrderDelivery{Pickup: true, Recipient: "Alice"},
		Lines: []care.OrderLine{{Item: "telur", Name: "Telur ayam", Qty: qty, Unit: "kg", Price: 29_000},
			{Item: "bayam", Name: "Bayam", Qty: 1, Unit: "ikat", Price: 5_000}}}
}

// TestOrderStock: the orders of every customer book a counted stock
// when they are filed; an order past what is left is refused with what
// is left and books nothing; a cancelled order gives its part back; a
// new stock number is a restock, and the same number is none.
func TestOrderStock(t *testing.T) {
	s, _ := newStore(t)
	alice := customer(t, s, alice, "Alice", "id")
	bob := customer(t, s, care.Address{Channel: care.WhatsApp, ID: "6289876543210"}, "Bob", "id")
	limits := func(stock float64) {
		t.Helper()
		if err := s.SetLimits(ctx, map[string]care.ItemLimit{"telur": {Stock: stock}, "lapis": {Quota: 5}}); err != nil {
			t.Fatal(err)
		}
	}
	booked := func() float64 {
		t.Helper()
		b, err := s.Booked(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := b["bayam"]; ok {
			t.Errorf("booked %v: bayam's stock is not counted", b)
		}
		return b["telur"]
	}
	limits(8)
	steps := []struct {
		name    string
		do      func() error
		left    float64 // what the refusal says is left; -1 when allowed
		booking float64
	}{
		{"alice books 5", func() error { _, err := s.CreateOrder(ctx, stockOrder(alice, 5), shopPrefix); return err }, -1, 5},
		{"bob asks 4 of the 3 left", func() error { _, err := s.CreateOrder(ctx, stockOrder(bob, 4), shopPrefix); return err }, 3, 5},
		{"bob books the 3 left", func() error { _, err := s.CreateOrder(ctx, stockOrder(bob, 3), shopPrefix); return err }, -1, 8},
		{"nothing is left", func() error { _, err := s.CreateOrder(ctx, stockOrder(alice, 0.5), shopPrefix); return err }, 0, 8},
		{"the same number again is no restock", func() error { limits(8); return nil }, -1, 8},
		{"a restock counts anew", func() error { limits(6); return nil }, -1, 0},
		{"alice books 2 of the new stock", func() error { _, err := s.CreateOrder(ctx, stockOrder(alice, 2), shopPrefix); return err }, -1, 2},
	}
	for _, st := range steps {
		err := st.do()
		var over *care.OverBookedError
		switch {
		case st.left < 0 && err != nil:
			t.Fatalf("%s: %v", st.name, err)
		case st.left >= 0 && (!errors.As(err, &over) || over.Left["telur"] != st.left || care.ErrorCode(err) != care.EConflict):
			t.Fatalf("%s: error %v; want telur %v left (conflict)", st.name, err, st.left)
		}
		if got := booked(); got != st.booking {
			t.Errorf("%s: booked %v, want %v", st.name, got, st.booking)
		}
	}
	os, err := s.ContactOrders(ctx, alice)
	if err != nil || len(os) != 2 {
		t.Fatalf("alice's orders %v, %v", os, err)
	}
	// The order filed before the restock gives nothing to the new stock;
	// the one after gives its part back.
	mustChange(t, s, os[0].Number, care.OrderChange{Order: care.OrderCancelled, Reason: "habis"})
	if got := booked(); got != 2 {
		t.Errorf("after cancelling an order of the last stock: booked %v, want 2", got)
	}
	mustChange(t, s, os[1].Number, care.OrderChange{Order: care.OrderConfirmed})
	if got := booked(); got != 2 {
		t.Errorf("after confirming: booked %v, want 2", got)
	}
	mustChange(t, s, os[1].Number, care.OrderChange{Order: care.OrderCancelled, Reason: "salah pesan"})
	if got := booked(); got != 0 {
		t.Errorf("after cancelling: booked %v, want 0", got)
	}
	// An item no longer counted is not booked.
	if err := s.SetLimits(ctx, map[string]care.ItemLimit{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateOrder(ctx, stockOrder(bob, 50), shopPrefix); err != nil {
		t.Fatal(err)
	}
}

// TestOrderStockAtOnce: customers ordering the last kilos at the same
// moment, through two stores on one Redis (two processes), never get
// more than the stock between them.
func TestOrderStockAtOnce(t *testing.T) {
	s, client := newStore(t)
	other := New(client, s.prefix)
	if err := s.SetLimits(ctx, map[string]care.ItemLimit{"telur": {Stock: 10}}); err != nil {
		t.Fatal(err)
	}
	ids := make([]care.ContactID, 8)
	for i := range ids {
		ids[i] = customer(t, s, care.Address{Channel: care.WhatsApp, ID: fmt.Sprintf("62812000000%02d", i)}, "C", "id")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	filed, refused := 0, 0
	for i, id := range ids {
		wg.Go(func() {
			st := s
			if i%2 == 1 {
				st = other
			}
			_, err := st.CreateOrder(ctx, stockOrder(id, 3), shopPrefix)
			mu.Lock()
			defer mu.Unlock()
			var over *care.OverBookedError
			switch {
			case err == nil:
				filed++
			case errors.As(err, &over):
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	b, err := s.Booked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if filed != 3 || refused != 5 || b["telur"] != 9 {
		t.Errorf("filed %d, refused %d, booked %v; want 3 filed (9 kg), 5 refused", filed, refused, b)
	}
}

// TestPlacedOrderBooksOnce: the same message placing its order again
// (a failure after the booking) books under the same id, once.
func TestPlacedOrderBooksOnce(t *testing.T) {
	s, _ := newStore(t)
	if err := s.SetLimits(ctx, map[string]care.ItemLimit{"telur": {Stock: 8}}); err != nil {
		t.Fatal(err)
	}
	id := customer(t, s, alice, "Alice", "id")
	o := stockOrder(id, 5)
	o.ID = care.PlacedOrderID(id, "m-1")
	if err := s.reserve(ctx, o); err != nil { // the first try, which failed after booking
		t.Fatal(err)
	}
	if _, err := s.CreateOrder(ctx, o, shopPrefix); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Booked(ctx); err != nil || b["telur"] != 5 {
		t.Errorf("booked %v, %v; want telur 5", b, err)
	}
}

// TestBookedAsFiled: what Booked says is booked of an item is what
// filing an order checks against its limit, when the item changes from
// a pre-order's quota to a counted stock and back: the bookings of the
// other kind count for neither.
func TestBookedAsFiled(t *testing.T) {
	s, _ := newStore(t)
	alice := customer(t, s, alice, "Alice", "id")
	lapis := func(qty float64) care.Order {
		return care.Order{Contact: alice, Method: care.MethodTransfer, Delivery: care.OrderDelivery{Pickup: true, Recipient: "Alice"},
			Lines: []care.OrderLine{{Item: "lapis", Name: "Kue lapis legit", Qty: qty, Unit: "loyang", Price: 150_000, Preorder: true}}}
	}
	steps := []struct {
		name   string
		limit  care.ItemLimit
		order  float64 // booked by a new order; 0 for none
		left   float64 // what its refusal says is left; -1 when filed
		booked float64
	}{
		{"a quota of 5, 2 booked", care.ItemLimit{Quota: 5}, 2, -1, 2},
		{"a counted stock starts from nothing", care.ItemLimit{Stock: 4}, 0, -1, 0},
		{"3 of the stock booked", care.ItemLimit{Stock: 4}, 3, -1, 3},
		{"the quota again: its 2 count, not the stock's 3", care.ItemLimit{Quota: 5}, 0, -1, 2},
		{"4 pass the quota's 3 left", care.ItemLimit{Quota: 5}, 4, 3, 2},
		{"the quota's 3 left booked", care.ItemLimit{Quota: 5}, 3, -1, 5},
	}
	for _, st := range steps {
		if err := s.SetLimits(ctx, map[string]care.ItemLimit{"lapis": st.limit}); err != nil {
			t.Fatal(err)
		}
		if st.order > 0 {
			_, err := s.CreateOrder(ctx, lapis(st.order), shopPrefix)
			var over *care.OverBookedError
			switch {
			case st.left < 0 && err != nil:
				t.Fatalf("%s: %v", st.name, err)
			case st.left >= 0 && (!errors.As(err, &over) || over.Left["lapis"] != st.left):
				t.Fatalf("%s: error %v; want lapis %v left", st.name, err, st.left)
			}
		}
		// Read more than once: a map's order must not decide it.
		for range 5 {
			if b, err := s.Booked(ctx); err != nil || b["lapis"] != st.booked {
				t.Fatalf("%s: booked %v, %v; want lapis %v", st.name, b, err, st.booked)
			}
		}
	}
}
