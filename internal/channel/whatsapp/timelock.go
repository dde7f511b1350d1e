package whatsapp

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/mitra-care/mitra/internal/care"
)

// AlertTimelock says WhatsApp locked the number's reach-outs for a while
// (error 463, "reachout timelock"): it refuses messages the shop starts
// until Alert.Until; replies still go.
const AlertTimelock AlertKind = "reachout_timelock"

// timelockFallback is the pause when WhatsApp refuses with 463 without
// saying until when.
const timelockFallback = time.Hour

// onTimelock hears WhatsApp's notice of a reach-out timelock.
func (c *Channel) onTimelock(e *events.NotifyAccountReachoutTimelock) {
	if !e.IsActive {
		return // lifted: the pause runs out by itself
	}
	until := e.TimeEnforcementEnds.Time
	if !until.After(c.cfg.Now()) {
		until = c.cfg.Now().Add(timelockFallback)
	}
	c.timelock(until, e.EnforcementType)
}

// timelock pauses the messages the shop starts until until, keeps the
// pause in the device store and tells staff (the broadcasts pause until
// then too). It returns the pause's end.
func (c *Channel) timelock(until time.Time, detail string) time.Time {
	c.pacer.pause(until, "reach-out timelock")
	c.savePacing()
	c.log.Error("WhatsApp locked the number's reach-outs; messages the shop starts are paused", "detail", detail, "until", until)
	c.raise(AlertTimelock, fmt.Sprintf("WhatsApp refuses messages the shop starts until %s (reach-out timelock). Replies still go. Send fewer promotions, only to people who agreed and wrote lately.",
		until.In(c.cfg.TimeZone).Format("2006-01-02 15:04 MST")), until)
	return until
}

// isTimelock recognises WhatsApp's refusal of a message with error 463:
// the server answered, and did not take it.
func isTimelock(err error) bool {
	return errors.Is(err, whatsmeow.ErrServerReturnedError) && strings.Contains(err.Error(), whatsmeow.ErrServerReturnedError.Error()+" 463")
}

// timelocked turns a 463 refusal into a pause of what the shop starts
// and a wait for this message.
func (c *Channel) timelocked() error {
	until := c.timelock(c.cfg.Now().Add(timelockFallback), "error 463")
	return &care.RetryAfterError{After: until.Sub(c.cfg.Now()), Reason: "whatsapp: not sent: the number's reach-outs are locked (463)"}
}
