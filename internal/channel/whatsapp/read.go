package whatsapp

import (
	"context"

	"go.mau.fi/whatsmeow/types"
)

// unread is what a chat's read receipt needs.
type unread struct {
	chat types.JID
	ids  []types.MessageID
}

// maxUnread bounds the ids kept per chat and the chats tracked; past it
// the oldest are simply never marked read.
const maxUnread = 50

func (c *Channel) rememberUnread(addr string, chat types.JID, id types.MessageID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.unread[addr]
	if u == nil {
		if len(c.unread) >= 10000 {
			clear(c.unread)
		}
		u = &unread{}
		c.unread[addr] = u
	}
	u.chat = chat
	if len(u.ids) == maxUnread {
		u.ids = u.ids[1:]
	}
	u.ids = append(u.ids, id)
}

// takeUnread returns the chat's unread ids and forgets them.
func (c *Channel) takeUnread(addr string) (unread, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.unread[addr]
	delete(c.unread, addr)
	if u == nil || len(u.ids) == 0 {
		return unread{}, false
	}
	return *u, true
}

// forgetUnread drops a chat's unread ids: someone at the shop read the
// chat on the phone.
func (c *Channel) forgetUnread(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.unread, addr)
}

// markRead marks the contact's messages read (blue ticks) before the
// answer, as a person would. A failure only costs the ticks.
func (c *Channel) markRead(ctx context.Context, client waClient, addr string) {
	u, ok := c.takeUnread(addr)
	if !ok {
		return
	}
	if err := client.MarkRead(ctx, u.ids, c.cfg.Now(), u.chat, types.EmptyJID); err != nil {
		c.cosmetic(CosmeticRead, err, "chat", c.who(chatAddress(u.chat)))
	}
}
