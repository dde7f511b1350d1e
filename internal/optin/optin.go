// Package optin makes the links and QR codes a shop puts on its counter
// or social media so that customers can ask for promotions themselves:
// a wa.me link whose prefilled text is an opt-in keyword, and a t.me deep
// link whose start payload asks the opt-in question. Either way the
// customer sends the first message and answers the question; nothing is
// granted by scanning.
package optin

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Payload is the Telegram start payload that asks the opt-in question
// (runtime.DefaultDeepLinks).
const Payload = "promo"

// Link is one opt-in link.
type Link struct {
	// Channel is "whatsapp" or "telegram", also the QR file's name.
	Channel string
	URL     string
}

var (
	phoneRE = regexp.MustCompile(`^[1-9][0-9]{6,14}$`)
	botRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}[Bb][Oo][Tt]$`)
)

// Links returns the opt-in links for a WhatsApp number (digits with the
// country code, no +) and a Telegram bot username, either may be empty.
// text is what the WhatsApp link prefills: an opt-in keyword.
func Links(phone, bot, text string) ([]Link, error) {
	var out []Link
	var errs []error
	if phone = strings.TrimPrefix(strings.TrimSpace(phone), "+"); phone != "" {
		if !phoneRE.MatchString(phone) {
			errs = append(errs, fmt.Errorf("whatsapp number %q: want the digits with the country code, like 6281234567890", phone))
		} else {
			out = append(out, Link{Channel: "whatsapp", URL: "https://wa.me/" + phone + "?text=" + url.PathEscape(text)})
		}
	}
	if bot = strings.TrimPrefix(strings.TrimSpace(bot), "@"); bot != "" {
		if !botRE.MatchString(bot) {
			errs = append(errs, fmt.Errorf("telegram bot %q: want the bot's username, like toko_sari_bot", bot))
		} else {
			out = append(out, Link{Channel: "telegram", URL: "https://t.me/" + bot + "?start=" + Payload})
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no number and no bot: give at least one"))
	}
	return out, errors.Join(errs...)
}

// WriteQR writes the link as a QR code PNG of size pixels into dir, as
// optin-<channel>.png, and returns the file's path.
func WriteQR(l Link, dir string, size int) (string, error) {
	path := filepath.Join(dir, "optin-"+l.Channel+".png")
	if err := qrcode.WriteFile(l.URL, qrcode.Medium, size, path); err != nil {
		return "", fmt.Errorf("QR code for %s: %w", l.Channel, err)
	}
	return path, nil
}
