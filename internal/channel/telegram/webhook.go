package telegram

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// secretHeader carries the webhook's secret_token on every call Telegram
// makes.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdateSize bounds a webhook body. A real update is a few KiB; this
// stops a caller from making the server read without end.
const maxUpdateSize = 1 << 20

// hook registers the webhook and waits for ctx to end; ServeHTTP does the
// receiving. The webhook stays registered at shutdown: other processes
// behind the same URL may still be serving, and while none is, Telegram
// keeps the updates and tries again.
func (c *Channel) hook(ctx context.Context) error {
	params := tgbotapi.Params{"url": c.cfg.WebhookURL, "secret_token": c.cfg.WebhookSecret}
	if err := params.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return fmt.Errorf("telegram setWebhook: %w", err)
	}
	err := c.persist(ctx, "setWebhook", func(ctx context.Context) error {
		_, err := c.request(ctx, "setWebhook", requestTimeout, func(b *tgbotapi.BotAPI) error {
			// v5.5.1 has no field for secret_token, so the call is
			// made by name.
			_, err := b.MakeRequest("setWebhook", params)
			return err
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("telegram setWebhook %s: %w", c.cfg.WebhookURL, err)
	}
	c.log.Info("telegram webhook set", "url", c.cfg.WebhookURL)
	<-ctx.Done()
	return nil
}

// WebhookPath is the path of the webhook URL, where the app mounts the
// Channel for POST requests; it is empty in polling mode, where nothing
// is to be mounted.
func (c *Channel) WebhookPath() string { return c.webhookPath }

// ServeHTTP receives one update Telegram posts to the webhook. It answers
// 200 only once the handler has stored the update's effect (or found it a
// duplicate), and 503 when it could not, so that Telegram delivers the
// update again. The handler gets Config.HandleTimeout: while the store is
// away, Telegram gets its 503 then, not after the store's own timeouts.
// An update that can never be processed gets 200 too, or Telegram would
// keep retrying it. Requests without the webhook's secret are refused
// unread.
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.webhookPath == "" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	sum := sha256.Sum256([]byte(r.Header.Get(secretHeader)))
	if subtle.ConstantTimeCompare(sum[:], c.secretSum[:]) != 1 {
		c.log.Warn("telegram webhook: request without the right secret token", "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateSize))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		c.log.Warn("telegram webhook: update too large", "limit", maxUpdateSize)
		http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "cannot read the update", http.StatusBadRequest)
		return
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(body, &u); err != nil {
		c.log.Warn("telegram webhook: malformed update dropped", "err", err)
		return
	}
	e, ignored := translate(u)
	if ignored != "" {
		c.log.Debug("telegram: update ignored", "update", u.UpdateID, "why", ignored)
		return
	}
	if err := c.deliver(r.Context(), e); err != nil {
		c.log.Warn("telegram webhook: update not stored, Telegram will deliver it again", "update", u.UpdateID, "contact", c.who(e.in.Address), "err", err)
		http.Error(w, "not stored, deliver again", http.StatusServiceUnavailable)
		return
	}
}
