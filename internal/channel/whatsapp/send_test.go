package whatsapp

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/mitra-care/mitra/internal/care"
)

func outbound(to string, class care.Class, txt string, choices ...string) care.Outbound {
	m := care.Outbound{ID: "out-1", Address: care.Address{Channel: care.WhatsApp, ID: to}, Class: class, Text: txt}
	for i, c := range choices {
		m.Choices = append(m.Choices, care.Choice{ID: fmt.Sprint("c", i), Label: c})
	}
	return m
}

// A reply goes out like a person would send it: the contact's messages
// marked read, typing shown for a while, then the text with its choices.
func TestSendReply(t *testing.T) {
	hs := newHarness(t)
	for _, id := range []string{"M1", "M2"} {
		hs.c.onEvent(message(id, sariJID, sariJID, text("halo")))
	}
	m := outbound("6281234567890", care.Reply, "Mau lihat apa?", "Katalog", "Status pesanan", "Bicara dengan admin")
	m.Lang = "id"
	if err := hs.c.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	body := "Mau lihat apa?\n\n1. Katalog\n2. Status pesanan\n3. Bicara dengan admin\n\nBalas 1, 2 atau 3."
	want := []string{
		"presence available",
		"read 6281234567890@s.whatsapp.net M1,M2",
		"composing 6281234567890@s.whatsapp.net",
		"paused 6281234567890@s.whatsapp.net",
		fmt.Sprintf("send 6281234567890@s.whatsapp.net 3EB0TEST01 %q", body),
	}
	if got := hs.client.log(); !reflect.DeepEqual(got, want) {
		t.Errorf("WhatsApp was asked\n %q\nwant\n %q", got, want)
	}
	typing := time.Duration(len([]rune(body))) * 30 * time.Millisecond
	if got := hs.takeSleeps(); !reflect.DeepEqual(got, []time.Duration{0, typing}) {
		t.Errorf("waited %v, want no gap and %v of typing", got, typing)
	}

	// Read receipts go once; WhatsApp echoing the bot's own message to
	// the shop's devices is not taken for staff writing.
	if ack := hs.c.onEvent(message("3EB0TEST01", sariJID, shopJID, text(body), fromMe)); !ack {
		t.Error("the echo was not acknowledged")
	}
	if got := hs.h.received(); len(got) != 2 {
		t.Errorf("handler got %d messages, want the 2 from the contact only", len(got))
	}
	hs.clock.advance(time.Minute)
	if err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "Baik")); err != nil {
		t.Fatal(err)
	}
	want = append(want,
		"presence unavailable",
		"presence available",
		"composing 6281234567890@s.whatsapp.net",
		"paused 6281234567890@s.whatsapp.net",
		`send 6281234567890@s.whatsapp.net 3EB0TEST02 "Baik"`,
	)
	if got := hs.client.log(); !reflect.DeepEqual(got, want) {
		t.Errorf("WhatsApp was asked\n %q\nwant, with no second read receipt,\n %q", got, want)
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name, cfgLang, msgLang string
		choices                []string
		want                   string
	}{
		{"no choices", "id", "", nil, "Halo"},
		{"one choice", "id", "", []string{"Lanjut"}, "Halo\n\n1. Lanjut\n\nBalas 1."},
		{"two choices in English", "id", "en", []string{"Yes", "No"}, "Halo\n\n1. Yes\n2. No\n\nReply 1 or 2."},
		{"three choices, Indonesian by default", "", "", []string{"A", "B", "C"}, "Halo\n\n1. A\n2. B\n3. C\n\nBalas 1, 2 atau 3."},
		{"shop's language when the message has none", "en", "", []string{"A", "B", "C", "D"}, "Halo\n\n1. A\n2. B\n3. C\n4. D\n\nReply 1, 2, 3 or 4."},
		{"regional tag", "id", "en-US", []string{"A", "B"}, "Halo\n\n1. A\n2. B\n\nReply 1 or 2."},
		{"unknown language", "fr", "fr", []string{"A", "B"}, "Halo\n\n1. A\n2. B\n\nBalas 1 atau 2."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := outbound("6281234567890", care.Reply, "Halo", tt.choices...)
			m.Lang = tt.msgLang
			if got := render(m, tt.cfgLang); got != tt.want {
				t.Errorf("render =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestTypingTime(t *testing.T) {
	p := DefaultPacing()
	tests := []struct {
		chars int
		want  time.Duration
	}{
		{0, 500 * time.Millisecond},
		{10, 500 * time.Millisecond},
		{50, 1500 * time.Millisecond},
		{100, 3 * time.Second},
		{1000, 3 * time.Second},
	}
	for _, tt := range tests {
		if got := p.typing(strings.Repeat("é", tt.chars)); got != tt.want {
			t.Errorf("typing %d characters: %v, want %v", tt.chars, got, tt.want)
		}
	}
}

func TestSendErrors(t *testing.T) {
	const stranger = "6287700001111"
	tests := []struct {
		name  string
		setup func(hs *harness)
		msg   care.Outbound
		// want is the error's kind: "" none, "retry" a RetryAfterError,
		// else a care error code.
		want      string
		reason    string // in the error
		wantCalls []string
	}{
		{
			name: "reconnecting", setup: func(hs *harness) { hs.c.setStatus(StatusReconnecting, "connection lost") },
			msg: outbound("6281234567890", care.Reply, "halo"), want: "retry", reason: "connecting",
		},
		{
			name: "logged out", setup: func(hs *harness) { hs.c.setStatus(StatusLoggedOut, "") },
			msg: outbound("6281234567890", care.Reply, "halo"), want: "retry", reason: "mitra whatsapp pair",
		},
		{
			name: "not running", setup: func(hs *harness) { hs.c.setStatus(StatusStopped, "") },
			msg: outbound("6281234567890", care.Reply, "halo"), want: "retry", reason: "not running",
		},
		{
			name: "not on WhatsApp", setup: func(hs *harness) { hs.client.onWA[stranger] = false },
			msg: outbound(stranger, care.Transactional, "Pesanan dikirim"), want: care.EUnreachable, reason: "not on WhatsApp",
			wantCalls: []string{"ask +" + stranger},
		},
		{
			name: "no answer about the number",
			msg:  outbound(stranger, care.Transactional, "Pesanan dikirim"), want: care.EInternal, reason: "no answer",
			wantCalls: []string{"ask +" + stranger},
		},
		{
			name: "asking fails", setup: func(hs *harness) { hs.client.onWAErr = whatsmeow.ErrIQTimedOut },
			msg: outbound(stranger, care.Transactional, "Pesanan dikirim"), want: "retry", reason: "nothing sent",
			wantCalls: []string{"ask +" + stranger},
		},
		{
			name: "socket gone before sending", setup: func(hs *harness) {
				hs.client.sendErr = fmt.Errorf("failed to send message node: %w", whatsmeow.ErrNotConnected)
			},
			msg: outbound("6281234567890", care.Reply, "halo"), want: "retry", reason: "not sent",
		},
		{
			name: "device lookup failed", setup: func(hs *harness) {
				hs.client.sendErr = fmt.Errorf("failed to get devices: %w", whatsmeow.ErrIQRateOverLimit)
			},
			msg: outbound("6281234567890", care.Reply, "halo"), want: "retry", reason: "not sent",
		},
		{
			name: "no account behind the number", setup: func(hs *harness) {
				hs.client.sendErr = errors.New("no LID found for 6281234567890@s.whatsapp.net from server")
			},
			msg: outbound("6281234567890", care.Reply, "halo"), want: care.EUnreachable,
		},
		{
			name: "server did not answer in time", setup: func(hs *harness) { hs.client.sendErr = whatsmeow.ErrMessageTimedOut },
			msg: outbound("6281234567890", care.Reply, "halo"), want: care.EInternal, reason: "not retried",
		},
		{
			name: "server refused", setup: func(hs *harness) { hs.client.sendErr = fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 479) },
			msg: outbound("6281234567890", care.Reply, "halo"), want: care.EInternal, reason: "not retried",
		},
		{name: "local number", msg: outbound("081234567890", care.Reply, "halo"), want: care.EInvalid},
		{name: "simulated contact", msg: outbound("sim-abc", care.Reply, "halo"), want: care.EInvalid},
		{name: "telegram address", msg: care.Outbound{Address: care.Address{Channel: care.Telegram, ID: "12345"}, Class: care.Reply, Text: "halo"}, want: care.EInvalid},
		{name: "empty", msg: outbound("6281234567890", care.Reply, "  "), want: care.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			if tt.setup != nil {
				tt.setup(hs)
			}
			err := hs.c.Send(t.Context(), tt.msg)
			_, retry := care.RetryAfter(err)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Send = %v", err)
			case tt.want == "retry" && !retry:
				t.Fatalf("Send = %v, want a RetryAfterError", err)
			case tt.want != "" && tt.want != "retry" && (retry || care.ErrorCode(err) != tt.want):
				t.Fatalf("Send = %v (code %s, retry %v), want code %s", err, care.ErrorCode(err), retry, tt.want)
			}
			if tt.reason != "" && !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Send = %v, want it to say %q", err, tt.reason)
			}
			calls := hs.client.log()
			if tt.wantCalls != nil && !reflect.DeepEqual(calls, tt.wantCalls) {
				t.Errorf("WhatsApp was asked %q, want %q", calls, tt.wantCalls)
			}
		})
	}
}

// Whether a number is on WhatsApp is asked once; people who wrote in are
// never asked about.
func TestOnWhatsAppAskedOnce(t *testing.T) {
	hs := newHarness(t)
	hs.client.onWA["6287700001111"] = true
	hs.client.onWA["6287700002222"] = false
	hs.c.onEvent(message("M1", sariJID, sariJID, text("halo")))
	for _, to := range []string{"6287700001111", "6287700002222", "6281234567890", "6287700001111", "6287700002222"} {
		hs.clock.advance(time.Hour)
		_ = hs.c.Send(t.Context(), outbound(to, care.Promotional, "Diskon!"))
	}
	var asked []string
	for _, c := range hs.client.log() {
		if strings.HasPrefix(c, "ask") {
			asked = append(asked, c)
		}
	}
	if want := []string{"ask +6287700001111", "ask +6287700002222"}; !reflect.DeepEqual(asked, want) {
		t.Errorf("asked %v, want %v", asked, want)
	}
}

// Pacing holds messages back without sending anything; a failure before
// sending gives the day's count back.
func TestSendPacing(t *testing.T) {
	hs := newHarness(t)
	hs.client.onWA["6287700001111"] = true
	hs.client.onWA["6287700002222"] = true
	hs.c.onEvent(message("M1", sariJID, sariJID, text("halo")))

	if err := hs.c.Send(t.Context(), outbound("6287700001111", care.Transactional, "Pesanan dikirim")); err != nil {
		t.Fatal(err)
	}
	sends := countSends(hs)
	err := hs.c.Send(t.Context(), outbound("6287700002222", care.Promotional, "Diskon!"))
	after, ok := care.RetryAfter(err)
	if !ok || !strings.Contains(err.Error(), "per minute") {
		t.Fatalf("second shop-started message: %v, want RetryAfter for the per-minute pace", err)
	}
	// 10 s spacing plus half the 5 s jitter, less the typing time that
	// passed on the fake clock.
	if typed := hs.clock.now().Sub(startTime); after != 12500*time.Millisecond-typed {
		t.Errorf("retry after %v, want %v", after, 12500*time.Millisecond-typed)
	}
	if countSends(hs) != sends {
		t.Error("a paced message was sent")
	}

	// Replies are not held by the shop's pace, only by the chat's gap,
	// which they wait out in place.
	hs.takeSleeps()
	for range 2 {
		if err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "ok")); err != nil {
			t.Fatal(err)
		}
	}
	sl := hs.takeSleeps()
	if len(sl) != 4 || sl[0] != 0 || sl[2] != time.Second-sl[1] {
		t.Errorf("reply waits %v, want [0 typing gap-typing typing]", sl)
	}

	// A message that fails before it leaves gives its count back.
	sent, _, _ := hs.c.pacer.usage()
	hs.clock.advance(time.Minute)
	hs.client.sendErr = whatsmeow.ErrNotConnected
	if err := hs.c.Send(t.Context(), outbound("6287700002222", care.Promotional, "Diskon!")); err == nil {
		t.Fatal("Send succeeded with the socket gone")
	}
	if now, _, _ := hs.c.pacer.usage(); now != sent {
		t.Errorf("sent today %d after an unsent message, want %d", now, sent)
	}
}

func countSends(hs *harness) int {
	n := 0
	for _, c := range hs.client.log() {
		if strings.HasPrefix(c, "send") {
			n++
		}
	}
	return n
}

// Presence, "typing…" and read receipts only change what the contact
// sees: when WhatsApp refuses them the message goes anyway, the number
// still goes offline when idle, and each refusal is reported.
func TestCosmeticFailures(t *testing.T) {
	refused := errors.New("refused")
	tests := []struct {
		name                      string
		presence, typing, receipt error
		want                      []string
	}{
		{name: "nothing fails"},
		{name: "presence without a push name", presence: whatsmeow.ErrNoPushName, want: []string{CosmeticPresence, CosmeticPresence, CosmeticPresence}},
		{name: "typing", typing: refused, want: []string{CosmeticTyping, CosmeticTyping}},
		{name: "read receipt", receipt: whatsmeow.ErrNotConnected, want: []string{CosmeticRead}},
		{
			name: "all of them", presence: refused, typing: refused, receipt: refused,
			want: []string{CosmeticPresence, CosmeticPresence, CosmeticRead, CosmeticTyping, CosmeticTyping, CosmeticPresence},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu  sync.Mutex
				got []string
			)
			hs := newHarness(t, func(c *Config) {
				c.OnCosmeticFailure = func(call string) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, call)
				}
			})
			hs.client.presenceErr, hs.client.chatPresenceErr, hs.client.readErr = tt.presence, tt.typing, tt.receipt
			hs.c.onEvent(&events.Connected{})
			hs.c.onEvent(message("M1", sariJID, sariJID, text("halo")))
			if err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "Halo kak")); err != nil {
				t.Fatalf("Send = %v, want the message sent", err)
			}
			hs.clock.advance(presenceIdle)
			want := []string{
				"presence unavailable",
				"presence available",
				"read 6281234567890@s.whatsapp.net M1",
				"composing 6281234567890@s.whatsapp.net",
				"paused 6281234567890@s.whatsapp.net",
				`send 6281234567890@s.whatsapp.net 3EB0TEST01 "Halo kak"`,
				"presence unavailable",
			}
			if calls := hs.client.log(); !reflect.DeepEqual(calls, want) {
				t.Errorf("WhatsApp was asked\n %q\nwant\n %q", calls, want)
			}
			mu.Lock()
			defer mu.Unlock()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("cosmetic failures reported %q, want %q", got, tt.want)
			}
		})
	}
}
