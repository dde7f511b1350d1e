package care

import "time"

// Purpose is what a contact consents to be messaged about.
type Purpose string

// The purposes of consent.
const (
	// Orders covers updates about the contact's own orders. Placing an
	// order grants it; the contact can withdraw it.
	Orders Purpose = "orders"
	// Promotions covers anything the shop wants to sell. Only an
	// explicit yes to the opt-in question grants it: never buying,
	// chatting, a staff action or an import.
	Promotions Purpose = "promotions"
)

// Purposes lists every purpose, in a stable order.
var Purposes = []Purpose{Orders, Promotions}

// Valid reports whether p is a purpose Mitra knows.
func (p Purpose) Valid() bool { return p == Orders || p == Promotions }

// Source says how a consent event came about.
type Source string

// The sources of consent events.
const (
	SourceKeyword Source = "keyword" // STOP, BERHENTI… typed by the contact
	SourceFlow    Source = "flow"    // an answer to a flow's question
	SourceOrder   Source = "order"   // placing an order (orders only)
	SourceStaff   Source = "staff"   // a staff member, on the contact's word
	SourceAPI     Source = "api"     // another system, through Mitra's API
	SourceErasure Source = "erasure" // the contact erased their data
)

// ConsentEvent is one entry of a contact's consent ledger, which is only
// ever appended to. It holds the evidence a shop owner needs to prove
// what the contact agreed to, when and how.
type ConsentEvent struct {
	Purpose Purpose   `json:"purpose"`
	Granted bool      `json:"granted"` // false: withdrawn (or declined)
	At      time.Time `json:"at"`
	Channel Channel   `json:"channel"`
	Source  Source    `json:"source"`
	// MessageID and Text are the contact's message that gave or withdrew
	// consent, as received.
	MessageID string `json:"message_id,omitempty"`
	Text      string `json:"text,omitempty"`
	// Question and Version are the exact wording of the question the
	// contact answered, as shown, and its version.
	Question string `json:"question,omitempty"`
	Version  string `json:"version,omitempty"`
	// By names who recorded it for a staff or API source.
	By string `json:"by,omitempty"`
}

// ConsentState is where one purpose stands now: the last event of the
// ledger for it, cached in the contact's profile.
type ConsentState struct {
	Granted bool      `json:"granted"`
	At      time.Time `json:"at"`
	Source  Source    `json:"source"`
}

// Apply returns the consent of c after event e.
func (c Contact) Apply(e ConsentEvent) Contact {
	m := make(map[Purpose]ConsentState, len(c.Consent)+1)
	for p, s := range c.Consent {
		m[p] = s
	}
	m[e.Purpose] = ConsentState{Granted: e.Granted, At: e.At, Source: e.Source}
	c.Consent = m
	return c
}

// Consents reports whether the contact's current consent covers p:
// promotions need an explicit grant; orders hold unless withdrawn.
func (c Contact) Consents(p Purpose) bool {
	s, ok := c.Consent[p]
	if p == Orders && !ok {
		return true
	}
	return ok && s.Granted
}
