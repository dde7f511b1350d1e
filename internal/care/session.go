package care

import "time"

// Session is where a contact's conversation stands. It is stored as a
// whole after every message and must stay small.
type Session struct {
	// Version counts stores; a store succeeds only over the version that
	// was loaded (compare-and-set).
	Version int64 `json:"-"`
	// Flow and Step locate the conversation; both empty means it has not
	// started or has ended.
	Flow string `json:"f,omitempty"`
	Step string `json:"s,omitempty"`
	// Return is "flow/step" to go back to after a detour (the fallback).
	Return string `json:"r,omitempty"`
	// Vars are the values the flows set, by name.
	Vars map[string]string `json:"v,omitempty"`
	// Misses counts consecutive messages that were not understood.
	Misses int `json:"m,omitempty"`
	// Lang is the language the contact is spoken to in.
	Lang string `json:"l,omitempty"`
	// StaffUntil, when in the future, means a person holds the
	// conversation and the flows stay silent until then.
	StaffUntil time.Time `json:"h,omitzero"`
	// Updated is when the session was last stored.
	Updated time.Time `json:"u"`
}

// Contact is what Mitra keeps about a person on one channel.
type Contact struct {
	ID          ContactID `json:"id"`
	Address     Address   `json:"address"`
	Name        string    `json:"name,omitempty"`
	Lang        string    `json:"lang,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
	LastInbound time.Time `json:"last_inbound,omitzero"`
	// TimeZone is an IANA name; empty means the shop's. Quiet hours are
	// kept in the contact's time.
	TimeZone string `json:"tz,omitempty"`
	// Person links the contacts of one person on several channels, so
	// that caps count across them; empty means the contact alone.
	Person string `json:"person,omitempty"`
	// Consent is the current consent per purpose, derived from the
	// ledger.
	Consent map[Purpose]ConsentState `json:"consent,omitempty"`
	// Unreachable, when set, says why the channel cannot reach the
	// contact (they blocked the bot); it clears when they write again.
	Unreachable string `json:"unreachable,omitempty"`
	// Blocked means the shop does not want to message the contact at all
	// (beyond answering them).
	Blocked bool `json:"blocked,omitempty"`
}

// PersonID is what caps count by: the linked person, else the contact.
func (c Contact) PersonID() string {
	if c.Person != "" {
		return c.Person
	}
	return string(c.ID)
}
