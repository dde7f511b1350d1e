package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/telegram/telegramtest"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// The shipped flows' texts the Telegram tests expect.
const (
	menuText    = "Ada yang bisa kami bantu, Kak? Pilih salah satu, atau ketik nomornya:"
	notTextText = "Maaf, Kak, saya hanya bisa membaca pesan teks. 🙏"
)

// menuButtons are the menu's choices as inline buttons, one a row.
var menuButtons = [][]telegramtest.Button{
	{{Text: "Produk & harga", CallbackData: "catalogue"}},
	{{Text: "Jam buka", CallbackData: "hours"}},
	{{Text: "Cara pesan", CallbackData: "order"}},
	{{Text: "Bicara dengan staf", CallbackData: "person"}},
	{{Text: "Ganti bahasa (language)", CallbackData: "language"}},
	{{Text: "Info promo", CallbackData: "promo"}},
	{{Text: "Sudah, terima kasih", CallbackData: "nothing"}},
}

// startTelegram runs the whole program, WhatsApp off, with Telegram on
// an emulated Bot API server; tg adjusts the Telegram settings.
func startTelegram(t *testing.T, tg func(*config.Telegram)) (*App, *telegramtest.Server, *redisstore.Store) {
	t.Helper()
	// Made first, so that it is closed after the app has stopped.
	bot := telegramtest.NewServer(t)
	a := start(t, func(c *config.Config) {
		c.WhatsApp.Mode = "off"
		c.Telegram.Token = telegramtest.Token
		c.Telegram.APIURL = bot.URL()
		if tg != nil {
			tg(&c.Telegram)
		}
	})
	// mitra's own view of its records: a store on the same Redis and
	// prefix, as `mitra contacts consent` opens it.
	client, err := redisstore.Open(a.cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return a, bot, redisstore.New(client, a.cfg.RedisPrefix)
}

// chat follows what the bot sends to one Telegram chat.
type chat struct {
	t    *testing.T
	bot  *telegramtest.Server
	id   int64
	seen int // messages already returned by next
}

// next waits, generously, for n more messages to the chat and returns
// them.
func (c *chat) next(n int) []telegramtest.SentMessage {
	c.t.Helper()
	var sent []telegramtest.SentMessage
	eventually(c.t, fmt.Sprintf("%d more messages to chat %d", n, c.id), func() bool {
		sent = c.bot.Sent(c.id)
		return len(sent) >= c.seen+n
	})
	got := sent[c.seen : c.seen+n]
	c.seen += n
	return got
}

// eventually polls cond until it holds, failing the test after a
// generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// want checks one message the bot sent: its text holds text, and it
// carries exactly buttons.
func want(t *testing.T, m telegramtest.SentMessage, text string, buttons [][]telegramtest.Button) {
	t.Helper()
	if !strings.Contains(m.Text, text) {
		t.Errorf("sent %q, want it to say %q", m.Text, text)
	}
	if !slices.EqualFunc(m.Buttons, buttons, slices.Equal) {
		t.Errorf("sent %q with buttons %v, want %v", m.Text, m.Buttons, buttons)
	}
}

// notStored checks that the runtime never saw the chat: no profile, so
// no conversation and nothing queued for it, now or later.
func notStored(t *testing.T, store *redisstore.Store, chat int64) {
	t.Helper()
	a := care.Address{Channel: care.Telegram, ID: fmt.Sprint(chat)}
	if id, ok, err := store.Lookup(t.Context(), a); err != nil || ok {
		t.Errorf("chat %d is contact %s (%v); want none", chat, id, err)
	}
}

func TestTelegramPollingEndToEnd(t *testing.T) {
	_, bot, store := startTelegram(t, nil) // polling is the default
	siti := &chat{t: t, bot: bot, id: 4242}

	bot.Push(telegramtest.TextUpdate(4242, 1, "halo"))
	got := siti.next(2)
	want(t, got[0], "Halo Siti Rahma! 👋 Selamat datang di Warung Bu Sari.", nil)
	want(t, got[1], menuText, menuButtons)
	if calls := bot.Calls("deleteWebhook"); len(calls) == 0 || bot.Webhook().URL != "" {
		t.Errorf("polling began with %d deleteWebhook calls and webhook %+v, want it removed", len(calls), bot.Webhook())
	}

	// The customer taps "Jam buka" under the menu.
	bot.Push(telegramtest.CallbackUpdate(4242, "5843920187", got[1].Buttons[1][0].CallbackData))
	got = siti.next(2)
	want(t, got[0], "Kami buka setiap hari pukul 07.00–21.00 WIB.\nAlamat: Jl. Kenanga No. 12", nil)
	want(t, got[1], menuText, menuButtons)
	eventually(t, "the tap to be answered", func() bool { return len(bot.Calls("answerCallbackQuery")) > 0 })
	if answers := bot.Calls("answerCallbackQuery"); len(answers) != 1 || answers[0].Form.Get("callback_query_id") != "5843920187" {
		t.Errorf("answerCallbackQuery calls %v, want one for the tap", answers)
	}

	bot.Push(telegramtest.TextUpdate(4242, 3, "STOP"))
	got = siti.next(1)
	want(t, got[0], "Baik, Kak, Warung Bu Sari tidak akan mengirim promo lagi, di chat mana pun dengan kami.", nil)
	id, _, err := store.Lookup(t.Context(), care.Address{Channel: care.Telegram, ID: "4242"})
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := store.Ledger(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	withdrawn := slices.ContainsFunc(ledger, func(e care.ConsentEvent) bool {
		return e.Purpose == care.Promotions && !e.Granted && e.Source == care.SourceKeyword &&
			e.Channel == care.Telegram && e.MessageID == "3" && e.Text == "STOP"
	})
	if !withdrawn {
		t.Errorf("ledger of %s: %+v, want promotions withdrawn by the keyword in message 3", id, ledger)
	}

	bot.Push(telegramtest.StickerUpdate(4242, 4))
	got = siti.next(2)
	want(t, got[0], notTextText, nil)
	want(t, got[1], menuText, menuButtons)

	// The opt-in link t.me/toko_sari_bot?start=promo.
	bot.Push(telegramtest.TextUpdate(4242, 5, "/start promo"))
	got = siti.next(1)
	want(t, got[0], "Kakak mau menerima info promo dari Warung Bu Sari lewat chat ini?", [][]telegramtest.Button{
		{{Text: "YA, mau", CallbackData: "yes"}},
		{{Text: "TIDAK", CallbackData: "no"}},
	})

	// A group message is confirmed to Telegram and never reaches the
	// runtime, so nothing is or will be sent there.
	group := bot.Push(telegramtest.MessageUpdate(-4001, "group", 6, map[string]any{"text": "halo"}))
	eventually(t, "the group message to be confirmed", func() bool { return slices.Contains(bot.Confirmed(), group) })
	notStored(t, store, -4001)
	if sent := bot.Sent(-4001); len(sent) != 0 {
		t.Errorf("sent %v to the group, want nothing", sent)
	}

	if sent := bot.Sent(4242); len(sent) != siti.seen {
		t.Errorf("sent %d messages to Siti, want %d: %v", len(sent), siti.seen, sent[siti.seen:])
	}
	// Short replies go at once: "typing…" would only add a round trip.
	if calls := bot.Calls("sendChatAction"); len(calls) != 0 {
		t.Errorf("%d typing actions for short replies, want none", len(calls))
	}
}

func TestTelegramWebhookEndToEnd(t *testing.T) {
	const (
		hookURL = "https://shop.example/tg/hook"
		secret  = "shop-Secret_123"
	)
	a, bot, store := startTelegram(t, func(c *config.Telegram) {
		c.Mode = config.TelegramWebhook
		c.WebhookURL = hookURL
		c.WebhookSecret = secret
	})
	eventually(t, "the webhook to be set", func() bool { return bot.Webhook().URL != "" })
	hook := bot.Webhook()
	if hook.URL != hookURL || hook.SecretToken != secret || !slices.Equal(hook.AllowedUpdates, []string{"message", "callback_query"}) {
		t.Errorf("webhook set to %+v, want %s with the secret, for messages and button taps", hook, hookURL)
	}

	tests := []struct {
		name   string
		secret string // the header; empty for none
		chat   int64
		status int
		sent   int // messages the bot sends in reply
	}{
		{"wrong secret", secret + "x", 5151, http.StatusUnauthorized, 0},
		{"no secret", "", 5252, http.StatusUnauthorized, 0},
		{"the secret", secret, 4242, http.StatusOK, 2},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := telegramtest.TextUpdate(tt.chat, 1, "halo")
			u["update_id"] = 9000 + i
			body, err := json.Marshal(u)
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, a.URL()+"/tg/hook", strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tt.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("POST /tg/hook: %s, want %d", resp.Status, tt.status)
			}
			if tt.sent == 0 {
				// Refused before it reached the runtime: nothing is
				// stored, so nothing can be sent later either.
				notStored(t, store, tt.chat)
				if sent := bot.Sent(tt.chat); len(sent) != 0 {
					t.Errorf("sent %v, want nothing", sent)
				}
				return
			}
			got := (&chat{t: t, bot: bot, id: tt.chat}).next(tt.sent)
			want(t, got[0], "Halo Siti Rahma! 👋 Selamat datang di Warung Bu Sari.", nil)
			want(t, got[1], menuText, menuButtons)
		})
	}
	for _, m := range bot.Methods() {
		if m == "getUpdates" || m == "deleteWebhook" {
			t.Errorf("webhook mode called %s", m)
		}
	}
}

// TestTwoProcessesOneRedis runs two Mitra processes on one Redis, only
// the first with Telegram, the second serving the simulator: every
// Telegram reply arrives exactly once, and the simulator answers too.
// Before lanes, the second process took Telegram's messages off the one
// shared queue and refused them.
func TestTwoProcessesOneRedis(t *testing.T) {
	bot := telegramtest.NewServer(t)
	a := start(t, func(c *config.Config) {
		c.WhatsApp.Mode = "off"
		c.Simulator = false
		c.Telegram.Token = telegramtest.Token
		c.Telegram.APIURL = bot.URL()
	})
	b := start(t, func(c *config.Config) {
		c.RedisURL = a.cfg.RedisURL
		c.WhatsApp.Mode = "off"
	})
	const chats = 12
	for i := range chats {
		bot.Push(telegramtest.TextUpdate(int64(7000+i), 2*i+1, "halo"))
		bot.Push(telegramtest.TextUpdate(int64(7000+i), 2*i+2, "jam buka"))
	}
	if resp := post(t, b.URL()+"/api/sim/messages", `{"user":"u1","text":"halo"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("simulator on the second process: %s", resp.Status)
	}
	if r := waitMessages(t, b.URL(), "u1", 0); len(r.Messages) == 0 {
		t.Fatal("the second process's simulator got no answer")
	}
	for i := range chats {
		c := &chat{t: t, bot: bot, id: int64(7000 + i)}
		c.next(4) // greeting and menu, then the hours and the menu
	}
	time.Sleep(200 * time.Millisecond) // room for a duplicate to show
	for i := range chats {
		if sent := bot.Sent(int64(7000 + i)); len(sent) != 4 {
			t.Errorf("chat %d got %d messages, want each of the 4 replies once", 7000+i, len(sent))
		}
	}
}
