package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

// consoleServer is a server with the inbox over a real store, and three
// accounts: Sari the owner, budi and rina of the staff (rina has budi's
// password).
type consoleServer struct {
	*Server
	store *redisstore.Store
	clock *authClock
	mu    sync.Mutex
	// resumed are the contacts the server asked the bot to resume.
	resumed []care.ContactID
}

func newConsoleServer(t *testing.T) *consoleServer {
	t.Helper()
	client, prefix := redistest.Client(t)
	clock := &authClock{now: testNow}
	store := redisstore.New(client, prefix, redisstore.WithClock(clock.Now), redisstore.WithTranscript(24*time.Hour))
	st := store.Staff(redisstore.WithBcryptCost(bcrypt.MinCost))
	for _, a := range []struct {
		name     string
		role     care.StaffRole
		password string
	}{{"Sari", care.RoleOwner, ownerPassword}, {"budi", care.RoleStaff, staffPassword}, {"rina", care.RoleStaff, staffPassword}} {
		if _, err := st.AddStaff(t.Context(), a.name, a.role, a.password); err != nil {
			t.Fatal(err)
		}
	}
	s := &consoleServer{store: store, clock: clock}
	s.Server = New(Config{Staff: st, Inbox: store, Live: store, Canned: store, HandbackFlows: []string{"menu", "optin"},
		Resume: func(_ context.Context, id care.ContactID) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.resumed = append(s.resumed, id)
			return nil
		},
		ShopName: "Toko Sari", TimeZone: time.FixedZone("WIB", 7*3600), Now: clock.Now, Logger: slog.New(slog.DiscardHandler)})
	return s
}

// handsOver has a person write text from addr at the clock's time, as
// the runtime commits a message that hands the conversation to staff.
// It returns the contact's id.
func (s *consoleServer) handsOver(t *testing.T, addr care.Address, name, text string) care.ContactID {
	t.Helper()
	res, err := s.store.Resolve(t.Context(), []care.ResolveRequest{{Address: addr}})
	if err != nil {
		t.Fatal(err)
	}
	id, now := res[0].Contact, s.clock.Now()
	msg := "m-" + addr.ID
	err = s.store.Commit(t.Context(), care.Commit{
		Inbound: care.Inbound{Address: addr, MessageID: msg, Kind: care.KindText, Text: text, At: now},
		Session: care.Session{Lang: "id", Updated: now},
		Contact: care.Contact{ID: id, Addresses: []care.Address{addr}, Name: name, Lang: "id", FirstSeen: now, LastInbound: now,
			LastInboundOn: map[care.Channel]time.Time{addr.Channel: now},
			Handover:      care.Handover{State: care.StateWaiting, Since: now, Until: now.Add(4 * time.Hour), Reason: "person", FirstWords: text}},
		SessionTTL: 24 * time.Hour,
		Transcript: 24 * time.Hour,
		Events:     []care.StaffEvent{{At: now, Action: care.ActionHandedOver, By: care.ByMitra, Reason: "person"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// erases has the person at addr ask to erase their data, as the
// runtime commits it: a stub of the profile is left until the job ends.
func (s *consoleServer) erases(t *testing.T, id care.ContactID) {
	t.Helper()
	convs, err := s.store.LoadMany(t.Context(), []care.MessageRef{{Contact: id, MessageID: "erase-1"}})
	if err != nil {
		t.Fatal(err)
	}
	c, now := convs[0].Contact, s.clock.Now()
	addr := c.Addresses[0]
	err = s.store.Commit(t.Context(), care.Commit{
		Inbound: care.Inbound{Address: addr, MessageID: "erase-1", Kind: care.KindText, Text: "HAPUS DATA", At: now},
		Session: convs[0].Session,
		Contact: care.Contact{ID: c.ID, Version: c.Version, Addresses: c.Addresses, FirstSeen: c.FirstSeen,
			LastInbound: now, LastInboundOn: map[care.Channel]time.Time{addr.Channel: now}, Erasing: now},
		Erase:      true,
		SessionTTL: 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// outbox returns what waits in the WhatsApp lanes for a sender.
func (s *consoleServer) outbox(t *testing.T) []care.Delivery {
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

// signedIn is a browser logged in as name.
func (s *consoleServer) signedIn(t *testing.T, name, password string) *browser {
	t.Helper()
	b := newBrowser(t, s)
	wantRedirect(t, b.login(name, password, nil), "/console")
	return b
}

// staffAction posts a form of a console page as its script does: JSON
// wanted, the form token in the X-CSRF-Token header.
func staffAction(b *browser, path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(csrfHeader, b.cookies[formCookie])
	return b.do(req)
}

// actionAnswer is actionResult as a script reads it.
type actionAnswer struct {
	OK           bool   `json:"ok"`
	Error        string `json:"error"`
	Conversation *struct {
		Holder string            `json:"holder"`
		Mine   bool              `json:"mine"`
		WhyNot string            `json:"why_not"`
		Gone   string            `json:"gone"`
		HTML   map[string]string `json:"html"`
	} `json:"conversation"`
}

func answerOf(t *testing.T, rec *httptest.ResponseRecorder) actionAnswer {
	t.Helper()
	var a actionAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", rec.Code, err, rec.Body)
	}
	return a
}

var dian = care.Address{Channel: care.WhatsApp, ID: "6281299990001"}

// TestTakeoverRace: two people take the same conversation at once;
// exactly one holds it, and the other is told who.
func TestTakeoverRace(t *testing.T) {
	s := newConsoleServer(t)
	rina, budi := s.signedIn(t, "rina", staffPassword), s.signedIn(t, "budi", staffPassword)
	for round := range 6 {
		addr := care.Address{Channel: care.WhatsApp, ID: "62812000" + string(rune('0'+round))}
		id := s.handsOver(t, addr, "Dian", "halo, bisa pesan?")
		path := "/console/c/" + string(id) + "/takeover"
		recs := make([]*httptest.ResponseRecorder, 2)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, b := range []*browser{rina, budi} {
			wg.Go(func() {
				<-start
				recs[i] = staffAction(b, path, nil)
			})
		}
		close(start)
		wg.Wait()
		codes := []int{recs[0].Code, recs[1].Code}
		won, lost := 0, 1
		if codes[0] != 200 {
			won, lost = 1, 0
		}
		if slices.Sort(codes); !slices.Equal(codes, []int{200, 409}) {
			t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, codes)
		}
		winner := []string{"rina", "budi"}[won]
		a := answerOf(t, recs[lost])
		if a.OK || !strings.Contains(a.Error, winner+" holds this") {
			t.Errorf("round %d: the loser was told %q, want it to name %s", round, a.Error, winner)
		}
		if a.Conversation == nil || a.Conversation.Holder != winner || a.Conversation.Mine || !strings.Contains(a.Conversation.WhyNot, winner+" holds this") {
			t.Errorf("round %d: the loser's conversation %+v, want %s holding it and no reply", round, a.Conversation, winner)
		}
		if w := answerOf(t, recs[won]); !w.OK || w.Conversation == nil || !w.Conversation.Mine || w.Conversation.WhyNot != "" {
			t.Errorf("round %d: the winner's answer %+v", round, w)
		}
		tl, err := s.store.Reread(t.Context(), id)
		if err != nil || tl.Contact.Handover.Holder != winner {
			t.Errorf("round %d: stored holder %q (%v), want %s", round, tl.Contact.Handover.Holder, err, winner)
		}
	}
}

// TestReplyRefused: every reply that must not go out is refused with
// the reason, and nothing reaches the outbox; then one that may goes.
func TestReplyRefused(t *testing.T) {
	s := newConsoleServer(t)
	// Fajar wrote 25 hours ago: the reply window is closed.
	s.clock.Add(-care.ReplyWindow - time.Hour)
	old := s.handsOver(t, care.Address{Channel: care.WhatsApp, ID: "6281299990009"}, "Fajar", "halo")
	s.clock.Add(care.ReplyWindow + time.Hour)
	rina, budi := s.signedIn(t, "rina", staffPassword), s.signedIn(t, "budi", staffPassword)
	id := s.handsOver(t, dian, "Dian", "halo")
	reply := "/console/c/" + string(id) + "/reply"
	send := func(b *browser, text string) *httptest.ResponseRecorder {
		return staffAction(b, reply, url.Values{"text": {text}})
	}
	tests := []struct {
		name   string
		before func()
		rec    func() *httptest.ResponseRecorder
		status int
		reason string
	}{
		{"without holding it", nil, func() *httptest.ResponseRecorder { return send(rina, "Ada, Kak") }, 400, "Ambil alih dulu"},
		{"held by another", func() {
			if rec := staffAction(budi, "/console/c/"+string(id)+"/takeover", nil); rec.Code != 200 {
				t.Fatalf("budi takes over: %d %s", rec.Code, rec.Body)
			}
		}, func() *httptest.ResponseRecorder { return send(rina, "Ada, Kak") }, 409, "budi holds this"},
		{"empty", nil, func() *httptest.ResponseRecorder { return send(budi, "  \n ") }, 400, "kosong"},
		{"one character too long", nil, func() *httptest.ResponseRecorder { return send(budi, strings.Repeat("a", care.MaxText+1)) }, 400, "paling banyak 4096"},
		{"a 100 KB body", nil, func() *httptest.ResponseRecorder { return send(budi, strings.Repeat("<b>x</b>", 100<<10/8)) }, 413, "Terlalu besar"},
		{"without the form token", nil, func() *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", reply, strings.NewReader("text=halo"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			return budi.do(req)
		}, 403, "Formulir ini kedaluwarsa"},
		{"after the 24-hour window", func() {
			if rec := staffAction(budi, "/console/c/"+string(old)+"/takeover", nil); rec.Code != 200 {
				t.Fatalf("budi takes over: %d %s", rec.Code, rec.Body)
			}
		}, func() *httptest.ResponseRecorder {
			return staffAction(budi, "/console/c/"+string(old)+"/reply", url.Values{"text": {"Maaf telat, Kak"}})
		}, 400, "24 jam"},
	}
	for _, tt := range tests {
		if tt.before != nil {
			tt.before()
		}
		rec := tt.rec()
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.reason) {
			t.Errorf("%s: %d %.300s, want %d saying %q", tt.name, rec.Code, rec.Body, tt.status, tt.reason)
		}
		if got := s.outbox(t); len(got) != 0 {
			t.Errorf("%s: the outbox got %+v", tt.name, got)
		}
	}

	// Within the window, budi's reply goes.
	id2 := s.handsOver(t, care.Address{Channel: care.WhatsApp, ID: "6281299990002"}, "Eka", "halo")
	if rec := staffAction(budi, "/console/c/"+string(id2)+"/takeover", nil); rec.Code != 200 {
		t.Fatalf("take over: %d %s", rec.Code, rec.Body)
	}
	rec := staffAction(budi, "/console/c/"+string(id2)+"/reply", url.Values{"text": {"Ada, Kak. <b>Rp29.000</b>/kg"}})
	if a := answerOf(t, rec); rec.Code != 200 || !a.OK {
		t.Fatalf("reply: %d %+v", rec.Code, a)
	}
	got := s.outbox(t)
	if len(got) != 1 || got[0].Text != "Ada, Kak. <b>Rp29.000</b>/kg" || got[0].Staff != "budi" || got[0].Origin != care.OriginStaff {
		t.Errorf("the outbox holds %+v, want budi's reply", got)
	}

	// Erased: refused, and the page says why.
	s.erases(t, id2)
	rec = staffAction(budi, "/console/c/"+string(id2)+"/reply", url.Values{"text": {"halo?"}})
	if a := answerOf(t, rec); rec.Code != 404 || !strings.Contains(a.Error, "sudah dihapus") || a.Conversation == nil || a.Conversation.Gone == "" {
		t.Errorf("reply to an erased contact: %d %+v", rec.Code, a)
	}
	if page := budi.get("/console/c/" + string(id2)); page.Code != 404 || !strings.Contains(page.Body.String(), "sudah dihapus") {
		t.Errorf("the page of an erased contact: %d", page.Code)
	}
}

// TestNoteIsPrivate: a note shows in the timeline, marked private, and
// never reaches the outbox.
func TestNoteIsPrivate(t *testing.T) {
	s := newConsoleServer(t)
	rina := s.signedIn(t, "rina", staffPassword)
	id := s.handsOver(t, dian, "Dian", "halo")
	rec := staffAction(rina, "/console/c/"+string(id)+"/note", url.Values{"text": {"Pelanggan lama, biasa pesan 5 kg."}})
	a := answerOf(t, rec)
	if rec.Code != 200 || !a.OK {
		t.Fatalf("note: %d %+v", rec.Code, a)
	}
	if tl := a.Conversation.HTML["conv-timeline"]; !strings.Contains(tl, `class="item note"`) || !strings.Contains(tl, "Catatan pribadi · rina") || !strings.Contains(tl, "biasa pesan 5 kg") {
		t.Errorf("the timeline after the note:\n%s", tl)
	}
	if got := s.outbox(t); len(got) != 0 {
		t.Errorf("a note reached the outbox: %+v", got)
	}
	if rec := staffAction(rina, "/console/c/"+string(id)+"/note", url.Values{"text": {""}}); rec.Code != 400 || !strings.Contains(answerOf(t, rec).Error, "kosong") {
		t.Errorf("an empty note: %d %s", rec.Code, rec.Body)
	}
}

// TestConsoleEscapesHTML: what customers and staff write shows as text
// on the page, in the live updates and in the snapshot.
func TestConsoleEscapesHTML(t *testing.T) {
	s := newConsoleServer(t)
	rina := s.signedIn(t, "rina", staffPassword)
	evil := `<img src=x onerror="alert(1)">`
	id := s.handsOver(t, dian, `<script>alert("name")</script>`, evil)
	if rec := staffAction(rina, "/console/c/"+string(id)+"/note", url.Values{"text": {"<b>penting</b>"}}); rec.Code != 200 {
		t.Fatalf("note: %d", rec.Code)
	}
	page := rina.get("/console/c/" + string(id))
	req := httptest.NewRequest("GET", "/console/snapshot?c="+string(id), nil)
	snap := rina.do(req)
	for name, body := range map[string]string{"page": page.Body.String(), "snapshot": snap.Body.String()} {
		for _, raw := range []string{"<img src", "<script>alert", "<b>penting"} {
			if strings.Contains(body, raw) {
				t.Errorf("the %s holds %q unescaped", name, raw)
			}
		}
	}
	if !strings.Contains(page.Body.String(), "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;") || !strings.Contains(page.Body.String(), "&lt;b&gt;penting&lt;/b&gt;") {
		t.Errorf("the page does not show the texts as text:\n%s", page.Body)
	}
	var sp struct {
		Conversation struct {
			HTML map[string]string `json:"html"`
		} `json:"conversation"`
	}
	if err := json.Unmarshal(snap.Body.Bytes(), &sp); err != nil || !strings.Contains(sp.Conversation.HTML["conv-timeline"], "&lt;img src=x") {
		t.Errorf("snapshot %v:\n%s", err, snap.Body)
	}
}

// TestViewedAndViewers: opening a conversation is audited and marks
// the account as viewing it, which the others see; reading it again
// live is not audited.
func TestViewedAndViewers(t *testing.T) {
	s := newConsoleServer(t)
	rina, budi := s.signedIn(t, "rina", staffPassword), s.signedIn(t, "budi", staffPassword)
	id := s.handsOver(t, dian, "Dian", "halo")
	if rec := rina.get("/console/c/" + string(id)); rec.Code != 200 {
		t.Fatalf("rina opens it: %d", rec.Code)
	}
	for range 3 {
		if rec := rina.get("/console/snapshot?c=" + string(id)); rec.Code != 200 {
			t.Fatalf("snapshot: %d %s", rec.Code, rec.Body)
		}
	}
	page := budi.get("/console/c/" + string(id))
	if !strings.Contains(page.Body.String(), "Juga dibuka oleh <strong>rina</strong>") {
		t.Errorf("budi's page does not say rina views it:\n%s", page.Body)
	}
	audit, err := s.store.StaffAudit(t.Context(), 50)
	if err != nil {
		t.Fatal(err)
	}
	var views []string
	for _, e := range audit {
		if e.Action == care.ActionViewed && e.Contact == id {
			views = append(views, e.By)
		}
	}
	if !slices.Equal(views, []string{"rina", "budi"}) {
		t.Errorf("views audited %q, want rina's and budi's opening only", views)
	}
}

// TestHandbackResumes: a hand-back starts only a flow offered, and has
// the bot resume at once; a plain form goes back to the conversation.
func TestHandbackResumes(t *testing.T) {
	s := newConsoleServer(t)
	rina := s.signedIn(t, "rina", staffPassword)
	id := s.handsOver(t, dian, "Dian", "halo")
	path := "/console/c/" + string(id)
	if rec := staffAction(rina, path+"/takeover", nil); rec.Code != 200 {
		t.Fatalf("take over: %d", rec.Code)
	}
	if rec := staffAction(rina, path+"/handback", url.Values{"flow": {"erase"}}); rec.Code != 400 || !strings.Contains(rec.Body.String(), "tidak dikenal") {
		t.Errorf("hand back into a flow not offered: %d %s", rec.Code, rec.Body)
	}
	// Without the script: a form with its token, sent back to the page.
	wantRedirect(t, rina.post(path+"/handback", url.Values{"flow": {"menu"}, formField: {rina.cookies[formCookie]}}), path)
	tl, err := s.store.Reread(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if h := tl.Contact.Handover; h.State != care.StateBot || h.Resume == nil || h.Resume.Flow != "menu" {
		t.Errorf("handover %+v, want the bot's, owing the menu", h)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Equal(s.resumed, []care.ContactID{id}) {
		t.Errorf("resumed %v, want %s once", s.resumed, id)
	}
}

// TestConsoleQueuePage lists who waits and who holds, with first words,
// and each list on its own without the script.
func TestConsoleQueuePage(t *testing.T) {
	s := newConsoleServer(t)
	rina := s.signedIn(t, "rina", staffPassword)
	waiting := s.handsOver(t, dian, "Dian", "mau tanya ongkir ke Bantul")
	held := s.handsOver(t, care.Address{Channel: care.Telegram, ID: "5550001"}, "", "halo")
	if rec := staffAction(rina, "/console/c/"+string(held)+"/takeover", nil); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	s.clock.Add(5 * time.Minute)
	page := rina.get("/console").Body.String()
	for _, want := range []string{`id="count-waiting" data-n="1">1<`, `id="count-held" data-n="1">1<`, "Dian", "mau tanya ongkir ke Bantul", "menunggu 5 mnt", `href="/console/c/` + string(waiting) + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the queue lacks %q", want)
		}
	}
	held1 := rina.get("/console?view=held").Body.String()
	if !strings.Contains(held1, "Kontak "+string(held)[1:7]) || !strings.Contains(held1, "Dipegang Anda") || !strings.Contains(held1, "Telegram") {
		t.Errorf("the held list:\n%s", held1)
	}
}

// TestCannedInReplyBox: the conversation's reply box offers the
// owner's canned replies written for its contact; without the script a
// pick opens the page with the text in the box.
func TestCannedInReplyBox(t *testing.T) {
	s := newConsoleServer(t)
	rina := s.signedIn(t, "rina", staffPassword)
	id := s.handsOver(t, dian, "Dian", "halo")
	path := "/console/c/" + string(id)
	if rec := staffAction(rina, path+"/takeover", nil); rec.Code != 200 {
		t.Fatalf("take over: %d", rec.Code)
	}
	if page := rina.get(path).Body.String(); strings.Contains(page, `id="canned"`) {
		t.Error("the reply box offers canned replies before the owner wrote any")
	}
	for _, r := range []care.CannedReply{
		{Name: "salam", Text: "Halo {{contact.name}}, terima kasih sudah menghubungi {{shop.name}}.", By: "Sari"},
		{Name: "ongkir", Text: "Ongkir ke <b>Bantul</b> Rp10.000, Kak {{contact.name}}.", By: "Sari"},
	} {
		if _, err := s.store.SaveCannedReply(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	page := rina.get(path).Body.String()
	for _, want := range []string{
		`id="canned"`, "Balasan cepat",
		`href="/console/c/` + string(id) + `?canned=salam#text"`,
		`<span class="canned-text">Halo Dian, terima kasih sudah menghubungi Toko Sari.</span>`,
		`<span class="canned-text">Ongkir ke &lt;b&gt;Bantul&lt;/b&gt; Rp10.000, Kak Dian.</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the conversation page lacks %q", want)
		}
	}
	if strings.Contains(page, "{{contact.name}}") || strings.Contains(page, "<b>Bantul") {
		t.Error("the page shows a canned reply unwritten or unescaped")
	}
	if box := textBox(t, rina.get(path+"?canned=SALAM").Body.String()); box != "Halo Dian, terima kasih sudah menghubungi Toko Sari." {
		t.Errorf("after picking salam the box holds %q", box)
	}
	if box := textBox(t, rina.get(path+"?canned=nope").Body.String()); box != "" {
		t.Errorf("after picking a reply that is not there the box holds %q", box)
	}
	// The text picked goes like any reply.
	wantRedirect(t, rina.post(path+"/reply", url.Values{"text": {"Halo Dian, terima kasih sudah menghubungi Toko Sari. Mau pesan apa?"}, formField: {rina.cookies[formCookie]}}), path)
	if got := s.outbox(t); len(got) != 1 || got[0].Text != "Halo Dian, terima kasih sudah menghubungi Toko Sari. Mau pesan apa?" {
		t.Errorf("the outbox holds %+v", got)
	}
	// A reply refused without the script comes back in the box.
	rec := rina.post(path+"/reply", url.Values{"text": {strings.Repeat("a", care.MaxText+1)}, formField: {rina.cookies[formCookie]}})
	if rec.Code != 400 || textBox(t, rec.Body.String()) != strings.Repeat("a", care.MaxText+1) {
		t.Errorf("a refused reply: %d, the box does not hold it", rec.Code)
	}
}

// textBox returns what the reply box of a console page holds.
func textBox(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<textarea id="text"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no reply box on the page:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

// TestLinkChat: from the console a staff member gets a fresh one-time
// code, with what to send the bot, that links their own chat; only
// from the console's own form.
func TestLinkChat(t *testing.T) {
	s := newConsoleServer(t)
	rina := s.signedIn(t, "rina", staffPassword)
	if page := rina.get("/console").Body.String(); !strings.Contains(page, `action="/console/link"`) || !strings.Contains(page, "Hubungkan chat saya") {
		t.Fatal("the console has no control to link one's chat")
	}
	code := regexp.MustCompile(`^[0-9]{6}$`)
	how := func(c string) string {
		return "Kirim LINK " + c + " ke bot toko dari Telegram atau WhatsApp Anda (berlaku 15 menit)."
	}

	// The page's script: the code in JSON, with the panel that shows it.
	rec := staffAction(rina, "/console/link", nil)
	var a linkResult
	if err := json.Unmarshal(rec.Body.Bytes(), &a); rec.Code != 200 || err != nil || !a.OK || !code.MatchString(a.Code) {
		t.Fatalf("link: %d %s", rec.Code, rec.Body)
	}
	if text := tagless(a.HTML); !strings.Contains(text, how(a.Code)) {
		t.Errorf("the panel says %q, want %q", text, how(a.Code))
	}
	if d := a.Expires.Sub(s.clock.Now()); d != care.StaffLinkTTL {
		t.Errorf("the code lasts %v, want %v", d, care.StaffLinkTTL)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("the code may be cached")
	}

	// A plain form: the console with the panel; each time a fresh code.
	rec = rina.post("/console/link", url.Values{formField: {rina.cookies[formCookie]}})
	m := regexp.MustCompile(`id="link-code">([0-9]{6})<`).FindStringSubmatch(rec.Body.String())
	if rec.Code != 200 || m == nil {
		t.Fatalf("link without the script: %d %.500s", rec.Code, rec.Body)
	}
	if m[1] == a.Code {
		t.Error("the second code is the first again")
	}
	if text := tagless(rec.Body.String()); !strings.Contains(text, how(m[1])) {
		t.Errorf("the page does not say %q", how(m[1]))
	}

	// Without the form's token, or from a GET, no code.
	req := httptest.NewRequest("POST", "/console/link", nil)
	req.Header.Set("Accept", "application/json")
	if rec := rina.do(req); rec.Code != 403 || strings.Contains(rec.Body.String(), `"code"`) {
		t.Errorf("without the form token: %d %s", rec.Code, rec.Body)
	}
	if rec := rina.get("/console/link"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /console/link: %d", rec.Code)
	}

	// The code links the chat it is sent from to rina, once.
	chat := care.Address{Channel: care.Telegram, ID: "777001"}
	res, err := s.store.LinkStaffChat(t.Context(), chat, care.Address{}, a.Code, "tg-1")
	if err != nil || res.Outcome != care.LinkDone || res.Account != "rina" {
		t.Errorf("LINK %s: %+v %v, want linked to rina", a.Code, res, err)
	}
	if res, err := s.store.LinkStaffChat(t.Context(), care.Address{Channel: care.WhatsApp, ID: "6281200000777"}, care.Address{}, a.Code, "wa-1"); err != nil || res.Outcome != care.LinkWrong {
		t.Errorf("the code used again: %+v %v, want wrong", res, err)
	}
}

// tagless is HTML's text: its tags left out, its entities read.
func tagless(s string) string {
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(s, ""))
}

// sseLines reads a stream's lines into a channel.
func sseLines(t *testing.T, resp *http.Response) <-chan string {
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return lines
}

// stream opens an events stream at url, on a server that listens, with
// the browser's cookies.
func (b *browser) stream(url string) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequestWithContext(b.t.Context(), "GET", url, nil)
	for name, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatalf("stream: %v", err)
	}
	return resp
}

// streamLines opens an events stream at url, which must answer 200, and
// reads its lines.
func (b *browser) streamLines(url string) <-chan string {
	b.t.Helper()
	resp := b.stream(url)
	if resp.StatusCode != 200 {
		resp.Body.Close()
		b.t.Fatalf("stream: %d", resp.StatusCode)
	}
	return sseLines(b.t, resp)
}

// patience is how long a test waits for what must come: long enough
// for a machine busy with other tests, so that only what never comes
// fails.
const patience = 30 * time.Second

// sseReader reads a stream's lines, knowing which event each belongs
// to.
type sseReader struct {
	t     *testing.T
	lines <-chan string
	// event names the event of the last line read; "" between events.
	event string
}

// newSSEReader reads a stream at url opened by b.
func newSSEReader(b *browser, url string) *sseReader {
	b.t.Helper()
	return &sseReader{t: b.t, lines: b.streamLines(url)}
}

// await reads lines until ok is true of one (given the name of its
// event), and fails the test when the stream ends first or when none
// comes within patience.
func (r *sseReader) await(what string, ok func(event, line string) bool) {
	r.t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case line, open := <-r.lines:
			if !open {
				r.t.Fatalf("the stream ended before %s", what)
			}
			switch {
			case line == "":
				r.event = ""
			case strings.HasPrefix(line, "event: "):
				r.event = line[len("event: "):]
			}
			if ok(r.event, line) {
				return
			}
		case <-deadline:
			r.t.Fatalf("no %s in %v", what, patience)
		}
	}
}

// data returns the data of a line of event want.
func data(event, line, want string) (string, bool) {
	if event != want {
		return "", false
	}
	return strings.CutPrefix(line, "data: ")
}

// TestEventsStream: the stream says so at once when a conversation
// starts waiting, sends its heartbeat comment, and tells proxies not to
// buffer it.
func TestEventsStream(t *testing.T) {
	s := newConsoleServer(t)
	s.hub.every, s.hub.beat = 20*time.Millisecond, 100*time.Millisecond
	rina := s.signedIn(t, "rina", staffPassword)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	open := func() *http.Response { return rina.stream(srv.URL + "/console/events") }
	resp := open()
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Type") != "text/event-stream" || !strings.Contains(h.Get("Cache-Control"), "no-cache") || h.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("stream: %d %v", resp.StatusCode, h)
	}
	events := &sseReader{t: t, lines: sseLines(t, resp)}
	// The first state comes before the first heartbeat; then a
	// conversation starts waiting.
	events.await("heartbeat", func(_, line string) bool { return line == ": ping" })
	id := s.handsOver(t, dian, "Dian", "halo, telur ada?")
	events.await("queue with Dian waiting", func(event, line string) bool {
		var p struct {
			Rows []waitingRow `json:"waiting_rows"`
		}
		d, ok := data(event, line, "queue")
		return ok && json.Unmarshal([]byte(d), &p) == nil && len(p.Rows) == 1 && p.Rows[0].ID == id && p.Rows[0].Words == "halo, telur ada?"
	})

	// One account holds at most maxStreams streams in a process.
	for range maxStreams - 1 {
		if r := open(); r.StatusCode != 200 {
			t.Fatalf("stream: %d", r.StatusCode)
		} else {
			t.Cleanup(func() { r.Body.Close() })
		}
	}
	if r := open(); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("stream %d: %d, want 429", maxStreams+1, r.StatusCode)
	} else {
		r.Body.Close()
	}

	// At shutdown every stream ends at once, telling the page to
	// reconnect.
	s.EndStreams()
	bye := false
	for line := range events.lines {
		bye = bye || line == "event: bye"
	}
	if !bye {
		t.Error("the stream ended at shutdown without its bye")
	}
}

// TestConversationStream: a conversation's stream sends its changes
// (the customer's words, who holds it, who else views it), and a
// stream over a server whose write timeout is short lives on.
func TestConversationStream(t *testing.T) {
	s := newConsoleServer(t)
	s.hub.every, s.hub.beat = 20*time.Millisecond, 200*time.Millisecond
	rina, budi := s.signedIn(t, "rina", staffPassword), s.signedIn(t, "budi", staffPassword)
	id := s.handsOver(t, dian, "Dian", "halo")
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	r := newSSEReader(rina, srv.URL+"/console/events?c="+string(id))
	await := func(what string, ok func(p convPayload) bool) {
		t.Helper()
		r.await("conversation event with "+what, func(event, line string) bool {
			d, found := data(event, line, "conversation")
			if !found {
				return false
			}
			var p convPayload
			if err := json.Unmarshal([]byte(d), &p); err != nil {
				t.Fatal(err)
			}
			return ok(p)
		})
	}
	await("the conversation waiting", func(p convPayload) bool { return p.ID == id && p.State == care.StateWaiting })
	// Past the server's timeouts, budi opens it and takes it over.
	time.Sleep(500 * time.Millisecond)
	if rec := budi.get("/console/c/" + string(id)); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	await("budi viewing", func(p convPayload) bool { return strings.Contains(string(p.HTML["conv-viewers"]), "budi") })
	if rec := staffAction(budi, "/console/c/"+string(id)+"/takeover", nil); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	await("budi holding it", func(p convPayload) bool {
		return p.Holder == "budi" && !p.Mine && strings.Contains(p.WhyNot, "budi holds this") && strings.Contains(string(p.HTML["conv-timeline"]), "budi mengambil alih")
	})
}

// flakyLive is a store whose marks fail while fail is set.
type flakyLive struct {
	care.InboxLive
	fail atomic.Bool
}

func (f *flakyLive) InboxMark(ctx context.Context) (string, error) {
	if f.fail.Load() {
		return "", care.Errorf(care.EUnavailable, "redis unavailable")
	}
	return f.InboxLive.InboxMark(ctx)
}

// TestEventsSayWhenStale: while the server cannot read the store the
// stream says so, and once it can it says that and sends the state.
func TestEventsSayWhenStale(t *testing.T) {
	s := newConsoleServer(t)
	flaky := &flakyLive{InboxLive: s.store}
	s.cfg.Live = flaky
	s.hub.live = flaky
	s.hub.every = 20 * time.Millisecond
	rina := s.signedIn(t, "rina", staffPassword)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	r := newSSEReader(rina, srv.URL+"/console/events")
	r.await("first state", func(event, _ string) bool { return event == "queue" })
	flaky.fail.Store(true)
	r.await(`status {"ok":false}`, func(event, line string) bool { return event == "status" && line == `data: {"ok":false}` })
	// Meanwhile a conversation starts waiting; the state sent once the
	// store answers again has it. That state and the status saying so
	// come from one poll, in either order.
	id := s.handsOver(t, dian, "Dian", "halo")
	flaky.fail.Store(false)
	sawOK, sawState := false, false
	r.await(`status {"ok":true} and the queue with Dian waiting`, func(event, line string) bool {
		if event == "status" && line == `data: {"ok":true}` {
			sawOK = true
		}
		var p queuePayload
		if d, ok := data(event, line, "queue"); ok && json.Unmarshal([]byte(d), &p) == nil && len(p.Rows) == 1 && p.Rows[0].ID == id {
			sawState = true
		}
		return sawOK && sawState
	})
}

// TestTwoProcesses: two servers over one Redis, as two processes behind
// one address: what staff do through one shows on the other's stream,
// and who views a conversation is known to both.
func TestTwoProcesses(t *testing.T) {
	a := newConsoleServer(t)
	a.hub.every = 20 * time.Millisecond
	// A second server over the same keys: the same store, another
	// process.
	b := New(a.cfg)
	rina := a.signedIn(t, "rina", staffPassword)
	budi := newBrowser(t, b)
	wantRedirect(t, budi.login("budi", staffPassword, nil), "/console")
	id := a.handsOver(t, dian, "Dian", "halo")
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	r := newSSEReader(rina, srv.URL+"/console/events?c="+string(id))
	if rec := budi.get("/console/c/" + string(id)); rec.Code != 200 {
		t.Fatalf("budi opens it on the other server: %d", rec.Code)
	}
	if rec := staffAction(budi, "/console/c/"+string(id)+"/takeover", nil); rec.Code != 200 {
		t.Fatalf("budi takes over on the other server: %d %s", rec.Code, rec.Body)
	}
	r.await("budi viewing and holding the conversation on rina's stream", func(_, line string) bool {
		var p convPayload
		d, ok := strings.CutPrefix(line, "data: ")
		return ok && json.Unmarshal([]byte(d), &p) == nil && p.Holder == "budi" && strings.Contains(string(p.HTML["conv-viewers"]), "budi")
	})
}

// TestEventText: every event a conversation's timeline can hold is
// shown in words, the customer's payment proof and suggestion too.
func TestEventText(t *testing.T) {
	for _, tt := range []struct {
		e    care.StaffEvent
		want string
	}{
		{care.StaffEvent{Action: care.ActionTookOver, By: "rina"}, "rina mengambil alih (took over)"},
		{care.StaffEvent{Action: care.ActionProof, By: care.ByCustomer, Reason: "WBS-0007"}, "Pelanggan mengirim bukti bayar pesanan WBS-0007 — periksa lalu tandai dibayar (payment proof)"},
		{care.StaffEvent{Action: care.ActionSuggested, By: care.ByCustomer, Reason: "tambah menu sarapan"}, "Saran pelanggan (suggestion): tambah menu sarapan"},
	} {
		if got := eventText(tt.e); got != tt.want {
			t.Errorf("eventText(%s) = %q, want %q", tt.e.Action, got, tt.want)
		}
	}
}
