package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCheckWebhookPath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"/telegram/webhook", true},
		{"/tg/hook-7f3a", true},
		{"", false},
		{"/", false},
		{"telegram", false},
		{"/api/sim/messages", false},
		{"/metrics", false},
		{"/hook/{id}", false},
		{"/static/x", false},
		{"/a//b", false},
	}
	for _, tt := range tests {
		if err := CheckWebhookPath(tt.path); (err == nil) != tt.ok {
			t.Errorf("CheckWebhookPath(%q) = %v, want ok %t", tt.path, err, tt.ok)
		}
	}
}

// TestBoundedInputs sends what no page of Mitra's sends: every answer is
// a clear refusal, in JSON on the API, and repeats little of the input.
func TestBoundedInputs(t *testing.T) {
	long := strings.Repeat("u", maxQuery)
	bigForm := url.Values{"user": {"u1"}, "text": {strings.Repeat("a", maxBody)}}.Encode()
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		status      int
		json        bool
		has         string
		allow       string
	}{
		{name: "long API query", method: "GET", target: "/api/sim/messages?user=u1&x=" + long, status: 414, json: true, has: "query longer than"},
		{name: "long page query", method: "GET", target: "/?user=" + long, status: 414, has: "query longer than"},
		{name: "long user on the API", method: "GET", target: "/api/sim/messages?user=" + long[:1000], status: 400, json: true, has: "user must be"},
		{name: "long channel on the API", method: "GET", target: "/api/sim/messages?user=u1&channel=" + long[:1000], status: 400, json: true, has: "uuu…"},
		{name: "long after on the API", method: "GET", target: "/api/sim/messages?user=u1&after=" + strings.Repeat("9", 1000), status: 400, json: true, has: "after must be"},
		{name: "long user on the page", method: "GET", target: "/?user=" + long[:1000], status: 400, has: "user must be"},
		{name: "no Content-Type", method: "POST", target: "/api/sim/messages", body: `{"user":"u1","text":"halo"}`, status: 415, json: true, has: "Content-Type: application/json (it has no Content-Type)"},
		{name: "API body too large", method: "POST", target: "/api/sim/messages", contentType: "application/json", body: `{"user":"u1","text":"` + strings.Repeat("a", maxBody) + `"}`, status: 413, json: true, has: "larger than"},
		{name: "form too large", method: "POST", target: "/sim/send", contentType: "application/x-www-form-urlencoded", body: bigForm, status: 413, has: "terlalu panjang"},
		{name: "API method", method: "PUT", target: "/api/sim/messages", contentType: "application/json", body: `{}`, status: 405, json: true, has: "use GET, POST", allow: "GET, POST"},
		{name: "API method DELETE", method: "DELETE", target: "/api/sim/messages?user=u1", status: 405, json: true, has: "method DELETE not allowed"},
		{name: "no such API", method: "GET", target: "/api/sim/contacts", status: 404, json: true, has: "no API at /api/sim/contacts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSim{}
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec := do(t, newTestServer(f), req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %.300s", rec.Code, tt.status, rec.Body)
			}
			if len(f.got()) != 0 {
				t.Errorf("submitted %+v", f.got())
			}
			msg := rec.Body.String()
			if tt.json {
				var body struct{ Error string }
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
					t.Fatalf("not a JSON error (%v): %s %.300s", err, rec.Header().Get("Content-Type"), rec.Body)
				}
				msg = body.Error
				if len(msg) > 300 {
					t.Errorf("error of %d bytes repeats the input: %.300s", len(msg), msg)
				}
			}
			if !strings.Contains(msg, tt.has) {
				t.Errorf("answer %.300q lacks %q", msg, tt.has)
			}
			if strings.Contains(msg, strings.Repeat("u", 2*maxSimUser)) {
				t.Errorf("answer repeats the long input: %.300s", msg)
			}
			if tt.allow != "" && rec.Header().Get("Allow") != tt.allow {
				t.Errorf("Allow %q, want %q", rec.Header().Get("Allow"), tt.allow)
			}
		})
	}
}

// TestWebhookBody checks that a channel's webhook reads its own, larger
// body, and that the same-origin rule lets a platform's post through.
func TestWebhookBody(t *testing.T) {
	var got int
	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = len(b)
	})
	s := New(Config{Webhooks: map[string]http.Handler{"/telegram/webhook": hook}, Logger: slog.New(slog.DiscardHandler)})
	body := strings.Repeat("x", 2*maxBody)
	rec := do(t, s, httptest.NewRequest("POST", "/telegram/webhook", strings.NewReader(body)))
	if rec.Code != 200 || got != len(body) {
		t.Errorf("status %d, webhook read %d bytes, want 200 and %d", rec.Code, got, len(body))
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"longer than ten", 10, "longer tha…"},
		{"ééééé", 3, "é…"},
		{"", 3, ""},
	}
	for _, tt := range tests {
		if got := clip(tt.in, tt.max); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
