package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

const rinaPassword = "es-teler-77-manis"

// inboxServer is a server over a real store with the inbox, the
// contacts and the canned replies, and three accounts, each with a
// bearer token: Sari the owner, budi and rina of the staff.
type inboxServer struct {
	*Server
	store  *redisstore.Store
	staff  *redisstore.Staff
	clock  *authClock
	tokens map[string]string
}

func newInboxServer(t *testing.T) inboxServer {
	t.Helper()
	client, prefix := redistest.Client(t)
	clock := &authClock{now: testNow}
	store := redisstore.New(client, prefix, redisstore.WithClock(clock.Now), redisstore.WithTranscript(24*time.Hour))
	st := store.Staff(redisstore.WithBcryptCost(bcrypt.MinCost))
	s := inboxServer{store: store, staff: st, clock: clock, tokens: map[string]string{}}
	for _, a := range []struct {
		name     string
		role     care.StaffRole
		password string
	}{{"Sari", care.RoleOwner, ownerPassword}, {"budi", care.RoleStaff, staffPassword}, {"rina", care.RoleStaff, rinaPassword}} {
		if _, err := st.AddStaff(t.Context(), a.name, a.role, a.password); err != nil {
			t.Fatal(err)
		}
		_, secret, err := st.CreateStaffToken(t.Context(), a.name, "test")
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[strings.ToLower(a.name)] = secret
	}
	s.Server = New(Config{Staff: st, Inbox: store, HandbackFlows: []string{"menu"}, Contacts: store, Directory: store, Canned: store,
		ShopName: "Toko Sari", TimeZone: time.FixedZone("WIB", 7*3600), Now: clock.Now, Logger: slog.New(slog.DiscardHandler)})
	return s
}

// customer has a person write from addr at the clock's time, as the
// runtime commits it: the bot hands the conversation to staff and says
// so, and the answer is delivered. It returns the contact's id.
func (s inboxServer) customer(t *testing.T, addr care.Address, name, lang, text string, consent ...care.ConsentEvent) care.ContactID {
	t.Helper()
	res, err := s.store.Resolve(t.Context(), []care.ResolveRequest{{Address: addr}})
	if err != nil {
		t.Fatal(err)
	}
	id, now := res[0].Contact, s.clock.Now()
	c := care.Contact{ID: id, Addresses: []care.Address{addr}, Name: name, Lang: lang, FirstSeen: now, LastInbound: now,
		LastInboundOn: map[care.Channel]time.Time{addr.Channel: now},
		Handover:      care.Handover{State: care.StateWaiting, Since: now, Until: now.Add(4 * time.Hour), Reason: "person", FirstWords: text}}
	for _, e := range consent {
		c = c.Apply(e)
	}
	msg := "m-" + addr.ID
	err = s.store.Commit(t.Context(), care.Commit{
		Inbound:    care.Inbound{Address: addr, MessageID: msg, Kind: care.KindText, Text: text, At: now},
		Session:    care.Session{Lang: lang, Updated: now},
		Contact:    c,
		Outbound:   []care.Outbound{{ID: string(id) + "/" + msg + ".0", Contact: id, Address: addr, Class: care.Reply, Text: "Staf kami akan membalas di sini.", InReplyTo: msg, Created: now}},
		SessionTTL: 24 * time.Hour,
		Consent:    consent,
		Transcript: 24 * time.Hour,
		Events:     []care.StaffEvent{{At: now, Action: care.ActionHandedOver, By: care.ByMitra, Reason: "person"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range s.queued(t) {
		if err := s.store.Settle(t.Context(), d, care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// queued returns what waits in the WhatsApp lanes for a sender.
func (s inboxServer) queued(t *testing.T) []care.Delivery {
	t.Helper()
	ds, err := s.store.Next(t.Context(), "test-sender", care.LanesOf(string(care.WhatsApp)), 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := s.store.TakeAll(t.Context(), ds); errors.Join(errs...) != nil { // reads each message
		t.Fatal(errors.Join(errs...))
	}
	return ds
}

// call makes a JSON API call as an account with its bearer token ("":
// none), with body sent as JSON unless it is "".
func (s inboxServer) call(t *testing.T, who, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[who])
	}
	rec := do(t, s, req)
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.Code != http.StatusNoContent {
		t.Errorf("%s %s: Content-Type %q, want JSON: %s", method, path, rec.Header().Get("Content-Type"), rec.Body)
	}
	return rec
}

// decode reads a JSON answer.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer is not the JSON wanted: %v\n%s", err, rec.Body)
	}
	return v
}

// want fails the test unless rec has status.
func want(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
}

type apiList struct {
	Conversations []struct {
		Contact     care.ContactID `json:"contact"`
		Name        string         `json:"name"`
		Channels    []care.Channel `json:"channels"`
		State       string         `json:"state"`
		Holder      string         `json:"holder"`
		Since       time.Time      `json:"since"`
		FirstWords  string         `json:"first_words"`
		LastMessage time.Time      `json:"last_message"`
	} `json:"conversations"`
}

type apiHandover struct {
	Contact  care.ContactID `json:"contact"`
	Handover struct {
		State  string `json:"state"`
		Holder string `json:"holder"`
	} `json:"handover"`
}

type apiDetail struct {
	Contact struct {
		ID         care.ContactID        `json:"id"`
		Name       string                `json:"name"`
		Channels   []care.Channel        `json:"channels"`
		ReplyUntil time.Time             `json:"reply_until"`
		Consent    map[care.Purpose]bool `json:"consent"`
	} `json:"contact"`
	Handover struct {
		State  string `json:"state"`
		Holder string `json:"holder"`
	} `json:"handover"`
	Transcript []struct {
		From string `json:"from"`
		By   string `json:"by"`
		Text string `json:"text"`
	} `json:"transcript"`
	Notes  []care.Note `json:"notes"`
	Events []struct {
		Action string `json:"action"`
		By     string `json:"by"`
	} `json:"events"`
}

type apiError struct {
	Error string `json:"error"`
}

var dewi = care.Address{Channel: care.WhatsApp, ID: "6281234567890"}

// TestInboxAPIWholePath answers a customer through the JSON API as a
// program would: the list, a take-over, a second person refused, a
// reply that reaches the outbox, a private note that does not, the
// conversation as the console shows it, and the hand-back.
func TestInboxAPIWholePath(t *testing.T) {
	s := newInboxServer(t)
	id := s.customer(t, dewi, "Dewi", "id", "halo, telur omega ada?")
	s.clock.Add(time.Minute)

	list := decode[apiList](t, s.call(t, "budi", "GET", "/api/v1/conversations?state=waiting", ""))
	if len(list.Conversations) != 1 {
		t.Fatalf("waiting: %+v, want Dewi's conversation", list)
	}
	if c := list.Conversations[0]; c.Contact != id || c.Name != "Dewi" || !slices.Equal(c.Channels, []care.Channel{care.WhatsApp}) ||
		c.State != "waiting" || c.Holder != "" || !c.Since.Equal(testNow) || c.FirstWords != "halo, telur omega ada?" || !c.LastMessage.Equal(testNow) {
		t.Errorf("waiting conversation %+v", c)
	}
	rec := s.call(t, "budi", "GET", "/api/v1/conversations?state=held", "")
	want(t, rec, 200)
	if strings.TrimSpace(rec.Body.String()) != `{"conversations":[]}` {
		t.Errorf("nothing held: %s, want an empty list", rec.Body)
	}

	path := "/api/v1/conversations/" + string(id)
	rec = s.call(t, "budi", "POST", path+"/takeover", "{}")
	want(t, rec, 200)
	if h := decode[apiHandover](t, rec); h.Contact != id || h.Handover.State != "held" || h.Handover.Holder != "budi" {
		t.Errorf("take-over answered %+v", h)
	}
	rec = s.call(t, "rina", "POST", path+"/takeover", "{}")
	want(t, rec, 409)
	if e := decode[apiError](t, rec); e.Error != "budi holds this" {
		t.Errorf("second take-over: %q, want \"budi holds this\"", e.Error)
	}
	if l := decode[apiList](t, s.call(t, "rina", "GET", "/api/v1/conversations?state=held", "")); len(l.Conversations) != 1 || l.Conversations[0].Holder != "budi" {
		t.Errorf("held: %+v, want Dewi's held by budi", l)
	}

	rec = s.call(t, "budi", "POST", path+"/messages", `{"text": "Halo Kak Dewi, telur omega ada. Mau berapa?"}`)
	want(t, rec, 202)
	sent := decode[struct {
		ID string `json:"id"`
	}](t, rec)
	ds := s.queued(t)
	if len(ds) != 1 {
		t.Fatalf("outbox holds %d messages, want budi's reply", len(ds))
	}
	if d := ds[0]; d.ID != sent.ID || d.Lane != "whatsapp.reply" || d.Contact != id || d.Address != dewi || d.Origin != care.OriginStaff ||
		d.Staff != "budi" || d.Text != "Halo Kak Dewi, telur omega ada. Mau berapa?" {
		t.Errorf("queued %+v in %s, want budi's reply %s in whatsapp.reply", d.Outbound, d.Lane, sent.ID)
	}
	if err := s.store.Settle(t.Context(), ds[0], care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
		t.Fatal(err)
	}

	const html = `<script>alert("x")</script> & <b>VIP</b>`
	rec = s.call(t, "budi", "POST", path+"/notes", `{"text": `+strconvQuote(html)+`}`)
	want(t, rec, 201)
	if n := decode[struct{ Note care.Note }](t, rec); n.Note.Text != html || n.Note.By != "budi" {
		t.Errorf("note %+v", n)
	}
	if ds := s.queued(t); len(ds) != 0 {
		t.Errorf("a private note reached the outbox: %+v", ds)
	}

	rec = s.call(t, "rina", "GET", path, "")
	want(t, rec, 200)
	if strings.Contains(rec.Body.String(), "<script>") {
		t.Errorf("the answer holds raw HTML: %s", rec.Body)
	}
	d := decode[apiDetail](t, rec)
	if d.Contact.ID != id || d.Contact.Name != "Dewi" || !d.Contact.ReplyUntil.Equal(testNow.Add(24*time.Hour)) ||
		d.Contact.Consent[care.Orders] != true || d.Contact.Consent[care.Promotions] != false {
		t.Errorf("contact %+v", d.Contact)
	}
	if d.Handover.State != "held" || d.Handover.Holder != "budi" {
		t.Errorf("handover %+v", d.Handover)
	}
	var said []string
	for _, m := range d.Transcript {
		said = append(said, m.From+"/"+m.By+": "+m.Text)
	}
	if w := []string{"customer/: halo, telur omega ada?", "bot/: Staf kami akan membalas di sini.", "staff/budi: Halo Kak Dewi, telur omega ada. Mau berapa?"}; !slices.Equal(said, w) {
		t.Errorf("transcript %q, want %q", said, w)
	}
	if len(d.Notes) != 1 || d.Notes[0].Text != html {
		t.Errorf("notes %+v, want the note as written", d.Notes)
	}
	var acts []string
	for _, e := range d.Events {
		acts = append(acts, e.Action+" "+e.By)
	}
	if w := []string{"handed_over the bot", "took_over budi", "replied budi"}; !slices.Equal(acts, w) {
		t.Errorf("events %q, want %q", acts, w)
	}
	audit, err := s.store.StaffAudit(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != care.ActionViewed || audit[0].By != "rina" || audit[0].Contact != id {
		t.Errorf("newest audit entry %+v, want rina's view", audit)
	}

	want(t, s.call(t, "rina", "POST", path+"/handback", "{}"), 409)
	rec = s.call(t, "budi", "POST", path+"/handback", `{"flow": "menu"}`)
	want(t, rec, 200)
	if h := decode[apiHandover](t, rec); h.Handover.State != "bot" {
		t.Errorf("hand-back answered %+v", h)
	}
	c, _, err := s.store.Contact(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Handover.Resume == nil || c.Handover.Resume.Flow != "menu" {
		t.Errorf("after the hand-back the bot owes %+v, want the menu", c.Handover.Resume)
	}
	if l := decode[apiList](t, s.call(t, "budi", "GET", "/api/v1/conversations?state=held", "")); len(l.Conversations) != 0 {
		t.Errorf("held after the hand-back: %+v", l)
	}
	if l := decode[apiList](t, s.call(t, "budi", "GET", "/api/v1/conversations", "")); len(l.Conversations) != 1 || l.Conversations[0].State != "bot" {
		t.Errorf("all: %+v, want Dewi's with the bot", l)
	}
}

// strconvQuote is s as a JSON string.
func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestInboxAPIRefused sends what the API must refuse, each with a JSON
// error and nothing queued.
func TestInboxAPIRefused(t *testing.T) {
	s := newInboxServer(t)
	old := s.customer(t, care.Address{Channel: care.WhatsApp, ID: "6281100000001"}, "Lama", "id", "halo")
	s.clock.Add(25 * time.Hour)
	held := s.customer(t, dewi, "Dewi", "id", "halo")
	waiting := s.customer(t, care.Address{Channel: care.WhatsApp, ID: "6281100000002"}, "Tunggu", "id", "halo")
	erasing := s.customer(t, care.Address{Channel: care.WhatsApp, ID: "6281100000003"}, "Hapus", "id", "halo")
	for _, id := range []care.ContactID{old, held, erasing} {
		want(t, s.call(t, "budi", "POST", "/api/v1/conversations/"+string(id)+"/takeover", "{}"), 200)
	}
	now := s.clock.Now()
	err := s.store.Commit(t.Context(), care.Commit{
		Inbound: care.Inbound{Address: care.Address{Channel: care.WhatsApp, ID: "6281100000003"}, MessageID: "erase", Kind: care.KindText, Text: "HAPUS DATA", At: now},
		Session: care.Session{Version: 1, Updated: now},
		Contact: care.Contact{ID: erasing, Version: 2, Addresses: []care.Address{{Channel: care.WhatsApp, ID: "6281100000003"}}, LastInbound: now, Erasing: now},
		Erase:   true,
	})
	if err != nil {
		t.Fatal(err)
	}
	conv := func(id care.ContactID, action string) string {
		return "/api/v1/conversations/" + string(id) + "/" + action
	}

	tests := []struct {
		name         string
		who          string
		method, path string
		contentType  string // "": application/json when there is a body
		body         string
		status       int
		error        string // part of the error
	}{
		{name: "empty text", who: "budi", method: "POST", path: conv(held, "messages"), body: `{"text": ""}`, status: 400, error: "empty text"},
		{name: "blank text", who: "budi", method: "POST", path: conv(held, "messages"), body: `{"text": " \n "}`, status: 400, error: "empty text"},
		{name: "no text", who: "budi", method: "POST", path: conv(held, "messages"), body: `{}`, status: 400, error: "empty text"},
		{name: "too long", who: "budi", method: "POST", path: conv(held, "messages"), body: `{"text": "` + strings.Repeat("é", care.MaxText+1) + `"}`, status: 400, error: "4097 characters"},
		{name: "note too long", who: "budi", method: "POST", path: conv(held, "notes"), body: `{"text": "` + strings.Repeat("a", care.MaxText+1) + `"}`, status: 400, error: "at most 4096"},
		{name: "not the holder", who: "rina", method: "POST", path: conv(held, "messages"), body: `{"text": "halo"}`, status: 409, error: "budi holds this"},
		{name: "nobody holds it", who: "budi", method: "POST", path: conv(waiting, "messages"), body: `{"text": "halo"}`, status: 409, error: "take the conversation over"},
		{name: "outside the 24-hour window", who: "budi", method: "POST", path: conv(old, "messages"), body: `{"text": "halo"}`, status: 422, error: "reply window closed"},
		{name: "erasing", who: "budi", method: "POST", path: conv(erasing, "messages"), body: `{"text": "halo"}`, status: 409, error: "erase their data"},
		{name: "note on an erasing contact", who: "budi", method: "POST", path: conv(erasing, "notes"), body: `{"text": "halo"}`, status: 409, error: "erase their data"},
		{name: "unknown contact", who: "budi", method: "POST", path: conv("caaaaaaaaaaaaaaaa", "messages"), body: `{"text": "halo"}`, status: 404, error: "not found"},
		{name: "not a contact id", who: "budi", method: "POST", path: conv("6281234567890", "takeover"), body: `{}`, status: 404, error: "contact id of the list"},
		{name: "unknown contact's conversation", who: "budi", method: "GET", path: "/api/v1/conversations/caaaaaaaaaaaaaaaa", status: 404, error: "not found"},
		{name: "take over an unknown contact", who: "budi", method: "POST", path: conv("caaaaaaaaaaaaaaaa", "takeover"), body: `{}`, status: 404, error: "not found"},
		{name: "form body", who: "budi", method: "POST", path: conv(held, "messages"), contentType: "application/x-www-form-urlencoded", body: `text=halo`, status: 415, error: "Content-Type: application/json"},
		{name: "plain text body", who: "budi", method: "POST", path: conv(held, "takeover"), contentType: "text/plain", body: `{}`, status: 415, error: "Content-Type: application/json"},
		{name: "no content type", who: "budi", method: "POST", path: conv(held, "takeover"), contentType: "-", status: 415, error: "no Content-Type"},
		{name: "not JSON", who: "budi", method: "POST", path: conv(held, "messages"), body: `{"text": "halo"`, status: 400, error: "one JSON object"},
		{name: "two values", who: "budi", method: "POST", path: conv(held, "messages"), body: `{"text": "a"} {"text": "b"}`, status: 400, error: "more than one"},
		{name: "unknown field", who: "budi", method: "POST", path: conv(held, "messages"), body: `{"txt": "halo"}`, status: 400, error: "unknown field"},
		{name: "body over the bound", who: "budi", method: "POST", path: conv(held, "messages"), body: `{"text": "` + strings.Repeat("a", maxBody) + `"}`, status: 413, error: "larger than"},
		{name: "bad flow", who: "budi", method: "POST", path: conv(held, "handback"), body: `{"flow": "a/b"}`, status: 400, error: "Unknown flow"},
		{name: "unknown state", who: "budi", method: "GET", path: "/api/v1/conversations?state=open", status: 400, error: "waiting, held or all"},
		{name: "bad limit", who: "budi", method: "GET", path: "/api/v1/conversations?limit=0", status: 400, error: "1 to 500"},
		{name: "wrong method", who: "budi", method: "DELETE", path: "/api/v1/conversations", status: 405, error: "use GET"},
		{name: "GET an action", who: "budi", method: "GET", path: conv(held, "takeover"), status: 405, error: "use POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			switch tt.contentType {
			case "":
				if tt.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
			case "-":
			default:
				req.Header.Set("Content-Type", tt.contentType)
			}
			req.Header.Set("Authorization", "Bearer "+s.tokens[tt.who])
			rec := do(t, s, req)
			want(t, rec, tt.status)
			if e := decode[apiError](t, rec); !strings.Contains(e.Error, tt.error) {
				t.Errorf("error %q, want it to say %q", e.Error, tt.error)
			}
		})
	}
	if ds := s.queued(t); len(ds) != 0 {
		t.Errorf("refused calls queued %d messages", len(ds))
	}
	// The longest text goes.
	want(t, s.call(t, "budi", "POST", conv(held, "messages"), `{"text": "`+strings.Repeat("é", care.MaxText)+`"}`), 202)
}

// TestInboxAPIAuth calls the API without valid credentials: a JSON 401
// (403 for a browser's call without the page's token), and nothing done.
func TestInboxAPIAuth(t *testing.T) {
	s := newInboxServer(t)
	id := s.customer(t, dewi, "Dewi", "id", "halo")
	revoked, revokedSecret, err := s.staff.CreateStaffToken(t.Context(), "budi", "lama")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.staff.RevokeStaffToken(t.Context(), "budi", revoked.ID); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	wantRedirect(t, b.login("budi", staffPassword, nil), "/console")

	path := "/api/v1/conversations/" + string(id)
	calls := []struct{ method, path, body string }{
		{"GET", "/api/v1/conversations?state=waiting", ""},
		{"GET", path, ""},
		{"POST", path + "/takeover", "{}"},
		{"POST", path + "/messages", `{"text": "halo"}`},
		{"POST", path + "/notes", `{"text": "halo"}`},
		{"POST", path + "/handback", "{}"},
		{"GET", "/api/v1/canned", ""},
		{"POST", "/api/v1/canned", `{"name": "a", "text": "b"}`},
		{"DELETE", "/api/v1/canned/a", ""},
	}
	creds := []struct {
		name   string
		set    func(*http.Request)
		status int
	}{
		{"no token", func(*http.Request) {}, 401},
		{"revoked token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+revokedSecret) }, 401},
		{"session cookie without the page's token", func(r *http.Request) {
			for name, v := range b.cookies {
				r.AddCookie(&http.Cookie{Name: name, Value: v})
			}
		}, 403},
	}
	for _, cr := range creds {
		for _, c := range calls {
			t.Run(cr.name+" "+c.method+" "+c.path, func(t *testing.T) {
				req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				cr.set(req)
				rec := do(t, s, req)
				want(t, rec, cr.status)
				if e := decode[apiError](t, rec); e.Error == "" {
					t.Errorf("no error message: %s", rec.Body)
				}
			})
		}
	}
	c, _, err := s.store.Contact(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := s.store.StaffAudit(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if c.Handover.State != care.StateWaiting || len(audit) != 0 || len(s.queued(t)) != 0 {
		t.Errorf("calls without credentials did something: %+v, audit %+v", c.Handover, audit)
	}

	// The page's script, with the cookie and the token, acts for budi.
	req := httptest.NewRequest("POST", path+"/takeover", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(csrfHeader, b.cookies[formCookie])
	rec := b.do(req)
	want(t, rec, 200)
	if h := decode[apiHandover](t, rec); h.Handover.Holder != "budi" {
		t.Errorf("take-over from the page: %+v", h)
	}
}

// TestCannedAPI keeps canned replies through the API and renders them
// for contacts.
func TestCannedAPI(t *testing.T) {
	s := newInboxServer(t)
	dewiID := s.customer(t, dewi, "Dewi", "id", "halo")
	nameless := s.customer(t, care.Address{Channel: care.Telegram, ID: "4242"}, "", "en", "hi")

	want(t, s.call(t, "sari", "POST", "/api/v1/canned", `{"name": "Salam", "text": "Halo {{contact.name}}, selamat datang di {{shop.name}}!", "texts": {"en": "Hi {{contact.name}}, welcome to {{shop.name}}!"}}`), 200)
	want(t, s.call(t, "sari", "POST", "/api/v1/canned", `{"name": "ongkir", "text": "Ongkir Rp10.000."}`), 200)
	rec := s.call(t, "sari", "POST", "/api/v1/canned", `{"name": "salah", "text": "Halo {{nama}}"}`)
	want(t, rec, 400)
	if e := decode[apiError](t, rec); !strings.Contains(e.Error, "{{nama}}") {
		t.Errorf("bad variable: %q", e.Error)
	}
	want(t, s.call(t, "budi", "POST", "/api/v1/canned", `{"name": "x", "text": "y"}`), 403)
	want(t, s.call(t, "budi", "DELETE", "/api/v1/canned/ongkir", ""), 403)

	type canned struct {
		Canned []struct {
			Name  string            `json:"name"`
			Text  string            `json:"text"`
			Texts map[string]string `json:"texts"`
			By    string            `json:"by"`
		} `json:"canned"`
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"as written", "", []string{"ongkir: Ongkir Rp10.000.", "salam: Halo {{contact.name}}, selamat datang di {{shop.name}}!"}},
		{"for Dewi", "?contact=" + string(dewiID), []string{"ongkir: Ongkir Rp10.000.", "salam: Halo Dewi, selamat datang di Toko Sari!"}},
		{"for a nameless contact in English", "?contact=" + string(nameless), []string{"ongkir: Ongkir Rp10.000.", "salam: Hi Kak, welcome to Toko Sari!"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.call(t, "budi", "GET", "/api/v1/canned"+tt.query, "")
			want(t, rec, 200)
			var got []string
			for _, c := range decode[canned](t, rec).Canned {
				got = append(got, c.Name+": "+c.Text)
				if tt.query != "" && c.Texts != nil {
					t.Errorf("rendered %s keeps its other texts", c.Name)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("canned %q, want %q", got, tt.want)
			}
		})
	}
	want(t, s.call(t, "budi", "GET", "/api/v1/canned?contact=caaaaaaaaaaaaaaaa", ""), 404)
	want(t, s.call(t, "sari", "DELETE", "/api/v1/canned/Ongkir", ""), 204)
	want(t, s.call(t, "sari", "DELETE", "/api/v1/canned/ongkir", ""), 404)
}
