package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

func TestSimPost(t *testing.T) {
	tg := care.Address{Channel: care.Telegram, ID: "sim-u1"}
	tests := []struct {
		name string
		body string
		// contentType is application/json when empty.
		contentType string
		submitErr   error
		status      int
		want        *care.Inbound // nil: nothing submitted
		errHas      string
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
		{
			name:        "JSON with a charset",
			body:        `{"user":"u1","text":"halo","id":"m7"}`,
			contentType: "application/json; charset=utf-8",
			status:      200,
			want:        &care.Inbound{Address: wa("u1"), Name: "u1", MessageID: "m7", Kind: care.KindText, Text: "halo", At: testNow},
		},
		{name: "JSON sent as text/plain", body: `{"user":"u1","text":"halo"}`, contentType: "text/plain", status: 415, errHas: "Content-Type: application/json, not \"text/plain\""},
		{name: "curl's default form type", body: `{"user":"u1","text":"halo"}`, contentType: "application/x-www-form-urlencoded", status: 415, errHas: "Content-Type: application/json"},
		{name: "a JSON-looking type", body: `{"user":"u1","text":"halo"}`, contentType: "application/json-seq", status: 415, errHas: "Content-Type"},
		{name: "a malformed type", body: `{"user":"u1","text":"halo"}`, contentType: "application/json; =", status: 415, errHas: "Content-Type"},
		{name: "unknown field", body: `{"user":"u1","chanel":"telegram","text":"halo"}`, status: 400, errHas: `unknown field "chanel"`},
		{name: "a long unknown field is cut", body: `{"` + strings.Repeat("x", 1000) + `":1}`, status: 400, errHas: "…"},
		{name: "a long kind is cut", body: `{"user":"u1","kind":"` + strings.Repeat("k", 1000) + `"}`, status: 400, errHas: "kkk…"},
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
			req := httptest.NewRequest("POST", "/api/sim/messages", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", cmp.Or(tt.contentType, "application/json"))
			rec := do(t, newTestServer(f), req)
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
			if !strings.Contains(body.Error, tt.errHas) || len(body.Error) > 400 {
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

// postJSON is a POST of body to the JSON API, as a script sends it.
func postJSON(body string) *http.Request {
	req := httptest.NewRequest("POST", "/api/sim/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
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
		rec := do(t, s, postJSON(b))
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
	rec := do(t, newTestServer(&fakeSim{}), postJSON(body))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413; body %s", rec.Code, rec.Body)
	}
}

func TestSimList(t *testing.T) {
	f := &fakeSim{}
	for i := range 150 {
		f.add(wa("u1"), care.SimMessage{Text: fmt.Sprintf("pesan %d", i+1)})
	}
	f.add(wa("u2"), care.SimMessage{Text: "Pilih:", Choices: []care.Choice{{ID: "hours", Label: "Jam buka"}}})
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
