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
}

// ConversationStore loads and stores conversations.
type ConversationStore interface {
	// Load returns the session and profile of a contact and whether the
	// inbound message id was already processed.
	Load(ctx context.Context, id ContactID, messageID string) (Conversation, error)
	// Commit stores the new session and contact, marks the inbound message
	// processed and queues the outbound messages, atomically. It returns
	// ErrDuplicate when the message was already processed and ErrConflict
	// when the session version moved on since Load.
	Commit(ctx context.Context, c Commit) error
}
