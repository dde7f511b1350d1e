package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// The owner's pages: the contacts with their consent evidence, the staff
// accounts, the staff audit and the canned replies. Only an owner sees
// them (staffOnly answers a staff account 403); they run no script and
// every form carries the form token.
const (
	// contactsPage is how many contacts a page of the list shows.
	contactsPage = 50
	// auditShown is how many of the newest audit entries the page shows.
	auditShown = 200
	// maxSearch bounds the contacts' search box.
	maxSearch = 64
)

// ownerTemplate parses one owner page with the layout they share.
func ownerTemplate(page string) *template.Template {
	return template.Must(template.New(page).Funcs(template.FuncMap{"initial": initial}).
		ParseFS(staffFS, "web/staff/owner_layout.html", "web/staff/"+page))
}

var (
	contactsTemplate = ownerTemplate("owner_contacts.html")
	contactTemplate  = ownerTemplate("owner_contact.html")
	accountsTemplate = ownerTemplate("owner_staff.html")
	auditTemplate    = ownerTemplate("owner_audit.html")
	cannedTemplate   = ownerTemplate("owner_canned.html")
)

// routeOwner serves the owner's pages, each when the server has its
// store.
func (s *Server) routeOwner() {
	s.mux.HandleFunc("GET /console/staff", s.staffOnly(care.RoleOwner, s.ownerStaff))
	if s.cfg.Contacts != nil && s.cfg.Directory != nil {
		s.mux.HandleFunc("GET /console/contacts", s.staffOnly(care.RoleOwner, s.ownerContacts))
		s.mux.HandleFunc("GET /console/contacts/{contact}", s.staffOnly(care.RoleOwner, s.ownerContact))
	}
	if s.cfg.Inbox != nil {
		s.mux.HandleFunc("GET /console/audit", s.staffOnly(care.RoleOwner, s.ownerAudit))
	}
	if s.cfg.Canned != nil {
		s.mux.HandleFunc("GET /console/canned", s.staffOnly(care.RoleOwner, s.ownerCanned))
		s.mux.HandleFunc("POST /console/canned", s.staffOnly(care.RoleOwner, s.ownerSaveCanned))
		s.mux.HandleFunc("POST /console/canned/{name}/delete", s.staffOnly(care.RoleOwner, s.ownerDeleteCanned))
	}
	s.routeBroadcasts()
	s.routeFeedback()
}

// navLink is a tab of the owner's pages.
type navLink struct {
	Path, Label, En string
	Current         bool
}

// ownerPage is what every owner page shows: the shop, who is signed in,
// the tabs, and the form token for the logout and the page's forms.
type ownerPage struct {
	Shop      string
	Account   care.StaffAccount
	FormToken string
	Title     string
	TitleEn   string
	Nav       []navLink
	// Notice says what the last action did, or why it was refused
	// (Problem).
	Notice  string
	Problem bool
	loc     *time.Location
}

// ownerPage makes the common part of the page at path.
func (s *Server) ownerPage(w http.ResponseWriter, r *http.Request, path, title, titleEn string) ownerPage {
	acct, _ := staffFrom(r.Context())
	p := ownerPage{Shop: s.shopName(), Account: acct, FormToken: formToken(w, r), Title: title, TitleEn: titleEn, loc: s.timeZone()}
	links := []navLink{{"/console", "Kotak masuk", "inbox", false}}
	if s.ordersOn() {
		links = append(links, navLink{"/console/orders", "Pesanan", "orders", false})
	}
	if s.cfg.Contacts != nil && s.cfg.Directory != nil {
		links = append(links, navLink{"/console/contacts", "Kontak", "contacts", false})
	}
	if s.cfg.Canned != nil {
		links = append(links, navLink{"/console/canned", "Balasan cepat", "canned replies", false})
	}
	if s.cfg.Campaigns != nil {
		links = append(links, navLink{"/console/broadcasts", "Siaran", "broadcasts", false})
	}
	links = append(links, s.feedbackNav()...)
	links = append(links, navLink{"/console/staff", "Akun staf", "accounts", false})
	if s.cfg.Inbox != nil {
		links = append(links, navLink{"/console/audit", "Jejak staf", "staff audit", false})
	}
	for i := range links {
		links[i].Current = links[i].Path == path
	}
	p.Nav = links
	return p
}

// When is t as the pages show it, in the shop's time zone: "4 Mei 2026
// 16.05 WIB"; "–" for never.
func (p ownerPage) When(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	t = t.In(p.loc)
	return fmt.Sprintf("%s %d %s", dayMonth(t), t.Year(), t.Format("15.04 MST"))
}

// Machine is t for a <time datetime> attribute.
func (p ownerPage) Machine(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ownerFailed answers an owner page whose store failed.
func (s *Server) ownerFailed(w http.ResponseWriter, r *http.Request, err error) {
	if status := errorStatus(err); status < 500 {
		http.Error(w, publicMessage(err), status)
		return
	}
	s.staffUnavailable(w, r, err)
}

// contactRow is a contact in the list.
type contactRow struct {
	care.Contact
	Promotions, Orders bool
}

// contactsView is the list of contacts.
type contactsView struct {
	ownerPage
	Search    string
	Rows      []contactRow
	Total     int
	Capped    bool
	Page      int
	Pages     int
	Prev      string
	Next      string
	FirstShow int
	LastShow  int
}

// ownerContacts is GET /console/contacts?q=&page=: the contacts, the
// most recent writers first, with where their consent stands.
func (s *Server) ownerContacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	search := clip(strings.TrimSpace(q.Get("q")), maxSearch)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	res, err := s.cfg.Directory.ListContacts(r.Context(), care.ContactQuery{Search: search, Offset: (page - 1) * contactsPage, Limit: contactsPage})
	if err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	v := contactsView{ownerPage: s.ownerPage(w, r, "/console/contacts", "Kontak", "contacts"), Search: search,
		Total: res.Total, Capped: res.Capped, Page: page, Pages: max(1, (res.Total+contactsPage-1)/contactsPage)}
	for _, c := range res.Contacts {
		v.Rows = append(v.Rows, contactRow{Contact: c, Promotions: c.Consents(care.Promotions), Orders: c.Consents(care.Orders)})
	}
	if len(v.Rows) > 0 {
		v.FirstShow = (page-1)*contactsPage + 1
		v.LastShow = v.FirstShow + len(v.Rows) - 1
	}
	link := func(p int) string {
		vals := url.Values{"page": {strconv.Itoa(p)}}
		if search != "" {
			vals.Set("q", search)
		}
		return "/console/contacts?" + vals.Encode()
	}
	if page > 1 {
		v.Prev = link(min(page-1, v.Pages))
	}
	if page < v.Pages {
		v.Next = link(page + 1)
	}
	s.renderStaffPage(w, contactsTemplate, v, http.StatusOK)
}

// ledgerRow is an entry of the consent ledger, in words.
type ledgerRow struct {
	care.ConsentEvent
	PurposeLabel, SourceLabel string
}

// consentRow is where one purpose stands.
type consentRow struct {
	Label   string
	Granted bool
	// Recorded: the ledger has an entry for it (orders hold without).
	Recorded bool
	At       time.Time
}

// contactView is a contact's page.
type contactView struct {
	ownerPage
	Contact care.Contact
	Consent []consentRow
	// Ledger is the consent ledger, the newest first.
	Ledger []ledgerRow
	State  string
}

// ownerContact is GET /console/contacts/{contact}: the contact's
// profile and their consent ledger with its evidence.
func (s *Server) ownerContact(w http.ResponseWriter, r *http.Request) {
	id := care.ContactID(r.PathValue("contact"))
	if id.Validate() != nil {
		http.Error(w, "Kontak tidak ditemukan. (No such contact.)", http.StatusNotFound)
		return
	}
	c, ok, err := s.cfg.Contacts.Contact(r.Context(), id)
	if err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	if !ok || !c.Live() {
		http.Error(w, "Kontak tidak ditemukan: dihapus, sedang dihapus, atau tidak pernah ada. (No such contact: erased, being erased or never seen.)", http.StatusNotFound)
		return
	}
	if c.ID != id {
		// Merged into another: its page is the person's.
		http.Redirect(w, r, "/console/contacts/"+string(c.ID), http.StatusSeeOther)
		return
	}
	ledger, err := s.cfg.Contacts.Ledger(r.Context(), id)
	if err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	v := contactView{ownerPage: s.ownerPage(w, r, "/console/contacts", "Kontak", "contact"), Contact: c, State: stateLabel(c.Handover)}
	for _, p := range care.Purposes {
		st, rec := c.Consent[p]
		v.Consent = append(v.Consent, consentRow{Label: purposeLabel(p), Granted: c.Consents(p), Recorded: rec, At: st.At})
	}
	for _, e := range slices.Backward(ledger) {
		v.Ledger = append(v.Ledger, ledgerRow{ConsentEvent: e, PurposeLabel: purposeLabel(e.Purpose), SourceLabel: sourceLabel(e.Source)})
	}
	s.renderStaffPage(w, contactTemplate, v, http.StatusOK)
}

// purposeLabel names a purpose of consent on the pages.
func purposeLabel(p care.Purpose) string {
	switch p {
	case care.Orders:
		return "Info pesanan"
	case care.Promotions:
		return "Promosi"
	}
	return string(p)
}

// sourceLabel says on the pages how a consent event came about.
func sourceLabel(s care.Source) string {
	switch s {
	case care.SourceKeyword:
		return "kata kunci dari pelanggan (STOP, BERHENTI…)"
	case care.SourceFlow:
		return "jawaban pelanggan atas pertanyaan"
	case care.SourceOrder:
		return "pesanan"
	case care.SourceStaff:
		return "staf, atas permintaan pelanggan"
	case care.SourceAPI:
		return "sistem lain lewat API"
	case care.SourceErasure:
		return "penghapusan data"
	}
	return string(s)
}

// stateLabel says who answers a conversation.
func stateLabel(h care.Handover) string {
	switch h.State {
	case care.StateWaiting:
		return "menunggu staf"
	case care.StateHeld:
		return "dipegang " + h.Holder
	}
	return "dijawab bot"
}

// accountsView is the list of staff accounts.
type accountsView struct {
	ownerPage
	Accounts []care.StaffAccount
}

// ownerStaff is GET /console/staff: the accounts. They are changed with
// the mitra staff commands only, which the page says.
func (s *Server) ownerStaff(w http.ResponseWriter, r *http.Request) {
	accts, err := s.cfg.Staff.StaffAccounts(r.Context())
	if err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	v := accountsView{ownerPage: s.ownerPage(w, r, "/console/staff", "Akun staf", "staff accounts"), Accounts: accts}
	s.renderStaffPage(w, accountsTemplate, v, http.StatusOK)
}

// auditRow is an entry of the staff audit, in words.
type auditRow struct {
	care.StaffEvent
	Label string
	// Name is the contact's name; Known says they are not erased.
	Name  string
	Known bool
}

// auditView is the staff audit.
type auditView struct {
	ownerPage
	Rows  []auditRow
	Shown int
	// Contacts names and links the contacts when the owner can open
	// them.
	Contacts bool
}

// ownerAudit is GET /console/audit: who viewed, replied, took over and
// handed back which conversation, and when, the newest first.
func (s *Server) ownerAudit(w http.ResponseWriter, r *http.Request) {
	events, err := s.cfg.Inbox.StaffAudit(r.Context(), auditShown)
	if err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	v := auditView{ownerPage: s.ownerPage(w, r, "/console/audit", "Jejak staf", "staff audit"), Shown: auditShown,
		Contacts: s.cfg.Contacts != nil && s.cfg.Directory != nil}
	var names map[care.ContactID]string
	if v.Contacts {
		var ids []care.ContactID
		for _, e := range events {
			if e.Contact != "" && !slices.Contains(ids, e.Contact) {
				ids = append(ids, e.Contact)
			}
		}
		if names, err = s.cfg.Directory.ContactNames(r.Context(), ids); err != nil {
			s.ownerFailed(w, r, err)
			return
		}
	}
	for _, e := range slices.Backward(events) {
		name, known := names[e.Contact]
		v.Rows = append(v.Rows, auditRow{StaffEvent: e, Label: actionLabel(e.Action), Name: name, Known: known})
	}
	s.renderStaffPage(w, auditTemplate, v, http.StatusOK)
}

// actionLabel says what a staff action did.
func actionLabel(a care.StaffAction) string {
	switch a {
	case care.ActionHandedOver:
		return "diserahkan ke staf"
	case care.ActionTookOver:
		return "mengambil alih"
	case care.ActionReplied:
		return "membalas"
	case care.ActionHandedBack:
		return "mengembalikan ke bot"
	case care.ActionReturned:
		return "kembali ke bot"
	case care.ActionReleased:
		return "pelanggan minta bot"
	case care.ActionNoted:
		return "menulis catatan"
	case care.ActionViewed:
		return "membuka percakapan"
	}
	return string(a)
}

// cannedView is the canned replies with the form to add one.
type cannedView struct {
	ownerPage
	Replies []care.CannedReply
	Max     int
	MaxText int
	// Form is put back in the boxes after a refused save.
	Form care.CannedReply
}

// ownerCanned is GET /console/canned.
func (s *Server) ownerCanned(w http.ResponseWriter, r *http.Request) {
	v := s.cannedView(w, r)
	q := r.URL.Query()
	switch {
	case q.Has("saved"):
		v.Notice = fmt.Sprintf("Balasan “%s” tersimpan.", clip(q.Get("saved"), care.MaxCannedName))
	case q.Has("deleted"):
		v.Notice = fmt.Sprintf("Balasan “%s” dihapus.", clip(q.Get("deleted"), care.MaxCannedName))
	}
	s.renderCanned(w, r, v, http.StatusOK)
}

// cannedView makes the canned replies' page.
func (s *Server) cannedView(w http.ResponseWriter, r *http.Request) cannedView {
	return cannedView{ownerPage: s.ownerPage(w, r, "/console/canned", "Balasan cepat", "canned replies"), Max: care.MaxCannedReplies, MaxText: care.MaxCannedText}
}

// renderCanned reads the replies into v and renders the page.
func (s *Server) renderCanned(w http.ResponseWriter, r *http.Request, v cannedView, status int) {
	rs, err := s.cfg.Canned.CannedReplies(r.Context())
	if err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	v.Replies = rs
	s.renderStaffPage(w, cannedTemplate, v, status)
}

// ownerSaveCanned is POST /console/canned: the form's name, text and
// English text add a reply or replace the one of that name. A refused
// reply comes back in the form with why.
func (s *Server) ownerSaveCanned(w http.ResponseWriter, r *http.Request) {
	acct, _ := staffFrom(r.Context())
	f := care.CannedReply{Name: strings.TrimSpace(r.PostForm.Get("name")), Text: r.PostForm.Get("text"), By: acct.Name}
	if en := r.PostForm.Get("text_en"); strings.TrimSpace(en) != "" {
		f.Texts = map[string]string{"en": en}
	}
	saved, err := s.cfg.Canned.SaveCannedReply(r.Context(), f)
	if err != nil {
		status := errorStatus(err)
		if status >= 500 {
			s.staffUnavailable(w, r, err)
			return
		}
		v := s.cannedView(w, r)
		v.Form, v.Problem = f, true
		v.Notice = "Belum tersimpan: " + publicMessage(err)
		s.renderCanned(w, r, v, status)
		return
	}
	http.Redirect(w, r, "/console/canned?"+url.Values{"saved": {saved.Name}}.Encode(), http.StatusSeeOther)
}

// ownerDeleteCanned is POST /console/canned/{name}/delete.
func (s *Server) ownerDeleteCanned(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := s.cfg.Canned.DeleteCannedReply(r.Context(), name); err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/canned?"+url.Values{"deleted": {strings.ToLower(name)}}.Encode(), http.StatusSeeOther)
}
