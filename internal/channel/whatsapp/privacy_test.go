package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

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

// The handler's errors lose both addresses of the contact, their push
// name and their text; names and texts too short to tell anyone apart
// stay, or every word containing them would be mangled.
func TestRedactInbound(t *testing.T) {
	c := New(Config{Pseudonyms: testNames}, nil, nil)
	sari := testNames.Of(care.Address{Channel: care.WhatsApp, ID: "6281234567890"})
	sariLID := testNames.Of(care.Address{Channel: care.WhatsApp, ID: "lid-12345678901234"})
	in := func(name, text string) care.Inbound {
		return care.Inbound{
			Address: care.Address{Channel: care.WhatsApp, ID: "6281234567890"},
			Alias:   care.Address{Channel: care.WhatsApp, ID: "lid-12345678901234"},
			Name:    name, Text: text,
		}
	}
	tests := []struct {
		name string
		in   care.Inbound
		err  string
		want string
	}{
		{"addresses", in("", ""), "contact whatsapp:6281234567890 alias whatsapp:lid-12345678901234 (12345678901234)", "contact whatsapp:" + sari + " alias whatsapp:" + sariLID + " (" + sariLID + ")"},
		{"name and text", in("Sari", "mau pesan 2"), `store "mau pesan 2" from Sari: redis down`, `store "[redacted]" from [redacted]: redis down`},
		{"too short to redact", in("Al", "ok"), "malformed reply: broken pipe", "malformed reply: broken pipe"},
		{"nothing personal", in("Sari", "halo"), "redis down", "redis down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause := errors.New(tt.err)
			err := c.redactInbound(cause, tt.in)
			if err.Error() != tt.want {
				t.Errorf("redactInbound =\n %q\nwant\n %q", err, tt.want)
			}
			if !errors.Is(err, cause) {
				t.Error("the redacted error does not wrap its cause")
			}
		})
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

// failingLIDs is a LID store that cannot be read.
type failingLIDs struct{}

func (failingLIDs) GetPNForLID(_ context.Context, lid types.JID) (types.JID, error) {
	return types.JID{}, fmt.Errorf("no phone number for %s: database is locked", lid)
}

func (failingLIDs) GetLIDForPN(_ context.Context, pn types.JID) (types.JID, error) {
	return types.JID{}, fmt.Errorf("no LID for %s: database is locked", pn)
}

// Nor does receiving: the handler's errors may name the contact by either
// address and quote their name and what they wrote, whatsmeow's name
// people by JID, and the log lines that carry them name the contact by
// pseudonym only. Each path must have logged, or the test proves nothing.
func TestNoPersonalDataReceiving(t *testing.T) {
	secrets := []string{"6281234567890", "12345678901234", "6289990000001", "Sari Wulandari", "ini rahasia saya"}
	sari := testNames.Of(care.Address{Channel: care.WhatsApp, ID: "6281234567890"})
	// handlerErr is what a careless runtime might return about Sari's
	// message.
	handlerErr := func(code string) error {
		return care.Errorf(code, "store %q from %s (whatsapp:6281234567890, alias whatsapp:lid-12345678901234, %s): redis down",
			"ini rahasia saya", "Sari Wulandari", "12345678901234")
	}
	fromSari := func(id string) *events.Message {
		return message(id, sariLID, sariLID, text("ini rahasia saya"), func(e *events.Message) {
			e.Info.SenderAlt = sariJID
			e.Info.PushName = "Sari Wulandari"
		})
	}
	tests := []struct {
		name string
		cfg  func(*Config)
		run  func(t *testing.T, hs *harness)
		logs []string // what the log must say
		who  string   // and the pseudonym it names Sari by, if any
	}{
		{
			name: "handing over fails",
			run: func(_ *testing.T, hs *harness) {
				hs.h.fail(handlerErr(care.EUnavailable))
				hs.c.onEvent(fromSari("M1"))
			},
			logs: []string{"queued for retry", "redis down"},
			who:  sari,
		},
		{
			name: "refused as invalid",
			run: func(_ *testing.T, hs *harness) {
				hs.h.fail(handlerErr(care.EInvalid))
				hs.c.onEvent(fromSari("M1"))
			},
			logs: []string{"refused as invalid", "redis down"},
			who:  sari,
		},
		{
			name: "queue full",
			cfg:  func(c *Config) { c.InboundQueue = 1 },
			run: func(_ *testing.T, hs *harness) {
				hs.h.fail(handlerErr(care.EUnavailable))
				hs.c.onEvent(fromSari("M1"))
				hs.c.onEvent(fromSari("M2"))
			},
			logs: []string{"inbound queue full"},
			who:  sari,
		},
		{
			name: "retries fail until given up",
			run: func(t *testing.T, hs *harness) {
				for range maxTries + 1 {
					hs.h.fail(handlerErr(care.EUnavailable))
				}
				hs.c.onEvent(fromSari("M1"))
				hs.c.onEvent(message("M2", budiJID, budiJID, text("halo")))
				// M2 follows M1 once it was given up; taking M2 stops
				// the drain.
				seen := make(chan care.Inbound)
				hs.h.mu.Lock()
				hs.h.seen = seen
				hs.h.mu.Unlock()
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				done := make(chan struct{})
				go func() {
					defer close(done)
					hs.c.drain(ctx)
				}()
				for in := range seen {
					if in.MessageID == "M2" {
						cancel()
						break
					}
				}
				<-done
			},
			logs: []string{"retrying", "giving up", "redis down"},
			who:  sari,
		},
		{
			name: "the LID store fails",
			run: func(_ *testing.T, hs *harness) {
				hs.c.attach(context.Background(), hs.client, fakeSelf{jid: shopJID, lid: shopLID}, failingLIDs{})
				hs.c.onEvent(message("M1", sariLID, sariLID, text("ini rahasia saya"), func(e *events.Message) { e.Info.PushName = "Sari Wulandari" }))
			},
			logs: []string{"looking up the other WhatsApp address", "database is locked"},
			who:  testNames.Of(care.Address{Channel: care.WhatsApp, ID: "lid-12345678901234"}),
		},
		{
			name: "connecting fails",
			run: func(t *testing.T, hs *harness) {
				hs.client.connectErr = fmt.Errorf("log in as %s: %w", types.NewADJID(shopJID.User, 0, 12), whatsmeow.ErrIQTimedOut)
				// The loop waits to try again once the failure shows.
				retrying := make(chan struct{})
				hs.c.after = func(time.Duration) <-chan time.Time {
					close(retrying)
					return nil
				}
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				done := make(chan error, 1)
				go func() { done <- hs.c.loop(ctx, hs.client) }()
				<-retrying
				// The failure shows on the status page and in what Send
				// returns, until the next try.
				err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "halo"))
				for _, secret := range secrets {
					if strings.Contains(hs.c.State().Detail, secret) || err == nil || strings.Contains(err.Error(), secret) {
						t.Errorf("the status %q or Send's error %v names %q", hs.c.State().Detail, err, secret)
					}
				}
				cancel()
				<-done
			},
			logs: []string{"connecting to WhatsApp failed", "timed out"},
		},
		{
			name: "WhatsApp refuses the connection",
			run: func(t *testing.T, hs *harness) {
				hs.c.onEvent(&events.ConnectFailure{Reason: events.ConnectFailureServiceUnavailable, Message: "node 6289990000001:12@s.whatsapp.net unavailable"})
				err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "halo"))
				for _, secret := range secrets {
					if strings.Contains(hs.c.State().Detail, secret) || err == nil || strings.Contains(err.Error(), secret) {
						t.Errorf("the status %q or Send's error %v names %q", hs.c.State().Detail, err, secret)
					}
				}
			},
			logs: []string{"refused the connection", "unavailable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(c *Config) {
				c.Pseudonyms = testNames
				if tt.cfg != nil {
					tt.cfg(c)
				}
			})
			tt.run(t, hs)
			logged := hs.logged()
			for _, secret := range secrets {
				if strings.Contains(logged, secret) {
					t.Errorf("the log names %q:\n%s", secret, logged)
				}
			}
			for _, want := range tt.logs {
				if !strings.Contains(logged, want) {
					t.Errorf("the log does not say %q:\n%s", want, logged)
				}
			}
			if !strings.Contains(logged, tt.who) {
				t.Errorf("the log does not name the contact by pseudonym %s:\n%s", tt.who, logged)
			}
		})
	}
}
