package whatsapp

import (
	"context"
	"time"

	"go.mau.fi/whatsmeow/types"
)

// The calls that only change what the contact sees, as passed to
// Config.OnCosmeticFailure. Their failure never costs a message.
const (
	CosmeticPresence = "presence"      // the number shown online, after connecting
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

// available tells WhatsApp the number is online. Without it WhatsApp
// shows contacts neither "typing…" nor, for some, read receipts; a
// failure costs only that.
func (c *Channel) available() {
	c.mu.Lock()
	client := c.client
	c.mu.Unlock()
	if client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.baseCtx(), 10*time.Second)
	defer cancel()
	if err := client.SendPresence(ctx, types.PresenceAvailable); err != nil {
		c.cosmetic(CosmeticPresence, err)
	}
}
