package telegram

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/mitra-care/mitra/internal/backoff"
	"github.com/mitra-care/mitra/internal/care"
)

// maxText is the longest text of one Telegram message, in UTF-16 code
// units as Telegram counts them.
const maxText = 4096

// maxCallbackData is the most callback data, in bytes, a button can carry.
const maxCallbackData = 64

// Send delivers m: the text, split into several messages when it is
// longer than Telegram takes, with the choices as buttons under the last
// one.
//
// "typing…" is shown only when the contact would otherwise see the reply
// stall: before each later part of a split message, which waits behind
// the parts before it (and, if need be, for the rate limit or a flood
// wait). A message of one part goes out at once with no typing call, so
// it costs exactly one Bot API call: a typing call before it would only
// double the time the contact waits. Typing and every other call beyond
// the first sendMessage are counted against Config.Limiter; the sender
// counted the first.
//
// The error tells the sender what to do, and follows one rule: a message
// is reported as retryable only when Telegram certainly did not take it,
// because a lost reply is better than a repeated one. So:
//
//   - Telegram's 429 gives a *care.RetryAfterError with its retry_after
//     and Channel set: the flood limit is the bot's, so the sender holds
//     every Telegram message, not just this one;
//   - a request that never left (connection refused, DNS failure) gives
//     code care.EUnavailable;
//   - 403 (the contact blocked the bot or left Telegram) gives code
//     care.EUnreachable;
//   - any other refusal, such as 400 "chat not found", and a network
//     failure after the request went out (a timeout: Telegram may have
//     sent it) give a plain error.
//
// Once a part of a split message is out, the sender must not send the
// whole message again, so Send itself waits out a 429 or an unsent request
// for the later parts, for as long as ctx allows. A cosmetic call
// (typing) that fails never fails Send.
//
// Errors end up in the audit stream and the dead letters, which outlive
// an erasure's reach into logs; they name no chat, person or text, only
// the Bot API method, Telegram's reason and the HTTP status.
func (c *Channel) Send(ctx context.Context, m care.Outbound) error {
	if err := c.send(ctx, m); err != nil {
		return fmt.Errorf("send on telegram: %w", err)
	}
	return nil
}

// send is Send; Send names the channel in its errors.
func (c *Channel) send(ctx context.Context, m care.Outbound) error {
	if m.Address.Channel != care.Telegram {
		return care.Errorf(care.EInvalid, "a %s address is not a Telegram chat", m.Address.Channel)
	}
	chatID, err := strconv.ParseInt(m.Address.ID, 10, 64)
	if err != nil {
		return care.Errorf(care.EInvalid, "the address is not a Telegram chat id (a number)")
	}
	markup, err := keyboard(m.Choices)
	if err != nil {
		return err
	}
	parts := split(m.Text, maxText)
	if len(parts) == 0 {
		return care.Errorf(care.EInvalid, "message %s has no text", m.ID)
	}
	for i, text := range parts {
		msg := tgbotapi.NewMessage(chatID, text)
		if i == len(parts)-1 {
			msg.ReplyMarkup = markup // a nil pointer sends no markup
		}
		if i == 0 {
			wrote, err := c.request(ctx, "sendMessage", requestTimeout, func(b *tgbotapi.BotAPI) error {
				_, err := b.Send(msg)
				return err
			})
			if err != nil {
				return failure(err, wrote)
			}
			continue
		}
		c.cosmetic(ctx, callTyping, m.Address, typing(chatID))
		if err := c.sendPart(ctx, m.Address, msg); err != nil {
			return fmt.Errorf("part %d of %d (the earlier parts were sent): %w", i+1, len(parts), err)
		}
	}
	return nil
}

// sendPart sends a later part of a split message to a, counting each
// attempt against the rate limit. It never returns an error the sender
// would retry the whole message for: what the sender would wait out, it
// waits out itself.
func (c *Channel) sendPart(ctx context.Context, a care.Address, msg tgbotapi.MessageConfig) error {
	b := backoff.New(c.retryMin, c.retryMax)
	for {
		if err := c.allow(ctx, 0); err != nil {
			if ctx.Err() != nil {
				// Not %w of err: the limiter's error could carry a
				// code that makes the sender retry.
				return fmt.Errorf("not sent, gave up waiting for the rate limit: %w", ctx.Err())
			}
			c.log.Warn("telegram: rate limit not counted; sending the rest of a message all the same", "contact", c.who(a), "err", err)
		}
		wrote, err := c.request(ctx, "sendMessage", requestTimeout, func(b *tgbotapi.BotAPI) error {
			_, err := b.Send(msg)
			return err
		})
		if err == nil {
			return nil
		}
		f := failure(err, wrote)
		wait, ok := care.RetryAfter(f)
		switch {
		case ok:
		case care.ErrorCode(f) == care.EUnavailable:
			wait = b.Advance()
		default:
			return f
		}
		c.log.Warn("telegram: part of a message not sent, retrying", "contact", c.who(a), "in", wait, "err", f)
		if !sleep(ctx, wait) {
			// %v, not %w: f would make the sender retry.
			return fmt.Errorf("%v; gave up: %w", f, ctx.Err())
		}
	}
}

// failure turns a failed Bot API call into the error the sender acts on
// (see Send). mayHaveActed is false when Telegram certainly did nothing
// worth guarding against repeating.
func failure(err error, mayHaveActed bool) error {
	code, api := refusal(err)
	switch {
	case code == http.StatusTooManyRequests:
		return &care.RetryAfterError{After: time.Duration(max(retryAfter(err), 1)) * time.Second, Reason: err.Error(), Channel: true}
	case code == http.StatusForbidden && api:
		// Only the Bot API's own 403 says the contact is gone; a proxy's
		// says nothing about them.
		return fmt.Errorf("%w: %w", care.Errorf(care.EUnreachable, "the contact cannot be reached"), err)
	case code >= 500 && !mayHaveActed, code == 0 && !mayHaveActed:
		return fmt.Errorf("%w: %w", care.Errorf(care.EUnavailable, "the message was not sent"), err)
	case code != 0:
		return err
	}
	return fmt.Errorf("the request went out, Telegram may have sent it: %w", err)
}

// keyboard turns choices into inline buttons, one a row, so that long
// labels stay readable on a phone. A tap comes back as a callback query
// carrying the choice's id.
func keyboard(choices []care.Choice) (*tgbotapi.InlineKeyboardMarkup, error) {
	if len(choices) == 0 {
		return nil, nil
	}
	rows := make([][]tgbotapi.InlineKeyboardButton, 0, len(choices))
	for _, ch := range choices {
		if ch.ID == "" || len(ch.ID) > maxCallbackData {
			return nil, care.Errorf(care.EInvalid, "choice id %q: a Telegram button carries 1 to %d bytes", ch.ID, maxCallbackData)
		}
		if strings.TrimSpace(ch.Label) == "" {
			return nil, care.Errorf(care.EInvalid, "choice %q has no label", ch.ID)
		}
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(ch.Label, ch.ID)))
	}
	markup := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &markup, nil
}

// split cuts s into parts of at most limit UTF-16 code units, at a
// paragraph break if one is in the second half of the part, else at a
// line break, else at a space, else anywhere between two characters.
// The whitespace at a cut is dropped; parts of only whitespace are too.
func split(s string, limit int) []string {
	var parts []string
	for utf16Len(s) > limit {
		end := prefix(s, limit)
		cut := end
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(s[:end], sep); i >= end/2 && i > 0 {
				cut = i
				break
			}
		}
		if part := strings.TrimRight(s[:cut], space); part != "" {
			parts = append(parts, part)
		}
		s = strings.TrimLeft(s[cut:], space)
	}
	if strings.TrimSpace(s) != "" {
		parts = append(parts, s)
	}
	return parts
}

// space is the whitespace dropped where split cuts.
const space = " \t\r\n"

// prefix returns the byte length of the longest prefix of s that is at
// most limit UTF-16 code units and ends between two characters.
func prefix(s string, limit int) int {
	n := 0
	for i, r := range s {
		n += utf16.RuneLen(r)
		if n > limit {
			return i
		}
	}
	return len(s)
}

// utf16Len is the length of s as Telegram counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
