// Package outreach is the only way a message reaches a channel: the
// sender reads the outbox, asks the gate about each message at send time,
// and calls the channel only when the gate allows it. Every decision is
// recorded with its reason.
package outreach

import (
	"fmt"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// ReplyWindow is how long after a contact's last message the shop may
// still answer them; after it a message is no longer a reply.
const ReplyWindow = 24 * time.Hour

// QuietHours is a daily span in the contact's time zone when nothing the
// shop starts is sent. Start after End spans midnight (21:00–08:00).
type QuietHours struct {
	// Start and End are offsets from midnight; equal means none.
	Start, End time.Duration
}

// Off reports whether there are no quiet hours.
func (q QuietHours) Off() bool { return q.Start == q.End }

// String renders q as "21:00-08:00", or "off".
func (q QuietHours) String() string {
	if q.Off() {
		return "off"
	}
	hm := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return hm(q.Start) + "-" + hm(q.End)
}

// until returns, when local falls in the quiet hours, the moment they
// end; otherwise the zero time. Times are wall-clock times of the day,
// so a day with a daylight-saving change keeps them.
func (q QuietHours) until(local time.Time) time.Time {
	if q.Off() {
		return time.Time{}
	}
	y, m, d := local.Date()
	at := func(day int, off time.Duration) time.Time {
		return time.Date(y, m, day, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, local.Location())
	}
	start, end := at(d, q.Start), at(d, q.End)
	quiet := !local.Before(start) && local.Before(end)
	if q.Start > q.End {
		quiet = !local.Before(start) || local.Before(end)
	}
	if !quiet {
		return time.Time{}
	}
	if !end.After(local) {
		end = at(d+1, q.End)
	}
	return end
}

// GateConfig holds the rules the gate applies.
type GateConfig struct {
	// Quiet are the quiet hours, in each contact's time zone.
	Quiet QuietHours
	// TimeZone is the shop's, for contacts without one.
	TimeZone *time.Location
	// WhatsAppUnsolicited lets messages the shop starts go to WhatsApp
	// numbers that never wrote to the shop; off by default, because
	// that is how numbers get banned.
	WhatsAppUnsolicited bool
}

// Gate decides, at send time, whether a message may go out now. It is
// pure: the caps, which need Redis, are the sender's second step.
type Gate struct {
	cfg GateConfig
}

// NewGate returns a gate applying cfg.
func NewGate(cfg GateConfig) Gate {
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.UTC
	}
	return Gate{cfg: cfg}
}

// Decision is the gate's verdict with its reason, and for a deferral
// when to try again.
type Decision struct {
	Verdict care.Verdict
	Reason  string
	Until   time.Time
}

func refuse(reason string) Decision { return Decision{Verdict: care.Refuse, Reason: reason} }

// Decide applies the rules of the message's class to d at now, from
// what the store holds about the person, never from what the message
// claims about itself:
//   - reply: within ReplyWindow of the person's last message as the
//     runtime stored it, and not a flow's message composed before a
//     person at the shop took the conversation over;
//   - transactional: about an order, while the orders consent stands;
//   - promotional: an active promotions consent given after any
//     erasure, not blocked, of a campaign that runs (see
//     campaignHold), outside the quiet hours;
//   - staff alert: see staffChat.
//
// Nothing goes to an address that is not the person's, or that the
// channel cannot reach.
func (g Gate) Decide(d care.Delivery, now time.Time) Decision {
	if d.Class == care.StaffAlert {
		return staffChat(d, now)
	}
	p := d.Profile
	switch {
	case p.ID == "" || p.MergedInto != "":
		return refuse("no contact record (erased or unknown)")
	case p.ID != d.Contact:
		return refuse("profile of another contact")
	case !p.Has(d.Address):
		return refuse("address is not the contact's")
	case p.Unreachable[d.Address.Channel] != "":
		return refuse("contact unreachable: " + p.Unreachable[d.Address.Channel])
	case !p.Erasing.IsZero() && d.Origin != care.OriginErasure:
		return refuse("contact erasing their data")
	}
	switch d.Class {
	case care.Reply:
		if p.LastInbound.IsZero() {
			return refuse("reply to a contact who never wrote")
		}
		if now.Sub(p.LastInbound) > ReplyWindow {
			return refuse("reply window closed: over 24h since the contact's last message")
		}
		if d.Origin != care.OriginStaff && d.Created.Before(p.HeldSince) {
			return refuse("composed before a person took the conversation over")
		}
		return Decision{Verdict: care.Allow, Reason: "reply within 24h"}
	case care.Transactional:
		if d.Order == "" {
			return refuse("transactional message about no order")
		}
		if !p.Consents(care.Orders) {
			return refuse("orders consent withdrawn")
		}
		if r := g.unsolicited(d); r != "" {
			return refuse(r)
		}
		return Decision{Verdict: care.Allow, Reason: "about the contact's order"}
	case care.Promotional:
		switch {
		case p.Blocked:
			return refuse("contact blocked by the shop")
		case !p.Consents(care.Promotions):
			return refuse("no promotions consent")
		case !p.Suppressed.IsZero() && !p.Consent[care.Promotions].At.After(p.Suppressed):
			return refuse("contact erased their data; no consent given since")
		}
		if r := g.unsolicited(d); r != "" {
			return refuse(r)
		}
		if dec, held := campaignHold(d, now); held {
			return dec
		}
		if until := g.cfg.Quiet.until(now.In(g.location(p))); !until.IsZero() {
			return Decision{Verdict: care.Defer, Reason: "quiet hours " + g.cfg.Quiet.String() + " in the contact's time", Until: until}
		}
		return Decision{Verdict: care.Allow, Reason: "promotions consent"}
	}
	return refuse("unknown class " + string(d.Class))
}

// staffChat decides on a message to a staff member's own chat, from the
// chat's link as the store holds it now: it goes to a chat linked to
// the account the message names (the staff member asked for alerts by
// linking it; no consent, no quiet hours: they are on duty), or as the
// answer to a message the chat sent the staff desk within
// care.StaffChatWindow (a wrong code, UNLINK). Anything else, a
// customer's address above all, is refused.
func staffChat(d care.Delivery, now time.Time) Decision {
	st := d.StaffChat
	switch {
	case st.Account != "" && d.Staff != "" && strings.EqualFold(st.Account, d.Staff):
		return Decision{Verdict: care.Allow, Reason: "to the staff member's linked chat"}
	case d.InReplyTo != "" && !st.Heard.IsZero() && now.Sub(st.Heard) <= care.StaffChatWindow:
		return Decision{Verdict: care.Allow, Reason: "answer to the staff chat's message"}
	case st.Account != "":
		return refuse("staff chat linked to another account")
	}
	return refuse("not a linked staff address")
}

// unsolicited refuses a message the shop starts to a WhatsApp number
// that never wrote, unless configured otherwise.
func (g Gate) unsolicited(d care.Delivery) string {
	if d.Address.Channel == care.WhatsApp && d.Profile.LastInboundOn[care.WhatsApp].IsZero() && !g.cfg.WhatsAppUnsolicited {
		return "whatsapp number never wrote to the shop"
	}
	return ""
}

// location is the contact's time zone, else the shop's.
func (g Gate) location(c care.Contact) *time.Location {
	if c.TimeZone != "" {
		if loc, err := time.LoadLocation(c.TimeZone); err == nil {
			return loc
		}
	}
	return g.cfg.TimeZone
}
