package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/telegram/telegramtest"
)

const (
	hookURL    = "https://toko.example/telegram/hook"
	hookSecret = "s3cret-Token_1"
)

// errHang makes an inbox handler block until its context ends, as the
// runtime does while Redis does not answer.
var errHang = errors.New("hang until the context ends")

func TestWebhookIsRegisteredWithTheSecret(t *testing.T) {
	s := telegramtest.NewServer(t)
	c := newChannel(t, s, Config{Mode: "webhook", WebhookURL: hookURL, WebhookSecret: hookSecret}, newInbox())
	if got := c.WebhookPath(); got != "/telegram/hook" {
		t.Errorf("WebhookPath() = %q, want /telegram/hook", got)
	}
	s.Fail("setWebhook", telegramtest.Failure{Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1})
	run(t, c)
	eventually(t, "setWebhook to succeed", func() bool { return len(s.Calls("setWebhook")) == 2 })
	want := telegramtest.Webhook{URL: hookURL, SecretToken: hookSecret, AllowedUpdates: []string{"message", "callback_query"}}
	if got := s.Webhook(); !reflect.DeepEqual(got, want) {
		t.Errorf("webhook set to %+v, want the URL, the secret and the update types: %+v", got, want)
	}
	for _, m := range s.Methods() {
		if m == "getUpdates" || m == "deleteWebhook" {
			t.Errorf("webhook mode called %s", m)
		}
	}
}

func TestWebhookRefusesAURLTelegramRefuses(t *testing.T) {
	s := telegramtest.NewServer(t)
	c := newChannel(t, s, Config{Mode: "webhook", WebhookURL: hookURL, WebhookSecret: hookSecret}, newInbox())
	s.Fail("setWebhook", telegramtest.Failure{Code: 400, Description: "Bad Request: bad webhook: Failed to resolve host: Name or service not known"})
	err := c.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "bad webhook") {
		t.Errorf("Run = %v, want Telegram's refusal", err)
	}
}

func TestWebhookServesUpdates(t *testing.T) {
	update := func(u telegramtest.Update) string {
		u["update_id"] = 9001
		b, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	invalid := care.Errorf(care.EInvalid, "cannot be processed")
	duplicate := fmt.Errorf("commit: %w", care.ErrDuplicate)
	tests := []struct {
		name     string
		method   string
		secret   string // the header; "-" for none
		body     string
		fail     error // what the handler returns; errHang: it blocks until its context ends
		want     int
		attempts int    // handler calls for the message
		stored   string // the key of the message stored, if any
		answer   bool   // whether a callback query is answered
	}{
		{"text", "POST", hookSecret, update(telegramtest.TextUpdate(4242, 1, "halo")), nil, 200, 1, "telegram:4242/1", false},
		{"button tap", "POST", hookSecret, update(telegramtest.CallbackUpdate(4242, "77", "yes")), nil, 200, 1, "telegram:4242/q77", true},
		{"wrong secret", "POST", hookSecret + "x", update(telegramtest.TextUpdate(4242, 2, "halo")), nil, 401, 0, "", false},
		{"no secret", "POST", "-", update(telegramtest.TextUpdate(4242, 3, "halo")), nil, 401, 0, "", false},
		{"not a POST", "GET", hookSecret, "", nil, 405, 0, "", false},
		{"store away", "POST", hookSecret, update(telegramtest.TextUpdate(4242, 4, "halo")), errStoreDown, 503, 1, "", false},
		{"button tap while the store is away", "POST", hookSecret, update(telegramtest.CallbackUpdate(4242, "78", "yes")), errStoreDown, 503, 1, "", false},
		{"store hangs", "POST", hookSecret, update(telegramtest.TextUpdate(4242, 4, "halo")), errHang, 503, 1, "", false},
		{"button tap while the store hangs", "POST", hookSecret, update(telegramtest.CallbackUpdate(4242, "78", "yes")), errHang, 503, 1, "", false},
		{"cannot be processed", "POST", hookSecret, update(telegramtest.TextUpdate(4242, 5, "halo")), invalid, 200, 1, "", false},
		{"a duplicate", "POST", hookSecret, update(telegramtest.TextUpdate(4242, 5, "halo")), duplicate, 200, 1, "", false},
		{"a duplicate tap", "POST", hookSecret, update(telegramtest.CallbackUpdate(4242, "78", "yes")), duplicate, 200, 1, "", true},
		{"malformed", "POST", hookSecret, `{"update_id": 9001, "message": `, nil, 200, 0, "", false},
		{"group", "POST", hookSecret, update(telegramtest.MessageUpdate(-4001, "group", 6, map[string]any{"text": "halo"})), nil, 200, 0, "", false},
		{"too large", "POST", hookSecret, `{"update_id":1,"message":{"text":"` + strings.Repeat("a", maxUpdateSize) + `"}}`, nil, 413, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.NewServer(t)
			in := newInbox()
			in.fail = func(ctx context.Context, _ care.Inbound, _ int) error {
				if tt.fail == errHang {
					<-ctx.Done()
					return ctx.Err()
				}
				return tt.fail
			}
			c := newChannel(t, s, Config{Mode: "webhook", WebhookURL: hookURL, WebhookSecret: hookSecret, HandleTimeout: 20 * time.Millisecond}, in)
			req := httptest.NewRequest(tt.method, "/telegram/hook", strings.NewReader(tt.body))
			if tt.secret != "-" {
				req.Header.Set(secretHeader, tt.secret)
			}
			w := httptest.NewRecorder()
			c.ServeHTTP(w, req)

			if w.Code != tt.want {
				t.Errorf("status %d, want %d", w.Code, tt.want)
			}
			attempts := 0
			for _, k := range []string{"telegram:4242/1", "telegram:4242/q77", "telegram:4242/2", "telegram:4242/3", "telegram:4242/4", "telegram:4242/q78", "telegram:4242/5", "telegram:-4001/6"} {
				attempts += in.attemptsOf(k)
			}
			if attempts != tt.attempts {
				t.Errorf("handler called %d times, want %d", attempts, tt.attempts)
			}
			var stored []string
			for _, m := range in.messages() {
				stored = append(stored, key(m))
			}
			if want := slices.DeleteFunc([]string{tt.stored}, func(s string) bool { return s == "" }); !slices.Equal(stored, want) {
				t.Errorf("stored %v before the answer, want %v", stored, want)
			}
			if got := len(s.Calls("answerCallbackQuery")) > 0; got != tt.answer {
				t.Errorf("callback query answered before the answer: %v, want %v", got, tt.answer)
			}
		})
	}
}

func TestWebhookHandlerServesOnAMux(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	c := newChannel(t, s, Config{Mode: "webhook", WebhookURL: hookURL, WebhookSecret: hookSecret}, in)
	mux := http.NewServeMux()
	mux.Handle("POST "+c.WebhookPath(), c)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+c.WebhookPath(), strings.NewReader(fmt.Sprintf(`{"update_id":5,"message":{"message_id":1,"date":1700000001,"chat":{"id":4242,"type":"private"},"from":{"id":4242,"first_name":"Siti"},"text":%q}}`, "halo")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(secretHeader, hookSecret)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if got := in.messages(); len(got) != 1 || got[0].Text != "halo" || got[0].Name != "Siti" {
		t.Errorf("stored %+v, want Siti's halo", got)
	}
}

func TestWebhookAnswers503WhileTheStoreHangs(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	in.fail = func(ctx context.Context, _ care.Inbound, attempt int) error {
		if attempt == 1 {
			<-ctx.Done() // Redis does not answer
			return ctx.Err()
		}
		return nil
	}
	c, logs := newChannelLog(t, s, Config{Mode: "webhook", WebhookURL: hookURL, WebhookSecret: hookSecret, HandleTimeout: 50 * time.Millisecond}, in)
	mux := http.NewServeMux()
	mux.Handle("POST "+c.WebhookPath(), c)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func() int {
		t.Helper()
		body := `{"update_id":5,"message":{"message_id":1,"date":1700000001,"chat":{"id":4242,"type":"private"},"from":{"id":4242,"first_name":"Siti"},"text":"halo"}}`
		req, err := http.NewRequest(http.MethodPost, srv.URL+c.WebhookPath(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(secretHeader, hookSecret)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(); got != http.StatusServiceUnavailable {
		t.Errorf("while the store hangs: status %d, want 503 so that Telegram delivers the update again", got)
	}
	if len(logs.with("level=WARN", "update not stored", "not stored within 50ms")) != 1 {
		t.Error("no warning that says the update was not stored in time")
	}
	if got := post(); got != http.StatusOK {
		t.Errorf("Telegram's next try: status %d, want 200", got)
	}
	if got := in.messages(); len(got) != 1 {
		t.Errorf("stored %d messages, want the update once", len(got))
	}
}

func TestWebhookTapAnswerFailureCostsNothing(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	var failed cosmeticFailures
	c := newChannel(t, s, Config{Mode: "webhook", WebhookURL: hookURL, WebhookSecret: hookSecret, OnCosmeticFailure: failed.record}, in)
	s.Fail("answerCallbackQuery", telegramtest.Failure{Code: 404, Raw: "Not Found", Always: true})
	u := telegramtest.CallbackUpdate(4242, "77", "yes")
	u["update_id"] = 9001
	body, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/telegram/hook", strings.NewReader(string(body)))
	req.Header.Set(secretHeader, hookSecret)
	w := httptest.NewRecorder()
	c.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Errorf("status %d, want 200: the tap is stored", w.Code)
	}
	if !in.isStored("telegram:4242/q77") {
		t.Error("the tap was not stored")
	}
	if got := failed.get(); !slices.Equal(got, []string{"answerCallbackQuery"}) {
		t.Errorf("cosmetic failures %v, want answerCallbackQuery", got)
	}
}
