package telegram

import (
	"context"
	"fmt"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/mitra-care/mitra/internal/care"
)

// cosmeticPatience is the longest a cosmetic call waits for the rate
// limit; when the limit asks for more, the call is skipped. A spinner
// stopped or "typing…" shown that late helps nobody, and the wait would
// hold up what matters.
const cosmeticPatience = time.Second

// The cosmetic calls: nobody needs to see them succeed.
const (
	callTyping = "sendChatAction"
	callAnswer = "answerCallbackQuery"
)

// allow books one Bot API call against Config.Rate under
// Config.LimitKey and waits for its moment. It gives up, booking
// nothing, when the moment is further than patience (0: no bound but
// ctx's deadline), when ctx ends, and when the limiter fails. With no
// limiter it books nothing and returns nil at once.
func (c *Channel) allow(ctx context.Context, patience time.Duration) error {
	if c.cfg.Limiter == nil {
		return nil
	}
	if patience <= 0 {
		patience = time.Hour
		if d, ok := ctx.Deadline(); ok {
			patience = time.Until(d)
		}
	}
	wait, ok, err := c.cfg.Limiter.Reserve(ctx, []care.Limit{{Key: c.cfg.LimitKey, Rate: c.cfg.Rate}}, patience)
	switch {
	case err != nil:
		return fmt.Errorf("rate limit %s: %w", c.cfg.LimitKey, err)
	case !ok:
		return fmt.Errorf("rate limit %s asks to wait %s, longer than %s", c.cfg.LimitKey, wait, patience)
	}
	if !sleep(ctx, wait) {
		return fmt.Errorf("waiting for rate limit %s: %w", c.cfg.LimitKey, ctx.Err())
	}
	return nil
}

// cosmetic makes a call that shows the contact something but delivers
// nothing: "typing…", the answer that stops a tapped button's spinner.
// It counts against the rate limit like every call, but waits for it at
// most cosmeticPatience. Whatever goes wrong is logged at debug level and
// reported to Config.OnCosmeticFailure, and never reaches the caller: a
// cosmetic call never costs a message.
func (c *Channel) cosmetic(ctx context.Context, method string, a care.Address, fn func(*tgbotapi.BotAPI) error) {
	err := c.allow(ctx, cosmeticPatience)
	if err == nil {
		_, err = c.request(ctx, method, cosmeticTimeout, fn)
	}
	if err == nil {
		return
	}
	c.log.Debug("telegram: cosmetic call failed; nothing is lost", "call", method, "contact", c.who(a), "err", err)
	if c.cfg.OnCosmeticFailure != nil {
		c.cfg.OnCosmeticFailure(method)
	}
}

// typing shows "typing…" in chat for up to 5 seconds, or until the bot's
// next message arrives there.
func typing(chat int64) func(*tgbotapi.BotAPI) error {
	return func(b *tgbotapi.BotAPI) error {
		_, err := b.Request(tgbotapi.NewChatAction(chat, tgbotapi.ChatTyping))
		return err
	}
}

// answerQuery answers a callback query with no text, which stops the
// spinner on the tapped button.
func answerQuery(id string) func(*tgbotapi.BotAPI) error {
	return func(b *tgbotapi.BotAPI) error {
		_, err := b.Request(tgbotapi.NewCallback(id, ""))
		return err
	}
}

// who names a contact in a log line without naming the person: their
// pseudonym, never the chat id.
func (c *Channel) who(a care.Address) string { return c.cfg.Pseudonyms.Of(a) }
