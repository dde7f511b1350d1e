package whatsapp

import (
	"context"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types"
)

// The calls that only change what the contact sees, as passed to
// Config.OnCosmeticFailure. Their failure never costs a message.
const (
	CosmeticPresence = "presence"      // the number shown online or offline
	CosmeticTyping   = "chat_presence" // "typing…" shown or cleared
	CosmeticRead     = "read_receipt"  // the contact's messages marked read
)

// cosmetic records a cosmetic call WhatsApp did not take.
func (c *Channel) cosmetic(call string, err error, args ...any) {
	c.log.Debug("a cosmetic WhatsApp call failed; carrying on", append([]any{"call", call, "err", redact(c.cfg.Pseudonyms, err.Error())}, args...)...)
	if c.cfg.OnCosmeticFailure != nil {
		c.cfg.OnCosmeticFailure(call)
	}
}

// typing shows "typing…" for a time that fits text, then stops. Only
// the wait can fail (ctx ended); presence failures cost only the show.
func (c *Channel) typing(ctx context.Context, client waClient, to types.JID, text string) error {
	if err := client.SendChatPresence(ctx, to, types.ChatPresenceComposing, types.ChatPresenceMediaText); err != nil {
		c.cosmetic(CosmeticTyping, err, "chat", c.who(chatAddress(to)))
	}
	err := c.sleep(ctx, c.cfg.Pacing.typing(text))
	if perr := client.SendChatPresence(context.WithoutCancel(ctx), to, types.ChatPresencePaused, types.ChatPresenceMediaText); perr != nil {
		c.cosmetic(CosmeticTyping, perr, "chat", c.who(chatAddress(to)))
	}
	return err
}

// presenceIdle is how long the number stays online after its last
// message went out. While a linked device says the number is online,
// WhatsApp stops pushing notifications to the shop's phone (whatsmeow
// issues #262 and #605), and the staff watch that phone for customers
// who asked for a person. So the number is offline at rest and online
// only while Mitra answers, and this long after: enough for a burst of
// replies to show "typing…" without going offline between them, short
// enough that the phone rings again soon.
const presenceIdle = 10 * time.Second

// presenceTimeout bounds one presence call.
const presenceTimeout = 10 * time.Second

// presence is what WhatsApp was last told about the number: online
// ("available") while messages go out, offline ("unavailable") at rest.
type presence struct {
	// mu is held across the calls too, so that they reach WhatsApp in
	// the order they were decided.
	mu      sync.Mutex
	online  bool        // available was sent (or tried), unavailable not since
	sending int         // messages between available and idle
	stop    func() bool // cancels the pending return to rest; nil when none
	gen     uint64      // a return to rest scheduled before the last change does nothing
}

// cancelRest drops the pending return to rest, if any.
func (p *presence) cancelRest() {
	p.gen++
	if p.stop != nil {
		p.stop()
		p.stop = nil
	}
}

// announce tells WhatsApp the presence the number has now: offline,
// unless a message is going out. A new connection starts with none
// known, and presence carries the number's name, which may have changed.
func (c *Channel) announce() {
	client, err := c.ready()
	if err != nil {
		return // not connected: Connected announces it
	}
	p := &c.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cancelRest()
	p.online = p.sending > 0
	state := types.PresenceUnavailable
	if p.online {
		state = types.PresenceAvailable
	}
	c.setPresence(c.baseCtx(), client, state)
}

// available marks the number online before a message goes out (contacts
// see "typing…" and read receipts only from a number online), unless it
// is already, and holds off the return to rest until idle is called.
func (c *Channel) available(ctx context.Context, client waClient) {
	p := &c.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sending++
	p.cancelRest()
	if p.online {
		return
	}
	p.online = true
	c.setPresence(ctx, client, types.PresenceAvailable)
}

// idle follows available once the message went out, or failed to: the
// last one out schedules the return to rest after presenceIdle.
func (c *Channel) idle() {
	p := &c.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sending--
	if p.sending > 0 || !p.online {
		return
	}
	p.cancelRest()
	gen := p.gen
	p.stop = c.afterFunc(presenceIdle, func() { c.rest(gen) })
}

// rest marks the number offline again, unless a message went out since
// the return to rest gen was scheduled. A dropped connection took the
// number offline already.
func (c *Channel) rest(gen uint64) {
	p := &c.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen != p.gen || p.sending > 0 || !p.online {
		return
	}
	p.online, p.stop = false, nil
	client, err := c.ready()
	if err != nil {
		return
	}
	c.setPresence(c.baseCtx(), client, types.PresenceUnavailable)
}

// setPresence tells WhatsApp the number's presence. A failure costs only
// what the contact sees.
func (c *Channel) setPresence(ctx context.Context, client waClient, state types.Presence) {
	ctx, cancel := context.WithTimeout(ctx, presenceTimeout)
	defer cancel()
	if err := client.SendPresence(ctx, state); err != nil {
		c.cosmetic(CosmeticPresence, err, "state", string(state))
	}
}
