package web

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mitra-care/mitra/internal/care"
)

// The staff inbox lives at /console: the queue of conversations
// (waiting, held, all) and, at /console/c/{contact}, one conversation
// with its timeline, the contact's facts, who holds it, the reply box
// and private notes. The pages are html/template and work without
// JavaScript, every action a form; console.js sends the forms in the
// background and keeps the pages live (live.go).

const (
	// queueLimit bounds the waiting and held lists, allLimit the list
	// of every recent conversation.
	queueLimit = 100
	allLimit   = 50
	// maxItems bounds the timeline a page shows; older items are
	// counted, not shown.
	maxItems = 200
	// viewTTL is how long a "viewing" mark lasts; an open page renews
	// it every viewEvery.
	viewTTL   = 30 * time.Second
	viewEvery = 10 * time.Second
	// actionTimeout bounds a staff action, the bot's resume after a
	// hand-back included.
	actionTimeout = 10 * time.Second
)

// routeInbox serves the conversations and the staff's actions on them,
// and the live updates.
func (s *Server) routeInbox() {
	s.hub = newHub(s.cfg.Live, s.readQueue, s.cfg.Logger)
	if s.ordersOn() {
		s.hub.orders = s.cfg.Orders.ContactOrders
		if s.cfg.OrdersLive != nil {
			s.hub.ordersMark = s.cfg.OrdersLive.OrdersMark
		}
	}
	staff := func(h http.HandlerFunc) http.HandlerFunc { return s.staffOnly(care.RoleStaff, h) }
	s.mux.HandleFunc("GET /console/c/{contact}", staff(s.conversationPage))
	s.mux.HandleFunc("POST /console/c/{contact}/takeover", boundForm(staff(s.takeover)))
	s.mux.HandleFunc("POST /console/c/{contact}/reply", boundForm(staff(s.reply)))
	s.mux.HandleFunc("POST /console/c/{contact}/note", boundForm(staff(s.note)))
	s.mux.HandleFunc("POST /console/c/{contact}/handback", boundForm(staff(s.handback)))
	s.mux.HandleFunc("GET /console/events", staff(s.events))
	s.mux.HandleFunc("GET /console/snapshot", staff(s.snapshot))
	if _, ok := s.linkCodes(); ok {
		s.mux.HandleFunc("POST /console/link", boundForm(staff(s.linkChat)))
	}
}

// inboxOn reports whether the console serves the inbox.
func (s *Server) inboxOn() bool { return s.cfg.Inbox != nil && s.cfg.Live != nil }

// queueView is the three lists, one of them shown.
type queueView struct {
	Lists []queueList
	// Counts are how many conversations wait and are held.
	Waiting, Held int
}

// queueList is one list of the queue.
type queueList struct {
	View        care.InboxView
	Label, En   string
	Empty       string
	Rows        []rowView
	Shown       bool
	CountsShown bool
}

// rowView is one conversation in a list.
type rowView struct {
	ID       care.ContactID
	Title    string
	Channels []string
	State    care.HandoverState
	// StateText says the state for people ("Menunggu", "Rina").
	StateText string
	Mine      bool
	// Since is when the row's state began (its last message for the
	// bot's); Prefix and Ago say it ("menunggu " and "5 mnt").
	Since       time.Time
	Prefix, Ago string
	Words       string
	Current     bool
}

// convView is one conversation as the page shows it.
type convView struct {
	ID      care.ContactID
	Title   string
	Initial string
	// Channels are the contact's channels, for the header.
	Channels []string
	State    care.HandoverState
	// Chip names the state briefly; StateText says who answers now,
	// StateEn the same in English.
	Chip, StateText, StateEn string
	Holder                   string
	Mine                     bool
	// Actions staff may take now.
	CanTakeOver, CanHandBack bool
	// WhyNot says why the signed-in account cannot reply now; "" when
	// it can.
	WhyNot string
	// WindowEnds is when the reply window closes (zero when closed or
	// never opened).
	WindowEnds time.Time
	Facts      []fact
	Items      []item
	// Older counts the items too old to show.
	Older int
	// Viewers are the others viewing the conversation now.
	Viewers []string
	Flows   []string
	Flow    string
	// Token is the viewer's form token, for the forms of the
	// fragments.
	Token string
	// Orders are the contact's orders beside the conversation; nil when
	// the console has no orders.
	Orders *orderPanel
}

// fact is one line of the contact's facts.
type fact struct{ Label, En, Value string }

// item is one entry of the timeline.
type item struct {
	// Kind is in (the customer), bot, staff, note or event.
	Kind  string
	At    time.Time
	Clock string
	By    string
	Text  string
}

// conversationPage is GET /console/c/{contact}: the conversation, and
// on a desk the queue beside it. Opening it is recorded in the staff
// audit (viewed) and marks the account as viewing it. With ?canned=NAME
// the reply box holds that canned reply, written for the contact: the
// pick of a page without its script.
func (s *Server) conversationPage(w http.ResponseWriter, r *http.Request) {
	id, ok := contactParam(w, r)
	if !ok {
		return
	}
	v := s.newConsoleView(w, r)
	tl, err := s.cfg.Inbox.Timeline(r.Context(), id, v.Account.Name)
	status := http.StatusOK
	switch {
	case care.ErrorCode(err) == care.ENotFound:
		status = http.StatusNotFound
		v.Notice = goneText
	case err != nil:
		s.staffUnavailable(w, r, err)
		return
	case tl.Contact.ID != id:
		// Merged into another contact: the person's page.
		http.Redirect(w, r, conversationPath(tl.Contact.ID), http.StatusSeeOther)
		return
	default:
		if err := s.cfg.Live.View(r.Context(), id, v.Account.Name, viewTTL); err != nil {
			s.cfg.Logger.Warn("marking a conversation viewed failed", "err", err)
		}
		ms, err := s.cfg.Live.ConversationMarks(r.Context(), []care.ContactID{id})
		var viewers []string
		if err == nil {
			viewers = ms[0].Viewers
		}
		c := s.convOf(tl, viewers, v.Account.Name, v.FormToken)
		c.Orders = s.orderPanelOf(r.Context(), id, v.FormToken, "", "")
		v.Conv = &c
		v.Canned = s.cannedFor(r.Context(), tl.Contact)
		v.Draft = draftOf(v.Canned, r.URL.Query().Get("canned"))
	}
	if v.Queue, err = s.queue(r.Context(), care.InboxView(r.URL.Query().Get("view")), id, v.Account.Name); err != nil {
		s.staffUnavailable(w, r, err)
		return
	}
	s.renderStaffPage(w, consoleTemplate, v, status)
}

// goneText says a conversation cannot be shown: the contact was erased.
const goneText = "Percakapan ini tidak ada lagi: kontaknya sudah dihapus (atau sedang dihapus). (This contact was erased, or never wrote.)"

// contactParam reads the {contact} of the path, answering 404 when it
// is not a contact id.
func contactParam(w http.ResponseWriter, r *http.Request) (care.ContactID, bool) {
	id := care.ContactID(r.PathValue("contact"))
	if err := id.Validate(); err != nil {
		http.Error(w, "Percakapan tidak ditemukan. (No such conversation.)", http.StatusNotFound)
		return "", false
	}
	return id, true
}

// conversationPath is the page of a contact's conversation.
func conversationPath(id care.ContactID) string { return "/console/c/" + url.PathEscape(string(id)) }

// queue reads the three lists, shows one (waiting unless shown says
// another) and marks the row of the open conversation.
func (s *Server) queue(ctx context.Context, shown care.InboxView, current care.ContactID, me string) (queueView, error) {
	lists, err := s.readQueue(ctx)
	if err != nil {
		return queueView{}, err
	}
	return s.queueOf(lists, shown, current, me), nil
}

// inboxLists are the three lists as the store gave them.
type inboxLists struct {
	Waiting, Held, All []care.InboxEntry
}

// readQueue reads the three lists of the inbox.
func (s *Server) readQueue(ctx context.Context) (inboxLists, error) {
	var l inboxLists
	var err error
	if l.Waiting, err = s.cfg.Inbox.Conversations(ctx, care.InboxWaiting, queueLimit); err != nil {
		return l, err
	}
	if l.Held, err = s.cfg.Inbox.Conversations(ctx, care.InboxHeld, queueLimit); err != nil {
		return l, err
	}
	l.All, err = s.cfg.Inbox.Conversations(ctx, care.InboxAll, allLimit)
	return l, err
}

// queueOf is the lists as the page shows them to me.
func (s *Server) queueOf(l inboxLists, shown care.InboxView, current care.ContactID, me string) queueView {
	if !slices.Contains([]care.InboxView{care.InboxWaiting, care.InboxHeld, care.InboxAll}, shown) {
		shown = care.InboxWaiting
	}
	now := s.cfg.Now()
	rows := func(es []care.InboxEntry) []rowView {
		out := make([]rowView, len(es))
		for i, e := range es {
			out[i] = s.rowOf(e, current, me, now)
		}
		return out
	}
	return queueView{
		Waiting: len(l.Waiting), Held: len(l.Held),
		Lists: []queueList{
			{View: care.InboxWaiting, Label: "Menunggu", En: "waiting", Empty: "Tidak ada yang menunggu. 🎉", Rows: rows(l.Waiting), CountsShown: true},
			{View: care.InboxHeld, Label: "Dipegang", En: "held", Empty: "Tidak ada yang sedang dipegang staf.", Rows: rows(l.Held), CountsShown: true},
			{View: care.InboxAll, Label: "Semua", En: "all", Empty: "Belum ada percakapan.", Rows: rows(l.All)},
		},
	}.show(shown)
}

// show marks which list is shown.
func (q queueView) show(v care.InboxView) queueView {
	for i := range q.Lists {
		q.Lists[i].Shown = q.Lists[i].View == v
	}
	return q
}

// rowOf is one entry of a list.
func (s *Server) rowOf(e care.InboxEntry, current care.ContactID, me string, now time.Time) rowView {
	r := rowView{ID: e.Contact, Title: titleOf(e.Name, e.Contact), State: e.State, Since: e.Since,
		Words: e.FirstWords, Current: e.Contact == current}
	for _, ch := range e.Channels {
		r.Channels = append(r.Channels, channelName(ch))
	}
	if r.Words == "" {
		r.Words = reasonText(e.Reason)
	}
	switch e.State {
	case care.StateWaiting:
		r.StateText, r.Prefix = "Menunggu", "menunggu "
	case care.StateHeld:
		r.Mine = strings.EqualFold(e.Holder, me)
		r.StateText, r.Prefix = "Dipegang "+holderName(e.Holder, me), "dipegang "
	default:
		r.StateText, r.Since = "Bot", e.LastInbound
	}
	r.Ago = ago(now, r.Since)
	return r
}

// titleOf names a contact: its name, or the start of its id.
func titleOf(name string, id care.ContactID) string {
	if name != "" {
		return name
	}
	return "Kontak " + string(id)[1:7]
}

// channelName is a channel for people.
func channelName(ch care.Channel) string {
	switch ch {
	case care.WhatsApp:
		return "WhatsApp"
	case care.Telegram:
		return "Telegram"
	}
	return string(ch)
}

// holderName says who holds a conversation, to me.
func holderName(holder, me string) string {
	switch {
	case strings.EqualFold(holder, me):
		return "Anda"
	case holder == care.ShopPhone:
		return "HP toko"
	}
	return holder
}

// reasonText says why the bot handed a conversation over, for a row
// whose customer has not written since.
func reasonText(reason string) string {
	switch reason {
	case "":
		return ""
	case "person":
		return "Minta bicara dengan staf"
	case "order":
		return "Mau pesan"
	case "not_understood":
		return "Bot tidak mengerti pesannya"
	}
	return reason
}

// ago says how long ago t was, briefly: "baru saja", "5 mnt", "2 jam",
// "3 hari" (console.js says it again as time passes).
func ago(now, t time.Time) string {
	switch d := now.Sub(t); {
	case d < time.Minute:
		return "baru saja"
	case d < time.Hour:
		return fmt.Sprintf("%d mnt", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d jam", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d hari", int(d/(24*time.Hour)))
	}
}

// months are the short names of the months in Indonesian.
var months = [...]string{"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"}

// dayMonth is t's day and month as the pages write them: "4 Mei".
func dayMonth(t time.Time) string { return fmt.Sprintf("%d %s", t.Day(), months[t.Month()-1]) }

// clock says when t was in the shop's time: "10.02" today, "4 Mei
// 10.02" before.
func (s *Server) clock(t time.Time) string {
	loc := s.timeZone()
	t, now := t.In(loc), s.cfg.Now().In(loc)
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15.04")
	}
	return dayMonth(t) + " " + t.Format("15.04")
}

// timeZone is the shop's time zone.
func (s *Server) timeZone() *time.Location {
	if s.cfg.TimeZone == nil {
		return time.UTC
	}
	return s.cfg.TimeZone
}

// convOf is a timeline as the page shows it to me, whose form token
// is token.
func (s *Server) convOf(tl care.Timeline, viewers []string, me, token string) convView {
	c := tl.Contact
	h := c.Handover
	now := s.cfg.Now()
	v := convView{ID: c.ID, Title: titleOf(c.Name, c.ID), State: h.State, Holder: h.Holder,
		Mine: h.State == care.StateHeld && strings.EqualFold(h.Holder, me), Flows: s.cfg.HandbackFlows, Token: token}
	if v.State == "" {
		v.State = care.StateBot
	}
	v.Initial = initial(v.Title)
	if len(v.Flows) > 0 {
		v.Flow = v.Flows[0]
	}
	for _, a := range c.Addresses {
		if name := channelName(a.Channel); !slices.Contains(v.Channels, name) {
			v.Channels = append(v.Channels, name)
		}
	}
	v.Chip = "Bot"
	switch v.State {
	case care.StateWaiting:
		v.Chip = "Menunggu"
		v.StateText, v.StateEn = "Menunggu staf sejak "+s.clock(h.Since)+".", "Waiting for staff."
		v.CanTakeOver, v.CanHandBack = true, true
	case care.StateHeld:
		v.Chip = "Dipegang " + holderName(h.Holder, me)
		switch {
		case v.Mine:
			v.StateText, v.StateEn = "Anda memegang percakapan ini; bot diam.", "You hold this; the bot keeps quiet."
			v.CanHandBack = true
		case h.Holder == care.ShopPhone:
			v.StateText, v.StateEn = "Dijawab dari HP toko.", "The shop's phone holds this."
			v.CanTakeOver, v.CanHandBack = true, true
		default:
			v.StateText, v.StateEn = h.Holder+" memegang percakapan ini.", h.Holder+" holds this."
		}
	default:
		v.StateText, v.StateEn = "Bot menjawab percakapan ini.", "The bot answers."
		v.CanTakeOver = true
	}
	v.WhyNot = whyNotReply(c, me, now, s.clock)
	if !c.LastInbound.IsZero() && now.Sub(c.LastInbound) <= care.ReplyWindow {
		v.WindowEnds = c.LastInbound.Add(care.ReplyWindow)
	}
	for _, name := range viewers {
		if !strings.EqualFold(name, me) {
			v.Viewers = append(v.Viewers, name)
		}
	}
	v.Facts = s.factsOf(c, v.WindowEnds)
	v.Items, v.Older = s.itemsOf(tl)
	return v
}

// whyNotReply says why me cannot reply to contact c now, "" when they
// can: the page shows it in place of the reply box, and a reply is
// refused with it.
func whyNotReply(c care.Contact, me string, now time.Time, clock func(time.Time) string) string {
	h := c.Handover
	mine := h.State == care.StateHeld && strings.EqualFold(h.Holder, me)
	switch {
	case h.State == care.StateHeld && !mine && h.Holder != care.ShopPhone:
		return fmt.Sprintf("%s memegang percakapan ini; hanya dia yang bisa membalas. (%s holds this.)", h.Holder, h.Holder)
	case !mine:
		return "Ambil alih dulu untuk membalas; selama itu bot diam. (Take over to reply.)"
	case c.LastInbound.IsZero():
		return "Pelanggan ini belum pernah menulis ke toko, jadi belum bisa dibalas. (The customer never wrote to the shop.)"
	case now.Sub(c.LastInbound) > care.ReplyWindow:
		return fmt.Sprintf("Tidak bisa membalas: pesan terakhir pelanggan (%s) sudah lebih dari 24 jam lalu, dan WhatsApp hanya mengizinkan balasan dalam 24 jam. Tunggu pelanggan menulis lagi. (The 24-hour reply window is closed.)",
			clock(c.LastInbound))
	}
	if a, ok := c.ReplyAddress(); ok && c.Unreachable[a.Channel] != "" {
		return fmt.Sprintf("Pelanggan tidak bisa dihubungi di %s: %s. (Unreachable.)", channelName(a.Channel), c.Unreachable[a.Channel])
	}
	return ""
}

// textRefusal says why a reply or note text cannot be sent, "" when it
// can: empty, or longer than care.MaxText characters.
func textRefusal(text string) string {
	n := utf8.RuneCountInString(strings.TrimSpace(text))
	switch {
	case n == 0:
		return "Tulis pesannya dulu: teksnya kosong. (The text is empty.)"
	case n > care.MaxText:
		return fmt.Sprintf("Teks terlalu panjang: %d karakter, paling banyak %d. (Too long: at most %d characters.)", n, care.MaxText, care.MaxText)
	}
	return ""
}

// factsOf are the contact's facts staff see beside the conversation.
func (s *Server) factsOf(c care.Contact, windowEnds time.Time) []fact {
	fs := []fact{{"Nama", "name", cmp.Or(c.Name, "—")}}
	for _, a := range c.Addresses {
		val := a.ID
		if a.Simulated() {
			val += " (simulator)"
		}
		fs = append(fs, fact{channelName(a.Channel), "", val})
	}
	if c.Lang != "" {
		fs = append(fs, fact{"Bahasa", "language", c.Lang})
	}
	for _, p := range care.Purposes {
		label, en := "Info pesanan", "orders"
		if p == care.Promotions {
			label, en = "Promo", "promotions"
		}
		val := "belum ditanya (not asked)"
		if st, ok := c.Consent[p]; ok {
			val = "tidak, sejak " + s.clock(st.At) + " (no)"
			if st.Granted {
				val = "ya, sejak " + s.clock(st.At) + " (yes)"
			}
		}
		fs = append(fs, fact{label, en, val})
	}
	if !c.FirstSeen.IsZero() {
		fs = append(fs, fact{"Pertama menulis", "first seen", s.clock(c.FirstSeen)})
	}
	if !c.LastInbound.IsZero() {
		fs = append(fs, fact{"Pesan terakhir", "last message", s.clock(c.LastInbound)})
	}
	window := "tertutup (closed)"
	if !windowEnds.IsZero() {
		window = "terbuka sampai " + s.clock(windowEnds) + " (open)"
	}
	fs = append(fs, fact{"Jendela balas 24 jam", "reply window", window})
	if c.Blocked {
		fs = append(fs, fact{"Diblokir toko", "blocked", "ya"})
	}
	for ch, why := range c.Unreachable {
		fs = append(fs, fact{"Tak terjangkau di " + channelName(ch), "unreachable", why})
	}
	return fs
}

// itemsOf merges the transcript, the notes and the events in time, the
// newest maxItems of them, and counts the older ones.
func (s *Server) itemsOf(tl care.Timeline) ([]item, int) {
	var items []item
	for _, e := range tl.Transcript {
		it := item{Kind: "bot", At: e.At, Text: e.Text, By: "Bot"}
		switch {
		case e.Inbound:
			it.Kind, it.By = "in", ""
		case e.Staff != "":
			it.Kind, it.By = "staff", e.Staff
		}
		items = append(items, it)
	}
	for _, n := range tl.Notes {
		items = append(items, item{Kind: "note", At: n.At, By: n.By, Text: n.Text})
	}
	for _, e := range tl.Events {
		if text := eventText(e); text != "" {
			items = append(items, item{Kind: "event", At: e.At, By: e.By, Text: text})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.At.Compare(b.At) })
	older := max(len(items)-maxItems, 0)
	items = items[older:]
	for i := range items {
		items[i].Clock = s.clock(items[i].At)
	}
	return items, older
}

// eventText says an event of the conversation for people, "" for the
// ones the timeline shows otherwise (a reply, a note).
func eventText(e care.StaffEvent) string {
	by := e.By
	switch by {
	case care.ShopPhone:
		by = "HP toko"
	case care.ByCustomer:
		by = "Pelanggan"
	case care.ByMitra:
		by = "Bot"
	}
	switch e.Action {
	case care.ActionHandedOver:
		if r := reasonText(e.Reason); r != "" {
			return "Bot menyerahkan ke staf: " + strings.ToLower(r[:1]) + r[1:] + " (handed over)"
		}
		return "Bot menyerahkan ke staf (handed over)"
	case care.ActionTookOver:
		return by + " mengambil alih (took over)"
	case care.ActionHandedBack:
		return by + " menyerahkan kembali ke bot (handed back)"
	case care.ActionReturned:
		why := "tidak ada yang mengambil"
		if e.Reason != "nobody took it" {
			why = "pemegangnya lama tidak membalas"
		}
		return "Kembali ke bot: " + why + " (returned)"
	case care.ActionReleased:
		return "Pelanggan kembali ke menu (MENU)"
	case care.ActionProof:
		return "Pelanggan mengirim bukti bayar pesanan " + e.Reason + " — periksa lalu tandai dibayar (payment proof)"
	case care.ActionSuggested:
		return "Saran pelanggan (suggestion): " + clip(e.Reason, 300)
	}
	return ""
}

// takeover is POST /console/c/{contact}/takeover: the signed-in account
// holds the conversation, or is told who does.
func (s *Server) takeover(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(ctx context.Context, id care.ContactID, me string) (string, error) {
		_, err := s.cfg.Inbox.Takeover(ctx, id, me)
		return "", err
	})
}

// reply is POST /console/c/{contact}/reply: text to the customer,
// through the outbox and the gate like every message.
func (s *Server) reply(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(ctx context.Context, id care.ContactID, me string) (string, error) {
		text := r.PostForm.Get("text")
		if why := textRefusal(text); why != "" {
			return why, care.Errorf(care.EInvalid, "%s", why)
		}
		tl, err := s.cfg.Live.Reread(ctx, id)
		if err != nil {
			return "", err
		}
		if why := whyNotReply(tl.Contact, me, s.cfg.Now(), s.clock); why != "" {
			code := care.EInvalid
			if h := tl.Contact.Handover; h.State == care.StateHeld && !strings.EqualFold(h.Holder, me) && h.Holder != care.ShopPhone {
				code = care.EConflict
			}
			return why, care.Errorf(code, "%s", why)
		}
		_, err = s.cfg.Inbox.Reply(ctx, id, me, text)
		return "", err
	})
}

// note is POST /console/c/{contact}/note: a private note, never sent.
func (s *Server) note(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(ctx context.Context, id care.ContactID, me string) (string, error) {
		text := r.PostForm.Get("text")
		if why := textRefusal(text); why != "" {
			return why, care.Errorf(care.EInvalid, "%s", why)
		}
		_, err := s.cfg.Inbox.Note(ctx, id, me, text)
		return "", err
	})
}

// handback is POST /console/c/{contact}/handback: the bot answers
// again at once, starting the flow picked (none when "").
func (s *Server) handback(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(ctx context.Context, id care.ContactID, me string) (string, error) {
		_, why, err := s.handBack(ctx, id, me, r.PostForm.Get("flow"))
		return why, err
	})
}

// handBack gives a conversation back to the bot for staff member me,
// starting flow ("" for none), and has the bot answer at once; why is
// the reason to show when the flow is not one staff may start.
func (s *Server) handBack(ctx context.Context, id care.ContactID, me, flow string) (c care.Contact, why string, err error) {
	if flow != "" && !slices.Contains(s.cfg.HandbackFlows, flow) {
		why = fmt.Sprintf("Alur %q tidak dikenal. (Unknown flow.)", clip(flow, maxEcho))
		return c, why, care.Errorf(care.EInvalid, "%s", why)
	}
	if c, err = s.cfg.Inbox.Handback(ctx, id, me, flow); err != nil {
		return c, "", err
	}
	if s.cfg.Resume != nil {
		// The bot says what it owes now; should this fail, it says it
		// with its answer to the customer's next message.
		if err := s.cfg.Resume(ctx, c.ID); err != nil {
			s.cfg.Logger.Warn("the bot's resume after a hand-back failed; it answers the next message", "contact", c.ID, "err", err)
		}
	}
	return c, "", nil
}

// act runs a staff action on the conversation of the path and answers:
// a script (Accept: application/json) gets the conversation as it is
// now, or the reason it was refused, in JSON; a plain form goes back to
// the conversation, or sees it again with the reason. do returns the
// reason to show when it has one of its own.
func (s *Server) act(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, id care.ContactID, me string) (string, error)) {
	id, ok := contactParam(w, r)
	if !ok {
		return
	}
	acct, _ := staffFrom(r.Context())
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	why, err := do(ctx, id, acct.Name)
	if err != nil && why == "" {
		why = s.refusal(ctx, err, id)
	}
	status := http.StatusOK
	if err != nil {
		status = errorStatus(err)
		if status >= 500 {
			s.cfg.Logger.Error("staff action failed", "path", r.URL.Path, "err", err)
		}
	}
	if !wantsJSON(r) {
		if err == nil {
			http.Redirect(w, r, conversationPath(id), http.StatusSeeOther)
			return
		}
		v := s.newConsoleView(w, r)
		v.Notice = why
		if tl, err := s.cfg.Live.Reread(ctx, id); err == nil {
			c := s.convOf(tl, nil, acct.Name, v.FormToken)
			c.Orders = s.orderPanelOf(ctx, id, v.FormToken, "", "")
			v.Conv = &c
			v.Canned = s.cannedFor(ctx, tl.Contact)
			// A refused text comes back in the box, to be put right.
			v.Draft = r.PostForm.Get("text")
		}
		if q, err := s.queue(ctx, "", id, acct.Name); err == nil {
			v.Queue = q
		}
		s.renderStaffPage(w, consoleTemplate, v, status)
		return
	}
	out := actionResult{OK: err == nil, Error: why}
	if conv, err := s.conversationPayload(ctx, id, acct.Name, cookieToken(r)); err == nil {
		out.Conversation = &conv
	}
	if status >= 500 {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, out)
}

// actionResult is the answer to a script's action.
type actionResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Conversation is the conversation as it is after the action.
	Conversation *convPayload `json:"conversation,omitempty"`
}

// refusal says why the store refused an action, for people.
func (s *Server) refusal(ctx context.Context, err error, id care.ContactID) string {
	switch care.ErrorCode(err) {
	case care.ENotFound:
		return goneText
	case care.EConflict:
		if tl, rerr := s.cfg.Live.Reread(ctx, id); rerr == nil && tl.Contact.Handover.Holder != "" {
			h := tl.Contact.Handover.Holder
			return fmt.Sprintf("%s sudah memegang percakapan ini. (%s holds this.)", h, h)
		}
		return "Orang lain baru saja mengubah percakapan ini; coba lagi. (" + err.Error() + ")"
	case care.EInvalid, care.EUnreachable:
		return "Tidak bisa: " + err.Error()
	}
	if errorStatus(err) == http.StatusServiceUnavailable {
		return "Sedang tidak tersedia; coba lagi sebentar lagi. (Temporarily unavailable.)"
	}
	return "Terjadi kesalahan; coba lagi. (Something went wrong.)"
}

// wantsJSON reports whether the page's script sent r and wants JSON.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// boundForm refuses a form larger than the server reads, saying so,
// before the form is parsed (which would fail less clearly).
func boundForm(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			msg := fmt.Sprintf("Terlalu besar: paling banyak %d KB terbaca, dan teks paling banyak %d karakter. (Request too large.)", maxBody>>10, care.MaxText)
			if wantsJSON(r) {
				writeJSON(w, http.StatusRequestEntityTooLarge, actionResult{Error: msg})
				return
			}
			http.Error(w, msg, http.StatusRequestEntityTooLarge)
			return
		}
		h(w, r)
	}
}

// fragment renders one of the console's named fragments.
func fragment(name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := consoleTemplate.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	// html/template escaped every value in it.
	return template.HTML(buf.String()), nil
}
