package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// testToken is the bot token the emulated Bot API accepts.
const testToken = "123456:TEST-secret_token"

// botAPI emulates a Bot API server on loopback: the methods Mitra calls,
// with Telegram's JSON shapes, getUpdates' offset semantics and long
// polling. The real telegram-bot-api library talks to it.
type botAPI struct {
	t   *testing.T
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
	// onConfirm, if set, runs (under mu) as each update is confirmed.
	onConfirm func(updateID int)
	calls     []apiCall
	failures  map[string][]apiFailure
}

type queued struct {
	id  int
	raw map[string]any
}

// apiCall is one call the server answered, with its form parameters.
type apiCall struct {
	method string
	form   url.Values
}

// apiFailure is an error a coming call of a method gets.
type apiFailure struct {
	// skip lets that many calls succeed first.
	skip        int
	code        int
	description string
	retryAfter  int
	// hangUp closes the connection after reading the whole request,
	// without answering: the client cannot know what happened.
	hangUp bool
}

func newBotAPI(t *testing.T) *botAPI {
	s := &botAPI{t: t, changed: make(chan struct{}), nextID: 1000, failures: map[string][]apiFailure{}}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

// push queues an update and returns its id.
func (s *botAPI) push(update map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.pending = append(s.pending, queued{id: s.nextID, raw: update})
	close(s.changed)
	s.changed = make(chan struct{})
	return s.nextID
}

// fail makes the next call of method fail with f (queued in order).
func (s *botAPI) fail(method string, f apiFailure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], f)
}

// callsOf returns the calls of method so far.
func (s *botAPI) callsOf(method string) []apiCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiCall
	for _, c := range s.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

// methods returns the names of the calls so far, in order.
func (s *botAPI) methods() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.calls {
		out = append(out, c.method)
	}
	return out
}

func (s *botAPI) confirmedIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.confirmed...)
}

func (s *botAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		s.t.Errorf("bot api: %s %s: want a form POST", r.Method, method)
		apiError(w, apiFailure{code: 400, description: "Bad Request: unreadable request"})
		return
	}
	if token != testToken {
		apiError(w, apiFailure{code: 401, description: "Unauthorized"})
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, apiCall{method: method, form: r.PostForm})
	f, failing := s.failures[method], len(s.failures[method]) > 0
	switch {
	case failing && f[0].skip > 0:
		f[0].skip--
		failing = false
	case failing:
		s.failures[method] = f[1:]
	}
	s.mu.Unlock()
	switch {
	case failing && f[0].hangUp:
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
		apiOK(w, map[string]any{"id": 777, "is_bot": true, "first_name": "Toko Sari", "username": "toko_sari_bot"})
	case "getUpdates":
		s.getUpdates(w, r)
	case "sendMessage":
		chatID, _ := strconv.ParseInt(r.PostForm.Get("chat_id"), 10, 64)
		apiOK(w, map[string]any{
			"message_id": len(s.callsOf("sendMessage")),
			"date":       time.Now().Unix(),
			"chat":       map[string]any{"id": chatID, "type": "private"},
			"text":       r.PostForm.Get("text"),
		})
	case "sendChatAction", "answerCallbackQuery", "setWebhook", "deleteWebhook":
		apiOK(w, true)
	default:
		apiError(w, apiFailure{code: 404, description: "Not Found: method not found"})
	}
}

// getUpdates confirms the updates below offset, then returns the rest,
// waiting up to timeout seconds for one when there is none.
func (s *botAPI) getUpdates(w http.ResponseWriter, r *http.Request) {
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
		for len(s.pending) > 0 && s.pending[0].id < offset {
			id := s.pending[0].id
			s.pending = s.pending[1:]
			s.confirmed = append(s.confirmed, id)
			if s.onConfirm != nil {
				s.onConfirm(id)
			}
		}
		var batch []map[string]any
		for _, q := range s.pending {
			if q.id >= offset && len(batch) < limit {
				u := map[string]any{"update_id": q.id}
				for k, v := range q.raw {
					u[k] = v
				}
				batch = append(batch, u)
			}
		}
		changed := s.changed
		s.mu.Unlock()
		if len(batch) > 0 || timeout == 0 {
			apiOK(w, append([]map[string]any{}, batch...))
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

func apiOK(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func apiError(w http.ResponseWriter, f apiFailure) {
	body := map[string]any{"ok": false, "error_code": f.code, "description": f.description}
	if f.retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": f.retryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.code)
	_ = json.NewEncoder(w).Encode(body)
}

// Updates as Telegram sends them.

var siti = map[string]any{"id": 4242, "is_bot": false, "first_name": "Siti", "last_name": "Rahma", "language_code": "id"}

// msgUpdate is a message update in chat (private unless chatType says
// otherwise) with the given content fields.
func msgUpdate(chat int64, chatType string, id int, content map[string]any) map[string]any {
	m := map[string]any{
		"message_id": id,
		"date":       1700000000 + id,
		"from":       siti,
		"chat":       map[string]any{"id": chat, "type": chatType, "first_name": "Siti"},
	}
	for k, v := range content {
		m[k] = v
	}
	return map[string]any{"message": m}
}

func textUpdate(chat int64, id int, text string) map[string]any {
	return msgUpdate(chat, "private", id, map[string]any{"text": text})
}

func callbackUpdate(chat int64, queryID, data string) map[string]any {
	return map[string]any{"callback_query": map[string]any{
		"id":            queryID,
		"from":          siti,
		"chat_instance": "-99",
		"data":          data,
		"message": map[string]any{
			"message_id": 7, "date": 1700000000, "text": "Mau pesan?",
			"chat": map[string]any{"id": chat, "type": "private"},
		},
	}}
}

// inbox is the runtime's side of the contract: it stores each message
// once (de-duplicating by address and message id) and can be told to
// fail.
type inbox struct {
	mu       sync.Mutex
	stored   map[string]bool
	order    []care.Inbound // the first store of each message
	attempts map[string]int
	dups     int
	// fail, if set, decides the outcome of each attempt before storing.
	fail   func(ctx context.Context, in care.Inbound, attempt int) error
	notify chan care.Inbound
}

func newInbox() *inbox {
	return &inbox{stored: map[string]bool{}, attempts: map[string]int{}, notify: make(chan care.Inbound, 1000)}
}

func key(in care.Inbound) string { return in.Address.String() + "/" + in.MessageID }

func (b *inbox) Handle(ctx context.Context, in care.Inbound) error {
	b.mu.Lock()
	b.attempts[key(in)]++
	n, fail := b.attempts[key(in)], b.fail
	b.mu.Unlock()
	if fail != nil {
		if err := fail(ctx, in, n); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stored[key(in)] {
		b.dups++
		return nil
	}
	b.stored[key(in)] = true
	b.order = append(b.order, in)
	b.notify <- in
	return nil
}

func (b *inbox) isStored(k string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stored[k]
}

func (b *inbox) attemptsOf(k string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts[k]
}

func (b *inbox) duplicates() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dups
}

func (b *inbox) messages() []care.Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]care.Inbound(nil), b.order...)
}

// next waits for the next newly stored message.
func (b *inbox) next(t *testing.T) care.Inbound {
	t.Helper()
	select {
	case in := <-b.notify:
		return in
	case <-time.After(10 * time.Second):
		t.Fatal("no message stored within 10s")
		return care.Inbound{}
	}
}

var errStoreDown = care.Errorf(care.EUnavailable, "redis away")

// eventually waits, generously, for cond to hold.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testLog logs to t and fails the test if a line holds the token.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), testToken) {
		w.t.Errorf("the token is in a log line: %s", p)
	}
	w.t.Logf("%s", p)
	return len(p), nil
}

// newChannel builds a channel on s with quick retries.
func newChannel(t *testing.T, s *botAPI, cfg Config, h care.Handler) *Channel {
	t.Helper()
	cfg.Token = testToken
	cfg.APIURL = s.srv.URL
	c, err := New(context.Background(), cfg, h, testLog(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.retryMin, c.retryMax = 5*time.Millisecond, 50*time.Millisecond
	return c
}

// run runs c until the returned stop is called (or the test ends) and
// checks that Run returns nil.
func run(t *testing.T, c *Channel) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return within 10s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// noToken fails the test if err's text holds the token.
func noToken(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Errorf("the token is in the error: %v", err)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && strings.Contains(uerr.URL, testToken) {
		t.Errorf("the token is in the error's URL: %v", uerr.URL)
	}
}
