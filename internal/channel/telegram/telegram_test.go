package telegram

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	s := newBotAPI(t)
	down := newBotAPI(t)
	down.srv.Close()
	tests := []struct {
		name string
		cfg  Config
		want string // in the error; "" for success
	}{
		{"polling", Config{Token: testToken, APIURL: s.srv.URL}, ""},
		{"defaults to polling, base URL with a slash", Config{Token: testToken, APIURL: s.srv.URL + "/"}, ""},
		{"webhook", Config{Token: testToken, APIURL: s.srv.URL, Mode: "webhook", WebhookURL: hookURL, WebhookSecret: hookSecret}, ""},
		{"token the server refuses", Config{Token: "999:WRONG-token", APIURL: s.srv.URL}, "refused the token (Unauthorized)"},
		{"not a token", Config{Token: "999:WRONG token/x", APIURL: s.srv.URL}, "does not look like one from @BotFather"},
		{"no token", Config{APIURL: s.srv.URL}, "does not look like one from @BotFather"},
		{"server down", Config{Token: testToken, APIURL: down.srv.URL}, "getMe at " + down.srv.URL},
		{"API URL without a scheme", Config{Token: testToken, APIURL: "api.telegram.org"}, "want a base URL"},
		{"unknown mode", Config{Token: testToken, APIURL: s.srv.URL, Mode: "push"}, `mode "push"`},
		{"webhook over http", Config{Token: testToken, APIURL: s.srv.URL, Mode: "webhook", WebhookURL: "http://toko.example/hook", WebhookSecret: hookSecret}, "https"},
		{"webhook without a path", Config{Token: testToken, APIURL: s.srv.URL, Mode: "webhook", WebhookURL: "https://toko.example/", WebhookSecret: hookSecret}, "give it a path"},
		{"webhook without a secret", Config{Token: testToken, APIURL: s.srv.URL, Mode: "webhook", WebhookURL: hookURL}, "needs a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(t.Context(), tt.cfg, newInbox(), testLog(t))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c.bot.Self.UserName != "toko_sari_bot" {
					t.Errorf("bot is %q, want the one getMe named", c.bot.Self.UserName)
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
