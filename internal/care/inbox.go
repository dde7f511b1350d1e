package care

import (
	"context"
	"time"
)

// HandoverState is who answers a conversation: the bot, nobody yet (it
// waits for staff), or a person at the shop.
type HandoverState string

// The states of a conversation.
const (
	// StateBot: the bot answers (the zero Handover is this too).
	StateBot HandoverState = "bot"
	// StateWaiting: handed to staff, nobody has taken it yet; the bot
	// keeps quiet until Handover.Until.
	StateWaiting HandoverState = "waiting"
	// StateHeld: a named staff member, or the shop's phone, holds it;
	// the bot keeps quiet until the holder has been idle for the staff
	// idle time.
	StateHeld HandoverState = "held"
)

// Who did something to a conversation, besides a staff account. None
// of them is a valid account name (StaffKey), so none is mistaken for
// one.
const (
	// ShopPhone holds a conversation the shop answered from its own
	// WhatsApp phone (KindStaff).
	ShopPhone = "the shop's phone"
	// ByCustomer: the customer asked for the bot back (MENU).
	ByCustomer = "the customer"
	// ByMitra: the bot itself (a hand-over, a conversation nobody
	// answered returned to the bot).
	ByMitra = "the bot"
)

// ReplyWindow is how long after a contact's last message the shop may
// still answer them (WhatsApp's customer-service window; the gate
// applies it to every reply).
const ReplyWindow = 24 * time.Hour

// MaxFirstWords bounds Handover.FirstWords, in characters.
const MaxFirstWords = 160

// Handover is who answers a contact's conversation, kept in the profile:
// the one place that says so. The runtime maps it onto the session
// before stepping the flows, staff change it through the Inbox, and the
// indexes of the inbox only point at it.
type Handover struct {
	State HandoverState `json:"state,omitempty"`
	// Holder names who holds a held conversation: a staff member, or
	// ShopPhone.
	Holder string `json:"holder,omitempty"`
	// Since is when the conversation was handed to staff (waiting) or
	// taken (held).
	Since time.Time `json:"since,omitzero"`
	// Until is when a waiting conversation nobody took goes back to the
	// bot: StaffHold after staff are next on duty.
	Until time.Time `json:"until,omitzero"`
	// Reason says why the bot handed it over (the flow's "reason" arg).
	Reason string `json:"reason,omitempty"`
	// FirstWords are the start of the customer's first message while
	// with staff, for the inbox's list.
	FirstWords string `json:"first_words,omitempty"`
	// LastStaff is when the holder last wrote to the customer.
	LastStaff time.Time `json:"last_staff,omitzero"`
	// Reminded is when the bot last reminded the customer that staff
	// will answer; one reminder per quiet stretch, not one per message.
	Reminded time.Time `json:"reminded,omitzero"`
	// Alerted is when the staff on duty were told that the conversation
	// waits, OwnerAlerted when the owners were, as it still waited
	// unclaimed: each once per waiting spell (zero until then).
	Alerted      time.Time `json:"alerted,omitzero"`
	OwnerAlerted time.Time `json:"owner_alerted,omitzero"`
	// Resume is what the bot still owes the customer after the
	// conversation came back to it; nil when nothing.
	Resume *Resume `json:"resume,omitempty"`
}

// Resume is what the bot says when a conversation comes back to it.
type Resume struct {
	// At is when it came back; it names the bot's step, so the step is
	// stored once.
	At time.Time `json:"at"`
	// Notice: tell the customer the bot answers again (the shop's
	// staff_back text).
	Notice bool `json:"notice,omitempty"`
	// Flow is the flow staff asked the bot to start; "" for none.
	Flow string `json:"flow,omitempty"`
}

// LastActivity is when the holder of a held conversation last did
// something: took it, or wrote.
func (h Handover) LastActivity() time.Time {
	if h.LastStaff.After(h.Since) {
		return h.LastStaff
	}
	return h.Since
}

// HoldUntil is when the bot answers again by itself: Until for a waiting
// conversation, idle after the holder's last activity for a held one,
// zero for the bot's.
func (h Handover) HoldUntil(idle time.Duration) time.Time {
	switch h.State {
	case StateWaiting:
		return h.Until
	case StateHeld:
		return h.LastActivity().Add(idle)
	}
	return time.Time{}
}

// Active reports whether staff hold or await the conversation at now.
func (h Handover) Active(now time.Time, idle time.Duration) bool {
	return now.Before(h.HoldUntil(idle))
}

// ReplyAddress is where the shop answers the person outside a
// conversation step (a staff reply, the bot resuming): the first address
// of the channel they wrote on last.
func (c Contact) ReplyAddress() (Address, bool) {
	var ch Channel
	var last time.Time
	for k, t := range c.LastInboundOn {
		if t.After(last) || t.Equal(last) && k < ch {
			ch, last = k, t
		}
	}
	for _, a := range c.Addresses {
		if a.Channel == ch || ch == "" {
			return a, true
		}
	}
	return Address{}, false
}

// StaffAction is something done to a conversation, recorded in the
// contact's events and in the staff audit.
type StaffAction string

// The actions recorded.
const (
	// ActionHandedOver: the bot handed the conversation to staff.
	ActionHandedOver StaffAction = "handed_over"
	// ActionTookOver: a staff member (or the shop's phone) took it.
	ActionTookOver StaffAction = "took_over"
	// ActionReplied: the holder queued a reply.
	ActionReplied StaffAction = "replied"
	// ActionHandedBack: staff gave it back to the bot.
	ActionHandedBack StaffAction = "handed_back"
	// ActionReturned: nobody answered in time; the bot took it back.
	ActionReturned StaffAction = "returned"
	// ActionReleased: the customer asked for the bot (MENU).
	ActionReleased StaffAction = "released"
	// ActionNoted: a staff member wrote a private note.
	ActionNoted StaffAction = "noted"
	// ActionViewed: a staff member opened the conversation (staff audit
	// only).
	ActionViewed StaffAction = "viewed"
	// ActionProof: the customer sent a photo of their payment, kept as
	// the proof of the order the event's Reason names, for staff to
	// check.
	ActionProof StaffAction = "proof"
	// ActionSuggested: the customer left a suggestion for the shop, the
	// event's Reason.
	ActionSuggested StaffAction = "suggested"
)

// StaffEvent is one action on a conversation: who, what, when. The
// contact's events hold every one but views; the staff audit holds
// those of staff and of the bot returning a conversation, naming the
// contact by its id alone and never a text.
type StaffEvent struct {
	At      time.Time   `json:"at"`
	Contact ContactID   `json:"c,omitempty"`
	Action  StaffAction `json:"action"`
	// By is a staff member's name, ShopPhone, ByCustomer or ByMitra.
	By     string `json:"by"`
	Reason string `json:"reason,omitempty"`
	// Message is the id of a staff reply (ActionReplied).
	Message string `json:"m,omitempty"`
}

// Note is a staff member's private note on a contact. It is never sent
// to the customer.
type Note struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"text"`
}

// InboxView names a list of the staff inbox.
type InboxView string

// The lists of the inbox.
const (
	// InboxWaiting: handed to staff, nobody took them yet; oldest first.
	InboxWaiting InboxView = "waiting"
	// InboxHeld: held by someone; oldest first.
	InboxHeld InboxView = "held"
	// InboxAll: every recent conversation, whoever answers; newest
	// first.
	InboxAll InboxView = "all"
)

// InboxEntry is one conversation in a list of the inbox, as its profile
// says now.
type InboxEntry struct {
	Contact  ContactID
	Name     string
	Channels []Channel
	State    HandoverState
	Holder   string
	// Since is when it was handed over (waiting) or taken (held).
	Since      time.Time
	Reason     string
	FirstWords string
	// LastInbound is the customer's last message, LastStaff the
	// holder's.
	LastInbound time.Time
	LastStaff   time.Time
	// Alerted and OwnerAlerted are when staff, and the owners, were
	// told that it waits (Handover's).
	Alerted, OwnerAlerted time.Time
}

// Timeline is what the console shows of one contact: the profile, the
// conversation, the private notes and who did what, each oldest first.
type Timeline struct {
	Contact Contact
	// Transcript holds the retained messages, staff replies among them
	// (TranscriptEntry.Staff).
	Transcript []TranscriptEntry
	Notes      []Note
	Events     []StaffEvent
}

// Inbox is the staff console's view of the conversations: who waits,
// who holds what, and the actions staff take. Every action names the
// staff member by their account name (StaffKey checks it; names compare
// case-insensitively); a change is written over the profile version it
// read, so two people acting at once never both win.
type Inbox interface {
	// Conversations lists up to limit conversations of a view.
	Conversations(ctx context.Context, view InboxView, limit int) ([]InboxEntry, error)
	// Takeover makes staff the holder: the bot stops answering, and
	// the flows' messages not sent yet are not sent. Of two people
	// taking one conversation at once exactly one wins; the other, or
	// anyone while someone holds it, gets an EConflict naming the holder
	// ("Rina holds this"). A conversation the shop's phone holds can be
	// taken.
	Takeover(ctx context.Context, id ContactID, staff string) (Contact, error)
	// Handback gives the conversation back to the bot at once. The bot
	// tells the customer, and starts startFlow when it is not "" (an
	// unknown flow starts the menu), in a step of its own (see the
	// runtime's Resume). A conversation a person holds is theirs to hand
	// back; one waiting, or held by the shop's phone, anyone's.
	Handback(ctx context.Context, id ContactID, staff, startFlow string) (Contact, error)
	// Reply queues text from staff to the customer, on the channel they
	// wrote on last. Only the holder replies; an empty text, one over
	// MaxText characters, a contact erased or being erased, and a
	// customer whose last message is older than ReplyWindow are refused
	// with why.
	Reply(ctx context.Context, id ContactID, staff, text string) (Outbound, error)
	// Note keeps a private note on the contact; it is never sent.
	Note(ctx context.Context, id ContactID, staff, text string) (Note, error)
	// Timeline returns the contact's conversation, notes and events,
	// and records in the staff audit that staff viewed it.
	Timeline(ctx context.Context, id ContactID, staff string) (Timeline, error)
	// StaffAudit returns up to n of the newest entries of the staff
	// audit, oldest first.
	StaffAudit(ctx context.Context, n int) ([]StaffEvent, error)
}

// Handovers is what the runtime needs of the store to return
// conversations nobody answers to the bot.
type Handovers interface {
	// ReturnLapsed gives back to the bot up to max conversations whose
	// hold ran out at now (a waiting one past its Until, a held one whose
	// holder was idle for idle), marks what the bot owes the customer
	// (Resume), and returns their contacts.
	ReturnLapsed(ctx context.Context, now time.Time, idle time.Duration, max int) ([]ContactID, error)
}
