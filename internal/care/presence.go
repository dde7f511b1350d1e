package care

import (
	"context"
	"time"
)

// InboxLive is what the staff console's live view reads besides the
// Inbox: who is looking at a conversation now, and marks that move when
// the inbox or a conversation changes, so a process finds changes with
// one cheap call a second and rereads only what changed. Everything
// lives in the store, so several processes behind one address see the
// same.
type InboxLive interface {
	// View marks staff as viewing the contact's conversation for ttl;
	// the console marks it again while the page stays open.
	View(ctx context.Context, id ContactID, staff string, ttl time.Duration) error
	// Unview takes the mark away at once, when the page closes.
	Unview(ctx context.Context, id ContactID, staff string) error
	// InboxMark changes whenever a list of the inbox may have changed
	// (a conversation handed over, taken, handed back, a new message).
	InboxMark(ctx context.Context) (string, error)
	// ConversationMarks returns, for each contact, a mark that changes
	// whenever its timeline, its profile or one of its orders may have,
	// and who views it now.
	ConversationMarks(ctx context.Context, ids []ContactID) ([]ConversationMark, error)
	// Reread returns the contact's timeline like Inbox.Timeline without
	// recording a view: the live view reads a conversation staff opened
	// already again at each change.
	Reread(ctx context.Context, id ContactID) (Timeline, error)
}

// ConversationMark is a conversation's change mark and who views it.
type ConversationMark struct {
	Mark    string
	Viewers []string
}
