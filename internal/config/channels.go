package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// WhatsApp configures the WhatsApp channel and its pacing.
type WhatsApp struct {
	// Mode is "auto" (run when paired), "on" (not being paired is an
	// error) or "off".
	Mode string
	// ReplyGap is the least time between two messages in one chat.
	ReplyGap time.Duration
	// PerMinute, Jitter and DailyCap pace the messages the shop starts.
	PerMinute int
	Jitter    time.Duration
	DailyCap  int
	// WarmupCap is the daily cap on the first day after pairing, rising
	// over WarmupDays to DailyCap.
	WarmupCap, WarmupDays int
}

// Telegram configures the Telegram channel.
type Telegram struct {
	// Token is the bot's token from @BotFather. Secret.
	Token string
	// APIURL is the Bot API server's base URL: the official one, a
	// self-hosted telegram-bot-api server, or a test server.
	APIURL string
	// Mode is "polling" or "webhook".
	Mode string
	// WebhookURL is the public HTTPS URL Telegram posts updates to; its
	// path is served by Mitra's HTTP server.
	WebhookURL string
	// WebhookSecret is the secret_token Telegram sends back in
	// X-Telegram-Bot-Api-Secret-Token. Secret.
	WebhookSecret string
}

// ChannelRates are one channel's sending limits.
type ChannelRates struct {
	Overall, PerChat care.Rate
}

// Telegram modes.
const (
	TelegramPolling = "polling"
	TelegramWebhook = "webhook"
)

// parseRate reads "N/s", "N/m" or "N/h"; the burst is N.
func parseRate(v string) (care.Rate, error) {
	ns, unit, ok := strings.Cut(strings.TrimSpace(v), "/")
	n, err := strconv.Atoi(ns)
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	if !ok || err != nil || n < 1 || per == 0 {
		return care.Rate{}, errors.New("want N/s, N/m or N/h like 30/s")
	}
	return care.Rate{N: n, Per: per}, nil
}

// validate checks the Telegram settings; they matter only with a token.
func (t Telegram) validate() []error {
	if t.Token == "" {
		return nil
	}
	var errs []error
	if u, err := url.Parse(t.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("MITRA_TELEGRAM_API_URL=%q: want a base URL like https://api.telegram.org", t.APIURL))
	}
	switch t.Mode {
	case TelegramPolling:
	case TelegramWebhook:
		if u, err := url.Parse(t.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("MITRA_TELEGRAM_WEBHOOK_URL=%q: webhook mode needs the public https URL Telegram posts to", t.WebhookURL))
		}
		if !validWebhookSecret(t.WebhookSecret) {
			errs = append(errs, errors.New("MITRA_TELEGRAM_WEBHOOK_SECRET: webhook mode needs a secret of 1-256 characters A-Z a-z 0-9 _ -"))
		}
	default:
		errs = append(errs, fmt.Errorf("MITRA_TELEGRAM_MODE=%q: want polling or webhook", t.Mode))
	}
	return errs
}

// validWebhookSecret applies Telegram's rule for secret_token.
func validWebhookSecret(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
