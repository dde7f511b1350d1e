package care

import (
	"context"
	"time"
)

// Delivery is one queued outbound message handed to a sender worker,
// with what the gate needs to know of its contact now. Outbox.Next
// names the message (its id, contact, lane and entry); Outbox.TakeAll
// fills in the rest as it takes it.
type Delivery struct {
	Outbound
	// Lane is the outbox lane the message waits in, Ref its entry there
	// and Consumer the sender that read it.
	Lane          Lane
	Ref, Consumer string
	// Again marks an entry read a second time because its messages were
	// not stored yet when it was first read; there is no third time.
	Again bool
	// Profile is the contact's profile as it is now (zero when none is
	// kept: a new or erased contact).
	Profile Contact
	// StaffChat is what the store holds now about the staff chat a
	// StaffAlert goes to; zero for every other class.
	StaffChat StaffChatState
	// CampaignStatus is what the store holds now about the campaign a
	// message belongs to (Outbound.Campaign); zero for other messages.
	CampaignStatus CampaignStatus
}

// Steps splits deliveries, as Outbox.Next returns them, into the
// messages of each lane entry (a conversation step's replies, in the
// order they go out): consecutive deliveries that share an entry, a
// contact, a lane and a consumer.
func Steps(ds []Delivery) [][]Delivery {
	var out [][]Delivery
	for i := 0; i < len(ds); {
		j := i + 1
		for j < len(ds) && ds[i].Ref != "" && ds[j].Ref == ds[i].Ref && ds[j].Contact == ds[i].Contact &&
			ds[j].Lane == ds[i].Lane && ds[j].Consumer == ds[i].Consumer {
			j++
		}
		out = append(out, ds[i:j:j])
		i = j
	}
	return out
}

// Lane is one queue of the outbox: a channel's replies (and staff
// messages), or the messages the shop starts on it (order updates,
// promotions). Only processes that run a channel read its lanes, and
// replies never wait behind what the shop starts.
type Lane string

// SimChannel names the simulator's lanes: simulated contacts are
// delivered to the web page by whichever process serves it.
const SimChannel = "sim"

// LaneOf is the lane of a message of class c to a. Alerts to staff
// share the replies' lane: a long promotion must not hold them back.
func LaneOf(a Address, c Class) Lane {
	ch := string(a.Channel)
	if a.Simulated() {
		ch = SimChannel
	}
	if c == Reply || c == StaffAlert {
		return Lane(ch + ".reply")
	}
	return Lane(ch + ".shop")
}

// LanesOf lists the lanes of a channel ("whatsapp", "telegram" or
// SimChannel): replies first.
func LanesOf(ch string) []Lane { return []Lane{Lane(ch + ".reply"), Lane(ch + ".shop")} }

// TakeResult is what became of an attempt to take a message for sending.
type TakeResult int

// The results of Outbox.Take.
const (
	// Taken: the message is this sender's to send.
	Taken TakeResult = iota
	// Gone: the message was settled or never stored; the entry goes.
	Gone
	// Behind: an earlier message of the same contact in the same lane
	// has not gone out yet; this one waits its turn.
	Behind
	// Busy: another sender took it moments ago and is sending it.
	Busy
	// Abandoned: another sender took it long ago and never recorded
	// the outcome (it died mid-send), and this delivery has taken it
	// over. A channel that can tell (DeliveryChecker) is asked whether
	// it went out; otherwise, or when the channel cannot answer, it is
	// settled as "outcome unknown", never sent again.
	Abandoned
)

// Verdict is the gate's decision on one delivery.
type Verdict string

// The gate's verdicts.
const (
	Allow  Verdict = "allow"
	Defer  Verdict = "defer"
	Refuse Verdict = "refuse"
)

// Outcome is what became of a delivery, recorded in the audit stream.
type Outcome struct {
	Verdict Verdict
	// Reason says why, in a short stable phrase ("reply window closed").
	Reason string
	// Sent is true when the channel accepted the message.
	Sent bool
	// Error is the channel's error when sending failed; the message then
	// goes to the dead letters with it.
	Error string
	// Until is when a deferred message is tried again.
	Until time.Time
	At    time.Time
	// Unknown means the sender that took the message died mid-send:
	// whether it went out is unknown, and it is settled, never sent
	// again.
	Unknown bool
	// Quiet defers without an audit entry: the message only waits its
	// turn behind an earlier one of the same contact. A quiet refusal
	// settles only the lane entry: its message was gone.
	Quiet bool
}

// Outbox is the queue of outbound messages between those who compose
// them (the runtime, through Conversations.CommitMany; staff,
// campaigns and follow-ups through Enqueue) and the sender.
type Outbox interface {
	// Enqueue queues messages composed outside a conversation step: a
	// staff member's, a campaign's, a follow-up's. A message whose
	// NotBefore is later than its Created waits until then. Messages of
	// one contact go out in the order given.
	Enqueue(ctx context.Context, ms []Outbound) error
	// Next returns the deliveries of up to max lane entries of the given
	// lanes for this consumer, first those a dead consumer left pending
	// longer than the claim timeout, then new ones, waiting up to block
	// for any. A delivery names its message; TakeAll reads it.
	Next(ctx context.Context, consumer string, lanes []Lane, max int, block time.Duration) ([]Delivery, error)
	// TakeAll claims deliveries for sending, in one round trip, marking
	// each message with the sender and the time, and fills in each one
	// found (ds[i]) with its message and its contact's profile as they
	// are now. The messages of one step (care.Steps) are taken in
	// order: one not taken holds back the rest. It returns ErrNoConsent
	// for a promotion whose contact withdrew since it was queued (the
	// message is dropped). A taken message is never handed out again,
	// so a crash after taking it loses it rather than sending it twice.
	TakeAll(ctx context.Context, ds []Delivery) ([]TakeResult, []error)
	// Settle records the outcome, acknowledges the queue entry and
	// releases the message; one with an Error goes to the dead letters.
	Settle(ctx context.Context, d Delivery, o Outcome) error
	// SettleAll settles, or defers (an outcome with verdict Defer),
	// several deliveries in one round trip.
	SettleAll(ctx context.Context, ds []Delivery, os []Outcome) []error
	// Defer records the outcome and holds the message back until
	// o.Until, releasing it if it was taken (the channel certainly did
	// not send it).
	Defer(ctx context.Context, d Delivery, o Outcome) error
	// PromoteDue moves up to max messages whose time has come from the
	// held-back set to the queue, and returns how many.
	PromoteDue(ctx context.Context, now time.Time, max int) (int, error)
	// ReserveCap counts a promotional message against its person's cap
	// of max per window: ok is false when the cap is full, with the time
	// the oldest counted message leaves the window.
	ReserveCap(ctx context.Context, id ContactID, messageID string, max int, window time.Duration, now time.Time) (ok bool, free time.Time, err error)
	// ReleaseCap takes back a reservation whose message was not sent.
	ReleaseCap(ctx context.Context, id ContactID, messageID string) error
	// MarkUnreachable records on the contact that channel ch cannot
	// reach them.
	MarkUnreachable(ctx context.Context, id ContactID, ch Channel, reason string) error
}

// Sender delivers a message over one channel. Only the outreach sender
// calls it, after the gate allowed the message.
type Sender interface {
	Send(ctx context.Context, m Outbound) error
}

// DeliveryChecker is a Sender that can tell whether a message reached
// the contact, from its own record of the message id written when the
// send succeeded. The outreach sender asks it about a message whose
// sender died between taking it and recording the outcome: delivered
// is settled as sent, not delivered is released and sent again, and an
// error leaves the outcome unknown. Such a channel's messages arrive
// exactly once. The simulator implements it; Telegram and WhatsApp do
// not (neither platform has a message id the sender chooses and can
// look up), so a message of theirs whose sender died stays at most
// once, settled as "outcome unknown".
type DeliveryChecker interface {
	Sender
	// Delivered reports whether the channel accepted m (by m.ID, to
	// m.Address).
	Delivered(ctx context.Context, m Outbound) (bool, error)
}

// SimMessage is a message the bot sent to a simulated contact.
type SimMessage struct {
	// ID is the outbound message's id; the inbox keeps it apart, for
	// Received, and never shows it.
	ID      string    `json:"-"`
	Seq     int64     `json:"seq"`
	Text    string    `json:"text"`
	Choices []Choice  `json:"choices,omitempty"`
	Class   Class     `json:"class"`
	At      time.Time `json:"at"`
}

// SimInbox keeps what the bot sent to simulated contacts, for the
// simulator page and its JSON API.
type SimInbox interface {
	// Append stores m for the simulated address a and returns its
	// sequence number, counting from 1 for each address.
	Append(ctx context.Context, a Address, m SimMessage) (int64, error)
	// After returns up to max messages to a with a sequence number above
	// after, in order.
	After(ctx context.Context, a Address, after int64, max int) ([]SimMessage, error)
	// Received reports whether a message with id messageID was
	// appended for a, among its last kept messages.
	Received(ctx context.Context, a Address, messageID string) (bool, error)
}

// Rate is a sending limit: at most N messages in any window of Per,
// spaced evenly (no bursts), so the limit holds in every window, not
// just on average.
type Rate struct {
	N   int
	Per time.Duration
}

// Zero reports whether r sets no limit.
func (r Rate) Zero() bool { return r.N <= 0 || r.Per <= 0 }

// Limit is one rate under its key. Keys of one reservation share their
// first part (the channel: "telegram", "telegram:<contact id>").
type Limit struct {
	Key  string
	Rate Rate
}

// Reservation asks to book N sends (one when N is 0), one after the
// other, under limits: the first when its moment comes within MaxWait,
// each later one while its moment comes within Spread of the first's.
// The first limit is the shared one (the channel's overall limit). With
// a Spread, a send that another limit (a chat's own) holds back more
// than Spread past the shared limit's next free moment is not booked
// (the caller tries it again when its time comes), so one chat's limit
// never holds the channel's overall limit for the other chats.
type Reservation struct {
	Limits  []Limit
	MaxWait time.Duration
	N       int
	Spread  time.Duration
}

// Booking is what became of a Reservation. Waits are the waits until
// the moments of the sends booked, in order: the first of the N whose
// moments came within MaxWait. OK is true when all were booked, and
// Wait is then the first one's wait; otherwise Wait is the wait the
// first send not booked would have needed.
type Booking struct {
	Waits []time.Duration
	Wait  time.Duration
	OK    bool
	Err   error
}

// RateLimiter books sends against limits that hold across every
// process sharing the store.
type RateLimiter interface {
	// Reserve books the next send under every limit at once, when that
	// moment comes within maxWait: it returns the wait until then, and
	// the caller sends after it. A later moment books nothing and ok is
	// false, with the wait it would need. Waiting costs no polling: the
	// moment is booked, not retried for.
	Reserve(ctx context.Context, limits []Limit, maxWait time.Duration) (wait time.Duration, ok bool, err error)
	// ReserveAll books several reservations in one round trip, each on
	// its own; the N sends of one go one after the other.
	ReserveAll(ctx context.Context, reqs []Reservation) []Booking
	// Hold books nothing under key before until, for every process: a
	// platform's flood wait (Telegram's 429) is the whole bot's.
	Hold(ctx context.Context, key string, until time.Time) error
}
