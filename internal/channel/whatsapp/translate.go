package whatsapp

import (
	"context"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/mitra-care/mitra/internal/care"
)

// lidPrefix starts the address id of a contact whose phone number
// WhatsApp has not revealed: the conversation still works (replies go to
// the LID), under an id that cannot collide with a phone number.
const lidPrefix = "lid-"

// onMessage takes one message event off whatsmeow's queue. It returns
// whether whatsmeow may acknowledge the message to the server (see the
// package documentation).
func (c *Channel) onMessage(e *events.Message) bool {
	in, ok := c.translate(e)
	if !ok {
		return true
	}
	return c.deliver(in)
}

// translate turns a whatsmeow message into an Inbound, or reports that
// Mitra ignores it: groups, status updates, newsletters, broadcast lists,
// reactions, edits and protocol traffic between the shop's own devices.
func (c *Channel) translate(e *events.Message) (care.Inbound, bool) {
	info := e.Info
	if info.IsGroup || !personal(info.Chat) || e.IsEdit || info.Edit != types.EditAttributeEmpty {
		return care.Inbound{}, false
	}
	kind, text, choice := classify(e.Message)
	if kind == "" {
		return care.Inbound{}, false
	}
	ctx, cancel := context.WithTimeout(c.baseCtx(), 5*time.Second)
	defer cancel()
	in := care.Inbound{MessageID: info.ID, At: info.Timestamp}
	if in.At.IsZero() {
		in.At = c.cfg.Now()
	}
	if info.IsFromMe {
		// The shop's own phone wrote in a chat: a person is answering,
		// unless it is the chat with itself or a message this adapter
		// sent.
		if c.isSelf(info.Chat) || c.sent.has(info.ID) {
			return care.Inbound{}, false
		}
		in.Address, in.Alias = c.addresses(ctx, info.Chat, info.RecipientAlt)
		in.Kind = care.KindStaff
		c.forgetUnread(in.Address.ID)
		return in, true
	}
	in.Address, in.Alias = c.addresses(ctx, info.Sender, info.SenderAlt)
	in.Kind, in.Text, in.Choice, in.Name = kind, text, choice, info.PushName
	c.rememberUnread(in.Address.ID, info.Chat, info.ID)
	c.knownOnWhatsApp(in.Address.ID)
	return in, true
}

// personal reports whether chat is a one-to-one chat with a person.
func personal(chat types.JID) bool {
	switch chat.Server {
	case types.DefaultUserServer, types.HiddenUserServer:
		return !chat.IsBot()
	}
	// Groups, status@broadcast, broadcast lists, newsletters, bots and
	// other networks.
	return false
}

// isSelf reports whether chat is the shop's chat with itself.
func (c *Channel) isSelf(chat types.JID) bool {
	c.mu.Lock()
	me := c.me
	c.mu.Unlock()
	if me == nil {
		return false
	}
	return chat.User == me.GetJID().User || (chat.Server == types.HiddenUserServer && chat.User == me.GetLID().User)
}

// addresses returns the address of the person behind jid — their phone
// number when known, so one person keeps one address, else their LID as
// "lid-<user>" — and alias, the other of the two when both are known
// (zero otherwise), so the runtime files a contact first seen by LID and
// later by number under one contact. alt is the other JID WhatsApp sent
// with the message (SenderAlt, RecipientAlt); whatsmeow's LID store
// fills in what it leaves out.
func (c *Channel) addresses(ctx context.Context, jid, alt types.JID) (addr, alias care.Address) {
	var pn, lid string
	if jid.Server == types.HiddenUserServer {
		lid = jid.User
		if alt.Server == types.DefaultUserServer {
			pn = alt.User
		}
	} else {
		pn = jid.User
		if alt.Server == types.HiddenUserServer {
			lid = alt.User
		}
	}
	c.mu.Lock()
	lids := c.lids
	c.mu.Unlock()
	if lids != nil && (pn == "" || lid == "") {
		var (
			found types.JID
			err   error
		)
		if pn == "" {
			found, err = lids.GetPNForLID(ctx, types.NewJID(lid, types.HiddenUserServer))
			pn = found.User
		} else {
			found, err = lids.GetLIDForPN(ctx, types.NewJID(pn, types.DefaultUserServer))
			lid = found.User
		}
		if err != nil {
			c.log.Warn("looking up the other WhatsApp address of a contact failed", "contact", c.who(chatAddress(jid)), "err", redact(c.cfg.Pseudonyms, err.Error()))
		}
	}
	if pn == "" {
		addr = lidAddress(lid)
		c.log.Info("phone number of a WhatsApp contact unknown; using their LID", "contact", c.who(addr))
		return addr, care.Address{}
	}
	if lid != "" {
		alias = lidAddress(lid)
	}
	return phoneAddress(pn), alias
}

// classify reads what a message holds. An empty kind means a message
// that is not for the bot: reactions, receipts-like protocol messages,
// poll votes, pins.
func classify(m *waE2E.Message) (kind care.Kind, text, choice string) {
	switch {
	case m == nil:
		return "", "", ""
	case m.Conversation != nil:
		return care.KindText, m.GetConversation(), ""
	case m.ExtendedTextMessage != nil:
		return care.KindText, m.GetExtendedTextMessage().GetText(), ""
	case m.ButtonsResponseMessage != nil:
		r := m.GetButtonsResponseMessage()
		return care.KindChoice, r.GetSelectedDisplayText(), r.GetSelectedButtonID()
	case m.ListResponseMessage != nil:
		r := m.GetListResponseMessage()
		return care.KindChoice, r.GetTitle(), r.GetSingleSelectReply().GetSelectedRowID()
	case m.TemplateButtonReplyMessage != nil:
		r := m.GetTemplateButtonReplyMessage()
		return care.KindChoice, r.GetSelectedDisplayText(), r.GetSelectedID()
	case m.ImageMessage != nil:
		return care.KindImage, "", ""
	case m.StickerMessage != nil:
		return care.KindSticker, "", ""
	case m.AudioMessage != nil:
		if m.GetAudioMessage().GetPTT() {
			return care.KindVoice, "", ""
		}
		return care.KindAudio, "", ""
	case m.VideoMessage != nil, m.PtvMessage != nil:
		return care.KindVideo, "", ""
	case m.DocumentMessage != nil:
		return care.KindDocument, "", ""
	case m.LocationMessage != nil, m.LiveLocationMessage != nil:
		return care.KindLocation, "", ""
	case m.ContactMessage != nil, m.ContactsArrayMessage != nil:
		return care.KindContact, "", ""
	case m.ProtocolMessage != nil, m.ReactionMessage != nil, m.EncReactionMessage != nil,
		m.PollUpdateMessage != nil, m.KeepInChatMessage != nil, m.PinInChatMessage != nil,
		m.EncCommentMessage != nil, m.CallLogMesssage != nil, m.MessageHistoryBundle != nil,
		m.MessageHistoryNotice != nil, m.PlaceholderMessage != nil:
		return "", "", ""
	}
	if hasContent(m) {
		// Polls, events, payments, whatever WhatsApp adds next: the
		// runtime says politely that it cannot read them.
		return care.KindOther, "", ""
	}
	return "", "", ""
}

// hasContent reports whether m holds anything besides the envelope
// fields every message may carry.
func hasContent(m *waE2E.Message) bool {
	found := false
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		switch fd.Name() {
		case "messageContextInfo", "senderKeyDistributionMessage", "fastRatchetKeySenderKeyDistributionMessage":
			return true
		}
		found = true
		return false
	})
	return found
}
