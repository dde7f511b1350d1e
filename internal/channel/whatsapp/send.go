package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/socket"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/mitra-care/mitra/internal/care"
)

// Send implements care.Sender. Like a person at the phone, it goes
// online, marks the contact's messages read, shows "typing…" for a time
// that fits the length of the text, then sends, within the limits of
// Pacing; the number goes offline again presenceIdle after the last
// message.
//
// The rule for errors: a *care.RetryAfterError (paced, not connected,
// banned, logged out) or an error with code care.EUnavailable means
// nothing was sent and the sender may try again; care.EUnreachable
// means the number is not on WhatsApp; care.EInvalid means the message
// can never go. Any other error came after the request may have reached
// WhatsApp and must not be retried: better lost than sent twice.
func (c *Channel) Send(ctx context.Context, m care.Outbound) error {
	if err := c.send(ctx, m); err != nil {
		return c.redactErr(fmt.Errorf("send whatsapp %s to %s: %w", m.ID, c.who(m.Address), err), m.Address)
	}
	return nil
}

func (c *Channel) send(ctx context.Context, m care.Outbound) error {
	to, err := c.recipient(m.Address)
	if err != nil {
		return err
	}
	text := render(m, c.cfg.Lang)
	if text == "" {
		return care.Errorf(care.EInvalid, "empty message")
	}
	client, err := c.ready()
	if err != nil {
		return err
	}
	v := c.pacer.reserve(m.Address.ID, m.Class)
	if v.Defer {
		return &care.RetryAfterError{After: v.Wait, Reason: v.Reason}
	}
	sent := false
	defer func() {
		if !sent {
			c.pacer.cancel(v)
		}
		if v.shop {
			c.savePacing()
		}
	}()
	if m.Class.ShopStarted() && to.Server == types.DefaultUserServer {
		// Replies answer someone who wrote, alerts a staff member who
		// linked the chat: they are on WhatsApp.
		if err := c.checkOnWhatsApp(ctx, client, m.Address); err != nil {
			return err
		}
	}
	if err := c.sleep(ctx, v.Wait); err != nil {
		return notSent(err)
	}
	c.available(ctx, client)
	defer c.idle()
	c.markRead(ctx, client, m.Address.ID)
	if err := c.typing(ctx, client, to, text); err != nil {
		return notSent(err)
	}
	id := client.GenerateMessageID()
	// Remembered before sending: WhatsApp may show the message to the
	// other devices of the number before SendMessage returns.
	c.sent.add(id)
	_, err = client.SendMessage(ctx, to, &waE2E.Message{Conversation: proto.String(text)}, whatsmeow.SendRequestExtra{ID: id})
	if err == nil {
		sent = true
		c.log.Debug("sent", "message", m.ID, "whatsapp_id", id, "class", m.Class)
		return nil
	}
	switch {
	case isNotOnWhatsApp(err):
		c.setOnWhatsApp(to.User, false)
		return fmt.Errorf("%w: %w", care.Errorf(care.EUnreachable, "%s is not on WhatsApp", c.who(m.Address)), err)
	case isTimelock(err):
		return c.timelocked()
	case isNotSent(err):
		return &care.RetryAfterError{After: 30 * time.Second, Reason: "whatsapp: not sent: " + c.redactErr(err, m.Address).Error()}
	}
	// The request may have reached WhatsApp: count it, and do not retry.
	sent = true
	return fmt.Errorf("whatsapp message %s may or may not have been delivered, not retried: %w", id, err)
}

// recipient is the WhatsApp chat of an address.
func (c *Channel) recipient(a care.Address) (types.JID, error) {
	if a.Channel != care.WhatsApp || a.Simulated() {
		return types.JID{}, care.Errorf(care.EInvalid, "%s is not a WhatsApp address", c.who(a))
	}
	server, digits := types.DefaultUserServer, a.ID
	if rest, ok := strings.CutPrefix(a.ID, lidPrefix); ok {
		server, digits = types.HiddenUserServer, rest
	}
	if len(digits) < 6 || len(digits) > 20 || strings.Trim(digits, "0123456789") != "" || (server == types.DefaultUserServer && digits[0] == '0') {
		return types.JID{}, care.Errorf(care.EInvalid, "whatsapp id of %s: want the phone number's digits with the country code, like 6281234567890", c.who(a))
	}
	return types.NewJID(digits, server), nil
}

// render is the text WhatsApp shows: the message, then its choices as a
// numbered list and how to answer, since buttons are not available to
// this kind of client and the flow engine reads "1", "2"… as answers.
func render(m care.Outbound, lang string) string {
	text := strings.TrimSpace(m.Text)
	if len(m.Choices) == 0 {
		return text
	}
	var b strings.Builder
	if text != "" {
		b.WriteString(text)
		b.WriteString("\n\n")
	}
	for i, ch := range m.Choices {
		fmt.Fprintf(&b, "%d. %s\n", i+1, ch.Label)
	}
	b.WriteString("\n")
	b.WriteString(hint(len(m.Choices), pickLang(m.Lang, lang)))
	return b.String()
}

// hint says how to answer n choices: "Balas 1, 2 atau 3.".
func hint(n int, lang string) string {
	verb, or := "Balas", "atau"
	if lang == "en" {
		verb, or = "Reply", "or"
	}
	if n == 1 {
		return verb + " 1."
	}
	nums := make([]string, n-1)
	for i := range nums {
		nums[i] = strconv.Itoa(i + 1)
	}
	return fmt.Sprintf("%s %s %s %d.", verb, strings.Join(nums, ", "), or, n)
}

// pickLang chooses the hint's language: the message's, else the
// configured one, else Indonesian.
func pickLang(langs ...string) string {
	for _, l := range langs {
		l, _, _ = strings.Cut(strings.ToLower(l), "-")
		if l == "id" || l == "en" {
			return l
		}
	}
	return "id"
}

// ready returns the client when messages can go, or why not.
func (c *Channel) ready() (waClient, error) {
	c.mu.Lock()
	client, st := c.client, c.state
	c.mu.Unlock()
	if client != nil && st.Status == StatusConnected {
		return client, nil
	}
	wait, why := 15*time.Second, "connecting to WhatsApp"
	switch st.Status {
	case StatusStopped:
		wait, why = time.Minute, "the WhatsApp channel is not running"
	case StatusStandby:
		wait, why = time.Minute, "another Mitra process runs the WhatsApp number"
	case StatusBanned:
		wait, why = time.Minute, "the number is temporarily banned"
		if _, _, until := c.pacer.usage(); until.After(c.cfg.Now()) {
			wait = until.Sub(c.cfg.Now())
		}
	case StatusNotPaired, StatusLoggedOut:
		wait, why = 10*time.Minute, "no number is paired: run `mitra whatsapp pair`"
	case StatusReplaced:
		wait, why = 10*time.Minute, "another process took over the WhatsApp session"
	case StatusOutdated:
		wait, why = 10*time.Minute, "WhatsApp refuses this client version: update Mitra"
	}
	if st.Detail != "" {
		why += " (" + st.Detail + ")"
	}
	return nil, &care.RetryAfterError{After: wait, Reason: "whatsapp unavailable, nothing sent: " + why, Channel: true}
}

// onWhatsApp caches whether a number is on WhatsApp. Asking is itself
// activity WhatsApp watches, so each number is asked once (a "no" again
// after a day: people join).
type onWhatsApp struct {
	in bool
	at time.Time
}

func (c *Channel) checkOnWhatsApp(ctx context.Context, client waClient, a care.Address) error {
	phone := a.ID
	now := c.cfg.Now()
	c.mu.Lock()
	known, ok := c.onWA[phone]
	c.mu.Unlock()
	if !ok || (!known.in && now.Sub(known.at) > 24*time.Hour) {
		res, err := client.IsOnWhatsApp(ctx, []string{"+" + phone})
		if err != nil {
			return &care.RetryAfterError{After: time.Minute, Reason: fmt.Sprintf("whatsapp: asking whether %s is on WhatsApp failed (%v); nothing sent", c.who(a), c.redactErr(err, a))}
		}
		found := false
		for _, r := range res {
			if strings.TrimPrefix(r.Query, "+") == phone || r.PhoneNumber.User == phone || r.JID.User == phone || len(res) == 1 {
				known, found = onWhatsApp{in: r.IsIn, at: now}, true
				break
			}
		}
		if !found {
			return fmt.Errorf("whatsapp: no answer about %s when asking whether it is on WhatsApp; nothing sent", c.who(a))
		}
		c.setOnWhatsApp(phone, known.in)
	}
	if !known.in {
		return care.Errorf(care.EUnreachable, "%s is not on WhatsApp", c.who(a))
	}
	return nil
}

func (c *Channel) setOnWhatsApp(phone string, in bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.onWA) >= 100000 {
		clear(c.onWA)
	}
	c.onWA[phone] = onWhatsApp{in: in, at: c.cfg.Now()}
}

// knownOnWhatsApp records that a number wrote in, so it is never asked
// about.
func (c *Channel) knownOnWhatsApp(phone string) {
	if !strings.HasPrefix(phone, lidPrefix) {
		c.setOnWhatsApp(phone, true)
	}
}

// isNotSent reports errors whatsmeow returns before the message left:
// no connection, no login, or a lookup (devices, LID) that failed.
func isNotSent(err error) bool {
	var iq *whatsmeow.IQError
	return errors.Is(err, whatsmeow.ErrNotConnected) ||
		errors.Is(err, whatsmeow.ErrNotLoggedIn) ||
		errors.Is(err, socket.ErrSocketClosed) ||
		errors.Is(err, whatsmeow.ErrIQTimedOut) ||
		errors.Is(err, whatsmeow.ErrIQDisconnected) ||
		errors.Is(err, whatsmeow.ErrNoSession) ||
		errors.As(err, &iq)
}

// isNotOnWhatsApp recognises SendMessage's failure to find the account of
// a number, before anything was sent. whatsmeow has no sentinel for it;
// if the wording changes, the error is merely treated as ambiguous.
func isNotOnWhatsApp(err error) bool {
	return strings.Contains(err.Error(), "no LID found for")
}

// notSent marks an error that stopped a message before it left.
func notSent(err error) error {
	return fmt.Errorf("%w: %w", care.Errorf(care.EUnavailable, "whatsapp: nothing sent"), err)
}

// savePacing keeps the day's count and any pause in the device store.
func (c *Channel) savePacing() {
	if c.cfg.Store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.cfg.Store.savePacing(ctx, c.pacer.snapshot()); err != nil {
		c.log.Warn("saving the pacing state failed; a restart may reset today's count", "err", err)
	}
}
