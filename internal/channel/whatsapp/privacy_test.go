package whatsapp

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/mitra-care/mitra/internal/care"
)

var testNames = care.NewPseudonyms([]byte("installation salt"))

func TestRedact(t *testing.T) {
	sari := testNames.Of(care.Address{Channel: care.WhatsApp, ID: "6281234567890"})
	sariLIDName := testNames.Of(care.Address{Channel: care.WhatsApp, ID: "lid-12345678901234"})
	tests := []struct{ in, want string }{
		{"Failed to decrypt message from 6281234567890@s.whatsapp.net", "Failed to decrypt message from " + sari},
		{"from 6281234567890:12@s.whatsapp.net in 6281234567890@s.whatsapp.net", "from " + sari + " in " + sari},
		{"sender 6281234567890.0:3@s.whatsapp.net", "sender " + sari},
		{"legacy 6281234567890@c.us", "legacy " + sari},
		{"lid 12345678901234:3@lid and 12345678901234@lid", "lid " + sariLIDName + " and " + sariLIDName},
		{"group 120363000000000001@g.us, message 3EB0ABC, at 1712345678", "group 120363000000000001@g.us, message 3EB0ABC, at 1712345678"},
		{"nothing personal", "nothing personal"},
	}
	for _, tt := range tests {
		if got := redact(testNames, tt.in); got != tt.want {
			t.Errorf("redact(%q) =\n %q\nwant\n %q", tt.in, got, tt.want)
		}
	}
}

// whatsmeow's own log lines name people by JID; they reach Mitra's log
// with pseudonyms instead.
func TestWALoggerRedacts(t *testing.T) {
	var b strings.Builder
	l := newWALogger(slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})), testNames).Sub("Client")
	l.Warnf("Error unmarshaling plaintext message from %s: %v", "6281234567890:3@s.whatsapp.net in 12345678901234@lid", "EOF")
	l.Debugf("Updating push name of %s", "6281234567890@s.whatsapp.net")
	out := b.String()
	for _, secret := range []string{"6281234567890", "12345678901234"} {
		if strings.Contains(out, secret) {
			t.Errorf("whatsmeow's line names %s:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, testNames.Of(care.Address{Channel: care.WhatsApp, ID: "6281234567890"})) || !strings.Contains(out, "module=whatsmeow/Client") {
		t.Errorf("whatsmeow's line lost its content:\n%s", out)
	}
}

// No log line and no error the adapter returns names a contact — their
// number, LID or push name — or quotes what they wrote; the errors keep
// their codes.
func TestNoPersonalData(t *testing.T) {
	const stranger = "6287700001111"
	secrets := []string{"6281234567890", "12345678901234", "77777777777777", stranger, "087700001111", "Sari", "rahasia"}
	who := testNames.Of(care.Address{Channel: care.WhatsApp, ID: stranger})
	tests := []struct {
		name  string
		setup func(hs *harness)
		to    string
		class care.Class
		code  string // the error's code, "retry" for a RetryAfterError
	}{
		{
			name: "not on WhatsApp", to: stranger, class: care.Transactional, code: care.EUnreachable,
			setup: func(hs *harness) { hs.client.onWA[stranger] = false },
		},
		{
			name: "asking about the number fails", to: stranger, class: care.Transactional, code: "retry",
			setup: func(hs *harness) {
				hs.client.onWAErr = fmt.Errorf("usync for +%s: %w", stranger, whatsmeow.ErrIQTimedOut)
			},
		},
		{
			name: "no account behind the number", to: stranger, class: care.Reply, code: care.EUnreachable,
			setup: func(hs *harness) {
				hs.client.sendErr = fmt.Errorf("no LID found for %s@s.whatsapp.net from server", stranger)
			},
		},
		{
			name: "device lookup failed", to: stranger, class: care.Reply, code: "retry",
			setup: func(hs *harness) {
				hs.client.sendErr = fmt.Errorf("failed to get devices of 12345678901234@lid: %w", whatsmeow.ErrIQTimedOut)
			},
		},
		{
			name: "ambiguous failure", to: stranger, class: care.Reply, code: care.EInternal,
			setup: func(hs *harness) {
				hs.client.sendErr = fmt.Errorf("sending to %s:3@s.whatsapp.net: %w", stranger, whatsmeow.ErrMessageTimedOut)
			},
		},
		{name: "local number", to: "087700001111", class: care.Reply, code: care.EInvalid},
		{name: "LID without a number", to: "lid-77777777777777", class: care.Reply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(c *Config) { c.Pseudonyms = testNames })
			hs.client.readErr = errors.New("receipt to 6281234567890@s.whatsapp.net refused")
			hs.client.chatPresenceErr = errors.New("chatstate to 12345678901234@lid refused")
			hs.h.fail(care.Errorf(care.EUnavailable, "redis down"))
			hs.c.onEvent(message("M1", sariLID, sariLID, text("halo, ini rahasia"), func(e *events.Message) { e.Info.SenderAlt = sariJID }))
			hs.c.onEvent(message("M2", ghostLID, ghostLID, text("rahasia juga")))
			hs.c.onEvent(&events.UndecryptableMessage{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: sariJID, Sender: sariJID}, ID: "M3"}})
			if tt.setup != nil {
				tt.setup(hs)
			}

			err := hs.c.Send(t.Context(), outbound(tt.to, tt.class, "Pesanan Sari dikirim"))
			_, retry := care.RetryAfter(err)
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("Send = %v", err)
			case tt.code == "retry" && !retry:
				t.Fatalf("Send = %v, want a RetryAfterError", err)
			case tt.code != "" && tt.code != "retry" && care.ErrorCode(err) != tt.code:
				t.Fatalf("Send = %v (code %s), want code %s", err, care.ErrorCode(err), tt.code)
			}
			msg := ""
			if err != nil {
				// The example in the hint of an invalid number is no one's.
				msg = strings.ReplaceAll(err.Error(), "like 6281234567890", "")
			}
			for _, secret := range secrets {
				if strings.Contains(msg, secret) {
					t.Errorf("the error names %q: %v", secret, err)
				}
				if strings.Contains(hs.logged(), secret) {
					t.Errorf("the log names %q:\n%s", secret, hs.logged())
				}
			}
			if err != nil && tt.to == stranger && !strings.Contains(msg, who) {
				t.Errorf("the error %q does not say who, by pseudonym %s", err, who)
			}
		})
	}
}
