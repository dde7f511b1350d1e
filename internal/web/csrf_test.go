package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

func TestFormToken(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		cookie string
		// keep: the visitor's cookie is kept; fresh: a new one is made;
		// neither: no cookie is set (no form on the page).
		keep, fresh bool
	}{
		{name: "first visit", query: "user=u1", fresh: true},
		{name: "visitor with a token", query: "user=u1", cookie: testToken, keep: true},
		{name: "malformed cookie", query: "user=u1", cookie: "abc<script>", fresh: true},
		{name: "lower-case cookie", query: "user=u1", cookie: strings.ToLower(testToken), fresh: true},
		{name: "the page that picks a visitor has no form to post", query: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/?"+tt.query, nil)
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: formCookie, Value: tt.cookie})
			}
			rec := do(t, newTestServer(&fakeSim{}), req)
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			var got *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == formCookie {
					got = c
				}
			}
			if !tt.keep && !tt.fresh {
				if got != nil {
					t.Errorf("cookie %v set, want none", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no %s cookie; Set-Cookie %q", formCookie, rec.Header().Values("Set-Cookie"))
			}
			if !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/" || got.MaxAge <= 0 {
				t.Errorf("cookie %v, want HttpOnly, SameSite=Lax, Path=/ and a Max-Age", got)
			}
			switch {
			case tt.keep && got.Value != tt.cookie:
				t.Errorf("cookie %q, want the visitor's %q kept", got.Value, tt.cookie)
			case tt.fresh && (got.Value == tt.cookie || len(got.Value) != formTokenLen):
				t.Errorf("cookie %q, want a fresh token", got.Value)
			}
			if field := `<input type="hidden" name="csrf" value="` + got.Value + `">`; !strings.Contains(rec.Body.String(), field) {
				t.Errorf("page lacks %s", field)
			}
		})
	}
	a := do(t, newTestServer(&fakeSim{}), httptest.NewRequest("GET", "/?user=u1", nil)).Result().Cookies()
	b := do(t, newTestServer(&fakeSim{}), httptest.NewRequest("GET", "/?user=u1", nil)).Result().Cookies()
	if len(a) != 1 || len(b) != 1 || a[0].Value == b[0].Value {
		t.Errorf("two visitors got tokens %v and %v, want two different ones", a, b)
	}
}

// TestSimFormRefused posts the page's form as a page on another site, or
// an old page, would: it is refused and nothing is sent.
func TestSimFormRefused(t *testing.T) {
	form := url.Values{"user": {"u1"}, "channel": {"whatsapp"}, "text": {"HAPUS DATA"}, "id": {"f1"}}
	tests := []struct {
		name          string
		token, cookie string
		header        map[string]string
		status        int
	}{
		{name: "same origin", token: testToken, cookie: testToken, header: map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, status: 303},
		{name: "an Origin that is the host", token: testToken, cookie: testToken, header: map[string]string{"Origin": "http://example.com"}, status: 303},
		{name: "no token", status: 403},
		{name: "a token but no cookie", token: testToken, status: 403},
		{name: "a cookie but no token", cookie: testToken, status: 403},
		{name: "another token", token: strings.Repeat("A", formTokenLen), cookie: testToken, status: 403},
		{name: "cross-site by Sec-Fetch-Site", token: testToken, cookie: testToken, header: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 403},
		{name: "same-site but another origin", token: testToken, cookie: testToken, header: map[string]string{"Sec-Fetch-Site": "same-site"}, status: 403},
		{name: "a foreign Origin", token: testToken, cookie: testToken, header: map[string]string{"Origin": "http://evil.example"}, status: 403},
		{name: "another port is another origin", token: testToken, cookie: testToken, header: map[string]string{"Origin": "http://example.com:8080"}, status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSim{reply: answer}
			req := formPost(form, tt.token, tt.cookie)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := do(t, newTestServer(f), req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			got := f.got()
			if tt.status == 303 {
				if len(got) != 1 {
					t.Errorf("submitted %+v, want the message", got)
				}
				return
			}
			if len(got) != 0 {
				t.Errorf("submitted %+v, want nothing", got)
			}
			if strings.Contains(rec.Body.String(), "HAPUS DATA") {
				t.Errorf("the refused text is put back on the page:\n%s", rec.Body)
			}
		})
	}
}

// TestSimFormRefusedWithAFreshToken checks that the visitor whose token
// was refused gets a page with a new one, and can send with it.
func TestSimFormRefusedWithAFreshToken(t *testing.T) {
	f := &fakeSim{reply: answer}
	s := newTestServer(f)
	form := url.Values{"user": {"u1"}, "text": {"halo"}, "id": {"f1"}}
	rec := do(t, s, formPost(form, "", ""))
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "Silakan kirim lagi") || !strings.Contains(rec.Body.String(), `id="composer"`) {
		t.Fatalf("status %d, want 403 and the chat with a notice:\n%s", rec.Code, rec.Body)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || !strings.Contains(rec.Body.String(), `name="csrf" value="`+cookies[0].Value+`"`) {
		t.Fatalf("cookies %v, want one whose token is on the page", cookies)
	}
	if rec := do(t, s, formPost(form, cookies[0].Value, cookies[0].Value)); rec.Code != 303 || len(f.got()) != 1 {
		t.Errorf("with the fresh token: status %d, submitted %d", rec.Code, len(f.got()))
	}
}

// answer answers every message at once, so a form post does not wait.
func answer(care.Inbound) []care.SimMessage { return []care.SimMessage{{Text: "Baik."}} }

// eraser answers like Mitra's erasure: HAPUS DATA asks to confirm, and YA
// then erases every message of the contact and confirms. It runs inside
// f.Submit, which holds f.mu.
func eraser(f *fakeSim) func(care.Inbound) []care.SimMessage {
	asked := map[care.Address]bool{}
	return func(in care.Inbound) []care.SimMessage {
		id := in.Address
		switch {
		case in.Text == "HAPUS DATA":
			asked[id] = true
			return []care.SimMessage{{Text: "Hapus semua data Anda? Balas YA."}}
		case in.Text == "YA" && asked[id]:
			delete(f.msgs, id)
			delete(asked, id)
			return []care.SimMessage{{Text: "Data Anda sudah dihapus."}}
		}
		return nil
	}
}

// TestCrossSiteErasure is the attack: a page elsewhere makes the
// visitor's browser send HAPUS DATA then YA for a simulated contact,
// with the form and with the JSON API. Nothing is sent and the contact's
// conversation stays. The same two messages from the page itself erase
// it, so the test would see an erasure.
func TestCrossSiteErasure(t *testing.T) {
	type attack func(text string) *http.Request
	evilForm := func(header string) attack {
		return func(text string) *http.Request {
			req := formPost(url.Values{"user": {"korban"}, "channel": {"whatsapp"}, "text": {text}, "id": {msgID(text)}}, testToken, "")
			req.Header.Set(header, map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}[header])
			return req
		}
	}
	evilAPI := func(contentType, origin string) attack {
		return func(text string) *http.Request {
			req := httptest.NewRequest("POST", "/api/sim/messages", strings.NewReader(`{"user":"korban","text":"`+text+`","id":"`+msgID(text)+`"}`))
			req.Header.Set("Content-Type", contentType)
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			return req
		}
	}
	tests := []struct {
		name   string
		send   attack
		status int
		erased bool
	}{
		{name: "the visitor's own page", send: func(text string) *http.Request {
			req := formPost(url.Values{"user": {"korban"}, "text": {text}, "id": {msgID(text)}}, testToken, testToken)
			req.Header.Set("Origin", "http://example.com")
			return req
		}, status: 303, erased: true},
		{name: "form from a foreign Origin", send: evilForm("Origin"), status: 403},
		{name: "form marked cross-site", send: evilForm("Sec-Fetch-Site"), status: 403},
		{name: "API from a foreign Origin", send: evilAPI("application/json", "http://evil.example"), status: 403},
		{name: "API as text/plain, which needs no CORS preflight", send: evilAPI("text/plain", ""), status: 415},
		{name: "API as a form", send: evilAPI("application/x-www-form-urlencoded", ""), status: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSim{}
			f.reply = eraser(f)
			f.add(wa("korban"), care.SimMessage{Text: "Pesanan #12 sudah dikirim."})
			s := newTestServer(f)
			for _, text := range []string{"HAPUS DATA", "YA"} {
				if rec := do(t, s, tt.send(text)); rec.Code != tt.status {
					t.Fatalf("%s: status %d, want %d; body %s", text, rec.Code, tt.status, rec.Body)
				}
			}
			rec := do(t, s, httptest.NewRequest("GET", "/api/sim/messages?user=korban", nil))
			var body struct{ Messages []care.SimMessage }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 {
				t.Fatalf("listing: %d %s", rec.Code, rec.Body)
			}
			erased := !strings.Contains(rec.Body.String(), "Pesanan #12")
			if erased != tt.erased {
				t.Errorf("erased %t, want %t; messages %+v", erased, tt.erased, body.Messages)
			}
			if !tt.erased && len(f.got()) != 0 {
				t.Errorf("submitted %+v, want nothing", f.got())
			}
		})
	}
}

// rand8 is a message id for text, the same for the same text.
func msgID(text string) string {
	return strings.ReplaceAll(strings.ToLower(text), " ", "-")
}
