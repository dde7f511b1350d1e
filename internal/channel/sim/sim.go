// Package sim is the web simulator's channel: messages to simulated
// contacts are kept for the simulator page instead of going to a
// platform. Everything before it — runtime, outbox, gate, sender — is the
// same path a WhatsApp or Telegram message takes.
package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Channel delivers to simulated contacts.
type Channel struct {
	inbox care.SimInbox
	now   func() time.Time
}

var _ care.DeliveryChecker = (*Channel)(nil)

// New returns a channel keeping messages in inbox.
func New(inbox care.SimInbox, now func() time.Time) *Channel {
	if now == nil {
		now = time.Now
	}
	return &Channel{inbox: inbox, now: now}
}

// Send implements care.Sender.
func (c *Channel) Send(ctx context.Context, m care.Outbound) error {
	if !m.Address.Simulated() {
		return care.Errorf(care.EInvalid, "simulator: message %s is not to a simulated contact", m.ID)
	}
	if _, err := c.inbox.Append(ctx, m.Address, care.SimMessage{ID: m.ID, Text: m.Text, Choices: m.Choices, Class: m.Class, At: c.now()}); err != nil {
		// The inbox is in Redis; a failed append stored nothing.
		return fmt.Errorf("simulator send %s: %w: %w", m.ID, care.Errorf(care.EUnavailable, "simulator inbox unavailable"), err)
	}
	return nil
}

// Delivered implements care.DeliveryChecker: the inbox stores a
// message's id in the step that appends the message, so the answer is
// the simulator's own record of what it delivered, and a message a dead
// sender delivered is never sent again.
func (c *Channel) Delivered(ctx context.Context, m care.Outbound) (bool, error) {
	if !m.Address.Simulated() {
		return false, care.Errorf(care.EInvalid, "simulator: message %s is not to a simulated contact", m.ID)
	}
	ok, err := c.inbox.Received(ctx, m.Address, m.ID)
	if err != nil {
		return false, fmt.Errorf("simulator check %s: %w", m.ID, err)
	}
	return ok, nil
}
