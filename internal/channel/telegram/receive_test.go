package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/telegram/telegramtest"
)

func TestPollingTranslatesUpdates(t *testing.T) {
	chat := care.Address{Channel: care.Telegram, ID: "4242"}
	at := func(id int) time.Time { return time.Unix(int64(1700000000+id), 0).UTC() }
	file := map[string]any{"file_id": "AgAD", "file_unique_id": "AQAD"}
	small := map[string]any{"file_id": "AgAS", "file_unique_id": "AQAS"} // a photo's smaller size, listed first
	tests := []struct {
		name   string
		update telegramtest.Update
		want   *care.Inbound // nil: acknowledged and ignored
		answer string        // the callback query to answer
	}{
		{"text", telegramtest.TextUpdate(4242, 1, "halo kak, ada baju merah?"),
			&care.Inbound{Kind: care.KindText, MessageID: "1", Text: "halo kak, ada baju merah?"}, ""},
		{"deep link", telegramtest.TextUpdate(4242, 2, "/start promo"),
			&care.Inbound{Kind: care.KindText, MessageID: "2", Text: "/start promo", Start: "promo"}, ""},
		{"plain start", telegramtest.TextUpdate(4242, 3, "/start"),
			&care.Inbound{Kind: care.KindText, MessageID: "3", Text: "/start", Start: care.StartGreeting}, ""},
		{"start addressed to the bot", telegramtest.TextUpdate(4242, 4, "/start@toko_sari_bot promo"),
			&care.Inbound{Kind: care.KindText, MessageID: "4", Text: "/start promo", Start: "promo"}, ""},
		{"help command", telegramtest.TextUpdate(4242, 5, "/help@toko_sari_bot"),
			&care.Inbound{Kind: care.KindText, MessageID: "5", Text: "help"}, ""},
		{"stop command", telegramtest.TextUpdate(4242, 6, "/stop"),
			&care.Inbound{Kind: care.KindText, MessageID: "6", Text: "stop"}, ""},
		{"menu command in capitals", telegramtest.TextUpdate(4242, 7, "/Menu"),
			&care.Inbound{Kind: care.KindText, MessageID: "7", Text: "menu"}, ""},
		{"slash that is no command", telegramtest.TextUpdate(4242, 8, "/ harga berapa?"),
			&care.Inbound{Kind: care.KindText, MessageID: "8", Text: "/ harga berapa?"}, ""},
		{"sticker", telegramtest.StickerUpdate(4242, 9),
			&care.Inbound{Kind: care.KindSticker, MessageID: "9"}, ""},
		{"photo with caption", telegramtest.MessageUpdate(4242, "private", 10, map[string]any{"photo": []any{small, file}, "caption": "yang ini ada?"}),
			&care.Inbound{Kind: care.KindImage, MessageID: "10", Media: "AgAD"}, ""},
		{"voice", telegramtest.MessageUpdate(4242, "private", 11, map[string]any{"voice": map[string]any{"file_id": "AwAD", "file_unique_id": "AQAD", "duration": 3}}),
			&care.Inbound{Kind: care.KindVoice, MessageID: "11"}, ""},
		{"audio", telegramtest.MessageUpdate(4242, "private", 12, map[string]any{"audio": map[string]any{"file_id": "CQAD", "file_unique_id": "AQAD", "duration": 180}}),
			&care.Inbound{Kind: care.KindAudio, MessageID: "12"}, ""},
		{"video", telegramtest.MessageUpdate(4242, "private", 13, map[string]any{"video": map[string]any{"file_id": "BAAD", "file_unique_id": "AQAD", "width": 640, "height": 480, "duration": 9}}),
			&care.Inbound{Kind: care.KindVideo, MessageID: "13"}, ""},
		{"animation, which carries a document too", telegramtest.MessageUpdate(4242, "private", 14, map[string]any{"animation": map[string]any{"file_id": "CgAD", "file_unique_id": "AQAD", "width": 320, "height": 240, "duration": 2}, "document": file}),
			&care.Inbound{Kind: care.KindVideo, MessageID: "14"}, ""},
		{"document", telegramtest.MessageUpdate(4242, "private", 15, map[string]any{"document": file}),
			&care.Inbound{Kind: care.KindDocument, MessageID: "15", Media: "AgAD"}, ""},
		{"location", telegramtest.MessageUpdate(4242, "private", 16, map[string]any{"location": map[string]any{"latitude": -6.2, "longitude": 106.8}}),
			&care.Inbound{Kind: care.KindLocation, MessageID: "16"}, ""},
		{"contact", telegramtest.MessageUpdate(4242, "private", 17, map[string]any{"contact": map[string]any{"phone_number": "+628123456789", "first_name": "Budi"}}),
			&care.Inbound{Kind: care.KindContact, MessageID: "17"}, ""},
		{"dice", telegramtest.MessageUpdate(4242, "private", 18, map[string]any{"dice": map[string]any{"emoji": "🎲", "value": 4}}),
			&care.Inbound{Kind: care.KindOther, MessageID: "18"}, ""},
		{"button tap", telegramtest.CallbackUpdate(4242, "5843920187", "yes"),
			&care.Inbound{Kind: care.KindChoice, MessageID: "q5843920187", Choice: "yes"}, "5843920187"},
		{"group message", telegramtest.MessageUpdate(-4001, "group", 20, map[string]any{"text": "halo semua"}), nil, ""},
		{"supergroup command", telegramtest.MessageUpdate(-1004001, "supergroup", 21, map[string]any{"text": "/start promo"}), nil, ""},
		{"channel post", map[string]any{"channel_post": map[string]any{"message_id": 22, "date": 1700000022, "chat": map[string]any{"id": -1005001, "type": "channel"}, "text": "diskon"}}, nil, ""},
		{"edited message", map[string]any{"edited_message": map[string]any{"message_id": 1, "date": 1700000001, "edit_date": 1700000100, "from": telegramtest.Customer(), "chat": map[string]any{"id": 4242, "type": "private"}, "text": "halo kak!"}}, nil, ""},
		{"service message", telegramtest.MessageUpdate(4242, "private", 24, map[string]any{"pinned_message": map[string]any{"message_id": 1, "date": 1700000001, "chat": map[string]any{"id": 4242, "type": "private"}, "text": "halo"}}), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.NewServer(t)
			in := newInbox()
			c := newChannel(t, s, Config{}, in)
			id := s.Push(tt.update)
			run(t, c)
			eventually(t, "the update to be confirmed", func() bool { return slices.Contains(s.Confirmed(), id) })

			got := in.messages()
			if tt.want == nil {
				if len(got) != 0 {
					t.Fatalf("handled %+v, want the update ignored", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("handled %d messages, want 1", len(got))
			}
			want := *tt.want
			want.Address, want.Name = chat, "Siti Rahma"
			if want.Kind == care.KindChoice {
				if got[0].At.IsZero() {
					t.Error("a button tap has no time")
				}
				want.At = got[0].At
			} else {
				want.At = at(mustAtoi(t, want.MessageID))
			}
			if got[0] != want {
				t.Errorf("handled\n %+v\nwant\n %+v", got[0], want)
			}
			if err := got[0].Validate(); err != nil {
				t.Errorf("the runtime would refuse it: %v", err)
			}
			answers := s.Calls("answerCallbackQuery")
			if tt.answer == "" && len(answers) > 0 {
				t.Errorf("answered callback queries %v, want none", answers)
			}
			if tt.answer != "" {
				eventually(t, "the callback query to be answered", func() bool { return len(s.Calls("answerCallbackQuery")) > 0 })
				if got := s.Calls("answerCallbackQuery")[0].Form.Get("callback_query_id"); got != tt.answer {
					t.Errorf("answered callback query %q, want %q", got, tt.answer)
				}
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPollingStartsByDeletingTheWebhook(t *testing.T) {
	s := telegramtest.NewServer(t)
	c := newChannel(t, s, Config{Mode: "polling"}, newInbox())
	run(t, c)
	eventually(t, "a getUpdates call", func() bool { return len(s.Calls("getUpdates")) > 0 })
	if got := s.Methods()[:3]; !slices.Equal(got, []string{"getMe", "deleteWebhook", "getUpdates"}) {
		t.Errorf("calls began %v, want getMe, deleteWebhook, getUpdates", got)
	}
	if got := s.Calls("getUpdates")[0].Form; got.Get("timeout") != "30" || got.Get("allowed_updates") != `["message","callback_query"]` {
		t.Errorf("getUpdates with %v, want a 30s long poll for messages and button taps", got)
	}
	if c.WebhookPath() != "" {
		t.Errorf("WebhookPath() = %q in polling mode, want empty", c.WebhookPath())
	}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/telegram/hook", strings.NewReader(`{"update_id":1}`)))
	if w.Code != http.StatusNotFound {
		t.Errorf("webhook call in polling mode: status %d, want 404", w.Code)
	}
}

// confirmChecker records every update Telegram was told is done before
// the handler had stored it.
type confirmChecker struct {
	mu         sync.Mutex
	keys       map[int]string // update id -> inbox key; empty for updates never stored
	violations []string
}

func (cc *confirmChecker) watch(s *telegramtest.Server, in *inbox) {
	s.OnConfirm(func(id int) {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		if k := cc.keys[id]; k != "" && !in.isStored(k) {
			cc.violations = append(cc.violations, fmt.Sprintf("update %d (%s) confirmed before it was stored", id, k))
		}
	})
}

func (cc *confirmChecker) push(s *telegramtest.Server, update telegramtest.Update, stored string) int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	id := s.Push(update)
	cc.keys[id] = stored
	return id
}

func (cc *confirmChecker) check(t *testing.T) {
	t.Helper()
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, v := range cc.violations {
		t.Error(v)
	}
}

func TestPollingRetriesUntilStored(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	const failures = 3
	in.fail = func(_ context.Context, _ care.Inbound, attempt int) error {
		if attempt <= failures {
			return errStoreDown
		}
		return nil
	}
	cc := &confirmChecker{keys: map[int]string{}}
	cc.watch(s, in)
	var ids []int
	for i := 1; i <= 3; i++ {
		ids = append(ids, cc.push(s, telegramtest.TextUpdate(101, i, fmt.Sprint("a", i)), fmt.Sprintf("telegram:101/%d", i)))
		ids = append(ids, cc.push(s, telegramtest.TextUpdate(202, i, fmt.Sprint("b", i)), fmt.Sprintf("telegram:202/%d", i)))
	}
	run(t, newChannel(t, s, Config{}, in))
	eventually(t, "every update to be confirmed", func() bool { return len(s.Confirmed()) == len(ids) })

	cc.check(t)
	if got := s.Confirmed(); !slices.Equal(got, ids) {
		t.Errorf("confirmed %v, want %v", got, ids)
	}
	perChat := map[string][]string{}
	for _, m := range in.messages() {
		perChat[m.Address.ID] = append(perChat[m.Address.ID], m.Text)
		if n := in.attemptsOf(key(m)); n != failures+1 {
			t.Errorf("%s handled %d times, want %d (until stored, then never again)", m.Text, n, failures+1)
		}
	}
	if want := []string{"a1", "a2", "a3"}; !slices.Equal(perChat["101"], want) {
		t.Errorf("chat 101 stored %v, want %v in order", perChat["101"], want)
	}
	if want := []string{"b1", "b2", "b3"}; !slices.Equal(perChat["202"], want) {
		t.Errorf("chat 202 stored %v, want %v in order", perChat["202"], want)
	}
}

func TestPollingDropsWhatCanNeverBeProcessed(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	in.fail = func(_ context.Context, m care.Inbound, _ int) error {
		if m.Text == "broken" {
			return fmt.Errorf("inbound message: %w", care.Errorf(care.EInvalid, "cannot be processed"))
		}
		return nil
	}
	bad := s.Push(telegramtest.TextUpdate(4242, 1, "broken"))
	s.Push(telegramtest.TextUpdate(4242, 2, "halo"))
	run(t, newChannel(t, s, Config{}, in))
	if got := in.next(t); got.Text != "halo" {
		t.Errorf("stored %q, want the message after the broken one", got.Text)
	}
	eventually(t, "the broken update to be confirmed", func() bool { return slices.Contains(s.Confirmed(), bad) })
	if n := in.attemptsOf("telegram:4242/1"); n != 1 {
		t.Errorf("the broken message was tried %d times, want once", n)
	}
}

func TestPollingRestartLosesNothing(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	cc := &confirmChecker{keys: map[int]string{}}
	cc.watch(s, in)
	var ids []int
	for i := 1; i <= 5; i++ {
		ids = append(ids, cc.push(s, telegramtest.TextUpdate(101, i, fmt.Sprint("a", i)), fmt.Sprintf("telegram:101/%d", i)))
		ids = append(ids, cc.push(s, telegramtest.TextUpdate(202, i, fmt.Sprint("b", i)), fmt.Sprintf("telegram:202/%d", i)))
	}
	// The first process stalls on a3 (Redis went away) and is stopped
	// there; chat 202 goes on meanwhile.
	stalled := make(chan struct{})
	in.fail = func(ctx context.Context, m care.Inbound, _ int) error {
		if m.Text == "a3" {
			close(stalled)
			<-ctx.Done()
			return errStoreDown
		}
		return nil
	}
	stop := run(t, newChannel(t, s, Config{}, in))
	<-stalled
	eventually(t, "chat 202 to be stored", func() bool { return in.isStored("telegram:202/5") })
	stop()
	// a1, b1, a2 and b2 are stored and come before a3 in the batch, so
	// they are confirmed at shutdown; b3 to b5 are stored but come after
	// a3, so they are delivered again.
	if got := s.Confirmed(); !slices.Equal(got, ids[:4]) {
		t.Errorf("after the first process, confirmed %v, want %v", got, ids[:4])
	}

	in.mu.Lock()
	in.fail = nil
	in.mu.Unlock()
	run(t, newChannel(t, s, Config{}, in))
	eventually(t, "every update to be confirmed", func() bool { return len(s.Confirmed()) == len(ids) })

	cc.check(t)
	if got := s.Confirmed(); !slices.Equal(got, ids) {
		t.Errorf("confirmed %v, want every update once, in order: %v", got, ids)
	}
	if got := len(in.messages()); got != 10 {
		t.Errorf("stored %d messages, want all 10", got)
	}
	if n := in.duplicates(); n != 3 {
		t.Errorf("%d duplicates reached the runtime, want 3 (b3, b4, b5)", n)
	}
}

func TestPollingStopsOnRevokedToken(t *testing.T) {
	s := telegramtest.NewServer(t)
	c := newChannel(t, s, Config{}, newInbox())
	s.Fail("getUpdates", telegramtest.Failure{Code: 401, Description: "Unauthorized"})
	err := c.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Errorf("Run = %v, want the refusal", err)
	}
	noToken(t, err)
}

func TestPollingWaitsOutTelegram(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	c := newChannel(t, s, Config{}, in)
	s.Fail("deleteWebhook", telegramtest.Failure{Code: 502, Description: "Bad Gateway"})
	s.Fail("getUpdates", telegramtest.Failure{Code: 409, Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"})
	s.Fail("getUpdates", telegramtest.Failure{Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1})
	s.Push(telegramtest.TextUpdate(4242, 1, "halo"))
	run(t, c)
	if got := in.next(t); got.Text != "halo" {
		t.Errorf("stored %q, want halo", got.Text)
	}
	if n := len(s.Calls("getUpdates")); n < 3 {
		t.Errorf("%d getUpdates calls, want the two failures and a success", n)
	}
}

func TestPollingAcknowledgesOnlyWhatIsDone(t *testing.T) {
	pseudonyms := care.NewPseudonyms([]byte("salt"))
	contact := "contact=" + pseudonyms.Of(care.Address{Channel: care.Telegram, ID: "4242"})
	errHang := errors.New("hang until the context ends")
	tests := []struct {
		name string
		// outcomes are what the handler returns at each attempt; the
		// attempts after them succeed.
		outcomes []error
		attempts int
		logged   []string // a warning holds each of these
	}{
		{name: "stored", attempts: 1},
		{name: "a duplicate", outcomes: []error{fmt.Errorf("commit: %w", care.ErrDuplicate)}, attempts: 1},
		{name: "cannot be processed", outcomes: []error{fmt.Errorf("inbound message: %w", care.Errorf(care.EInvalid, "message id too long"))}, attempts: 1,
			logged: []string{"level=WARN", "dropping a message that cannot be processed", contact, "message id too long"}},
		{name: "store away", outcomes: []error{errStoreDown, errStoreDown}, attempts: 3,
			logged: []string{"level=WARN", "message not stored, retrying", contact, "not stored: redis away"}},
		{name: "store hangs", outcomes: []error{errHang}, attempts: 2,
			logged: []string{"level=WARN", "message not stored, retrying", contact, "not stored within 20ms: context deadline exceeded"}},
		{name: "a bug", outcomes: []error{errors.New("nil map")}, attempts: 2,
			logged: []string{"level=WARN", "message not stored, retrying", "not stored: nil map"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.NewServer(t)
			in := newInbox()
			in.fail = func(ctx context.Context, _ care.Inbound, attempt int) error {
				if attempt > len(tt.outcomes) {
					return nil
				}
				if err := tt.outcomes[attempt-1]; err != errHang {
					return err
				}
				<-ctx.Done()
				return ctx.Err()
			}
			c, logs := newChannelLog(t, s, Config{Pseudonyms: pseudonyms, HandleTimeout: 20 * time.Millisecond}, in)
			id := s.Push(telegramtest.TextUpdate(4242, 1, "halo kak"))
			next := s.Push(telegramtest.TextUpdate(4242, 2, "ada baju merah?"))
			run(t, c)
			eventually(t, "both updates to be confirmed", func() bool { return slices.Equal(s.Confirmed(), []int{id, next}) })
			if n := in.attemptsOf("telegram:4242/1"); n != tt.attempts {
				t.Errorf("handled %d times, want %d", n, tt.attempts)
			}
			if tt.logged != nil && len(logs.with(tt.logged...)) == 0 {
				t.Errorf("no log line with %q", tt.logged)
			}
			if lines := logs.with("halo kak"); len(lines) > 0 {
				t.Errorf("the message's text is logged: %q", lines)
			}
		})
	}
}

func TestPollingTapAnswerFailureCostsNothing(t *testing.T) {
	tests := []struct {
		name    string
		failure *telegramtest.Failure
		says    string // in the logged error
	}{
		{"answered", nil, ""},
		{"query too old", &telegramtest.Failure{Code: 400, Description: "Bad Request: query is too old and response timeout expired or query ID is invalid"}, "answerCallbackQuery: Bad Request: query is too old"},
		{"a server without the method", &telegramtest.Failure{Code: 404, Raw: "404 page not found", Always: true}, "answerCallbackQuery: the answer is not the Bot API's JSON"},
		{"server error", &telegramtest.Failure{Code: 500, Description: "Internal Server Error"}, "(HTTP 500 Internal Server Error)"},
		{"connection lost", &telegramtest.Failure{HangUp: true}, "answerCallbackQuery: Post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.NewServer(t)
			in := newInbox()
			lim := &fakeLimiter{}
			var failed cosmeticFailures
			c, logs := newChannelLog(t, s, Config{Limiter: lim, LimitKey: "telegram", OnCosmeticFailure: failed.record}, in)
			if tt.failure != nil {
				s.Fail("answerCallbackQuery", *tt.failure)
			}
			id := s.Push(telegramtest.CallbackUpdate(4242, "5843920187", "yes"))
			run(t, c)
			eventually(t, "the tap to be confirmed", func() bool { return slices.Contains(s.Confirmed(), id) })
			if !in.isStored("telegram:4242/q5843920187") {
				t.Error("the tap was not stored")
			}
			want := []string{"answerCallbackQuery"}
			if tt.failure == nil {
				want = nil
			}
			// The answer goes beside the batch, so it may end after the
			// tap is confirmed.
			eventually(t, "the tap to be answered", func() bool {
				return len(s.Calls("answerCallbackQuery")) > 0 && slices.Equal(failed.get(), want)
			})
			if got := len(lim.get()); got != 1 {
				t.Errorf("%d calls counted against the limit, want the answer's", got)
			}
			if got := failed.get(); !slices.Equal(got, want) {
				t.Errorf("cosmetic failures %v, want %v", got, want)
			}
			if tt.says != "" && len(logs.with("level=DEBUG", tt.says)) != 1 {
				t.Errorf("no debug line with an error saying %q", tt.says)
			}
		})
	}
}
