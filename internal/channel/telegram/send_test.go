package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/telegram/telegramtest"
)

func outbound(text string, choices ...care.Choice) care.Outbound {
	return care.Outbound{
		ID:      "out-1",
		Contact: "tg.4242",
		Address: care.Address{Channel: care.Telegram, ID: "4242"},
		Class:   care.Reply,
		Text:    text,
		Choices: choices,
	}
}

// paragraphs is a text of about n characters in paragraphs of words.
func paragraphs(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(strings.TrimSpace(strings.Repeat("baju merah ukuran M ", 25)))
		b.WriteString("\n\n")
	}
	return strings.TrimSpace(b.String())
}

func TestSend(t *testing.T) {
	long := paragraphs(5000)
	tests := []struct {
		name     string
		m        care.Outbound
		failures map[string][]telegramtest.Failure
		code     string        // care.ErrorCode of the error; "" for success
		retry    time.Duration // the RetryAfterError's wait, if any
		contains string        // in the error
		methods  []string      // the calls Send made, in order
	}{
		{name: "text", m: outbound("Terima kasih, pesanan diterima."),
			methods: []string{"sendMessage"}},
		{name: "choices", m: outbound("Mau pesan?", care.Choice{ID: "yes", Label: "Ya, pesan"}, care.Choice{ID: "no", Label: "Tidak"}),
			methods: []string{"sendMessage"}},
		{name: "long text", m: outbound(long, care.Choice{ID: "more", Label: "Lagi"}),
			methods: []string{"sendMessage", "sendChatAction", "sendMessage"}},
		{name: "flood wait", m: outbound("halo"),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Code: 429, Description: "Too Many Requests: retry after 3", RetryAfter: 3}}},
			retry:    3 * time.Second, code: care.EInternal, contains: "Too Many Requests",
			methods: []string{"sendMessage"}},
		{name: "flood wait without retry_after, from a proxy", m: outbound("halo"),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Code: 429, Raw: "slow down"}}},
			retry:    time.Second, code: care.EInternal, contains: "sendMessage",
			methods: []string{"sendMessage"}},
		{name: "flood wait on a later part", m: outbound(long),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Skip: 1, Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1}}},
			methods:  []string{"sendMessage", "sendChatAction", "sendMessage", "sendMessage"}},
		{name: "later part not reached", m: outbound(long),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Skip: 1, Code: 502, Description: "Bad Gateway"}}},
			code:     care.EInternal, contains: "part 2 of 2",
			methods: []string{"sendMessage", "sendChatAction", "sendMessage"}},
		{name: "blocked", m: outbound("halo"),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Code: 403, Description: "Forbidden: bot was blocked by the user"}}},
			code:     care.EUnreachable, contains: "Forbidden: bot was blocked by the user",
			methods: []string{"sendMessage"}},
		{name: "a proxy's 403 says nothing about the contact", m: outbound("halo"),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Code: 403, Raw: "<html>Forbidden</html>"}}},
			code:     care.EInternal, contains: "sendMessage: the answer is not the Bot API's JSON",
			methods: []string{"sendMessage"}},
		{name: "chat not found", m: outbound("halo"),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Code: 400, Description: "Bad Request: chat not found"}}},
			code:     care.EInternal, contains: "send on telegram: sendMessage: Bad Request: chat not found (HTTP 400 Bad Request)",
			methods: []string{"sendMessage"}},
		{name: "refused without a description", m: outbound("halo"),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Code: 400}}},
			code:     care.EInternal, contains: "sendMessage: refused without a description (HTTP 400 Bad Request)",
			methods: []string{"sendMessage"}},
		{name: "a server without the method", m: outbound("halo"),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Code: 404, Raw: "404 page not found", Always: true}}},
			code:     care.EInternal, contains: "sendMessage: the answer is not the Bot API's JSON",
			methods: []string{"sendMessage"}},
		{name: "a proxy's error page", m: outbound("halo"),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{Code: 502, Raw: "<html><h1>502 Bad Gateway</h1></html>"}}},
			code:     care.EInternal, contains: "(HTTP 502 Bad Gateway)",
			methods: []string{"sendMessage"}},
		{name: "connection lost after the request went out", m: outbound("halo"),
			failures: map[string][]telegramtest.Failure{"sendMessage": {{HangUp: true}}},
			code:     care.EInternal, contains: "Telegram may have sent it",
			methods: []string{"sendMessage"}},
		{name: "callback data too long", m: outbound("Pilih", care.Choice{ID: strings.Repeat("x", 65), Label: "X"}),
			code: care.EInvalid, contains: "64 bytes"},
		{name: "choice without label", m: outbound("Pilih", care.Choice{ID: "x"}),
			code: care.EInvalid},
		{name: "no text", m: outbound(" \n "),
			code: care.EInvalid},
		{name: "not a chat id", m: care.Outbound{ID: "o", Address: care.Address{Channel: care.Telegram, ID: "sim-1"}, Text: "halo"},
			code: care.EInvalid},
		{name: "not telegram", m: care.Outbound{ID: "o", Address: care.Address{Channel: care.WhatsApp, ID: "628123"}, Text: "halo"},
			code: care.EInvalid, contains: "a whatsapp address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.NewServer(t)
			c := newChannel(t, s, Config{}, newInbox())
			for method, fs := range tt.failures {
				for _, f := range fs {
					s.Fail(method, f)
				}
			}
			err := c.Send(t.Context(), tt.m)
			noToken(t, err)
			noPersonal(t, err, tt.m.Text)
			if err != nil && strings.Contains(err.Error(), tt.m.Address.ID) {
				t.Errorf("the address is in the error: %v", err)
			}
			if tt.code == "" && err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := care.ErrorCode(err); got != tt.code {
				t.Errorf("error %v has code %q, want %q", err, got, tt.code)
			}
			got, isRetry := care.RetryAfter(err)
			if got != tt.retry {
				t.Errorf("error %v asks to retry after %v, want %v", err, got, tt.retry)
			}
			var ra *care.RetryAfterError
			if isRetry && errors.As(err, &ra) && !ra.Channel {
				t.Errorf("error %v holds only this message, want the whole channel held (the flood limit is the bot's)", err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not say %q", err, tt.contains)
			}
			if got := s.Methods()[1:]; !slices.Equal(got, tt.methods) {
				t.Errorf("calls %v, want %v", got, tt.methods)
			}
		})
	}
}

func TestSendAShortReplyIsOneCall(t *testing.T) {
	s := telegramtest.NewServer(t)
	lim := &fakeLimiter{}
	c := newChannel(t, s, Config{Limiter: lim, LimitKey: "telegram", Rate: care.Rate{N: 30, Per: time.Second}}, newInbox())
	before := len(s.Methods())
	if err := c.Send(t.Context(), outbound("Terima kasih, pesanan diterima.", care.Choice{ID: "ok", Label: "Oke"})); err != nil {
		t.Fatal(err)
	}
	if got := s.Methods()[before:]; !slices.Equal(got, []string{"sendMessage"}) {
		t.Errorf("calls %v, want exactly one sendMessage", got)
	}
	if got := lim.get(); len(got) != 0 {
		t.Errorf("counted %v against the limit, want nothing: the sender counted the message", got)
	}
}

func TestSendRequests(t *testing.T) {
	s := telegramtest.NewServer(t)
	c := newChannel(t, s, Config{}, newInbox())
	m := outbound("Mau pesan?", care.Choice{ID: "yes", Label: "Ya, pesan"}, care.Choice{ID: "no", Label: "Tidak"})
	if err := c.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	sent := s.Calls("sendMessage")[0].Form
	if sent.Get("chat_id") != "4242" || sent.Get("text") != "Mau pesan?" || sent.Get("parse_mode") != "" {
		t.Errorf("sendMessage %v, want the plain text to chat 4242", sent)
	}
	var markup, want any
	if err := json.Unmarshal([]byte(sent.Get("reply_markup")), &markup); err != nil {
		t.Fatalf("reply_markup %q: %v", sent.Get("reply_markup"), err)
	}
	_ = json.Unmarshal([]byte(`{"inline_keyboard":[
		[{"text":"Ya, pesan","callback_data":"yes"}],
		[{"text":"Tidak","callback_data":"no"}]
	]}`), &want)
	if !reflect.DeepEqual(markup, want) {
		t.Errorf("reply_markup %s, want one button a row with the choice ids as callback data", sent.Get("reply_markup"))
	}
}

func TestSendSplitsLongText(t *testing.T) {
	s := telegramtest.NewServer(t)
	c := newChannel(t, s, Config{}, newInbox())
	text := paragraphs(5000)
	if err := c.Send(t.Context(), outbound(text, care.Choice{ID: "more", Label: "Lagi"})); err != nil {
		t.Fatal(err)
	}
	sent := s.Calls("sendMessage")
	if len(sent) != 2 {
		t.Fatalf("%d messages sent, want 2", len(sent))
	}
	first, second := sent[0].Form, sent[1].Form
	if first.Get("reply_markup") != "" || second.Get("reply_markup") == "" {
		t.Errorf("reply_markup %q then %q, want the keyboard on the last part only", first.Get("reply_markup"), second.Get("reply_markup"))
	}
	if got := first.Get("text") + "\n\n" + second.Get("text"); got != text {
		t.Errorf("the parts do not make up the text at a paragraph break")
	}
	typing := s.Calls("sendChatAction")
	if len(typing) != 1 || typing[0].Form.Get("chat_id") != "4242" || typing[0].Form.Get("action") != "typing" {
		t.Errorf("chat actions %v, want one typing in chat 4242, before the second part", typing)
	}
}

func TestSendWaitsOutAFloodWaitAfterTheFirstPart(t *testing.T) {
	s := telegramtest.NewServer(t)
	c := newChannel(t, s, Config{}, newInbox())
	s.Fail("sendMessage", telegramtest.Failure{Skip: 1, Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1})
	text := paragraphs(5000)
	if err := c.Send(t.Context(), outbound(text)); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, call := range s.Calls("sendMessage") {
		texts = append(texts, call.Form.Get("text"))
	}
	if len(texts) != 3 || texts[0] == texts[1] || texts[1] != texts[2] {
		t.Errorf("sent parts %d times, want part one once and part two twice (refused, then taken)", len(texts))
	}
}

func TestSendTypingFailureCostsNothing(t *testing.T) {
	text := paragraphs(5000)
	tests := []struct {
		name    string
		failure telegramtest.Failure
		says    string // in the logged error
	}{
		{"refused", telegramtest.Failure{Code: 400, Description: "Bad Request: not enough rights"}, "sendChatAction: Bad Request: not enough rights (HTTP 400 Bad Request)"},
		{"refused without a description", telegramtest.Failure{Code: 404}, "sendChatAction: refused without a description (HTTP 404 Not Found)"},
		{"a server without the method", telegramtest.Failure{Code: 404, Raw: "Not Found", Always: true}, "sendChatAction: the answer is not the Bot API's JSON"},
		{"server error", telegramtest.Failure{Code: 500, Description: "Internal Server Error"}, "(HTTP 500 Internal Server Error)"},
		{"flood wait", telegramtest.Failure{Code: 429, Description: "Too Many Requests: retry after 5", RetryAfter: 5}, "(HTTP 429 Too Many Requests)"},
		{"connection lost", telegramtest.Failure{HangUp: true}, "sendChatAction: Post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.NewServer(t)
			var failed cosmeticFailures
			c, logs := newChannelLog(t, s, Config{OnCosmeticFailure: failed.record}, newInbox())
			s.Fail("sendChatAction", tt.failure)
			if err := c.Send(t.Context(), outbound(text)); err != nil {
				t.Fatalf("Send: %v, want the reply sent whatever became of typing", err)
			}
			if got := len(s.Sent(4242)); got != 2 {
				t.Errorf("%d parts arrived, want both", got)
			}
			if got := failed.get(); !slices.Equal(got, []string{"sendChatAction"}) {
				t.Errorf("cosmetic failures %v, want sendChatAction once", got)
			}
			if lines := logs.with("level=DEBUG", "cosmetic call failed", tt.says); len(lines) != 1 {
				t.Errorf("%d debug lines with an error saying %q, want 1", len(lines), tt.says)
			}
			if lines := logs.with("sendChatAction"); len(lines) != len(logs.with("level=DEBUG", "sendChatAction")) {
				t.Errorf("a typing failure logged above debug level: %q", lines)
			}
		})
	}
}

func TestSendCountsEveryExtraCall(t *testing.T) {
	rate := care.Rate{N: 30, Per: time.Second}
	errLimiter := errors.New("redis away")
	tests := []struct {
		name string
		text string
		// answer is the fake limiter's answer to its nth call; nil
		// allows every call. cancel ends Send's context.
		answer    func(n int, cancel func()) (time.Duration, error)
		failures  []telegramtest.Failure // of sendMessage
		counted   int                    // Reserve calls
		methods   []string               // after getMe
		cosmetic  []string               // OnCosmeticFailure calls
		wantError string                 // in Send's error; "" for success
	}{
		{name: "one part", text: "halo", counted: 0, methods: []string{"sendMessage"}},
		{name: "two parts", text: paragraphs(5000), counted: 2,
			methods: []string{"sendMessage", "sendChatAction", "sendMessage"}},
		{name: "three parts", text: paragraphs(9000), counted: 4,
			methods: []string{"sendMessage", "sendChatAction", "sendMessage", "sendChatAction", "sendMessage"}},
		{name: "a part waits for the limit", text: paragraphs(5000), counted: 2,
			answer: func(n int, _ func()) (time.Duration, error) {
				if n == 1 { // the second part's first try
					return time.Millisecond, nil
				}
				return 0, nil
			},
			methods: []string{"sendMessage", "sendChatAction", "sendMessage"}},
		{name: "each try of a part counts", text: paragraphs(5000), counted: 3,
			failures: []telegramtest.Failure{{Skip: 1, Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1}},
			methods:  []string{"sendMessage", "sendChatAction", "sendMessage", "sendMessage"}},
		{name: "typing skipped when the limit asks it to wait long", text: paragraphs(5000), counted: 2,
			answer: func(n int, _ func()) (time.Duration, error) {
				if n == 0 {
					return time.Hour, nil
				}
				return 0, nil
			},
			methods: []string{"sendMessage", "sendMessage"}, cosmetic: []string{"sendChatAction"}},
		{name: "limiter away: typing skipped, the part sent uncounted", text: paragraphs(5000), counted: 2,
			answer:  func(int, func()) (time.Duration, error) { return 0, errLimiter },
			methods: []string{"sendMessage", "sendMessage"}, cosmetic: []string{"sendChatAction"}},
		{name: "context ends while a part waits", text: paragraphs(5000), counted: 2,
			answer: func(n int, cancel func()) (time.Duration, error) {
				if n == 1 {
					cancel()
					return time.Hour, nil
				}
				return 0, nil
			},
			methods: []string{"sendMessage", "sendChatAction"}, wantError: "part 2 of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.NewServer(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			lim := &fakeLimiter{}
			if tt.answer != nil {
				lim.answer = func(n int) (time.Duration, error) { return tt.answer(n, cancel) }
			}
			var failed cosmeticFailures
			c := newChannel(t, s, Config{Limiter: lim, LimitKey: "telegram", Rate: rate, OnCosmeticFailure: failed.record}, newInbox())
			for _, f := range tt.failures {
				s.Fail("sendMessage", f)
			}
			err := c.Send(ctx, outbound(tt.text))
			noPersonal(t, err, tt.text)
			switch {
			case tt.wantError == "" && err != nil:
				t.Fatalf("Send: %v", err)
			case tt.wantError != "" && (err == nil || !strings.Contains(err.Error(), tt.wantError)):
				t.Errorf("Send = %v, want an error saying %q", err, tt.wantError)
			}
			if _, retry := care.RetryAfter(err); retry || care.ErrorCode(err) == care.EUnavailable {
				t.Errorf("Send = %v: the sender would send the first part again", err)
			}
			calls := lim.get()
			if len(calls) != tt.counted {
				t.Errorf("%d calls counted, want %d", len(calls), tt.counted)
			}
			for _, call := range calls {
				if call != (limitCall{"telegram", rate}) {
					t.Errorf("counted %+v, want the configured key and rate", call)
				}
			}
			if got := s.Methods()[1:]; !slices.Equal(got, tt.methods) {
				t.Errorf("calls %v, want %v", got, tt.methods)
			}
			if got := failed.get(); !slices.Equal(got, tt.cosmetic) {
				t.Errorf("cosmetic failures %v, want %v", got, tt.cosmetic)
			}
		})
	}
}

func TestSendToADownServer(t *testing.T) {
	s := telegramtest.NewServer(t)
	c := newChannel(t, s, Config{}, newInbox())
	s.Close()
	c.client.CloseIdleConnections() // so that the next call dials, and is refused

	wrote, err := c.request(t.Context(), "sendMessage", requestTimeout, func(b *tgbotapi.BotAPI) error {
		_, err := b.Send(tgbotapi.NewMessage(4242, "halo"))
		return err
	})
	if err == nil || wrote {
		t.Errorf("sendMessage to a closed port: wrote %v, err %v; want an error before anything was written", wrote, err)
	}
	if got := care.ErrorCode(failure(err, wrote)); got != care.EUnavailable {
		t.Errorf("sendMessage to a closed port is %s, want %s", got, care.EUnavailable)
	}

	err = c.Send(t.Context(), outbound("halo"))
	if care.ErrorCode(err) != care.EUnavailable {
		t.Errorf("Send = %v, want code %s", err, care.EUnavailable)
	}
	if _, ok := care.RetryAfter(err); ok {
		t.Errorf("Send = %v, want no retry-after", err)
	}
	if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("Send = %v, want the URL with the token redacted", err)
	}
	noToken(t, err)
}

func TestSplit(t *testing.T) {
	emoji := strings.Repeat("😀", 3000) // 3000 runes, 6000 UTF-16 units
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"short", "halo kak", 10, []string{"halo kak"}},
		{"exactly the limit", "0123456789", 10, []string{"0123456789"}},
		{"at a space", "satu dua tiga empat", 10, []string{"satu dua", "tiga empat"}},
		{"at a line break over a space", "satu dua\ntiga empat lima", 15, []string{"satu dua", "tiga empat lima"}},
		{"at a paragraph break", "satu dua\n\ntiga\nempat lima", 16, []string{"satu dua", "tiga\nempat lima"}},
		{"not at an early paragraph break", "satu\n\ndua tiga\nempat", 16, []string{"satu\n\ndua tiga", "empat"}},
		{"not at an early break", "a bcdefghijklmnop", 10, []string{"a bcdefghi", "jklmnop"}},
		{"anywhere in a long word", "abcdefghijklmno", 10, []string{"abcdefghij", "klmno"}},
		{"blank", " \n\t ", 10, nil},
		{"UTF-16 units, not runes", emoji, 4096, []string{emoji[:2048*4], emoji[2048*4:]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := split(tt.text, tt.limit)
			if !slices.Equal(got, tt.want) {
				t.Errorf("split(%q, %d) = %q, want %q", short(tt.text), tt.limit, shortAll(got), shortAll(tt.want))
			}
			for _, p := range got {
				if n := len(utf16.Encode([]rune(p))); n > tt.limit {
					t.Errorf("a part is %d UTF-16 units, over %d", n, tt.limit)
				}
			}
		})
	}
}

func short(s string) string {
	if r := []rune(s); len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return s
}

func shortAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, short(s))
	}
	return out
}
