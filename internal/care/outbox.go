package care

import (
	"context"
	"time"
)

// Delivery is one queued outbound message handed to a sender worker.
type Delivery struct {
	Outbound
	// Ref is the message's entry in the shared outbox queue.
	Ref string
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
	// Error is the channel's error when sending failed.
	Error string
	At    time.Time
}

// Outbox is the queue of outbound messages between the runtime (which
// enqueues through ConversationStore.Commit) and the sender.
type Outbox interface {
	// Next returns up to max deliveries for this consumer, first those a
	// dead consumer left pending longer than the claim timeout, then new
	// ones, waiting up to block for any.
	Next(ctx context.Context, consumer string, max int, block time.Duration) ([]Delivery, error)
	// Take claims a delivery for sending: it returns false when another
	// worker already took or settled it. A taken message is never
	// handed out again, so a crash after Take loses it rather than
	// sending it twice.
	Take(ctx context.Context, d Delivery) (bool, error)
	// Settle records the outcome, acknowledges the queue entry and
	// releases the message.
	Settle(ctx context.Context, d Delivery, o Outcome) error
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
