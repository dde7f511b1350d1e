package web

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

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
			req := formPost(tt.form, testToken, testToken)
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

// testToken is a form token as the page hands out.
const testToken = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// formPost is the page's form posted with form, carrying token in the
// form and cookie in the cookie ("" leaves either out).
func formPost(form url.Values, token, cookie string) *http.Request {
	if token != "" {
		form = maps.Clone(form)
		form.Set(formField, token)
	}
	req := httptest.NewRequest("POST", "/sim/send", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: formCookie, Value: cookie})
	}
	return req
}

func TestSimPage(t *testing.T) {
	f := &fakeSim{}
	f.add(wa("u1"),
		care.SimMessage{Text: "Halo!\nAda yang bisa saya bantu?", Choices: []care.Choice{{ID: "hours", Label: "Jam buka"}, {ID: "order", Label: "Cara pesan"}}},
		care.SimMessage{Text: "Diskon 10% minggu ini", Class: care.Promotional},
	)
	f.add(wa("evil"), care.SimMessage{Text: `<script>alert("x")</script>`, Choices: []care.Choice{{ID: `"><img>`, Label: "<b>bold</b>"}}})
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
