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
	// Broken says why the stored session or profile could not be read;
	// the message cannot be processed and is dead-lettered.
	Broken error
	// StaffChat is the staff account the message's chat is linked to
	// (MessageRef.Address or Alias); "" for a customer's.
	StaffChat string
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
	// Erase starts the person's erasure: the session, ledger and
	// transcript go at once and Contact (a stub with Erasing set) is
	// stored; a JobErase scheduled before the commit finishes the rest
	// after Outbound (the confirmation) went out.
	Erase bool
	// Transcript keeps the inbound text and the replies for this long in
	// the contact's transcript; 0 keeps none.
	Transcript time.Duration
	// Events are changes of who answers the conversation that the step
	// made (a hand-over, the shop's phone taking it, the customer asking
	// for the bot), appended to the contact's events.
	Events []StaffEvent
	// Deadline, when set, is the caller's: a commit that reaches the
	// store after it is refused with ErrLate, so a caller told "not
	// stored" at its deadline was told the truth.
	Deadline time.Time
}

// ResolveRequest asks which contact an inbound message's address
// belongs to.
type ResolveRequest struct {
	Address Address
	// Alias is another address of the same person (Inbound.Alias), zero
	// when none: it is filed under the same contact.
	Alias Address
	// Replace is a contact whose erasure is under way: its addresses get
	// a new contact instead.
	Replace ContactID
	// CheckStaff: the address wrote to the bot, and a staff member's
	// linked chat is no customer's. It is named (Resolution.StaffChat)
	// and gets no contact.
	CheckStaff bool
}

// Resolution is the contact of a ResolveRequest.
type Resolution struct {
	Contact ContactID
	// New means the address was unknown and Contact was made for it
	// now: it has no session or profile yet.
	New bool
	// Suppressed is, for a new contact, when one of its addresses was
	// erased before; zero if never.
	Suppressed time.Time
	// Other is a different contact the alias already belonged to: the
	// two are one person and Other is to be merged into Contact.
	Other ContactID
	// StaffChat is the staff account the address (or alias) is linked
	// to; then it is a staff member's chat with the bot, no contact is
	// made or named, and the rest is zero.
	StaffChat string
}

// MessageRef names one inbound message of one contact.
type MessageRef struct {
	Contact   ContactID
	MessageID string
	// Address and Alias, when set, are where the message came from:
	// LoadMany then also says whether that chat is a staff member's
	// (Conversation.StaffChat), which may have changed since the
	// runtime learnt the address's contact.
	Address, Alias Address
}

// Conversations loads and stores conversations, several at a time so
// that a busy runtime pays one round trip for many conversations.
type Conversations interface {
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
	// Resolve returns the contact of each address, making a contact for
	// an address never seen, and files aliases under the same contact
	// (see ResolveRequest.CheckStaff for a staff member's chat).
	Resolve(ctx context.Context, reqs []ResolveRequest) ([]Resolution, error)
	// Records returns the contact's consent ledger and whole retained
	// transcript.
	Records(ctx context.Context, id ContactID) (Records, error)
	// Schedule records a durable job (an erasure, a merge) that a sweeper
	// finishes, also after a crash. It must be stored before the step
	// that needs it is committed.
	Schedule(ctx context.Context, j Job) error
}

// Contacts is the directory of people: staff, imports, links and the
// sender read and change a person's profile through it, over the
// version they read, never around it.
type Contacts interface {
	// Lookup returns the contact an address belongs to.
	Lookup(ctx context.Context, a Address) (ContactID, bool, error)
	// Contact returns a contact's profile, following a merged contact
	// to the person it joined.
	Contact(ctx context.Context, id ContactID) (Contact, bool, error)
	// UpdateContact changes a live contact's profile with fn and appends
	// the consent events fn returns, only over the version fn saw.
	UpdateContact(ctx context.Context, id ContactID, fn func(Contact) (Contact, []ConsentEvent, error)) (Contact, error)
	// Link files two addresses under one person, merging their contacts.
	Link(ctx context.Context, a, b Address) (ContactID, error)
	// Ledger returns a contact's consent ledger, oldest first.
	Ledger(ctx context.Context, id ContactID) ([]ConsentEvent, error)
}

// JobKind is what a durable job does.
type JobKind string

// The kinds of durable job.
const (
	// JobErase finishes a person's erasure: suppression, the shared
	// records, the channels' own stores, then the profile itself.
	JobErase JobKind = "erase"
	// JobMerge folds contact From into contact Contact: one person.
	JobMerge JobKind = "merge"
)

// Job is a durable piece of work on a contact that must finish even if
// the process dies half-way: each step is idempotent and the job stays
// scheduled until its last step is done.
type Job struct {
	Kind    JobKind
	Contact ContactID
	// From is the contact merged into Contact (JobMerge).
	From ContactID
	// Due is when the job may start (an erasure waits for its
	// confirmation to go out first).
	Due time.Time
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
	// Staff names the staff member who wrote an outbound message; ""
	// for the bot's.
	Staff string
}
