package whatsapp

import (
	"context"
	"errors"
	"sync"
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

func (c *Channel) baseCtx() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx
}

// deliver hands in to the handler, or queues it when the handler is
// failing. It returns whether the message may be acknowledged.
func (c *Channel) deliver(in care.Inbound) bool {
	if c.in.busy() {
		c.enqueue(in)
		return false
	}
	ctx := c.baseCtx()
	err := c.handle(ctx, in)
	if accepted(err) {
		return true
	}
	if ctx.Err() != nil {
		// Shutting down: leave it unacknowledged for the next start.
		return false
	}
	c.log.Warn("handing a WhatsApp message over failed; queued for retry, unacknowledged",
		"contact", c.who(in.Address), "message", in.MessageID, "err", c.redactErr(err, in.Address))
	c.enqueue(in)
	return false
}

func (c *Channel) enqueue(in care.Inbound) {
	switch c.in.push(in) {
	case pushFull:
		c.log.Error("inbound queue full; WhatsApp will deliver this message again on the next connection",
			"contact", c.who(in.Address), "message", in.MessageID, "queued", c.in.len())
	case pushDuplicate:
		c.log.Debug("message already queued", "message", in.MessageID)
	}
}

// handle calls the handler once, bounded by HandleTimeout.
func (c *Channel) handle(ctx context.Context, in care.Inbound) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HandleTimeout)
	defer cancel()
	err := c.h.Handle(ctx, in)
	if err != nil && care.ErrorCode(err) == care.EInvalid {
		c.log.Warn("WhatsApp message refused as invalid; dropped", "contact", c.who(in.Address), "message", in.MessageID, "err", c.redactErr(err, in.Address))
	}
	return err
}

// accepted reports whether the handler is done with a message: stored,
// a duplicate, or invalid for good.
func accepted(err error) bool {
	return err == nil || errors.Is(err, care.ErrDuplicate) || care.ErrorCode(err) == care.EInvalid
}

// maxTries bounds the retries of one queued message, so a message the
// handler can never take does not hold its chat forever. It stays
// unacknowledged, so WhatsApp delivers it again on the next connection.
const maxTries = 30

// drain retries queued messages, oldest first, in order within a chat,
// until ctx ends.
func (c *Channel) drain(ctx context.Context) {
	const first, most = 200 * time.Millisecond, 30 * time.Second
	backoff := first
	for {
		p, ok := c.in.peek()
		if !ok {
			select {
			case <-c.in.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		err := c.handle(ctx, p.in)
		if accepted(err) {
			c.in.pop(p.in.MessageID)
			backoff = first
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if c.in.fail(p.in.MessageID) >= maxTries {
			c.log.Error("giving up on a WhatsApp message for now; WhatsApp delivers it again on the next connection",
				"contact", c.who(p.in.Address), "message", p.in.MessageID, "err", c.redactErr(err, p.in.Address))
			c.in.pop(p.in.MessageID)
			continue
		}
		c.log.Warn("handing a queued WhatsApp message over failed, retrying",
			"contact", c.who(p.in.Address), "message", p.in.MessageID, "in", backoff, "err", c.redactErr(err, p.in.Address))
		if c.sleep(ctx, backoff) != nil {
			return
		}
		backoff = min(backoff*2, most)
	}
}

// inbox holds inbound messages the handler has not taken yet, in arrival
// order per chat.
type inbox struct {
	mu    sync.Mutex
	max   int
	queue []pending // arrival order; per-chat order follows
	ids   map[string]bool
	wake  chan struct{}
}

type pending struct {
	in    care.Inbound
	tries int
}

type pushResult int

const (
	pushed pushResult = iota
	pushFull
	pushDuplicate
)

func newInbox(max int) *inbox {
	return &inbox{max: max, ids: map[string]bool{}, wake: make(chan struct{}, 1)}
}

func (q *inbox) push(in care.Inbound) pushResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ids[in.MessageID] {
		return pushDuplicate
	}
	if len(q.queue) >= q.max {
		return pushFull
	}
	q.queue = append(q.queue, pending{in: in})
	q.ids[in.MessageID] = true
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return pushed
}

// peek returns the oldest waiting message. A single queue in arrival
// order keeps each chat's order; while the handler fails it fails for
// every chat alike (Redis is away), so nothing is gained by skipping
// ahead.
func (q *inbox) peek() (pending, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) == 0 {
		return pending{}, false
	}
	return q.queue[0], true
}

func (q *inbox) pop(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, p := range q.queue {
		if p.in.MessageID == id {
			q.queue = append(q.queue[:i], q.queue[i+1:]...)
			delete(q.ids, id)
			return
		}
	}
}

// fail counts a failed try and returns the count.
func (q *inbox) fail(id string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.queue {
		if q.queue[i].in.MessageID == id {
			q.queue[i].tries++
			return q.queue[i].tries
		}
	}
	return 0
}

// busy reports whether messages are waiting: the handler is failing, and
// new messages queue behind them instead of trying first.
func (q *inbox) busy() bool { return q.len() > 0 }

func (q *inbox) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue)
}
