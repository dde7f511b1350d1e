package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/mitra-care/mitra/internal/backoff"
	"github.com/mitra-care/mitra/internal/care"
)

// pollTimeout is how long, in seconds, one getUpdates call waits for an
// update before it returns empty.
const pollTimeout = 30

// confirmTimeout bounds the last getUpdates call at shutdown.
const confirmTimeout = 5 * time.Second

// allowedUpdates are the update types Mitra acts on; Telegram does not
// send the others at all.
var allowedUpdates = []string{"message", "callback_query"}

// poll receives updates with getUpdates until ctx ends. The offset, which
// tells Telegram which updates are done with, moves past an update only
// once the handler has stored it, so a crash delivers it again and the
// runtime's de-duplication drops the repeat.
func (c *Channel) poll(ctx context.Context) error {
	// getUpdates fails while a webhook is set: Mitra may have run in
	// webhook mode before.
	err := c.persist(ctx, "deleteWebhook", func(ctx context.Context) error {
		_, err := c.request(ctx, "deleteWebhook", requestTimeout, func(b *tgbotapi.BotAPI) error {
			_, err := b.Request(tgbotapi.DeleteWebhookConfig{})
			return err
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("telegram deleteWebhook: %w", err)
	}
	c.log.Info("telegram polling for updates")
	// answers are the answers to taps under way.
	var answers sync.WaitGroup
	defer answers.Wait()
	// offset is the first update not yet handled; asked is the offset
	// Telegram was last told.
	offset, asked := 0, 0
	defer func() {
		if offset > asked {
			c.confirm(ctx, offset)
		}
	}()
	for ctx.Err() == nil {
		var updates []tgbotapi.Update
		err := c.persist(ctx, "getUpdates", func(ctx context.Context) (err error) {
			updates, err = c.getUpdates(ctx, offset, pollTimeout, 0)
			return err
		})
		if err != nil {
			return fmt.Errorf("telegram getUpdates: %w", err)
		}
		asked = offset
		offset = c.deliverBatch(ctx, updates, offset, &answers)
	}
	return nil
}

// getUpdates asks for the updates from offset on, waiting up to wait
// seconds for one to come; limit 0 means Telegram's default (100).
func (c *Channel) getUpdates(ctx context.Context, offset, wait, limit int) ([]tgbotapi.Update, error) {
	var updates []tgbotapi.Update
	cfg := tgbotapi.UpdateConfig{Offset: offset, Limit: limit, Timeout: wait, AllowedUpdates: allowedUpdates}
	_, err := c.request(ctx, "getUpdates", time.Duration(wait)*time.Second+requestTimeout, func(b *tgbotapi.BotAPI) (err error) {
		updates, err = b.GetUpdates(cfg)
		return err
	})
	return updates, err
}

// confirm tells Telegram at shutdown that the updates below offset are
// done, so the next start does not hand them out again. ctx has ended by
// then; the call gets a short time of its own.
func (c *Channel) confirm(ctx context.Context, offset int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmTimeout)
	defer cancel()
	if _, err := c.getUpdates(ctx, offset, 0, 1); err != nil {
		c.log.Warn("telegram: could not confirm the last updates; they will be delivered again and dropped as duplicates", "offset", offset, "err", err)
	}
}

// deliverBatch hands one getUpdates batch to the handler: the updates of
// one chat in order, different chats at once. It returns the next offset:
// past the updates, from the start of the batch, that are done with.
// When ctx ends midway, the rest come again after a restart. A tap is
// answered once stored, beside the batch (answers tracks the answers):
// the answer is cosmetic, and its round trip would otherwise hold up the
// chat's next update and the next getUpdates.
func (c *Channel) deliverBatch(ctx context.Context, updates []tgbotapi.Update, offset int, answers *sync.WaitGroup) int {
	done := make([]bool, len(updates))
	events := make([]event, len(updates))
	chats := map[string][]int{} // chat id -> indexes into updates, in order
	for i, u := range updates {
		e, ignored := translate(u)
		if ignored != "" {
			c.log.Debug("telegram: update ignored", "update", u.UpdateID, "why", ignored)
			done[i] = true
			continue
		}
		events[i] = e
		chats[e.in.Address.ID] = append(chats[e.in.Address.ID], i)
	}
	var wg sync.WaitGroup
	for _, idx := range chats {
		wg.Go(func() {
			for _, i := range idx {
				if !c.storeRetrying(ctx, events[i]) {
					return
				}
				done[i] = true
				if events[i].callback != "" {
					answers.Go(func() { c.answer(ctx, events[i]) })
				}
			}
		})
	}
	wg.Wait()
	for i, u := range updates {
		if !done[i] {
			break
		}
		offset = u.UpdateID + 1
	}
	return offset
}

// storeRetrying hands e to the handler until it has stored it (or found
// it a duplicate or beyond processing), waiting longer after each
// failure; it never skips a message, and each attempt is bounded by
// Config.HandleTimeout, so a store that stopped answering costs a retry,
// not a hang. It reports false when ctx ended first.
func (c *Channel) storeRetrying(ctx context.Context, e event) bool {
	b := backoff.New(c.retryMin, c.retryMax)
	for {
		err := c.store(ctx, e)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		c.log.Warn("telegram: message not stored, retrying", "update", e.update, "contact", c.who(e.in.Address), "in", b.Next(), "err", err)
		if !b.Wait(ctx) {
			return false
		}
	}
}

// event is an update Mitra acts on, as the runtime will see it.
type event struct {
	update int
	in     care.Inbound
	// callback is the callback query to answer once the tap is stored,
	// so the button stops spinning on the contact's screen.
	callback string
}

// deliver stores e (see store) and, once it is done with, answers a tap,
// so the button stops spinning. It returns store's error.
func (c *Channel) deliver(ctx context.Context, e event) error {
	if err := c.store(ctx, e); err != nil {
		return err
	}
	c.answer(ctx, e)
	return nil
}

// store hands e to the handler, giving it Config.HandleTimeout. It
// returns nil when e is done with: stored, a duplicate of one stored
// (care.ErrDuplicate), or so wrong that retrying cannot help (code
// care.EInvalid); and an error when Telegram must deliver it again.
func (c *Channel) store(ctx context.Context, e event) error {
	hctx, cancel := context.WithTimeout(ctx, c.cfg.HandleTimeout)
	err := c.h.Handle(hctx, e.in)
	late := errors.Is(hctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	cancel()
	switch {
	case err == nil, errors.Is(err, care.ErrDuplicate):
	case care.ErrorCode(err) == care.EInvalid:
		c.log.Warn("telegram: dropping a message that cannot be processed", "update", e.update, "contact", c.who(e.in.Address), "err", err)
	case late:
		return fmt.Errorf("update %d not stored within %s: %w", e.update, c.cfg.HandleTimeout, err)
	default:
		return fmt.Errorf("update %d not stored: %w", e.update, err)
	}
	return nil
}

// answer answers e's callback query, when e is a tap: a cosmetic call.
func (c *Channel) answer(ctx context.Context, e event) {
	if e.callback != "" {
		c.cosmetic(ctx, callAnswer, e.in.Address, answerQuery(e.callback))
	}
}

// translate turns an update into an event. ignored says why an update is
// not for Mitra; such updates are acknowledged all the same.
func translate(u tgbotapi.Update) (e event, ignored string) {
	switch {
	case u.Message != nil:
		return message(u.UpdateID, u.Message)
	case u.CallbackQuery != nil:
		return callback(u.UpdateID, u.CallbackQuery)
	}
	return event{}, "not a new message or a button tap"
}

// message translates a message. Only private chats are served: the bot
// never writes in groups or channels, not even to say so, because every
// message it sends must cross the gate.
func message(update int, m *tgbotapi.Message) (event, string) {
	if m.Chat == nil || m.Chat.Type != "private" {
		return event{}, "not a private chat"
	}
	kind, ok := messageKind(m)
	if !ok {
		return event{}, "a service message"
	}
	in := care.Inbound{
		Address:   care.Address{Channel: care.Telegram, ID: strconv.FormatInt(m.Chat.ID, 10)},
		MessageID: strconv.Itoa(m.MessageID),
		Kind:      kind,
		Name:      name(m.From),
		Media:     media(m),
		At:        time.Unix(int64(m.Date), 0).UTC(),
	}
	if kind == care.KindText {
		in.Text, in.Start = text(m.Text)
	}
	return event{update: update, in: in}, ""
}

// messageKind says what a message holds; ok is false for service
// messages (a pinned message, a changed auto-delete timer), which nobody
// typed and nobody should be answered for.
func messageKind(m *tgbotapi.Message) (kind care.Kind, ok bool) {
	switch {
	case m.Text != "":
		return care.KindText, true
	case m.Sticker != nil:
		return care.KindSticker, true
	case len(m.Photo) > 0:
		return care.KindImage, true
	case m.Voice != nil:
		return care.KindVoice, true
	case m.Audio != nil:
		return care.KindAudio, true
	// Before Document: Telegram sets document on an animation too.
	case m.Video != nil, m.VideoNote != nil, m.Animation != nil:
		return care.KindVideo, true
	case m.Document != nil:
		return care.KindDocument, true
	case m.Location != nil, m.Venue != nil:
		return care.KindLocation, true
	case m.Contact != nil:
		return care.KindContact, true
	case m.Dice != nil, m.Poll != nil, m.Game != nil:
		return care.KindOther, true
	}
	return "", false
}

// media is the file_id of the photo (its largest size) or the document
// a message holds, "" for none: the bot can fetch the file by it, so it
// is what a proof of payment keeps.
func media(m *tgbotapi.Message) string {
	switch {
	case len(m.Photo) > 0:
		return m.Photo[len(m.Photo)-1].FileID
	case m.Document != nil && m.Animation == nil:
		return m.Document.FileID
	}
	return ""
}

// text turns a message's text into the runtime's terms. "/start payload"
// is a deep link (t.me/bot?start=payload) and keeps its text for the
// record; plain "/start" is a greeting (care.StartGreeting: the word
// START alone would ask the opt-in question); other commands lose their slash
// so that "/help" and "/stop" reach the same keywords as "help" and
// "stop".
func text(s string) (text, start string) {
	name, args, ok := command(s)
	switch {
	case !ok:
		return s, ""
	case name == "start" && args == "":
		return "/start", care.StartGreeting
	case name == "start":
		return "/start " + args, args
	case args == "":
		return name, ""
	}
	return name + " " + args, ""
}

// command splits "/name@bot args" into a lower-case name and its
// arguments. It reads the text, not the library's entity helpers, which
// index the text with UTF-16 lengths and panic on an entity that does not
// fit it.
func command(s string) (name, args string, ok bool) {
	rest, ok := strings.CutPrefix(s, "/")
	if !ok {
		return "", "", false
	}
	word, args := rest, ""
	if i := strings.IndexAny(rest, " \t\n"); i >= 0 {
		word, args = rest[:i], strings.TrimSpace(rest[i:])
	}
	name, _, _ = strings.Cut(word, "@")
	if name == "" || len(name) > 32 || strings.IndexFunc(name, notCommandRune) >= 0 {
		return "", "", false
	}
	return strings.ToLower(name), args, true
}

// notCommandRune reports whether r cannot be part of a command name.
func notCommandRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
}

// callback translates a tap on an inline keyboard button.
func callback(update int, q *tgbotapi.CallbackQuery) (event, string) {
	if q.Message == nil || q.Message.Chat == nil {
		return event{}, "a tap on a message the bot sent inline, not in a chat"
	}
	if q.Message.Chat.Type != "private" {
		return event{}, "not a private chat"
	}
	if q.Data == "" {
		return event{}, "a tap without callback data"
	}
	return event{
		update: update,
		in: care.Inbound{
			Address: care.Address{Channel: care.Telegram, ID: strconv.FormatInt(q.Message.Chat.ID, 10)},
			// Query ids are unique and stay the same when Telegram
			// delivers the tap again; "q" keeps them apart from
			// message ids.
			MessageID: "q" + q.ID,
			Kind:      care.KindChoice,
			Choice:    q.Data,
			Name:      name(q.From),
			// A query has no date; the message's date is when the
			// keyboard was sent, not when it was tapped.
			At: time.Now().UTC(),
		},
		callback: q.ID,
	}, ""
}

// name is the display name Telegram gives a user.
func name(u *tgbotapi.User) string {
	if u == nil {
		return ""
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}
