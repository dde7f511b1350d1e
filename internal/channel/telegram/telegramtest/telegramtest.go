// Package telegramtest emulates a Telegram Bot API server on loopback, so
// that tests can run Mitra's Telegram channel, through the real
// telegram-bot-api library, without Telegram. Only tests import it.
//
// The server speaks the Bot API's HTTP and JSON itself: it answers the
// methods Mitra calls (getMe, getUpdates, sendMessage, sendChatAction,
// answerCallbackQuery, setWebhook, deleteWebhook) with Telegram's shapes,
// keeps getUpdates' offset semantics and long polling, and records every
// call. A test can make any call fail as Telegram would (an error answer,
// a flood wait, a hang-up) or as whatever stands in front of it would (a
// body that is not the Bot API's JSON, a method the server lacks). It
// does not import the library, which only the channel may.
package telegramtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the only bot token the server accepts; any other gets 401.
const Token = "123456:TEST-secret_token"

// BotUsername is the bot's username, as getMe gives it.
const BotUsername = "toko_sari_bot"

// Server is an emulated Bot API server. Its methods are safe to call while
// the bot talks to it.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu sync.Mutex
	// changed is closed and replaced whenever an update is queued, waking
	// long polls.
	changed chan struct{}
	nextID  int
	pending []queued
	// confirmed lists update ids in the order getUpdates' offset
	// confirmed them.
	confirmed []int
	onConfirm func(updateID int)
	calls     []Call
	failures  map[string][]Failure
	webhook   Webhook
	messages  int // sendMessage calls answered, for message ids
}

// queued is an update waiting for getUpdates to confirm it.
type queued struct {
	id     int
	update Update
}

// Call is one call the server received, with its form parameters.
type Call struct {
	Method string
	Form   url.Values
	// Failed is set when the call got a Failure instead of its answer.
	Failed bool
}

// Failure is how a coming call of a method fails. Any method can be made
// to fail, those the server does not otherwise know included.
type Failure struct {
	// Skip lets that many calls of the method succeed first.
	Skip int
	// Always keeps the failure for every call after it too, as a server
	// without the method would answer.
	Always bool
	// Code, Description and RetryAfter make Telegram's error answer, such
	// as 429 "Too Many Requests: retry after 3" with RetryAfter 3. An
	// empty Description sends none, as some servers do.
	Code        int
	Description string
	RetryAfter  int
	// Raw, if set, is the whole body of the answer instead of the Bot
	// API's JSON, sent as text/plain with status Code: a proxy's error
	// page, or "404 page not found" from a server without the method.
	Raw string
	// HangUp closes the connection after reading the whole request,
	// without answering: the client cannot know what happened.
	HangUp bool
}

// Webhook is the webhook the bot registered with setWebhook.
type Webhook struct {
	URL            string
	SecretToken    string
	AllowedUpdates []string
}

// SentMessage is a text message the bot sent with sendMessage.
type SentMessage struct {
	ChatID int64
	Text   string
	// Buttons are the rows of the inline keyboard under the message;
	// empty when it has none.
	Buttons [][]Button
}

// Button is an inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// NewServer starts a server on loopback; it is closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{t: t, changed: make(chan struct{}), nextID: 1000, failures: map[string][]Failure{}}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's base URL, the bot's API URL.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server early, for tests of a Bot API that is down. It
// waits for the calls in progress to end.
func (s *Server) Close() { s.srv.Close() }

// Push queues an update for getUpdates and returns its update_id.
func (s *Server) Push(u Update) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.pending = append(s.pending, queued{id: s.nextID, update: u})
	close(s.changed)
	s.changed = make(chan struct{})
	return s.nextID
}

// Fail makes a coming call of method fail with f. Failures of one method
// apply in the order they were added, one call each (all the calls from
// then on for a failure that is Always).
func (s *Server) Fail(method string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], f)
}

// OnConfirm sets fn to be called with the id of each update a getUpdates
// offset confirms, before that getUpdates call is answered: the moment
// Telegram learns the bot is done with the update. fn must not block.
func (s *Server) OnConfirm(fn func(updateID int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onConfirm = fn
}

// Calls returns the calls of method so far, in order.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Methods returns the names of all calls so far, in order.
func (s *Server) Methods() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.calls))
	for _, c := range s.calls {
		out = append(out, c.Method)
	}
	return out
}

// Confirmed returns the ids of the updates getUpdates' offset confirmed,
// in the order it did.
func (s *Server) Confirmed() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.confirmed...)
}

// Webhook returns the webhook registered now: the last setWebhook, or
// the zero Webhook when none was set or deleteWebhook removed it.
func (s *Server) Webhook() Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhook
	w.AllowedUpdates = append([]string(nil), w.AllowedUpdates...)
	return w
}

// Sent returns the messages the bot sent to chat, in order, with their
// keyboards. Calls that failed (see Fail) are not among them.
func (s *Server) Sent(chat int64) []SentMessage {
	s.t.Helper()
	id := strconv.FormatInt(chat, 10)
	var out []SentMessage
	for _, c := range s.Calls("sendMessage") {
		if c.Form.Get("chat_id") != id || c.Failed {
			continue
		}
		m := SentMessage{ChatID: chat, Text: c.Form.Get("text")}
		if raw := c.Form.Get("reply_markup"); raw != "" {
			var markup struct {
				InlineKeyboard [][]Button `json:"inline_keyboard"`
			}
			if err := json.Unmarshal([]byte(raw), &markup); err != nil {
				s.t.Errorf("bot api: sendMessage with reply_markup %q: %v", raw, err)
			}
			m.Buttons = markup.InlineKeyboard
		}
		out = append(out, m)
	}
	return out
}

// ServeHTTP answers one Bot API call: POST /bot<token>/<method> with a
// form, as the library sends it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		s.t.Errorf("bot api: %s %s: want a form POST", r.Method, method)
		apiError(w, Failure{Code: http.StatusBadRequest, Description: "Bad Request: unreadable request"})
		return
	}
	if token != Token {
		apiError(w, Failure{Code: http.StatusUnauthorized, Description: "Unauthorized"})
		return
	}
	s.mu.Lock()
	f, failing := s.failures[method], len(s.failures[method]) > 0
	switch {
	case failing && f[0].Skip > 0:
		f[0].Skip--
		failing = false
	case failing && !f[0].Always:
		s.failures[method] = f[1:]
	}
	s.calls = append(s.calls, Call{Method: method, Form: r.PostForm, Failed: failing})
	s.mu.Unlock()
	switch {
	case failing && f[0].HangUp:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			s.t.Errorf("bot api: hijack: %v", err)
			return
		}
		conn.Close()
		return
	case failing:
		apiError(w, f[0])
		return
	}
	switch method {
	case "getMe":
		apiOK(w, map[string]any{"id": 777, "is_bot": true, "first_name": "Toko Sari", "username": BotUsername})
	case "getUpdates":
		s.getUpdates(w, r)
	case "sendMessage":
		s.mu.Lock()
		s.messages++
		id := s.messages
		s.mu.Unlock()
		chat, _ := strconv.ParseInt(r.PostForm.Get("chat_id"), 10, 64)
		apiOK(w, map[string]any{
			"message_id": id,
			"date":       time.Now().Unix(),
			"chat":       map[string]any{"id": chat, "type": "private"},
			"text":       r.PostForm.Get("text"),
		})
	case "setWebhook":
		hook := Webhook{URL: r.PostForm.Get("url"), SecretToken: r.PostForm.Get("secret_token")}
		if raw := r.PostForm.Get("allowed_updates"); raw != "" {
			if err := json.Unmarshal([]byte(raw), &hook.AllowedUpdates); err != nil {
				apiError(w, Failure{Code: http.StatusBadRequest, Description: "Bad Request: can't parse allowed updates"})
				return
			}
		}
		s.mu.Lock()
		s.webhook = hook
		s.mu.Unlock()
		apiOK(w, true)
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook = Webhook{}
		s.mu.Unlock()
		apiOK(w, true)
	case "sendChatAction", "answerCallbackQuery":
		apiOK(w, true)
	default:
		apiError(w, Failure{Code: http.StatusNotFound, Description: "Not Found: method not found"})
	}
}

// getUpdates confirms the updates below offset, then returns the rest,
// waiting up to timeout seconds for one when there is none.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.PostForm.Get("offset"))
	timeout, _ := strconv.Atoi(r.PostForm.Get("timeout"))
	limit, _ := strconv.Atoi(r.PostForm.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		var confirmed []int
		for len(s.pending) > 0 && s.pending[0].id < offset {
			confirmed = append(confirmed, s.pending[0].id)
			s.pending = s.pending[1:]
		}
		s.confirmed = append(s.confirmed, confirmed...)
		onConfirm := s.onConfirm
		batch := []map[string]any{}
		for _, q := range s.pending {
			if q.id >= offset && len(batch) < limit {
				u := map[string]any{"update_id": q.id}
				for k, v := range q.update {
					u[k] = v
				}
				batch = append(batch, u)
			}
		}
		changed := s.changed
		s.mu.Unlock()
		if onConfirm != nil {
			for _, id := range confirmed {
				onConfirm(id)
			}
		}
		if len(batch) > 0 || timeout == 0 {
			apiOK(w, batch)
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			timeout = 0
		case <-r.Context().Done():
			return
		}
	}
}

// apiOK writes a successful answer.
func apiOK(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// apiError writes Telegram's answer for f, or f.Raw when it is set.
func apiError(w http.ResponseWriter, f Failure) {
	if f.Raw != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(f.Code)
		_, _ = io.WriteString(w, f.Raw)
		return
	}
	body := map[string]any{"ok": false, "error_code": f.Code}
	if f.Description != "" {
		body["description"] = f.Description
	}
	if f.RetryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": f.RetryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Code)
	_ = json.NewEncoder(w).Encode(body)
}
