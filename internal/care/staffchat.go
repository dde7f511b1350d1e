package care

import (
	"context"
	"time"
)

// A staff chat is a staff member's own Telegram or WhatsApp chat with
// the bot, linked to their account with a one-time code. It is not a
// customer's conversation: what the staff member writes there never
// reaches the flows, consent or the inbox, and the bot writes there
// only in class StaffAlert.

// Limits of linking a staff chat.
const (
	// StaffLinkTTL is how long a code that links a chat lasts.
	StaffLinkTTL = 15 * time.Minute
	// StaffLinkTries wrong codes from one address within
	// StaffLinkWindow lock that address out until the oldest of them is
	// StaffLinkWindow old.
	StaffLinkTries  = 5
	StaffLinkWindow = time.Hour
	// StaffChatWindow is how long after a chat's message to the staff
	// desk the bot may answer it when it is not (or no longer) linked: a
	// wrong code, UNLINK.
	StaffChatWindow = time.Hour
)

// StaffChat is a chat linked to a staff account.
type StaffChat struct {
	Address Address
	// Account is the account's name as it was given, Role its role.
	Account string
	Role    StaffRole
	// Linked is when the chat was linked.
	Linked time.Time
}

// StaffChatState is what the store holds about the chat a StaffAlert
// goes to, as it is when the alert is about to be sent: the gate
// decides from it, never from what the message says.
type StaffChatState struct {
	// Account is the account the address is linked to now; "" when it
	// is not linked.
	Account string
	// Heard is when the staff desk handled, from this address, the
	// message the alert answers (its InReplyTo); zero when it did not,
	// or long ago.
	Heard time.Time
}

// LinkOutcome is what became of a code sent to link a chat.
type LinkOutcome string

// The outcomes of LinkStaffChat.
const (
	// LinkDone: the chat is linked to the code's account.
	LinkDone LinkOutcome = "linked"
	// LinkWrong: no such code (wrong, expired or used); counted against
	// the address.
	LinkWrong LinkOutcome = "wrong"
	// LinkThrottled: too many wrong codes from the address lately; the
	// code was not even looked at.
	LinkThrottled LinkOutcome = "throttled"
)

// LinkResult is the answer to a code sent to link a chat.
type LinkResult struct {
	Outcome LinkOutcome
	// Account is the account the chat is linked to now: the code's on
	// LinkDone.
	Account string
	// Until is when a throttled address may try again.
	Until time.Time
	// Repeat: the message was handled before and nothing changed now;
	// Outcome and Account say how the chat's link stands.
	Repeat bool
}

// StaffChats keeps the links between staff accounts and their own chats
// with the bot. An account links at most one chat per channel.
type StaffChats interface {
	// StaffLinkCode makes a code of 6 digits that links the chat it is
	// sent from to the account, once, within StaffLinkTTL (ENotFound
	// when there is no such account).
	StaffLinkCode(ctx context.Context, name string) (code string, expires time.Time, err error)
	// LinkStaffChat links the chat a, with alias (another address of the
	// same WhatsApp chat, or zero), to the account of code, and unlinks
	// the account's earlier chat on that channel. A wrong code counts
	// against a (StaffLinkTries per StaffLinkWindow). It is one step
	// per message id: the same message delivered again changes nothing
	// (LinkResult.Repeat).
	LinkStaffChat(ctx context.Context, a, alias Address, code, messageID string) (LinkResult, error)
	// UnlinkStaffChat unlinks a, and every address linked with it, and
	// returns the account it was linked to ("" when none). The message
	// counts as heard, so the bot may answer it.
	UnlinkStaffChat(ctx context.Context, a Address, messageID string) (account string, err error)
	// StaffChats lists the chats linked to accounts that exist, one per
	// account and channel, by account.
	StaffChats(ctx context.Context) ([]StaffChat, error)
	// StaffMessageSeen reports whether the staff desk handled the
	// message from a already; StaffMessageDone records that it did, so
	// one delivered twice is acted on once.
	StaffMessageSeen(ctx context.Context, a Address, messageID string) (bool, error)
	StaffMessageDone(ctx context.Context, a Address, messageID string) error
}

// StaffAlerts is what telling staff about waiting conversations needs
// of the store, besides the inbox's list.
type StaffAlerts interface {
	// QueueStaffChat queues messages of class StaffAlert: each is filed
	// under its chat's own outbox id (the store sets Contact, which is
	// no customer's), in the order given, and the gate decides at send
	// time whether it goes.
	QueueStaffChat(ctx context.Context, ms []Outbound) error
	// MarkAlerted records on a conversation waiting since since that
	// staff (owner: its owners) were told about it at at. It reports
	// false, and writes nothing, when the conversation no longer waits
	// since then or was marked so before: one alert of each kind per
	// waiting spell, whoever sweeps.
	MarkAlerted(ctx context.Context, id ContactID, since time.Time, owner bool, at time.Time) (bool, error)
	// UnmarkAlerted takes back the mark MarkAlerted made at at, when the
	// alert could not be queued, so the next sweep tries again.
	UnmarkAlerted(ctx context.Context, id ContactID, since time.Time, owner bool, at time.Time) error
	// ClaimCodes gives each conversation a code of 4 digits that claims
	// it for ttl (KLAIM 4821: WhatsApp has no buttons).
	ClaimCodes(ctx context.Context, ids []ContactID, ttl time.Duration) ([]string, error)
	// ClaimCode returns the conversation a code claims; ok is false
	// when the code is unknown or expired.
	ClaimCode(ctx context.Context, code string) (id ContactID, ok bool, err error)
}
