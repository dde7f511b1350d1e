package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/broadcast"
	"github.com/mitra-care/mitra/internal/care"
)

// The owner's broadcast pages: the campaigns, a form that makes one, and
// a campaign's page with its texts, its preview, a test to the owner,
// start, pause, resume and cancel, its progress kept live by a small
// script that polls the status JSON, and its report. Everything that
// changes a campaign (a preview too: the store records it, and a start
// needs one) is a POST with the form token; the store's refusals are
// shown as its own words.

// broadcastStatusEvery is how often the campaign's page asks for its
// status; the page calls the figures stale after a few missed polls.
// The browser test shortens it.
var broadcastStatusEvery = 5 * time.Second

var (
	broadcastsTemplate = ownerTemplate("owner_broadcasts.html")
	broadcastTemplate  = ownerTemplate("owner_broadcast.html")
)

// routeBroadcasts serves the broadcast pages when the server has the
// campaigns.
func (s *Server) routeBroadcasts() {
	if s.cfg.Campaigns == nil {
		return
	}
	owner := func(h http.HandlerFunc) http.HandlerFunc { return s.staffOnly(care.RoleOwner, h) }
	s.mux.HandleFunc("GET /console/broadcasts", owner(s.ownerBroadcasts))
	s.mux.HandleFunc("POST /console/broadcasts", owner(s.ownerCreateBroadcast))
	s.mux.HandleFunc("GET /console/broadcasts/{id}", owner(s.ownerBroadcast))
	s.mux.HandleFunc("GET /console/broadcasts/{id}/status", owner(s.ownerBroadcastStatus))
	s.mux.HandleFunc("GET /console/broadcasts/{id}/report.csv", owner(s.ownerBroadcastReport))
	s.mux.HandleFunc("POST /console/broadcasts/{id}/preview", owner(s.ownerPreviewBroadcast))
	s.mux.HandleFunc("POST /console/broadcasts/{id}/exclusions.csv", owner(s.ownerBroadcastExclusions))
	s.mux.HandleFunc("POST /console/broadcasts/{id}/test", owner(s.ownerTestBroadcast))
	for _, a := range broadcastActions {
		s.mux.HandleFunc("POST /console/broadcasts/{id}/"+a.name, owner(s.ownerBroadcastAction(a)))
	}
}

// broadcastPage is the owner's page frame with the broadcasts' tab.
func (s *Server) broadcastPage(w http.ResponseWriter, r *http.Request, title, titleEn string) ownerPage {
	return s.ownerPage(w, r, "/console/broadcasts", title, titleEn)
}

// campaignID reads the campaign of the request's path; false, answered
// 404, when it cannot be one.
func campaignID(w http.ResponseWriter, r *http.Request) (care.CampaignID, bool) {
	id := care.CampaignID(r.PathValue("id"))
	if id.Validate() != nil {
		http.Error(w, "Siaran tidak ditemukan. (No such broadcast.)", http.StatusNotFound)
		return "", false
	}
	return id, true
}

// stateLabels name a campaign's states on the pages.
var stateLabels = map[care.CampaignState]string{
	care.CampaignDraft:     "draf",
	care.CampaignScheduled: "terjadwal",
	care.CampaignRunning:   "berjalan",
	care.CampaignPaused:    "dijeda",
	care.CampaignCancelled: "dibatalkan",
	care.CampaignDone:      "selesai",
}

// campaignStateLabel names state s in Indonesian.
func campaignStateLabel(s care.CampaignState) string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return string(s)
}

// exclusionLabels say why a contact gets no message.
var exclusionLabels = map[care.Exclusion]string{
	care.ExclNoConsent:   "belum pernah setuju menerima promosi",
	care.ExclWithdrawn:   "berhenti berlangganan promosi",
	care.ExclOverCap:     "sudah menerima batas promosi",
	care.ExclSuppressed:  "pernah menghapus datanya",
	care.ExclUnreachable: "memblokir bot di semua saluran",
	care.ExclNeverWrote:  "hanya di WhatsApp dan belum pernah menulis",
	care.ExclBlocked:     "diblokir toko",
	care.ExclErasing:     "sedang menghapus datanya",
}

// laterLabels say why a recipient gets the message later.
var laterLabels = map[string]string{
	care.LaterQuiet:  "jam tenang pelanggan",
	care.LaterPacing: "batas harian WhatsApp (hari berikutnya)",
}

// campaignRow is a campaign in the list.
type campaignRow struct {
	care.Campaign
	StateLabel  string
	Sent, Total int
}

// broadcastForm is what the create form holds, put back after a refusal.
type broadcastForm struct {
	Name, TextID, TextEN, Tags, Channel, ActiveDays, At string
	// OrderedDays, Regulars and Bought narrow the audience by orders.
	OrderedDays, Bought string
	Regulars            bool
}

// broadcastsView is the list with the create form.
type broadcastsView struct {
	ownerPage
	Rows    []campaignRow
	Form    broadcastForm
	MaxName int
	MaxText int
}

// ownerBroadcasts is GET /console/broadcasts.
func (s *Server) ownerBroadcasts(w http.ResponseWriter, r *http.Request) {
	s.renderBroadcasts(w, r, broadcastsView{ownerPage: s.broadcastPage(w, r, "Siaran", "broadcasts")}, http.StatusOK)
}

// renderBroadcasts reads the campaigns into v and renders the list.
func (s *Server) renderBroadcasts(w http.ResponseWriter, r *http.Request, v broadcastsView, status int) {
	cs, err := s.cfg.Campaigns.ListCampaigns(r.Context())
	if err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	for _, c := range cs {
		row := campaignRow{Campaign: c, StateLabel: campaignStateLabel(c.State)}
		if c.State != care.CampaignDraft {
			_, t, err := s.cfg.Campaigns.Campaign(r.Context(), c.ID)
			if err != nil {
				s.ownerFailed(w, r, err)
				return
			}
			row.Sent, row.Total = t.Sent, t.Planned
		}
		v.Rows = append(v.Rows, row)
	}
	v.MaxName, v.MaxText = care.MaxCampaignName, care.MaxCampaignText
	s.renderStaffPage(w, broadcastsTemplate, v, status)
}

// ownerCreateBroadcast is POST /console/broadcasts: a draft from the
// form, then its page. A refused one comes back in the form with why.
func (s *Server) ownerCreateBroadcast(w http.ResponseWriter, r *http.Request) {
	f := broadcastForm{Name: r.PostForm.Get("name"), TextID: r.PostForm.Get("text_id"), TextEN: r.PostForm.Get("text_en"),
		Tags: r.PostForm.Get("tags"), Channel: r.PostForm.Get("channel"), ActiveDays: strings.TrimSpace(r.PostForm.Get("active_days")),
		At: strings.TrimSpace(r.PostForm.Get("at")), OrderedDays: strings.TrimSpace(r.PostForm.Get("ordered_days")),
		Regulars: r.PostForm.Get("regulars") != "", Bought: strings.TrimSpace(r.PostForm.Get("bought"))}
	c, err := s.campaignFromForm(f)
	if err == nil {
		c, err = s.cfg.Campaigns.CreateCampaign(r.Context(), c)
	}
	if err != nil {
		status := errorStatus(err)
		if status >= 500 {
			s.staffUnavailable(w, r, err)
			return
		}
		v := broadcastsView{ownerPage: s.broadcastPage(w, r, "Siaran", "broadcasts"), Form: f}
		v.Notice, v.Problem = "Siaran belum dibuat: "+publicMessage(err), true
		s.renderBroadcasts(w, r, v, status)
		return
	}
	http.Redirect(w, r, "/console/broadcasts/"+string(c.ID)+"?done=created", http.StatusSeeOther)
}

// campaignFromForm reads a campaign from the create form; the store
// checks the rest.
func (s *Server) campaignFromForm(f broadcastForm) (care.Campaign, error) {
	c := care.Campaign{Name: f.Name, Texts: map[string]string{"id": f.TextID}, Audience: care.Audience{Channel: care.Channel(f.Channel)}}
	if strings.TrimSpace(f.TextEN) != "" {
		c.Texts["en"] = f.TextEN
	}
	for _, t := range strings.FieldsFunc(f.Tags, func(r rune) bool { return r == ',' }) {
		if t = strings.TrimSpace(t); t != "" {
			c.Audience.Tags = append(c.Audience.Tags, t)
		}
	}
	if f.ActiveDays != "" {
		n, err := strconv.Atoi(f.ActiveDays)
		if err != nil || n < 0 {
			return care.Campaign{}, care.Errorf(care.EInvalid, "hari aktif %q: isi angka 0 atau lebih (active days: a whole number)", clip(f.ActiveDays, 16))
		}
		c.Audience.ActiveDays = n
	}
	if f.OrderedDays != "" {
		n, err := strconv.Atoi(f.OrderedDays)
		if err != nil || n < 0 {
			return care.Campaign{}, care.Errorf(care.EInvalid, "memesan dalam %q hari: isi angka 0 atau lebih (ordered days: a whole number)", clip(f.OrderedDays, 16))
		}
		c.Audience.OrderedDays = n
	}
	c.Audience.Regulars, c.Audience.Bought = f.Regulars, f.Bought
	if f.At != "" {
		at, err := time.ParseInLocation("2006-01-02T15:04", f.At, s.timeZone())
		if err != nil {
			return care.Campaign{}, care.Errorf(care.EInvalid, "jadwal %q: pilih tanggal dan jam (schedule: a date and a time)", clip(f.At, 32))
		}
		c.At = at
	}
	return c, nil
}

// labelled is a count with what it counts, in words.
type labelled struct {
	Key, Label string
	N          int
}

// previewView is a preview as the page shows it.
type previewView struct {
	care.Preview
	Later    []labelled
	Excluded []labelled
	Channels []labelled
	// ExcludedTotal counts the audience left out.
	ExcludedTotal int
}

// chatOption is a linked chat the owner may send the test to.
type chatOption struct {
	Address care.Address
	Label   string
}

// broadcastView is a campaign's page.
type broadcastView struct {
	ownerPage
	Campaign   care.Campaign
	Totals     care.CampaignTotals
	StateLabel string
	// Texts are the campaign's texts, the default language first.
	Texts []labelled
	// Preview is shown after the owner asked for one.
	Preview *previewView
	// Chats are the owner's linked chats, offered for the test; To is
	// what the test box holds.
	Chats []chatOption
	To    string
	// Can says which actions the campaign's state allows.
	CanPreview, CanStart, CanPause, CanResume, CanCancel bool
	// PollMillis is how often the page's script asks for the status.
	PollMillis int64
	Checked    time.Time
}

// broadcastView makes the page of campaign id; false when it answered
// already (not found, store down).
func (s *Server) broadcastView(w http.ResponseWriter, r *http.Request, id care.CampaignID) (broadcastView, bool) {
	c, t, err := s.cfg.Campaigns.Campaign(r.Context(), id)
	if err != nil {
		if care.ErrorCode(err) == care.ENotFound {
			http.Error(w, "Siaran tidak ditemukan. (No such broadcast.)", http.StatusNotFound)
			return broadcastView{}, false
		}
		s.ownerFailed(w, r, err)
		return broadcastView{}, false
	}
	v := broadcastView{ownerPage: s.broadcastPage(w, r, c.Name, "broadcast"), Campaign: c, Totals: t, StateLabel: campaignStateLabel(c.State),
		PollMillis: broadcastStatusEvery.Milliseconds(), Checked: s.cfg.Now()}
	v.Texts = append(v.Texts, labelled{Key: c.Lang, Label: c.Texts[c.Lang]})
	for _, lang := range slices.Sorted(maps.Keys(c.Texts)) {
		if lang != c.Lang {
			v.Texts = append(v.Texts, labelled{Key: lang, Label: c.Texts[lang]})
		}
	}
	v.CanPreview = !c.State.Final()
	v.CanStart = c.State == care.CampaignDraft
	v.CanPause = c.State == care.CampaignRunning || c.State == care.CampaignScheduled
	v.CanResume = c.State == care.CampaignPaused
	v.CanCancel = !c.State.Final()
	v.Chats = s.ownerChats(r.Context())
	return v, true
}

// staffChatLister lists the chats linked to staff accounts
// (care.StaffChats.StaffChats): the store that keeps the inbox keeps
// them too.
type staffChatLister interface {
	StaffChats(ctx context.Context) ([]care.StaffChat, error)
}

// ownerChats are the signed-in owner's linked chats; none when the
// store keeps no chats or cannot say.
func (s *Server) ownerChats(ctx context.Context) []chatOption {
	lister, ok := s.cfg.Inbox.(staffChatLister)
	if !ok {
		return nil
	}
	acct, _ := staffFrom(ctx)
	chats, err := lister.StaffChats(ctx)
	if err != nil {
		s.cfg.Logger.Warn("reading the linked chats for a broadcast's test failed", "err", err)
		return nil
	}
	var out []chatOption
	for _, ch := range chats {
		if strings.EqualFold(ch.Account, acct.Name) {
			out = append(out, chatOption{Address: ch.Address, Label: fmt.Sprintf("chat %s saya (%s)", ch.Address.Channel, ch.Address.ID)})
		}
	}
	return out
}

// ownerBroadcast is GET /console/broadcasts/{id}.
func (s *Server) ownerBroadcast(w http.ResponseWriter, r *http.Request) {
	id, ok := campaignID(w, r)
	if !ok {
		return
	}
	v, ok := s.broadcastView(w, r, id)
	if !ok {
		return
	}
	q := r.URL.Query()
	switch q.Get("done") {
	case "created":
		v.Notice = "Siaran dibuat sebagai draf. Lihat pratinjau dulu, lalu mulai."
	case "start":
		v.Notice = "Siaran dimulai."
		if v.Campaign.State == care.CampaignScheduled {
			v.Notice = "Siaran terjadwal: mulai " + v.When(v.Campaign.At) + "."
		}
	case "pause":
		v.Notice = "Siaran dijeda: pesan yang antre menunggu."
	case "resume":
		v.Notice = "Siaran dilanjutkan."
	case "cancel":
		v.Notice = "Siaran dibatalkan: tidak ada lagi yang dikirim."
	case "test":
		v.Notice = "Pesan tes masuk antrean ke " + clip(q.Get("to"), 64) + "."
	}
	s.renderStaffPage(w, broadcastTemplate, v, http.StatusOK)
}

// refuseOnPage shows campaign id's page with the store's refusal err.
func (s *Server) refuseOnPage(w http.ResponseWriter, r *http.Request, id care.CampaignID, what string, err error) {
	status := errorStatus(err)
	if status >= 500 {
		s.staffUnavailable(w, r, err)
		return
	}
	v, ok := s.broadcastView(w, r, id)
	if !ok {
		return
	}
	v.Notice, v.Problem = what+": "+publicMessage(err), true
	v.To = clip(r.PostForm.Get("to"), 128)
	s.renderStaffPage(w, broadcastTemplate, v, status)
}

// broadcastAction is a change of a campaign's state the page offers.
type broadcastAction struct {
	name string
	// refused starts the notice when the store refuses it.
	refused string
	do      func(care.Campaigns, context.Context, care.CampaignID) (care.Campaign, error)
	// confirm: the form must carry confirm=yes (a ticked box).
	confirm bool
}

var broadcastActions = []broadcastAction{
	{"start", "Belum dimulai", care.Campaigns.StartCampaign, false},
	{"pause", "Belum dijeda", care.Campaigns.PauseCampaign, false},
	{"resume", "Belum dilanjutkan", care.Campaigns.ResumeCampaign, false},
	{"cancel", "Belum dibatalkan", care.Campaigns.CancelCampaign, true},
}

// ownerBroadcastAction is POST /console/broadcasts/{id}/{action}.
func (s *Server) ownerBroadcastAction(a broadcastAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := campaignID(w, r)
		if !ok {
			return
		}
		if a.confirm && r.PostForm.Get("confirm") != "yes" {
			s.refuseOnPage(w, r, id, a.refused, care.Errorf(care.EInvalid, "centang “Ya, batalkan” dulu (tick the box to confirm)"))
			return
		}
		if _, err := a.do(s.cfg.Campaigns, r.Context(), id); err != nil {
			s.refuseOnPage(w, r, id, a.refused, err)
			return
		}
		http.Redirect(w, r, "/console/broadcasts/"+string(id)+"?done="+a.name, http.StatusSeeOther)
	}
}

// ownerPreviewBroadcast is POST /console/broadcasts/{id}/preview: what
// starting would do now. The store records that the owner saw it.
func (s *Server) ownerPreviewBroadcast(w http.ResponseWriter, r *http.Request) {
	id, ok := campaignID(w, r)
	if !ok {
		return
	}
	p, err := s.cfg.Campaigns.PreviewCampaign(r.Context(), id, nil)
	if err != nil {
		s.refuseOnPage(w, r, id, "Pratinjau gagal", err)
		return
	}
	v, ok := s.broadcastView(w, r, id)
	if !ok {
		return
	}
	pv := &previewView{Preview: p}
	for _, e := range care.Exclusions {
		if n := p.Excluded[e]; n > 0 {
			pv.Excluded = append(pv.Excluded, labelled{Key: string(e), Label: exclusionLabels[e], N: n})
			pv.ExcludedTotal += n
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.Later)) {
		label := laterLabels[k]
		if label == "" {
			label = k
		}
		pv.Later = append(pv.Later, labelled{Key: k, Label: label, N: p.Later[k]})
	}
	for _, ch := range []care.Channel{care.WhatsApp, care.Telegram} {
		if n := p.ByChannel[ch]; n > 0 {
			pv.Channels = append(pv.Channels, labelled{Key: string(ch), Label: string(ch), N: n})
		}
	}
	for ch, n := range p.ByChannel {
		if ch != care.WhatsApp && ch != care.Telegram && n > 0 {
			pv.Channels = append(pv.Channels, labelled{Key: string(ch), Label: string(ch), N: n})
		}
	}
	v.Preview = pv
	v.Notice = "Pratinjau diperbarui " + v.When(p.At) + "."
	s.renderStaffPage(w, broadcastTemplate, v, http.StatusOK)
}

// ownerBroadcastExclusions is POST /console/broadcasts/{id}/exclusions.csv:
// the preview's exclusions, one contact a row. It is a POST because a
// preview is recorded.
func (s *Server) ownerBroadcastExclusions(w http.ResponseWriter, r *http.Request) {
	id, ok := campaignID(w, r)
	if !ok {
		return
	}
	s.writeCSV(w, r, id, "exclusions", broadcast.ExclusionsHeader, func(out *broadcast.CSV) error {
		_, err := s.cfg.Campaigns.PreviewCampaign(r.Context(), id, out.Excluded)
		return err
	})
}

// ownerBroadcastReport is GET /console/broadcasts/{id}/report.csv: what
// became of each recipient's message.
func (s *Server) ownerBroadcastReport(w http.ResponseWriter, r *http.Request) {
	id, ok := campaignID(w, r)
	if !ok {
		return
	}
	s.writeCSV(w, r, id, "report", broadcast.RecipientsHeader, func(out *broadcast.CSV) error {
		_, err := s.cfg.Campaigns.CampaignReport(r.Context(), id, out.Recipient)
		return err
	})
}

// csvWriter holds the CSV's first bytes until they are many enough or
// the file ends well, so a refusal before any row is still answered
// with its status.
type csvWriter struct {
	w       http.ResponseWriter
	name    string
	buf     []byte
	started bool
}

// csvHold is how much of a CSV is held before it is sent.
const csvHold = 32 << 10

func (c *csvWriter) Write(p []byte) (int, error) {
	if !c.started {
		c.buf = append(c.buf, p...)
		if len(c.buf) < csvHold {
			return len(p), nil
		}
		if err := c.start(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.w.Write(p)
}

// start sends the headers and what is held.
func (c *csvWriter) start() error {
	c.started = true
	h := c.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+c.name+`"`)
	h.Set("Cache-Control", "no-store")
	_, err := c.w.Write(c.buf)
	c.buf = nil
	return err
}

// writeCSV answers with the CSV that fill writes, named after the
// campaign; a refusal before the first rows went out is answered as
// text with its status.
func (s *Server) writeCSV(w http.ResponseWriter, r *http.Request, id care.CampaignID, kind string, header []string, fill func(*broadcast.CSV) error) {
	cw := &csvWriter{w: w, name: fmt.Sprintf("siaran-%s-%s.csv", id, kind)}
	out, err := broadcast.NewCSV(cw, header)
	if err == nil {
		err = fill(out)
	}
	if err == nil {
		err = out.Flush()
	}
	switch {
	case err != nil && !cw.started:
		if care.ErrorCode(err) == care.ENotFound {
			http.Error(w, "Siaran tidak ditemukan. (No such broadcast.)", http.StatusNotFound)
			return
		}
		s.ownerFailed(w, r, err)
	case err != nil:
		// The rows already sent cannot be taken back: the file ends
		// short, and the log says why.
		s.cfg.Logger.Error("broadcast csv cut short", "campaign", id, "kind", kind, "err", err)
	default:
		if !cw.started {
			_ = cw.start()
		}
	}
}

// ownerTestBroadcast is POST /console/broadcasts/{id}/test: the
// campaign's message to the address the owner typed, or to their linked
// chat.
func (s *Server) ownerTestBroadcast(w http.ResponseWriter, r *http.Request) {
	id, ok := campaignID(w, r)
	if !ok {
		return
	}
	to := strings.TrimSpace(r.PostForm.Get("to"))
	if to == "" {
		to = strings.TrimSpace(r.PostForm.Get("chat"))
	}
	addr, err := care.ParseAddress(to)
	if err == nil {
		_, err = s.cfg.Campaigns.TestCampaign(r.Context(), id, addr)
	}
	if err != nil {
		s.refuseOnPage(w, r, id, "Tes belum terkirim", err)
		return
	}
	http.Redirect(w, r, "/console/broadcasts/"+string(id)+"?"+url.Values{"done": {"test"}, "to": {addr.String()}}.Encode(), http.StatusSeeOther)
}

// broadcastStatus is the status JSON the page's script polls.
type broadcastStatus struct {
	ID         care.CampaignID     `json:"id"`
	State      care.CampaignState  `json:"state"`
	StateLabel string              `json:"state_label"`
	Reason     string              `json:"reason,omitempty"`
	Auto       bool                `json:"auto,omitempty"`
	ResumeAt   time.Time           `json:"resume_at,omitzero"`
	Totals     care.CampaignTotals `json:"totals"`
	// Done counts the recipients with a final outcome.
	Done int       `json:"done"`
	At   time.Time `json:"at"`
}

// ownerBroadcastStatus is GET /console/broadcasts/{id}/status.
func (s *Server) ownerBroadcastStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := campaignID(w, r)
	if !ok {
		return
	}
	c, t, err := s.cfg.Campaigns.Campaign(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, broadcastStatus{ID: c.ID, State: c.State, StateLabel: campaignStateLabel(c.State), Reason: c.Reason, Auto: c.Auto,
		ResumeAt: c.ResumeAt, Totals: t, Done: t.Outcomes(), At: s.cfg.Now()})
}

// Percent is part of whole in whole percent, for the progress bar.
func (v broadcastView) Percent() int {
	if v.Totals.Planned == 0 {
		return 0
	}
	return min(100, v.Totals.Outcomes()*100/v.Totals.Planned)
}

// ExclusionLabel says why in words.
func (v broadcastView) ExclusionLabel(e care.Exclusion) string {
	if l, ok := exclusionLabels[e]; ok {
		return l
	}
	return string(e)
}

// ExclusionsSorted are the report's exclusions in the preview's order.
func (v broadcastView) ExclusionsSorted() []labelled {
	var out []labelled
	for _, e := range care.Exclusions {
		if n := v.Totals.Excluded[e]; n > 0 {
			out = append(out, labelled{Key: string(e), Label: exclusionLabels[e], N: n})
		}
	}
	return out
}
