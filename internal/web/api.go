package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mitra-care/mitra/internal/care"
)

// The staff inbox's JSON API, for a script on the console's pages (the
// session cookie and X-CSRF-Token) or a program of the shop's (a bearer
// token): the same conversations and the same rules as the console. A
// staff account sees conversations and the canned replies; changing the
// canned replies is the owner's. Every answer is JSON, an error always
// {"error": "..."}.
const (
	// apiListDefault is how many conversations a list returns unless
	// ?limit= says otherwise.
	apiListDefault = 100
	// apiListMax is the most one list returns.
	apiListMax = 500
)

// routeAPI serves the JSON API of the inbox and of the canned replies,
// each when the server has its store.
func (s *Server) routeAPI() {
	if s.cfg.Inbox != nil && s.cfg.Contacts != nil {
		s.mux.HandleFunc("GET /api/v1/conversations", s.api(care.RoleStaff, s.apiConversations))
		s.mux.HandleFunc("/api/v1/conversations", methodsOnly(http.MethodGet))
		s.mux.HandleFunc("GET /api/v1/conversations/{contact}", s.api(care.RoleStaff, s.apiConversation))
		s.mux.HandleFunc("/api/v1/conversations/{contact}", methodsOnly(http.MethodGet))
		for action, h := range map[string]http.HandlerFunc{
			"takeover": s.apiTakeover,
			"messages": s.apiMessage,
			"notes":    s.apiNote,
			"handback": s.apiHandback,
		} {
			s.mux.HandleFunc("POST /api/v1/conversations/{contact}/"+action, s.api(care.RoleStaff, h))
			s.mux.HandleFunc("/api/v1/conversations/{contact}/"+action, methodsOnly(http.MethodPost))
		}
	}
	if s.cfg.Canned != nil && s.cfg.Contacts != nil {
		s.mux.HandleFunc("GET /api/v1/canned", s.api(care.RoleStaff, s.apiCanned))
		s.mux.HandleFunc("POST /api/v1/canned", s.api(care.RoleOwner, s.apiSaveCanned))
		s.mux.HandleFunc("/api/v1/canned", methodsOnly(http.MethodGet, http.MethodPost))
		s.mux.HandleFunc("DELETE /api/v1/canned/{name}", s.api(care.RoleOwner, s.apiDeleteCanned))
		s.mux.HandleFunc("/api/v1/canned/{name}", methodsOnly(http.MethodDelete))
	}
}

// api serves h to a call apiAuth lets through from an account of role
// (an owner passes for staff too); another account gets 403 and h does
// not run. No answer is kept by a cache: they name customers.
func (s *Server) api(role care.StaffRole, h http.HandlerFunc) http.HandlerFunc {
	return s.apiAuth(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if acct, _ := staffFrom(r.Context()); !acct.Role.Allows(role) {
			writeJSONError(w, http.StatusForbidden, "only the shop's owner may do this")
			return
		}
		h(w, r)
	})
}

// apiError answers a call that failed: status, or the one err's code
// maps to when status is 0, with the application error's own message
// ("Rina holds this"), not the context it was wrapped in. Internal
// errors are logged and their text is not shown.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status == 0 {
		status = errorStatus(err)
	}
	if status >= 500 {
		s.writeError(w, r, err)
		return
	}
	writeJSONError(w, status, publicMessage(err))
}

// readJSON decodes the call's body, one JSON object, into v. An empty
// body leaves v as it is when optional. On failure it answers the call
// and returns false: 415 without Content-Type: application/json (a
// browser sends that type from another site only after asking, which
// Mitra never grants), 413 for a body over the server's bound, 400 for
// anything else.
func readJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	if err := requireJSON(r); err != nil {
		writeJSONError(w, http.StatusUnsupportedMediaType, err.Error())
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) && optional {
		return true
	}
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if maxErr := (*http.MaxBytesError)(nil); errors.As(err, &maxErr) {
		writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxErr.Limit))
		return false
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "the body must be one JSON object: "+clip(err.Error(), 4*maxEcho))
		return false
	}
	return true
}

// apiContactID is the call's {contact}. One that cannot be a contact id
// is as unknown as one that is not there.
func apiContactID(r *http.Request) (care.ContactID, error) {
	id := care.ContactID(r.PathValue("contact"))
	if id.Validate() != nil {
		return "", care.Errorf(care.ENotFound, "no conversation %q: use the contact id of the list", clip(string(id), maxEcho))
	}
	return id, nil
}

// conversationJSON is a line of a list of the inbox.
type conversationJSON struct {
	Contact    care.ContactID     `json:"contact"`
	Name       string             `json:"name"`
	Channels   []care.Channel     `json:"channels"`
	State      care.HandoverState `json:"state"`
	Holder     string             `json:"holder,omitempty"`
	Since      time.Time          `json:"since,omitzero"`
	Reason     string             `json:"reason,omitempty"`
	FirstWords string             `json:"first_words,omitempty"`
	// LastMessage is when the customer or the holder last wrote.
	LastMessage time.Time `json:"last_message,omitzero"`
}

// apiConversations is GET /api/v1/conversations?state=waiting|held|all
// (all when not given) and &limit= (1 to apiListMax).
func (s *Server) apiConversations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	view := care.InboxView(cmp.Or(q.Get("state"), string(care.InboxAll)))
	if !slices.Contains([]care.InboxView{care.InboxWaiting, care.InboxHeld, care.InboxAll}, view) {
		writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("state %q: want waiting, held or all", clip(string(view), maxEcho)))
		return
	}
	limit := apiListDefault
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiListMax {
			writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want 1 to %d", clip(v, maxEcho), apiListMax))
			return
		}
		limit = n
	}
	entries, err := s.cfg.Inbox.Conversations(r.Context(), view, limit)
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	out := make([]conversationJSON, len(entries))
	for i, e := range entries {
		last := e.LastInbound
		if e.LastStaff.After(last) {
			last = e.LastStaff
		}
		out[i] = conversationJSON{Contact: e.Contact, Name: e.Name, Channels: orEmpty(e.Channels),
			State: e.State, Holder: e.Holder, Since: e.Since, Reason: e.Reason, FirstWords: e.FirstWords, LastMessage: last}
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
}

// orEmpty is s, or an empty slice for nil: JSON says [] rather than
// null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// contactJSON is what the API says of a contact: enough to answer
// them, not their addresses.
type contactJSON struct {
	ID       care.ContactID `json:"id"`
	Name     string         `json:"name"`
	Lang     string         `json:"lang,omitempty"`
	Channels []care.Channel `json:"channels"`
	// FirstSeen is the contact's first message, LastMessage their last.
	FirstSeen   time.Time `json:"first_seen,omitzero"`
	LastMessage time.Time `json:"last_message,omitzero"`
	// ReplyUntil is when the shop can no longer answer them (the
	// 24-hour window of WhatsApp, kept on every channel).
	ReplyUntil time.Time `json:"reply_until,omitzero"`
	// Consent says what the contact may be sent, per purpose.
	Consent     map[care.Purpose]bool   `json:"consent"`
	Unreachable map[care.Channel]string `json:"unreachable,omitempty"`
}

func contactOf(c care.Contact) contactJSON {
	out := contactJSON{ID: c.ID, Name: c.Name, Lang: c.Lang, Channels: []care.Channel{}, FirstSeen: c.FirstSeen,
		LastMessage: c.LastInbound, Consent: map[care.Purpose]bool{}, Unreachable: c.Unreachable}
	if !c.LastInbound.IsZero() {
		out.ReplyUntil = c.LastInbound.Add(care.ReplyWindow)
	}
	for _, a := range c.Addresses {
		if !slices.Contains(out.Channels, a.Channel) {
			out.Channels = append(out.Channels, a.Channel)
		}
	}
	for _, p := range care.Purposes {
		out.Consent[p] = c.Consents(p)
	}
	return out
}

// handoverJSON is who answers a conversation.
type handoverJSON struct {
	State  care.HandoverState `json:"state"`
	Holder string             `json:"holder,omitempty"`
	Since  time.Time          `json:"since,omitzero"`
	// Until is when a conversation nobody took goes back to the bot.
	Until      time.Time `json:"until,omitzero"`
	Reason     string    `json:"reason,omitempty"`
	FirstWords string    `json:"first_words,omitempty"`
	LastStaff  time.Time `json:"last_staff,omitzero"`
}

func handoverOf(h care.Handover) handoverJSON {
	out := handoverJSON{State: cmp.Or(h.State, care.StateBot), Holder: h.Holder, Since: h.Since, Reason: h.Reason,
		FirstWords: h.FirstWords, LastStaff: h.LastStaff}
	if h.State == care.StateWaiting {
		out.Until = h.Until
	}
	return out
}

// messageJSON is a message of the transcript: From is "customer", "bot"
// or "staff" (By names who).
type messageJSON struct {
	At   time.Time `json:"at"`
	From string    `json:"from"`
	By   string    `json:"by,omitempty"`
	Text string    `json:"text"`
}

// eventJSON is who did what to the conversation.
type eventJSON struct {
	At     time.Time        `json:"at"`
	Action care.StaffAction `json:"action"`
	By     string           `json:"by"`
	Reason string           `json:"reason,omitempty"`
	// Message is the id of a staff reply.
	Message string `json:"message,omitempty"`
}

// conversationDetailJSON is one conversation: the contact, who answers,
// and its timeline, each oldest first.
type conversationDetailJSON struct {
	Contact    contactJSON   `json:"contact"`
	Handover   handoverJSON  `json:"handover"`
	Transcript []messageJSON `json:"transcript"`
	Notes      []care.Note   `json:"notes"`
	Events     []eventJSON   `json:"events"`
}

// apiConversation is GET /api/v1/conversations/{contact}. The staff
// audit records that the caller viewed it.
func (s *Server) apiConversation(w http.ResponseWriter, r *http.Request) {
	id, err := apiContactID(r)
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	acct, _ := staffFrom(r.Context())
	tl, err := s.cfg.Inbox.Timeline(r.Context(), id, acct.Name)
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	out := conversationDetailJSON{Contact: contactOf(tl.Contact), Handover: handoverOf(tl.Contact.Handover),
		Transcript: make([]messageJSON, len(tl.Transcript)), Notes: orEmpty(tl.Notes), Events: make([]eventJSON, len(tl.Events))}
	for i, m := range tl.Transcript {
		from := "bot"
		switch {
		case m.Inbound:
			from = "customer"
		case m.Staff != "":
			from = "staff"
		}
		out.Transcript[i] = messageJSON{At: m.At, From: from, By: m.Staff, Text: m.Text}
	}
	for i, e := range tl.Events {
		out.Events[i] = eventJSON{At: e.At, Action: e.Action, By: e.By, Reason: e.Reason, Message: e.Message}
	}
	writeJSON(w, http.StatusOK, out)
}

// handoverAnswer answers a take-over or hand-back with who answers now.
func handoverAnswer(w http.ResponseWriter, c care.Contact) {
	writeJSON(w, http.StatusOK, map[string]any{"contact": c.ID, "handover": handoverOf(c.Handover)})
}

// apiTakeover is POST /api/v1/conversations/{contact}/takeover: the
// caller holds the conversation, or hears who does (409).
func (s *Server) apiTakeover(w http.ResponseWriter, r *http.Request) {
	id, err := apiContactID(r)
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	var body struct{}
	if !readJSON(w, r, &body, true) {
		return
	}
	acct, _ := staffFrom(r.Context())
	c, err := s.cfg.Inbox.Takeover(r.Context(), id, acct.Name)
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	handoverAnswer(w, c)
}

// apiHandback is POST /api/v1/conversations/{contact}/handback, with
// an optional {"flow": "menu"} for the bot to start.
func (s *Server) apiHandback(w http.ResponseWriter, r *http.Request) {
	id, err := apiContactID(r)
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	var body struct {
		Flow string `json:"flow"`
	}
	if !readJSON(w, r, &body, true) {
		return
	}
	acct, _ := staffFrom(r.Context())
	c, _, err := s.handBack(r.Context(), id, acct.Name, body.Flow)
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	handoverAnswer(w, c)
}

// readStaffText reads {"text": ...} for a reply or a note and checks it:
// not empty, at most care.MaxText characters (400 otherwise).
func readStaffText(w http.ResponseWriter, r *http.Request) (string, bool) {
	var body struct {
		Text string `json:"text"`
	}
	if !readJSON(w, r, &body, false) {
		return "", false
	}
	text := strings.TrimSpace(body.Text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		writeJSONError(w, http.StatusBadRequest, `empty text: send {"text": "..."}`)
		return "", false
	case n > care.MaxText:
		writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("text of %d characters; at most %d", n, care.MaxText))
		return "", false
	}
	return text, true
}

// apiMessage is POST /api/v1/conversations/{contact}/messages: a reply
// from the holder, queued for the customer (202 with its id). Refused:
// 400 an empty or too long text, 409 when the caller does not hold the
// conversation or the customer is erasing their data, 422 when the
// customer cannot be answered (their last message is over 24 hours
// old, or they blocked the shop).
func (s *Server) apiMessage(w http.ResponseWriter, r *http.Request) {
	s.apiStaffText(w, r, func(ctx context.Context, id care.ContactID, staff, text string) (int, any, error) {
		m, err := s.cfg.Inbox.Reply(ctx, id, staff, text)
		return http.StatusAccepted, map[string]any{"id": m.ID, "queued": m.Created}, err
	})
}

// apiNote is POST /api/v1/conversations/{contact}/notes: a private
// note, never sent (201 with the note).
func (s *Server) apiNote(w http.ResponseWriter, r *http.Request) {
	s.apiStaffText(w, r, func(ctx context.Context, id care.ContactID, staff, text string) (int, any, error) {
		n, err := s.cfg.Inbox.Note(ctx, id, staff, text)
		return http.StatusCreated, map[string]any{"note": n}, err
	})
}

// apiStaffText answers a reply or a note: write gets the contact of the
// path, the caller and the text of the body (readStaffText), and returns
// the status and body of the answer. A refusal is answered as
// replyRefusal says.
func (s *Server) apiStaffText(w http.ResponseWriter, r *http.Request, write func(ctx context.Context, id care.ContactID, staff, text string) (int, any, error)) {
	id, err := apiContactID(r)
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	text, ok := readStaffText(w, r)
	if !ok {
		return
	}
	acct, _ := staffFrom(r.Context())
	status, body, err := write(r.Context(), id, acct.Name, text)
	if err != nil {
		status, err := s.replyRefusal(r.Context(), id, acct.Name, err)
		s.apiError(w, r, status, err)
		return
	}
	writeJSON(w, status, body)
}

// replyRefusal says how to answer a reply or note the inbox refused, from
// what the contact's profile says now: the status (0: the one of
// err's code) and err, or a clearer error. The inbox says why in words;
// the status tells a program whether the conversation's state (409) or
// the customer (422) stood in the way.
func (s *Server) replyRefusal(ctx context.Context, id care.ContactID, staff string, err error) (int, error) {
	code := care.ErrorCode(err)
	if code != care.EInvalid && code != care.ENotFound {
		return 0, err
	}
	c, ok, cerr := s.cfg.Contacts.Contact(ctx, id)
	switch {
	case cerr != nil || !ok:
		return 0, err
	case !c.Erasing.IsZero():
		return http.StatusConflict, care.Errorf(care.EConflict, "the customer asked to erase their data: nothing more is sent to them or kept about them")
	case code == care.ENotFound:
		return 0, err
	case c.Handover.State != care.StateHeld || !strings.EqualFold(c.Handover.Holder, staff):
		return http.StatusConflict, err
	}
	return http.StatusUnprocessableEntity, err
}

// liveContact returns the profile of a contact who is not erased or
// being erased (ENotFound otherwise).
func (s *Server) liveContact(ctx context.Context, id care.ContactID) (care.Contact, error) {
	if id.Validate() != nil {
		return care.Contact{}, care.Errorf(care.ENotFound, "no contact %q", clip(string(id), maxEcho))
	}
	c, ok, err := s.cfg.Contacts.Contact(ctx, id)
	if err != nil {
		return care.Contact{}, err
	}
	if !ok || !c.Live() {
		return care.Contact{}, care.Errorf(care.ENotFound, "no contact %s (erased, being erased or never seen)", id)
	}
	return c, nil
}

// cannedJSON is a canned reply: as the owner wrote it, or rendered for
// a contact (Texts then empty).
type cannedJSON struct {
	Name    string            `json:"name"`
	Text    string            `json:"text"`
	Texts   map[string]string `json:"texts,omitempty"`
	Updated time.Time         `json:"updated,omitzero"`
	By      string            `json:"by,omitempty"`
}

// apiCanned is GET /api/v1/canned: the canned replies as written, or
// with ?contact= rendered for that contact (their language, name and
// the shop's name), ready to send.
func (s *Server) apiCanned(w http.ResponseWriter, r *http.Request) {
	var contact *care.Contact
	if v := r.URL.Query().Get("contact"); v != "" {
		c, err := s.liveContact(r.Context(), care.ContactID(v))
		if err != nil {
			s.apiError(w, r, 0, err)
			return
		}
		contact = &c
	}
	rs, err := s.cfg.Canned.CannedReplies(r.Context())
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	out := make([]cannedJSON, len(rs))
	for i, c := range rs {
		out[i] = cannedJSON{Name: c.Name, Text: c.Text, Texts: c.Texts, Updated: c.Updated, By: c.By}
		if contact != nil {
			out[i].Text, out[i].Texts = c.Render(contact.Lang, contact.Name, s.shopName()), nil
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"canned": out})
}

// apiSaveCanned is POST /api/v1/canned (the owner's): {"name": ...,
// "text": ..., "texts": {"en": ...}} adds a canned reply or replaces the
// one of that name.
func (s *Server) apiSaveCanned(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name  string            `json:"name"`
		Text  string            `json:"text"`
		Texts map[string]string `json:"texts"`
	}
	if !readJSON(w, r, &body, false) {
		return
	}
	acct, _ := staffFrom(r.Context())
	c, err := s.cfg.Canned.SaveCannedReply(r.Context(), care.CannedReply{Name: body.Name, Text: body.Text, Texts: body.Texts, By: acct.Name})
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"canned": cannedJSON{Name: c.Name, Text: c.Text, Texts: c.Texts, Updated: c.Updated, By: c.By}})
}

// apiDeleteCanned is DELETE /api/v1/canned/{name} (the owner's).
func (s *Server) apiDeleteCanned(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Canned.DeleteCannedReply(r.Context(), r.PathValue("name")); err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// publicMessage is the application error's own message, without the
// context it was wrapped in.
func publicMessage(err error) string {
	if e := (*care.Error)(nil); errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
