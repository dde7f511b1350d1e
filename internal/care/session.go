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
	// conversation and the flows stay silent until then. The runtime
	// sets it from the profile's Handover before each step and stores
	// it empty: a session of an earlier version that still holds one
	// counts as handed to staff until then.
	StaffUntil time.Time `json:"h,omitzero"`
	// Updated is when the session was last stored.
	Updated time.Time `json:"u"`
	// Listed is when the store last moved the conversation to the top
	// of the inbox's recent conversations; a burst of messages moves it
	// once every few seconds, not once a message.
	Listed time.Time `json:"li,omitzero"`
}

// Contact is what Mitra keeps about a person, on every channel they use:
// consent, caps, opt-out and erasure apply to the person.
type Contact struct {
	ID ContactID `json:"id"`
	// Version counts writes of the profile; a write succeeds only over
	// the version that was read (compare-and-set), so a staff action, a
	// link or an "unreachable" mark that lands while a conversation step
	// is in flight is never lost.
	Version int64 `json:"-"`
	// Addresses are every address of the person (WhatsApp phone and LID,
	// Telegram chat), first seen first.
	Addresses   []Address `json:"addresses"`
	Name        string    `json:"name,omitempty"`
	Lang        string    `json:"lang,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
	LastInbound time.Time `json:"last_inbound,omitzero"`
	// LastInboundOn is the person's last message per channel: a channel
	// they never wrote on gets nothing the shop starts (WhatsApp bans
	// numbers for that).
	LastInboundOn map[Channel]time.Time `json:"last_inbound_on,omitempty"`
	// TimeZone is an IANA name; empty means the shop's. Quiet hours are
	// kept in the contact's time.
	TimeZone string `json:"tz,omitempty"`
	// Tags are the shop's labels for the person (vip, pasar-minggu),
	// lower case, each once: the audiences of broadcasts.
	Tags []string `json:"tags,omitempty"`
	// Consent is the current consent per purpose, derived from the
	// ledger.
	Consent map[Purpose]ConsentState `json:"consent,omitempty"`
	// Unreachable says, per channel, why it cannot reach the person
	// (they blocked the bot); it clears when they write there again.
	Unreachable map[Channel]string `json:"unreachable,omitempty"`
	// Blocked means the shop does not want to message the contact at all
	// (beyond answering them).
	Blocked bool `json:"blocked,omitempty"`
	// Suppressed is when an address of this person was erased before,
	// zero if never: promotions then need consent given after it.
	Suppressed time.Time `json:"suppressed,omitzero"`
	// Merged lists the contacts folded into this one, so a merge that is
	// run again changes nothing.
	Merged []ContactID `json:"merged,omitempty"`
	// HeldSince is when a person at the shop last took the conversation
	// over: a message the flows composed before it is not sent.
	HeldSince time.Time `json:"held_since,omitzero"`
	// Handover is who answers the conversation now: the bot, nobody yet
	// (waiting for staff) or a person.
	Handover Handover `json:"handover,omitzero"`
	// Erasing is when the person asked to erase their data; a sweeper
	// finishes the erasure and nothing else may change the profile.
	Erasing time.Time `json:"erasing,omitzero"`
	// MergedInto is set on the stub a merge leaves behind: the contact
	// that holds the person now.
	MergedInto ContactID `json:"merged_into,omitempty"`
}

// Has reports whether a is one of the person's addresses.
func (c Contact) Has(a Address) bool {
	for _, x := range c.Addresses {
		if x == a {
			return true
		}
	}
	return false
}

// AddAddress adds a to the person's addresses unless it is there; it
// reports whether it added it.
func (c *Contact) AddAddress(a Address) bool {
	if a.ID == "" || c.Has(a) {
		return false
	}
	c.Addresses = append(c.Addresses, a)
	return true
}

// Live reports whether the profile stands for a person now: it exists,
// is not being erased and was not merged into another.
func (c Contact) Live() bool { return c.ID != "" && c.Erasing.IsZero() && c.MergedInto == "" }
