package web

import (
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/broadcast"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/outreach"
)

// broadcastServer is the inbox's server with the campaigns over the
// same store, and three customers: Dewi on WhatsApp and Ani on Telegram
// said yes to promotions, Joko on Telegram never did.
type broadcastServer struct {
	inboxServer
	campaigns *broadcast.Service
	dewi, ani care.ContactID
}

func newBroadcastServer(t *testing.T) broadcastServer {
	t.Helper()
	s := broadcastServer{inboxServer: newInboxServer(t)}
	s.campaigns = broadcast.New(broadcast.Config{Store: s.store,
		Planner: broadcast.NewPlanner(broadcast.PlanConfig{TimeZone: time.FixedZone("WIB", 7*3600),
			Caps: outreach.Caps{Max: 100, Window: 7 * 24 * time.Hour}, WhatsAppPerMinute: 6, WhatsAppDailyCap: 200}),
		Langs: []string{"id", "en"}, Shop: "Toko Sari", Now: s.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	cfg := s.Server.cfg
	cfg.Campaigns = s.campaigns
	s.Server = New(cfg)
	yes := func(ch care.Channel) care.ConsentEvent {
		return care.ConsentEvent{Purpose: care.Promotions, Granted: true, At: testNow, Channel: ch, Source: care.SourceFlow,
			MessageID: "m-yes", Text: "ya", Question: "Mau info promo? Balas YA.", Version: "promo-v1"}
	}
	s.dewi = s.customer(t, dewi, "Dewi", "id", "halo", yes(care.WhatsApp))
	s.ani = s.customer(t, care.Address{Channel: care.Telegram, ID: "4242"}, "Ani", "en", "hi", yes(care.Telegram))
	s.customer(t, care.Address{Channel: care.Telegram, ID: "4343"}, "Joko", "id", "halo")
	return s
}

// owner logs the owner in.
func (s broadcastServer) owner(t *testing.T) *browser {
	t.Helper()
	b := newBrowser(t, s)
	wantRedirect(t, b.login("sari", ownerPassword, nil), "/console")
	return b
}

// form is a posted form with b's token.
func form(b *browser, kv ...string) url.Values {
	f := url.Values{formField: {b.cookies[formCookie]}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

var campaignPath = regexp.MustCompile(`^/console/broadcasts/(b[a-z2-7]{8})\?done=created$`)

// create makes a campaign through the form and returns its id.
func (s broadcastServer) create(t *testing.T, b *browser, kv ...string) care.CampaignID {
	t.Helper()
	f := form(b, "name", "Promo Mei", "text_id", "Halo {{contact.name|Kak}}, telur omega diskon 10% di {{shop.name}}!",
		"text_en", "Hi {{contact.name}}, omega eggs 10% off!")
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	rec := b.post("/console/broadcasts", f)
	m := campaignPath.FindStringSubmatch(rec.Header().Get("Location"))
	if rec.Code != 303 || m == nil {
		t.Fatalf("create: %d to %q: %.500s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	return care.CampaignID(m[1])
}

// state is the campaign's state in the store.
func (s broadcastServer) state(t *testing.T, id care.CampaignID) care.Campaign {
	t.Helper()
	c, _, err := s.campaigns.Campaign(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func contains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%.4000s", what, w, body)
		}
	}
}

// TestBroadcastPagesWholePath makes a campaign through the form,
// previews it, downloads its exclusions, is refused a start before the
// preview, starts, pauses, resumes and cancels it, and reads its
// status and report.
func TestBroadcastPagesWholePath(t *testing.T) {
	s := newBroadcastServer(t)
	b := s.owner(t)

	// A refused campaign comes back in the form with the store's why.
	rec := b.post("/console/broadcasts", form(b, "name", "Promo Mei", "text_id", "Halo {{contact.nama}}"))
	want(t, rec, 400)
	contains(t, "the refused form", rec.Body.String(), "Siaran belum dibuat:", "a campaign knows only", `value="Promo Mei"`)

	id := s.create(t, b, "tags", "", "channel", "", "active_days", "30")
	rec = b.get("/console/broadcasts")
	want(t, rec, 200)
	contains(t, "the list", rec.Body.String(), "Promo Mei", "draf", `href="/console/broadcasts/`+string(id)+`"`, "Buat siaran", `aria-current="page"`)

	rec = b.get("/console/broadcasts/" + string(id) + "?done=created")
	want(t, rec, 200)
	contains(t, "the campaign's page", rec.Body.String(), "Siaran dibuat sebagai draf", "Halo {{contact.name|Kak}}, telur omega", "omega eggs 10% off",
		"Belum pernah dipratinjau", "aktif 30 hari terakhir", "/static/owner_broadcast.js", "Kirim tes ke saya")

	// No start before a preview: the store's reason is shown.
	rec = b.post("/console/broadcasts/"+string(id)+"/start", form(b))
	want(t, rec, 409)
	contains(t, "the refused start", rec.Body.String(), "Belum dimulai:", "never previewed")
	if c := s.state(t, id); c.State != care.CampaignDraft {
		t.Fatalf("state %s after a refused start", c.State)
	}

	rec = b.post("/console/broadcasts/"+string(id)+"/preview", form(b))
	want(t, rec, 200)
	body := rec.Body.String()
	contains(t, "the preview", body, `<strong>2</strong> orang akan menerima`, `<dd id="preview-now">`, "belum pernah setuju menerima promosi",
		`data-excluded="no_consent">1<`, `<dd id="preview-excluded">1</dd>`, "Perkiraan selesai", "exclusions.csv")

	rec = b.post("/console/broadcasts/"+string(id)+"/exclusions.csv", form(b))
	want(t, rec, 200)
	if ct, cd := rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"); ct != "text/csv; charset=utf-8" || !strings.Contains(cd, "attachment") {
		t.Errorf("exclusions: Content-Type %q, Content-Disposition %q", ct, cd)
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil || len(rows) != 2 || strings.Join(rows[0], ",") != "contact,channel,reason" || rows[1][2] != "no_consent" {
		t.Errorf("exclusions csv %q (%v)", rows, err)
	}

	rec = b.post("/console/broadcasts/"+string(id)+"/start", form(b))
	wantRedirect(t, rec, "/console/broadcasts/"+string(id)+"?done=start")
	if c := s.state(t, id); c.State != care.CampaignRunning {
		t.Fatalf("state %s after the start", c.State)
	}
	contains(t, "the started page", b.get("/console/broadcasts/"+string(id)+"?done=start").Body.String(), "Siaran dimulai.", "berjalan", `id="pause"`)

	// The status JSON says where it stands.
	rec = b.get("/console/broadcasts/" + string(id) + "/status")
	want(t, rec, 200)
	var st broadcastStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.State != care.CampaignRunning || st.StateLabel != "berjalan" || st.At.IsZero() {
		t.Errorf("status %s (%v)", rec.Body, err)
	}

	wantRedirect(t, b.post("/console/broadcasts/"+string(id)+"/pause", form(b)), "/console/broadcasts/"+string(id)+"?done=pause")
	if c := s.state(t, id); c.State != care.CampaignPaused || c.Auto {
		t.Fatalf("state %s (auto %v) after the pause", c.State, c.Auto)
	}
	body = b.get("/console/broadcasts/" + string(id)).Body.String()
	contains(t, "the paused page", body, "dijeda", `id="resume"`, "paused by the owner")
	if !strings.Contains(body, `id="auto-pause" role="alert" hidden`) {
		t.Errorf("an owner's pause is shown as the safety checks'")
	}
	// Pausing twice: the store's refusal, as text.
	rec = b.post("/console/broadcasts/"+string(id)+"/pause", form(b))
	want(t, rec, 409)
	contains(t, "the refused pause", rec.Body.String(), "Belum dijeda:", "only a running or scheduled one pauses")

	wantRedirect(t, b.post("/console/broadcasts/"+string(id)+"/resume", form(b)), "/console/broadcasts/"+string(id)+"?done=resume")
	if c := s.state(t, id); c.State != care.CampaignRunning {
		t.Fatalf("state %s after the resume", c.State)
	}

	// Cancel wants the box ticked.
	rec = b.post("/console/broadcasts/"+string(id)+"/cancel", form(b))
	want(t, rec, 400)
	contains(t, "the unconfirmed cancel", rec.Body.String(), "Belum dibatalkan:", "Ya, batalkan")
	if c := s.state(t, id); c.State != care.CampaignRunning {
		t.Fatalf("state %s after an unconfirmed cancel", c.State)
	}
	wantRedirect(t, b.post("/console/broadcasts/"+string(id)+"/cancel", form(b, "confirm", "yes")), "/console/broadcasts/"+string(id)+"?done=cancel")
	if c := s.state(t, id); c.State != care.CampaignCancelled {
		t.Fatalf("state %s after the cancel", c.State)
	}
	body = b.get("/console/broadcasts/" + string(id) + "?done=cancel").Body.String()
	contains(t, "the cancelled page", body, "Siaran dibatalkan", "dibatalkan", "Laporan", "report.csv")
	for _, gone := range []string{`id="start"`, `id="pause"`, `id="resume"`, `id="cancel"`, `id="preview-btn"`} {
		if strings.Contains(body, gone) {
			t.Errorf("a cancelled campaign offers %s", gone)
		}
	}

	rec = b.get("/console/broadcasts/" + string(id) + "/report.csv")
	want(t, rec, 200)
	if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, "siaran-"+string(id)+"-report.csv") {
		t.Errorf("report Content-Disposition %q", cd)
	}
	rows, err = csv.NewReader(rec.Body).ReadAll()
	if err != nil || len(rows) < 1 || strings.Join(rows[0], ",") != strings.Join(broadcast.RecipientsHeader, ",") {
		t.Errorf("report csv %q (%v)", rows, err)
	}
	for _, r := range rows[1:] {
		if c := care.ContactID(r[0]); c != s.dewi && c != s.ani {
			t.Errorf("the report names %s, not a recipient", c)
		}
	}

	// Unknown campaigns: 404, in every form.
	for _, path := range []string{"/console/broadcasts/baaaaaaaa", "/console/broadcasts/nope", "/console/broadcasts/baaaaaaaa/report.csv"} {
		if rec := b.get(path); rec.Code != 404 {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
	if rec := b.get("/console/broadcasts/baaaaaaaa/status"); rec.Code != 404 || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Errorf("status of no campaign: %d %s", rec.Code, rec.Body)
	}
}

// TestBroadcastAutoPause shows the safety checks' pause, with its
// reason, above everything else.
func TestBroadcastAutoPause(t *testing.T) {
	s := newBroadcastServer(t)
	b := s.owner(t)
	id := s.create(t, b, "channel", "whatsapp")
	want(t, b.post("/console/broadcasts/"+string(id)+"/preview", form(b)), 200)
	wantRedirect(t, b.post("/console/broadcasts/"+string(id)+"/start", form(b)), "/console/broadcasts/"+string(id)+"?done=start")
	// The runner's safety checks pause through the store like this.
	until := testNow.Add(3 * time.Hour)
	if _, err := s.store.ChangeCampaign(t.Context(), id, func(c care.Campaign) (care.Campaign, error) {
		c.State, c.Reason, c.Auto, c.ResumeAt = care.CampaignPaused, "7 of 100 recipients opted out (over 5%)", true, until
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	body := b.get("/console/broadcasts/" + string(id)).Body.String()
	contains(t, "the auto-paused page", body, `id="auto-pause" role="alert">`, "Dijeda otomatis demi keamanan", "7 of 100 recipients opted out (over 5%)",
		"Lanjut sendiri 2 Mar 2026 19.30 WIB", `id="resume"`)
	var st broadcastStatus
	if err := json.Unmarshal(b.get("/console/broadcasts/"+string(id)+"/status").Body.Bytes(), &st); err != nil || !st.Auto || st.Reason == "" || !st.ResumeAt.Equal(until) {
		t.Errorf("status %+v (%v)", st, err)
	}
}

// TestBroadcastTest sends the test to an address the owner types, and
// refuses one that is not a contact with the store's why.
func TestBroadcastTest(t *testing.T) {
	s := newBroadcastServer(t)
	b := s.owner(t)
	id := s.create(t, b)
	rec := b.post("/console/broadcasts/"+string(id)+"/test", form(b, "to", "telegram:4242"))
	wantRedirect(t, rec, "/console/broadcasts/"+string(id)+"?done=test&to=telegram%3A4242")
	contains(t, "the page after a test", b.get(rec.Header().Get("Location")).Body.String(), "Pesan tes masuk antrean ke telegram:4242")
	rec = b.post("/console/broadcasts/"+string(id)+"/test", form(b, "to", "telegram:999"))
	want(t, rec, 404)
	contains(t, "the refused test", rec.Body.String(), "Tes belum terkirim:", "not a contact of the shop", `value="telegram:999"`)
	rec = b.post("/console/broadcasts/"+string(id)+"/test", form(b, "to", "sms:1"))
	want(t, rec, 400)
	contains(t, "the refused address", rec.Body.String(), "Tes belum terkirim:")
	if _, t2, err := s.campaigns.Campaign(t.Context(), id); err != nil || t2.Planned != 0 || t2.Queued != 0 {
		t.Errorf("the test counted in the campaign: %+v (%v)", t2, err)
	}
}

// TestBroadcastPagesRefuseStaff opens every broadcast page and action as
// a staff member: 403 and nothing done. Posts without the form token
// are refused for the owner too.
func TestBroadcastPagesRefuseStaff(t *testing.T) {
	s := newBroadcastServer(t)
	owner := s.owner(t)
	id := s.create(t, owner)
	staff := newBrowser(t, s)
	wantRedirect(t, staff.login("budi", staffPassword, nil), "/console")
	base := "/console/broadcasts/" + string(id)
	gets := []string{"/console/broadcasts", base, base + "/status", base + "/report.csv"}
	posts := []string{"/console/broadcasts", base + "/preview", base + "/exclusions.csv", base + "/test", base + "/start", base + "/pause", base + "/resume", base + "/cancel"}
	for _, p := range gets {
		if rec := staff.get(p); rec.Code != 403 || strings.Contains(rec.Body.String(), "Promo Mei") {
			t.Errorf("staff GET %s: %d %.200s", p, rec.Code, rec.Body)
		}
	}
	for _, p := range posts {
		if rec := staff.post(p, form(staff, "name", "x", "text_id", "y", "to", "telegram:4242", "confirm", "yes")); rec.Code != 403 {
			t.Errorf("staff POST %s: %d", p, rec.Code)
		}
		// The owner without the token, and with another's.
		for _, f := range []url.Values{{"confirm": {"yes"}}, {formField: {"not-the-token"}, "confirm": {"yes"}}} {
			if rec := owner.post(p, f); rec.Code != 403 || !strings.Contains(rec.Body.String(), "kedaluwarsa") {
				t.Errorf("owner POST %s without its token: %d %.200s", p, rec.Code, rec.Body)
			}
		}
	}
	if c := s.state(t, id); c.State != care.CampaignDraft || !c.Previewed.IsZero() {
		t.Errorf("the refused posts changed the campaign: %+v", c)
	}
	cs, err := s.campaigns.ListCampaigns(t.Context())
	if err != nil || len(cs) != 1 {
		t.Errorf("campaigns %d (%v), want the owner's one", len(cs), err)
	}
	// Without Campaigns the pages are not served.
	plain := newInboxServer(t)
	rec := httptest.NewRecorder()
	plain.ServeHTTP(rec, httptest.NewRequest("GET", "/console/broadcasts", nil))
	if rec.Code != 404 {
		t.Errorf("without campaigns: %d", rec.Code)
	}
}

// TestBroadcastFormByOrders: the create form narrows the audience by
// orders, and a refused value comes back in the form.
func TestBroadcastFormByOrders(t *testing.T) {
	s := newBroadcastServer(t)
	b := s.owner(t)
	contains(t, "the form", b.get("/console/broadcasts").Body.String(), `id="ordered_days"`, `id="regulars"`, `id="bought"`)
	tests := []struct {
		name string
		kv   []string
		want care.Audience
	}{
		{"none", nil, care.Audience{}},
		{"ordered lately", []string{"ordered_days", " 14 "}, care.Audience{OrderedDays: 14}},
		{"regulars who bought eggs", []string{"regulars", "1", "bought", "Telur"}, care.Audience{Regulars: true, Bought: "telur"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.state(t, s.create(t, b, tt.kv...)).Audience
			if got.OrderedDays != tt.want.OrderedDays || got.Regulars != tt.want.Regulars || got.Bought != tt.want.Bought {
				t.Errorf("audience %+v, want %+v", got, tt.want)
			}
		})
	}
	refused := []struct {
		name, field, value, why string
	}{
		{"ordered days not a number", "ordered_days", "dua", "memesan dalam"},
		{"an item id with spaces", "bought", "telur ayam", "catalog item&#39;s id"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			rec := b.post("/console/broadcasts", form(b, "name", "Promo", "text_id", "Halo", tt.field, tt.value, "regulars", "1"))
			want(t, rec, 400)
			contains(t, "the refused form", rec.Body.String(), "Siaran belum dibuat:", tt.why, `value="`+tt.value+`"`, `name="regulars" type="checkbox" value="1" checked`)
		})
	}
}
