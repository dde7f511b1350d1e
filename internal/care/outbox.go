package care

import (
	"context"
	"time"
)

// Delivery is one queued outbound message handed to a sender worker,
// with what the gate needs to know of its contact now.
type Delivery struct {
	Outbound
	// Ref is the message's entry in the shared outbox queue, and
	// Consumer the sender that read it.
	Ref, Consumer string
	// Profile is the contact's profile as it is now (zero when none is
	// kept: a new or erased contact).
	Profile Contact
	// Suppressed is when the contact erased their data, zero if never.
	Suppressed time.Time
}

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
}

// Outbox is the queue of outbound messages between those who compose
// them (the runtime, through ConversationStore.CommitMany; staff,
// campaigns and follow-ups through Enqueue) and the sender.
type Outbox interface {
	// Enqueue queues messages composed outside a conversation step: a
	// staff member's, a campaign's, a follow-up's. A message whose
	// NotBefore is later than its Created waits until then. Messages of
	// one contact go out in the order given.
	Enqueue(ctx context.Context, ms []Outbound) error
	// Next returns up to max deliveries for this consumer, first those a
	// dead consumer left pending longer than the claim timeout, then new
	// ones, waiting up to block for any.
	Next(ctx context.Context, consumer string, max int, block time.Duration) ([]Delivery, error)
	// Take claims a delivery for sending: it returns false when another
	// worker already took or settled it, and ErrNoConsent for a promotion
	// whose contact withdrew since the delivery was read. A taken message
	// is never handed out again, so a crash after Take loses it rather
	// than sending it twice.
	Take(ctx context.Context, d Delivery) (bool, error)
	// Settle records the outcome, acknowledges the queue entry and
	// releases the message; one with an Error goes to the dead letters.
	Settle(ctx context.Context, d Delivery, o Outcome) error
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
	ReserveCap(ctx context.Context, person, messageID string, max int, window time.Duration, now time.Time) (ok bool, free time.Time, err error)
	// ReleaseCap takes back a reservation whose message was not sent.
	ReleaseCap(ctx context.Context, person, messageID string) error
	// MarkUnreachable records on the contact that the channel cannot
	// reach them.
	MarkUnreachable(ctx context.Context, id ContactID, reason string) error
}

// Sender delivers a message over one channel. Only the outreach sender
// calls it, after the gate allowed the message.
type Sender interface {
	Send(ctx context.Context, m Outbound) error
}

// SimMessage is a message the bot sent to a simulated contact.
type SimMessage struct {
	Seq     int64     `json:"seq"`
	Text    string    `json:"text"`
	Choices []Choice  `json:"choices,omitempty"`
	Class   Class     `json:"class"`
	At      time.Time `json:"at"`
}

// SimInbox keeps what the bot sent to simulated contacts, for the
// simulator page and its JSON API.
type SimInbox interface {
	// Append stores m and returns its sequence number, counting from 1
	// for each contact.
	Append(ctx context.Context, id ContactID, m SimMessage) (int64, error)
	// After returns up to max messages with a sequence number above after,
	// in order.
	After(ctx context.Context, id ContactID, after int64, max int) ([]SimMessage, error)
}

// Rate is a sending limit: N messages per Per, in bursts of up to Burst.
type Rate struct {
	N     int
	Per   time.Duration
	Burst int
}

// Zero reports whether r sets no limit.
func (r Rate) Zero() bool { return r.N <= 0 || r.Per <= 0 }

// RateLimiter counts sends against limits that hold across every
// process sharing the store.
type RateLimiter interface {
	// Allow counts one send under key if r allows it now; otherwise it
	// counts nothing and returns how long to wait.
	Allow(ctx context.Context, key string, r Rate) (wait time.Duration, err error)
}
