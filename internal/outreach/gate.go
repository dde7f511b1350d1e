// Package outreach is the only way a message reaches a channel: the
// sender reads the outbox, asks the gate about each message at send time,
// and calls the channel only when the gate allows it. Every decision is
// recorded with its reason.
package outreach

import (
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// ReplyWindow is how long after a contact's message the shop may still
// answer it as a reply.
const ReplyWindow = 24 * time.Hour

// Gate decides, at send time, whether a message may go out now.
type Gate struct{}

// Decide returns the verdict on m at now and the reason for it.
func (Gate) Decide(m care.Outbound, now time.Time) (care.Verdict, string) {
	switch m.Class {
	case care.Reply:
		if m.InReplyTo == "" {
			return care.Refuse, "reply to no message"
		}
		if now.Sub(m.Created) > ReplyWindow {
			return care.Refuse, "reply window closed"
		}
		return care.Allow, "reply within 24h"
	case care.Transactional, care.Promotional:
		// Consent for these classes is not recorded yet, so none may go.
		return care.Refuse, "no consent recorded for " + string(m.Class)
	}
	return care.Refuse, "unknown class " + string(m.Class)
}
