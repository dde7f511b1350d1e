package care

import (
	"context"
	"time"
)

// Conversation is everything the runtime loads before it processes one
// inbound message, in one round trip.
type Conversation struct {
	Session Session
	Contact Contact // zero ID when the contact is new
	// Seen reports that this inbound message was already processed.
	Seen bool
}

// Commit is the effect of one processed inbound message, stored at once
// or not at all.
type Commit struct {
	Inbound Inbound
	// Session is the new session; its Version is the one that was loaded.
	Session Session
	Contact Contact
	// Outbound are the messages to queue, in order.
	Outbound []Outbound
	// SessionTTL is how long the session lives without a new message.
	SessionTTL time.Duration
	// Consent are events to append to the contact's consent ledger; the
	// Contact already reflects them.
	Consent []ConsentEvent
	// Erase deletes everything kept about the contact (session, profile,
	// ledger, transcript, queued messages) instead of storing Session and
	// Contact; only Outbound (the confirmation) is queued.
	Erase bool
	// Transcript keeps the inbound text and the replies for this long in
	// the contact's transcript; 0 keeps none.
	Transcript time.Duration
}

// MessageRef names one inbound message of one contact.
type MessageRef struct {
	Contact   ContactID
	MessageID string
}

// ConversationStore loads and stores conversations, several at a time so
// that a busy runtime pays one round trip for many conversations.
type ConversationStore interface {
	// LoadMany returns, for each ref, the session and profile of the
	// contact and whether the inbound message id was already processed.
	LoadMany(ctx context.Context, refs []MessageRef) ([]Conversation, error)
	// CommitMany stores each commit atomically: the new session and
	// contact, the inbound message marked processed, the outbound
	// messages queued. Commits are independent of each other and must be
	// of different contacts. The error of each is nil, wraps ErrDuplicate
	// when the message was already processed, or ErrConflict when the
	// session version moved on since it was loaded.
	CommitMany(ctx context.Context, commits []Commit) []error
	// Records returns the contact's consent ledger and recent transcript.
	Records(ctx context.Context, id ContactID) (Records, error)
}

// Records are what Mitra keeps about a contact besides the session and
// profile, for MY DATA.
type Records struct {
	// Consent is the ledger, oldest first.
	Consent []ConsentEvent
	// Transcript are the most recent messages, oldest first.
	Transcript []TranscriptEntry
}

// TranscriptEntry is one message of a conversation's transcript.
type TranscriptEntry struct {
	At      time.Time
	Inbound bool // from the contact; false: to the contact
	Text    string
}
