package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// fakeSim is an in-test Simulator: it records what is submitted and serves
// the bot messages it holds. The real runtime is wired in end-to-end tests
// elsewhere.
type fakeSim struct {
	mu      sync.Mutex
	submits []care.Inbound
	msgs    map[care.ContactID][]care.SimMessage
	// submitErr and listErr, when set, are returned by Submit and Messages.
	submitErr, listErr error
	// unavailable is how many Submits fail with care.EUnavailable before
	// they succeed.
	unavailable int
	// attempts counts every Submit, failed ones included.
	attempts int
	// reply, when set, answers each stored message with bot messages.
	reply func(care.Inbound) []care.SimMessage
}

var testNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func (f *fakeSim) Submit(ctx context.Context, in care.Inbound) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.unavailable > 0 {
		f.unavailable--
		return care.Errorf(care.EUnavailable, "redis is away")
	}
	if f.submitErr != nil {
		return f.submitErr
	}
	f.submits = append(f.submits, in)
	if f.reply != nil {
		for _, m := range f.reply(in) {
			f.addLocked(in.Address.ContactID(), m)
		}
	}
	return nil
}

func (f *fakeSim) Messages(ctx context.Context, id care.ContactID, after int64, max int) ([]care.SimMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []care.SimMessage
	for _, m := range f.msgs[id] {
		if m.Seq > after && len(out) < max {
			out = append(out, m)
		}
	}
	return out, nil
}

// add appends bot messages for id, numbering them.
func (f *fakeSim) add(id care.ContactID, msgs ...care.SimMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range msgs {
		f.addLocked(id, m)
	}
}

func (f *fakeSim) addLocked(id care.ContactID, m care.SimMessage) {
	if f.msgs == nil {
		f.msgs = map[care.ContactID][]care.SimMessage{}
	}
	m.Seq = int64(len(f.msgs[id]) + 1)
	if m.Class == "" {
		m.Class = care.Reply
	}
	if m.At.IsZero() {
		m.At = testNow
	}
	f.msgs[id] = append(f.msgs[id], m)
}

// got returns what was submitted so far.
func (f *fakeSim) got() []care.Inbound {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]care.Inbound(nil), f.submits...)
}

func newTestServer(f *fakeSim) *Server {
	return New(Config{
		Simulator: f,
		ShopName:  "Toko Sari",
		Now:       func() time.Time { return testNow },
		Logger:    slog.New(slog.DiscardHandler),
	})
}

func wa(user string) care.Address {
	return care.Address{Channel: care.WhatsApp, ID: care.SimPrefix + user}
}

func do(t *testing.T, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSimPost(t *testing.T) {
	tg := care.Address{Channel: care.Telegram, ID: "sim-u1"}
	tests := []struct {
		name      string
		body      string
		submitErr error
		status    int
		want      *care.Inbound // nil: nothing submitted
		errHas    string
	}{
		{
			name:   "text",
			body:   `{"user":"u1","channel":"whatsapp","text":"halo","id":"m1"}`,
			status: 200,
			want:   &care.Inbound{Address: wa("u1"), Name: "u1", MessageID: "m1", Kind: care.KindText, Text: "halo", At: testNow},
		},
		{
			name:   "channel defaults to whatsapp",
			body:   `{"user":"Budi_2","text":"halo","id":"m1"}`,
			status: 200,
			want:   &care.Inbound{Address: wa("Budi_2"), Name: "Budi_2", MessageID: "m1", Kind: care.KindText, Text: "halo", At: testNow},
		},
		{
			name:   "choice",
			body:   `{"user":"u1","channel":"telegram","choice":"hours","id":"m2"}`,
			status: 200,
			want:   &care.Inbound{Address: tg, Name: "u1", MessageID: "m2", Kind: care.KindChoice, Choice: "hours", At: testNow},
		},
		{
			name:   "a choice carries no text",
			body:   `{"user":"u1","channel":"telegram","kind":"choice","choice":"hours","text":"ignored","id":"m2"}`,
			status: 200,
			want:   &care.Inbound{Address: tg, Name: "u1", MessageID: "m2", Kind: care.KindChoice, Choice: "hours", At: testNow},
		},
		{
			name:   "sticker",
			body:   `{"user":"u1","kind":"sticker","id":"m3"}`,
			status: 200,
			want:   &care.Inbound{Address: wa("u1"), Name: "u1", MessageID: "m3", Kind: care.KindSticker, At: testNow},
		},
		{
			name:   "long text is the runtime's to cut",
			body:   `{"user":"u1","text":"` + strings.Repeat("a", 10000) + `","id":"m4"}`,
			status: 200,
			want:   &care.Inbound{Address: wa("u1"), Name: "u1", MessageID: "m4", Kind: care.KindText, Text: strings.Repeat("a", 10000), At: testNow},
		},
		{name: "bad JSON", body: `{"user":"u1","text":`, status: 400, errHas: "JSON"},
		{name: "not an object", body: `["halo"]`, status: 400, errHas: "JSON"},
		{name: "two values", body: `{"user":"u1","text":"a"} {"user":"u1","text":"b"}`, status: 400, errHas: "JSON"},
		{name: "wrong type", body: `{"user":1,"text":"halo"}`, status: 400, errHas: "JSON"},
		{name: "empty user", body: `{"text":"halo"}`, status: 400, errHas: "user"},
		{name: "user with a space", body: `{"user":"u 1","text":"halo"}`, status: 400, errHas: "user"},
		{name: "user too long", body: `{"user":"` + strings.Repeat("u", 65) + `","text":"halo"}`, status: 400, errHas: "user"},
		{name: "bad channel", body: `{"user":"u1","channel":"sms","text":"halo"}`, status: 400, errHas: "channel"},
		{name: "bad kind", body: `{"user":"u1","kind":"gif"}`, status: 400, errHas: "kind"},
		{name: "kind not for the simulator", body: `{"user":"u1","kind":"other"}`, status: 400, errHas: "kind"},
		{name: "choice kind without choice", body: `{"user":"u1","kind":"choice"}`, status: 400, errHas: "choice"},
		{name: "choice with another kind", body: `{"user":"u1","kind":"image","choice":"hours"}`, status: 400, errHas: "choice"},
		{name: "empty text", body: `{"user":"u1","text":"  "}`, status: 400, errHas: "empty"},
		{name: "bad id", body: `{"user":"u1","text":"halo","id":"a b"}`, status: 400, errHas: "id"},
		{
			name:      "runtime unavailable",
			body:      `{"user":"u1","text":"halo","id":"m5"}`,
			submitErr: fmt.Errorf("handle: %w", care.Errorf(care.EUnavailable, "redis down")),
			status:    503,
			errHas:    "try again",
		},
		{
			name:      "internal error is not shown",
			body:      `{"user":"u1","text":"halo","id":"m6"}`,
			submitErr: errors.New("secret detail"),
			status:    500,
			errHas:    "Internal Server Error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSim{submitErr: tt.submitErr}
			rec := do(t, newTestServer(f), httptest.NewRequest("POST", "/api/sim/messages", strings.NewReader(tt.body)))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			var body struct {
				Accepted bool   `json:"accepted"`
				ID       string `json:"id"`
				Error    string `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if !strings.Contains(body.Error, tt.errHas) {
				t.Errorf("error %q, want it to contain %q", body.Error, tt.errHas)
			}
			if tt.status == 503 && rec.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			if tt.status == 500 && strings.Contains(rec.Body.String(), "secret") {
				t.Errorf("internal error shown: %s", rec.Body)
			}
			got := f.got()
			if tt.want == nil {
				if len(got) != 0 {
					t.Errorf("submitted %+v, want nothing", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("submitted %d messages, want 1", len(got))
			}
			if got[0] != *tt.want {
				t.Errorf("submitted\n%+v\nwant\n%+v", got[0], *tt.want)
			}
			if !body.Accepted || body.ID != tt.want.MessageID {
				t.Errorf("answer %+v, want accepted with id %q", body, tt.want.MessageID)
			}
		})
	}
}

func TestSimPostIDs(t *testing.T) {
	f := &fakeSim{}
	s := newTestServer(f)
	bodies := []string{
		`{"user":"u1","text":"halo"}`,
		`{"user":"u1","text":"halo"}`,
		`{"user":"u1","text":"halo","id":"same"}`,
		`{"user":"u1","text":"halo","id":"same"}`,
	}
	var answered []string
	for _, b := range bodies {
		rec := do(t, s, httptest.NewRequest("POST", "/api/sim/messages", strings.NewReader(b)))
		var body struct{ ID string }
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 {
			t.Fatalf("%s: %d %s", b, rec.Code, rec.Body)
		}
		answered = append(answered, body.ID)
	}
	got := f.got()
	for i, in := range got {
		if in.MessageID != answered[i] || in.Validate() != nil {
			t.Errorf("message %d: id %q answered %q (valid: %v)", i, in.MessageID, answered[i], in.Validate())
		}
	}
	if got[0].MessageID == got[1].MessageID {
		t.Errorf("generated ids repeat: %q", got[0].MessageID)
	}
	if got[2].MessageID != "same" || got[3].MessageID != "same" {
		t.Errorf("client ids %q, %q, want both \"same\" so the runtime drops the repeat", got[2].MessageID, got[3].MessageID)
	}
}

func TestSimPostTooLarge(t *testing.T) {
	body := `{"user":"u1","text":"` + strings.Repeat("a", maxBody) + `"}`
	rec := do(t, newTestServer(&fakeSim{}), httptest.NewRequest("POST", "/api/sim/messages", strings.NewReader(body)))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413; body %s", rec.Code, rec.Body)
	}
}

func TestSimList(t *testing.T) {
	f := &fakeSim{}
	for i := range 150 {
		f.add(wa("u1").ContactID(), care.SimMessage{Text: fmt.Sprintf("pesan %d", i+1)})
	}
	f.add(wa("u2").ContactID(), care.SimMessage{Text: "Pilih:", Choices: []care.Choice{{ID: "hours", Label: "Jam buka"}}})
	tests := []struct {
		name    string
		query   string
		listErr error
		status  int
		count   int
		first   int64
		last    int64
	}{
		{name: "first page", query: "user=u1&channel=whatsapp&after=0", status: 200, count: 100, first: 1, last: 100},
		{name: "after missing is 0", query: "user=u1", status: 200, count: 100, first: 1, last: 100},
		{name: "second page", query: "user=u1&channel=whatsapp&after=100", status: 200, count: 50, first: 101, last: 150},
		{name: "nothing new", query: "user=u1&channel=whatsapp&after=150", status: 200, count: 0, last: 150},
		{name: "other channel is another contact", query: "user=u1&channel=telegram", status: 200, count: 0, last: 0},
		{name: "choices", query: "user=u2", status: 200, count: 1, first: 1, last: 1},
		{name: "bad after", query: "user=u1&after=x", status: 400},
		{name: "negative after", query: "user=u1&after=-1", status: 400},
		{name: "bad user", query: "user=%3Cb%3E", status: 400},
		{name: "bad channel", query: "user=u1&channel=line", status: 400},
		{name: "store down", query: "user=u1", listErr: care.Errorf(care.EUnavailable, "redis down"), status: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mu.Lock()
			f.listErr = tt.listErr
			f.mu.Unlock()
			rec := do(t, newTestServer(f), httptest.NewRequest("GET", "/api/sim/messages?"+tt.query, nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status != 200 {
				return
			}
			var body struct {
				Messages []care.SimMessage `json:"messages"`
				Last     int64             `json:"last"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Messages == nil {
				t.Errorf("messages is null, want a list: %s", rec.Body)
			}
			if len(body.Messages) != tt.count || body.Last != tt.last {
				t.Fatalf("%d messages, last %d; want %d, last %d", len(body.Messages), body.Last, tt.count, tt.last)
			}
			if tt.count > 0 && body.Messages[0].Seq != tt.first {
				t.Errorf("first seq %d, want %d", body.Messages[0].Seq, tt.first)
			}
			if tt.name == "choices" && !strings.Contains(rec.Body.String(), `"choices":[{"id":"hours","label":"Jam buka"}],"class":"reply","at":"2026-03-02T09:30:00Z"`) {
				t.Errorf("body %s lacks the message's choices, class and time", rec.Body)
			}
		})
	}
}

func TestSimForm(t *testing.T) {
	tests := []struct {
		name      string
		form      url.Values
		submitErr error
		status    int
		location  string
		want      *care.Inbound
		bodyHas   []string
	}{
		{
			name:     "text",
			form:     url.Values{"user": {"u1"}, "channel": {"telegram"}, "text": {"halo"}, "id": {"f1"}, "after": {"0"}},
			status:   303,
			location: "/?channel=telegram&user=u1",
			want:     &care.Inbound{Address: care.Address{Channel: care.Telegram, ID: "sim-u1"}, Name: "u1", MessageID: "f1", Kind: care.KindText, Text: "halo", At: testNow},
		},
		{
			name:     "choice button",
			form:     url.Values{"user": {"u1"}, "channel": {"whatsapp"}, "text": {""}, "choice": {"hours"}, "id": {"f2"}},
			status:   303,
			location: "/?channel=whatsapp&user=u1",
			want:     &care.Inbound{Address: wa("u1"), Name: "u1", MessageID: "f2", Kind: care.KindChoice, Choice: "hours", At: testNow},
		},
		{
			name:     "sticker button",
			form:     url.Values{"user": {"u1"}, "kind": {"sticker"}, "id": {"f3"}},
			status:   303,
			location: "/?channel=whatsapp&user=u1",
			want:     &care.Inbound{Address: wa("u1"), Name: "u1", MessageID: "f3", Kind: care.KindSticker, At: testNow},
		},
		{
			name:     "nothing to send",
			form:     url.Values{"user": {"u1"}, "text": {"   "}},
			status:   303,
			location: "/?channel=whatsapp&user=u1",
		},
		{
			name:    "bad user",
			form:    url.Values{"user": {"a b"}, "text": {"halo"}},
			status:  400,
			bodyHas: []string{"user must be", `name="user"`},
		},
		{
			name:      "runtime unavailable keeps the text and id",
			form:      url.Values{"user": {"u1"}, "text": {"halo <b>"}, "id": {"f4"}},
			submitErr: care.Errorf(care.EUnavailable, "redis down"),
			status:    503,
			bodyHas:   []string{"Pesan belum terkirim", "halo &lt;b&gt;</textarea>", `name="id" value="f4"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSim{submitErr: tt.submitErr, reply: func(care.Inbound) []care.SimMessage {
				return []care.SimMessage{{Text: "Baik."}}
			}}
			req := httptest.NewRequest("POST", "/sim/send", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			start := time.Now()
			rec := do(t, newTestServer(f), req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if loc := rec.Header().Get("Location"); loc != tt.location {
				t.Errorf("Location %q, want %q", loc, tt.location)
			}
			if tt.want != nil && time.Since(start) > simReplyWait/2 {
				t.Errorf("took %v although the reply was there at once", time.Since(start))
			}
			for _, s := range tt.bodyHas {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("page lacks %q:\n%s", s, rec.Body)
				}
			}
			got := f.got()
			switch {
			case tt.want == nil && len(got) != 0:
				t.Errorf("submitted %+v, want nothing", got)
			case tt.want != nil && (len(got) != 1 || got[0] != *tt.want):
				t.Errorf("submitted %+v, want %+v", got, *tt.want)
			}
		})
	}
}

func TestSimPage(t *testing.T) {
	f := &fakeSim{}
	f.add(wa("u1").ContactID(),
		care.SimMessage{Text: "Halo!\nAda yang bisa saya bantu?", Choices: []care.Choice{{ID: "hours", Label: "Jam buka"}, {ID: "order", Label: "Cara pesan"}}},
		care.SimMessage{Text: "Diskon 10% minggu ini", Class: care.Promotional},
	)
	f.add(wa("evil").ContactID(), care.SimMessage{Text: `<script>alert("x")</script>`, Choices: []care.Choice{{ID: `"><img>`, Label: "<b>bold</b>"}}})
	tests := []struct {
		name    string
		query   string
		listErr error
		status  int
		has     []string
		hasNot  []string
	}{
		{
			name:   "pick a visitor",
			query:  "",
			status: 200,
			has:    []string{"<title>Toko Sari · Simulator percakapan</title>", `name="user" value="tamu-`, `value="whatsapp" checked`, `value="telegram"`, "chat simulator"},
			hasNot: []string{`id="composer"`},
		},
		{
			name:   "pick a visitor, telegram preselected",
			query:  "channel=telegram",
			status: 200,
			has:    []string{`value="telegram" checked`},
		},
		{
			name:   "conversation in whatsapp",
			query:  "user=u1&channel=whatsapp",
			status: 200,
			has: []string{
				"<title>Toko Sari · Simulator percakapan</title>",
				`class="chat-header is-whatsapp"`,
				"Halo!\nAda yang bisa saya bantu?",
				"<li>1. Jam buka</li><li>2. Cara pesan</li>",
				`<button type="submit" form="composer" name="choice" value="hours">Jam buka</button>`,
				`<span class="tag">promosi</span>`,
				`<form id="composer" class="composer" method="post" action="/sim/send">`,
				`<input type="hidden" name="after" value="2">`,
				`{"user":"u1","channel":"whatsapp","last":2}`,
				`aria-live="polite"`,
				"Pesan di sini melewati alur, gerbang dan antrean yang sama dengan WhatsApp/Telegram.",
				`<time datetime="2026-03-02T09:30:00Z">09.30</time>`,
			},
		},
		{
			name:   "telegram look",
			query:  "user=u1&channel=telegram",
			status: 200,
			has:    []string{`class="chat-header is-telegram"`, `<body class="ch-telegram">`, `id="empty"`, `aria-current="page">Telegram</a>`},
			hasNot: []string{"Ada yang bisa"},
		},
		{
			name:   "message text is escaped",
			query:  "user=evil",
			status: 200,
			has:    []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;b&gt;bold&lt;/b&gt;", `value="&#34;&gt;&lt;img&gt;"`},
			hasNot: []string{"<script>alert", "<b>bold", `"><img>`},
		},
		{
			name:   "bad user",
			query:  "user=a%20b&channel=whatsapp",
			status: 400,
			has:    []string{"user must be", `value="a b"`},
		},
		{
			name:   "bad channel",
			query:  "user=u1&channel=line",
			status: 400,
			has:    []string{"channel must be"},
		},
		{
			name:    "store down",
			query:   "user=u1",
			listErr: care.Errorf(care.EUnavailable, "redis down"),
			status:  503,
			has:     []string{"Percakapan belum bisa dimuat", `id="composer"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mu.Lock()
			f.listErr = tt.listErr
			f.mu.Unlock()
			rec := do(t, newTestServer(f), httptest.NewRequest("GET", "/?"+tt.query, nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			body := rec.Body.String()
			for _, s := range tt.has {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("page has %q", s)
				}
			}
			if strings.Contains(body, " style=") || regexp.MustCompile(`<script>`).MatchString(body) {
				t.Error("page has inline style or script, which the CSP blocks")
			}
			if t.Failed() {
				t.Logf("page:\n%s", body)
			}
		})
	}
}

func TestSuggestUser(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		u := suggestUser()
		if !regexp.MustCompile(`^tamu-[1-9][0-9]{3}$`).MatchString(u) {
			t.Fatalf("suggested %q", u)
		}
		seen[u] = true
	}
	if len(seen) < 2 {
		t.Errorf("suggested the same id 20 times: %v", seen)
	}
}

func TestSimStatic(t *testing.T) {
	s := newTestServer(&fakeSim{})
	tests := []struct {
		path, ifNoneMatch string
		status            int
		contentType       string
	}{
		{path: "/static/sim.js", status: 200, contentType: "text/javascript; charset=utf-8"},
		{path: "/static/sim.css", status: 200, contentType: "text/css; charset=utf-8"},
		{path: "/static/sim.css", ifNoneMatch: staticFiles["sim.css"].etag, status: 304},
		{path: "/static/nope.js", status: 404},
		{path: "/static/", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.path+tt.ifNoneMatch, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			if tt.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			rec := do(t, s, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.contentType != "" && rec.Header().Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tt.contentType)
			}
			if tt.status == 200 && (rec.Body.Len() == 0 || rec.Header().Get("ETag") == "") {
				t.Errorf("empty body or no ETag")
			}
		})
	}
}

func TestSimulatorOff(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	for _, path := range []string{"/api/sim/messages?user=u1", "/static/sim.js"} {
		if rec := do(t, s, httptest.NewRequest("GET", path, nil)); rec.Code != 404 {
			t.Errorf("GET %s: %d without a simulator, want 404", path, rec.Code)
		}
	}
}
