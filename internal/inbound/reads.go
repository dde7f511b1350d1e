package inbound

import (
	"context"
	"fmt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/flow"
)

// reads are what a step reads besides its conversation. Only the few
// messages that need them pay the round trips: MY DATA, and from a
// customer who ordered before a photo (a proof of payment?) or a
// message outside an order being made (their last order, their usual).
type reads struct {
	// records are the ledger and the transcript, for MY DATA; nil
	// otherwise.
	records *care.Records
	// orders are the contact's orders, oldest first, when they were
	// read.
	orders []care.Order
	// booked is what orders hold of the pre-order items and the
	// counted stocks, read for every step when the catalog limits some
	// item (the order calls check it).
	booked map[string]float64
	// proof is the order a photo was kept for as its proof of payment
	// (Runtime.attachProof); nil when it was none's.
	proof *proofKept
}

// read reads what the step of in needs besides its conversation conv
// and what is booked (read with it).
func (r *Runtime) read(ctx context.Context, id care.ContactID, conv care.Conversation, in care.Inbound, booked map[string]float64) (reads, error) {
	x := reads{booked: booked}
	switch {
	case myData(in):
		rec, err := r.store.Records(ctx, id)
		if err != nil {
			return x, fmt.Errorf("records: %w", err)
		}
		x.records = &rec
	case !ordered(conv) || !proofKind(in.Kind) && !returning(conv, in):
		return x, nil
	}
	var err error
	if x.orders, err = r.store.ContactOrders(ctx, id); err != nil {
		return x, fmt.Errorf("orders: %w", err)
	}
	return x, nil
}

// myData reports whether in asks what is kept about the contact: DATA
// SAYA, or a sentence that means it.
func myData(in care.Inbound) bool {
	if in.Kind != care.KindText {
		return false
	}
	if k, _ := flow.Keyword(in.Text); k == flow.KeywordMyData {
		return true
	}
	p := flow.Privacy(flow.Words(in.Text))
	return p.Keyword == flow.KeywordMyData && !p.Unsure
}

// ordered reports whether the contact may have orders: placing one
// records their orders consent.
func ordered(conv care.Conversation) bool {
	_, ok := conv.Contact.Consent[care.Orders]
	return ok
}

// returning reports whether in may ask for a returning customer's last
// order: they write or tap outside an order being made.
func returning(conv care.Conversation, in care.Inbound) bool {
	return in.Kind.Understood() && conv.Session.Flow != orderFlow
}
