package broadcast

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// order files an order of items for contact id through s (whose clock
// dates it), takes it to state (new, cancelled or completed) and
// returns its number.
func (h *harness) order(s *redisstore.Store, id care.ContactID, state care.OrderState, items ...string) string {
	h.t.Helper()
	var lines []care.OrderLine
	for _, it := range items {
		lines = append(lines, care.OrderLine{Item: it, Name: it, Qty: 1, Unit: "kg", Price: 10_000})
	}
	o, err := s.CreateOrder(ctx, care.Order{Contact: id, Method: care.MethodCOD, Lines: lines, Delivery: care.OrderDelivery{Pickup: true}}, "WBS")
	if err != nil {
		h.t.Fatal(err)
	}
	switch state {
	case care.OrderCancelled:
		h.change(s, o.Number, care.OrderChange{Order: care.OrderCancelled, Reason: "habis"})
	case care.OrderCompleted:
		h.complete(s, o.Number)
	}
	return o.Number
}

// change applies ch to the order number through s.
func (h *harness) change(s *redisstore.Store, number string, ch care.OrderChange) {
	h.t.Helper()
	if _, err := s.UpdateOrder(ctx, number, func(o care.Order) (care.Order, error) { return o.Apply(ch, "sari", time.Now()) }); err != nil {
		h.t.Fatalf("order %s %+v: %v", number, ch, err)
	}
}

// complete confirms the order number, hands it over and completes it,
// through s.
func (h *harness) complete(s *redisstore.Store, number string) {
	h.t.Helper()
	h.change(s, number, care.OrderChange{Order: care.OrderConfirmed})
	h.change(s, number, care.OrderChange{Fulfilment: care.FulfilmentPickedUp, Order: care.OrderCompleted})
}

// TestAudienceByOrders: a campaign narrowed by orders reaches exactly
// the consenting customers its order rules keep; the others of the
// audience are still left out by why, and everyone else is outside.
func TestAudienceByOrders(t *testing.T) {
	h := newHarness(t, nil)
	// past files orders 40 days ago.
	past := redisstore.New(h.client, h.prefix, redisstore.WithClock(func() time.Time { return time.Now().Add(-40 * 24 * time.Hour) }))
	ids := map[string]care.ContactID{}
	add := func(name string, consent *bool) care.ContactID {
		ids[name] = h.add(person{name: name, consent: consent})
		return ids[name]
	}
	// fresh ordered today, eggs among it, not completed yet.
	h.order(h.store, add("fresh", yes), care.OrderNew, "telur", "tomat")
	// cancelled ordered today and cancelled it.
	h.order(h.store, add("cancelled", yes), care.OrderCancelled, "telur")
	// old ordered 40 days ago and completed it today.
	old := add("old", yes)
	h.complete(h.store, h.order(past, old, care.OrderNew, "tomat"))
	// regular completed three orders long ago, never eggs.
	regular := add("regular", yes)
	for range care.RegularOrders {
		h.order(past, regular, care.OrderCompleted, "tomat")
	}
	// two completed two, one with eggs, and has one cancelled.
	two := add("two", yes)
	h.order(past, two, care.OrderCompleted, "telur")
	h.order(past, two, care.OrderCompleted, "beras")
	h.order(past, two, care.OrderCancelled, "beras")
	// nocons is a regular who bought eggs and ordered today, but never
	// said yes to promotions; withdrawn the same, but said stop.
	for _, p := range []struct {
		name    string
		consent *bool
	}{{"nocons", nil}, {"withdrawn", no}} {
		id := add(p.name, p.consent)
		for range care.RegularOrders {
			h.order(past, id, care.OrderCompleted, "telur")
		}
		h.order(h.store, id, care.OrderNew, "beras")
	}
	add("none", yes)
	left := map[string]care.Exclusion{"nocons": care.ExclNoConsent, "withdrawn": care.ExclWithdrawn}

	tests := []struct {
		name string
		a    care.Audience
		want []string
	}{
		{"ordered lately", care.Audience{OrderedDays: 30}, []string{"fresh"}},
		{"ordered within 60 days", care.Audience{OrderedDays: 60}, []string{"fresh", "old", "regular", "two"}},
		{"regulars", care.Audience{Regulars: true}, []string{"regular"}},
		{"bought eggs", care.Audience{Bought: "telur"}, []string{"two"}},
		{"bought tomatoes", care.Audience{Bought: "tomat"}, []string{"old", "regular"}},
		{"regulars who ordered lately", care.Audience{Regulars: true, OrderedDays: 30}, nil},
		{"bought rice, tagged", care.Audience{Bought: "beras", Tags: []string{"vip"}}, nil},
		{"bought nothing anyone completed", care.Audience{Bought: "gula"}, nil},
	}
	campaigns := map[string]care.CampaignID{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := h.svc.CreateCampaign(ctx, care.Campaign{Name: tt.name, Texts: map[string]string{"id": "x"}, Audience: tt.a})
			if err != nil {
				t.Fatal(err)
			}
			campaigns[tt.name] = c.ID
			excluded := map[care.ContactID]care.Exclusion{}
			p, err := h.svc.PreviewCampaign(ctx, c.ID, func(x care.Excluded) error {
				excluded[x.Contact] = x.Reason
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Those the order rules keep but consent leaves out.
			wantOut := map[care.ContactID]care.Exclusion{}
			if !slices.Contains(tt.a.Tags, "vip") && tt.a.Bought != "gula" && tt.a.Bought != "tomat" {
				for name, x := range left {
					wantOut[ids[name]] = x
				}
			}
			if p.Recipients != len(tt.want) || !maps.Equal(excluded, wantOut) || p.Outside != len(ids)-len(tt.want)-len(wantOut) {
				t.Errorf("preview: %d recipients, %d outside, left out %v; want %d, %d, %v", p.Recipients, p.Outside, excluded, len(tt.want), len(ids)-len(tt.want)-len(wantOut), wantOut)
			}
			if p.Audience.OrderedDays != tt.a.OrderedDays || p.Audience.Regulars != tt.a.Regulars || p.Audience.Bought != tt.a.Bought {
				t.Errorf("preview audience %+v, want %+v", p.Audience, tt.a)
			}
			if _, err := h.svc.StartCampaign(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
	h.sender("s1", nil)
	h.runner("r1", nil)
	for _, tt := range tests {
		id := campaigns[tt.name]
		h.state(id, care.CampaignDone, 10*time.Second)
		lines, _ := h.report(id)
		var got []string
		for name, cid := range ids {
			if l, ok := lines[cid]; ok && l.Status == care.RecipientSent {
				got = append(got, name)
			}
		}
		slices.Sort(got)
		if len(lines) != len(tt.want) || !slices.Equal(got, tt.want) {
			t.Errorf("%s reached %v (%d lines), want %v", tt.name, got, len(lines), tt.want)
		}
	}
}

// shopCatalog sells eggs and rice.
const shopCatalog = `items:
  - id: telur
    name: Telur
    price: 29000
    unit: kg
    aliases: [telor, endog]
  - id: beras
    name: Beras
    price: 15000
    unit: kg
delivery:
  pickup: true
payment:
  cod: true
`

func TestCheckItem(t *testing.T) {
	cat, err := catalog.Load(fstest.MapFS{catalog.File: {Data: []byte(shopCatalog)}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id, err string
	}{
		{"telur", ""},
		{" Telur ", ""},
		{"telor", `did you mean "telur"?`},
		{"endog", `did you mean "telur"?`},
		{"beras5", `did you mean "beras"?`},
	}
	for _, tt := range tests {
		err := CheckItem(tt.id, cat.Items())
		if tt.err == "" && err != nil || tt.err != "" && (care.ErrorCode(err) != care.EInvalid || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CheckItem(%q) = %v, want %q", tt.id, err, tt.err)
		}
	}
	if err := CheckItem("telur", nil); err == nil {
		t.Errorf("an item of an empty catalog passed")
	}
}
