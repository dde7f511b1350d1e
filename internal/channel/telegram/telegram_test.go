package telegram

import (
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/channel/telegram/telegramtest"
)

func TestNew(t *testing.T) {
	s := telegramtest.NewServer(t)
	down := telegramtest.NewServer(t)
	down.Close()
	notBotAPI := telegramtest.NewServer(t)
	notBotAPI.Fail("getMe", telegramtest.Failure{Code: 404, Raw: "404 page not found", Always: true})
	tests := []struct {
		name string
		cfg  Config
		want string // in the error; "" for success
	}{
		{"polling", Config{Token: telegramtest.Token, APIURL: s.URL()}, ""},
		{"defaults to polling, base URL with a slash", Config{Token: telegramtest.Token, APIURL: s.URL() + "/"}, ""},
		{"webhook", Config{Token: telegramtest.Token, APIURL: s.URL(), Mode: "webhook", WebhookURL: hookURL, WebhookSecret: hookSecret}, ""},
		{"token the server refuses", Config{Token: "999:WRONG-token", APIURL: s.URL()}, "refused the token, copy it again from @BotFather: getMe: Unauthorized (HTTP 401 Unauthorized)"},
		{"not a token", Config{Token: "999:WRONG token/x", APIURL: s.URL()}, "does not look like one from @BotFather"},
		{"no token", Config{APIURL: s.URL()}, "does not look like one from @BotFather"},
		{"not a Bot API server", Config{Token: telegramtest.Token, APIURL: notBotAPI.URL()}, "getMe: the answer is not the Bot API's JSON"},
		{"server down", Config{Token: telegramtest.Token, APIURL: down.URL()}, "the Bot API at " + down.URL() + ": getMe: "},
		{"API URL without a scheme", Config{Token: telegramtest.Token, APIURL: "api.telegram.org"}, "want a base URL"},
		{"rate limiter without a key", Config{Token: telegramtest.Token, APIURL: s.URL(), Limiter: &fakeLimiter{}}, "LimitKey"},
		{"unknown mode", Config{Token: telegramtest.Token, APIURL: s.URL(), Mode: "push"}, `mode "push"`},
		{"webhook over http", Config{Token: telegramtest.Token, APIURL: s.URL(), Mode: "webhook", WebhookURL: "http://toko.example/hook", WebhookSecret: hookSecret}, "https"},
		{"webhook without a path", Config{Token: telegramtest.Token, APIURL: s.URL(), Mode: "webhook", WebhookURL: "https://toko.example/", WebhookSecret: hookSecret}, "give it a path"},
		{"webhook without a secret", Config{Token: telegramtest.Token, APIURL: s.URL(), Mode: "webhook", WebhookURL: hookURL}, "needs a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(t.Context(), tt.cfg, newInbox(), testLog(t))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c.bot.Self.UserName != telegramtest.BotUsername {
					t.Errorf("bot is %q, want the one getMe named", c.bot.Self.UserName)
				}
				if c.cfg.HandleTimeout != 10*time.Second {
					t.Errorf("HandleTimeout %v, want the default 10s", c.cfg.HandleTimeout)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error saying %q", err, tt.want)
			}
			if tt.cfg.Token != "" && strings.Contains(err.Error(), tt.cfg.Token) {
				t.Errorf("the token is in the error: %v", err)
			}
			noToken(t, err)
		})
	}
}
