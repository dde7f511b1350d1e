package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mitra-care/mitra/internal/care"
)

// The simulator's page, stylesheet and script are embedded, so the binary
// serves them with nothing to install or fetch.
//
//go:embed web/templates/*.html web/static/*.css web/static/*.js
var webFS embed.FS

const (
	// maxSimUser bounds the visitor's id in the simulator.
	maxSimUser = 64
	// simPageSize is the most messages one GET /api/sim/messages returns.
	simPageSize = 100
	// simPageMax is the most messages the page renders; the script polls
	// for the rest.
	simPageMax = 10 * simPageSize
	// simSubmitTimeout bounds how long a send waits for the runtime; past
	// it the visitor is told to try again (the same id is processed once).
	simSubmitTimeout = 10 * time.Second
	// simReplyWait is how long a form send waits for the bot's first reply
	// before redirecting, so a page without JavaScript shows the answer.
	simReplyWait = 2 * time.Second
	// simCSP keeps the page to its own script and stylesheet.
	simCSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

// simKinds are the message kinds a visitor can simulate.
var simKinds = []care.Kind{
	care.KindText, care.KindChoice, care.KindImage, care.KindVoice, care.KindSticker,
	care.KindVideo, care.KindDocument, care.KindLocation, care.KindContact,
}

// simAttachment is a non-text message the page offers.
type simAttachment struct {
	Kind care.Kind
	// Label names it on the menu; the script shows it as the visitor's
	// bubble.
	Label string
}

// simAttachments are the non-text messages the page offers.
var simAttachments = []simAttachment{
	{care.KindSticker, "🙂 Stiker"},
	{care.KindImage, "🖼️ Foto"},
	{care.KindVoice, "🎤 Pesan suara"},
	{care.KindVideo, "🎬 Video"},
	{care.KindDocument, "📄 Dokumen"},
	{care.KindLocation, "📍 Lokasi"},
	{care.KindContact, "👤 Kontak"},
}

var simTemplate = template.Must(template.New("sim").Funcs(template.FuncMap{
	"clock":   func(t time.Time) string { return t.Format("15.04") },
	"iso":     func(t time.Time) string { return t.Format(time.RFC3339) },
	"inc":     func(i int) int { return i + 1 },
	"initial": initial,
	"classLabel": func(c care.Class) string {
		switch c {
		case care.Transactional:
			return "transaksi"
		case care.Promotional:
			return "promosi"
		}
		return ""
	},
}).ParseFS(webFS, "web/templates/*.html"))

// routeSimulator serves the chat simulator: the page, its no-JavaScript
// form, its JSON API and its static files.
func (s *Server) routeSimulator() {
	s.mux.HandleFunc("GET /{$}", s.simPage)
	s.mux.HandleFunc("POST /sim/send", s.simForm)
	s.mux.HandleFunc("GET /api/sim/messages", s.simList)
	s.mux.HandleFunc("POST /api/sim/messages", s.simPost)
	s.mux.HandleFunc("GET /static/{name}", serveStatic)
}

// simRequest is one message from the visitor, as the JSON API and the
// form receive it.
type simRequest struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
	Text    string `json:"text"`
	Choice  string `json:"choice"`
	Kind    string `json:"kind"`
	// ID is the client's message id; the same id is processed once.
	ID string `json:"id"`
}

// simAddress validates the visitor's id and channel (whatsapp when empty)
// and returns the simulated contact's address.
func simAddress(user, channel string) (care.Address, error) {
	if !validToken(user, maxSimUser) {
		return care.Address{}, care.Errorf(care.EInvalid, "user must be 1 to %d letters, digits, '-' or '_'", maxSimUser)
	}
	ch := care.Channel(channel)
	if ch == "" {
		ch = care.WhatsApp
	}
	if !ch.Valid() {
		return care.Address{}, care.Errorf(care.EInvalid, "channel must be whatsapp or telegram, not %q", channel)
	}
	return care.Address{Channel: ch, ID: care.SimPrefix + user}, nil
}

// validToken reports whether s is 1 to max ASCII letters, digits, '-' or '_'.
func validToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !(r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// inbound turns a visitor's request into the message a channel would hand
// the runtime.
func (s *Server) inbound(req simRequest) (care.Inbound, error) {
	addr, err := simAddress(req.User, req.Channel)
	if err != nil {
		return care.Inbound{}, err
	}
	kind := care.Kind(req.Kind)
	if kind == "" {
		kind = care.KindText
		if req.Choice != "" {
			kind = care.KindChoice
		}
	}
	switch {
	case !slices.Contains(simKinds, kind):
		names := make([]string, len(simKinds))
		for i, k := range simKinds {
			names[i] = string(k)
		}
		return care.Inbound{}, care.Errorf(care.EInvalid, "kind %q is not one of %s", req.Kind, strings.Join(names, ", "))
	case kind == care.KindChoice && req.Choice == "":
		return care.Inbound{}, care.Errorf(care.EInvalid, "a choice needs the choice id")
	case kind != care.KindChoice && req.Choice != "":
		return care.Inbound{}, care.Errorf(care.EInvalid, "choice is only for kind choice, not %s", kind)
	case kind == care.KindText && strings.TrimSpace(req.Text) == "":
		return care.Inbound{}, care.Errorf(care.EInvalid, "text is empty")
	}
	id := req.ID
	if id == "" {
		id = rand.Text()
	} else if !validToken(id, care.MaxMessageID) {
		return care.Inbound{}, care.Errorf(care.EInvalid, "id must be 1 to %d letters, digits, '-' or '_'", care.MaxMessageID)
	}
	in := care.Inbound{
		Address:   addr,
		MessageID: id,
		Kind:      kind,
		Choice:    req.Choice,
		// The visitor's id stands for the display name a platform gives.
		Name: req.User,
		At:   s.cfg.Now(),
	}
	if kind != care.KindChoice {
		// A tapped button carries no text, even when the form had some.
		in.Text = req.Text
	}
	return in, nil
}

// submit hands in to the simulator, waiting at most simSubmitTimeout.
func (s *Server) submit(ctx context.Context, in care.Inbound) error {
	ctx, cancel := context.WithTimeout(ctx, simSubmitTimeout)
	defer cancel()
	return s.cfg.Simulator.Submit(ctx, in)
}

// simPost is POST /api/sim/messages: one message from the visitor, as JSON.
func (s *Server) simPost(w http.ResponseWriter, r *http.Request) {
	var req simRequest
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(&req)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		if maxErr := (*http.MaxBytesError)(nil); errors.As(err, &maxErr) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("body larger than %d bytes", maxErr.Limit)})
			return
		}
		s.writeError(w, r, care.Errorf(care.EInvalid, "body must be one JSON object like {\"user\":\"u1\",\"channel\":\"whatsapp\",\"text\":\"halo\"}: %v", err))
		return
	}
	in, err := s.inbound(req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.submit(r.Context(), in); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"accepted": true, "id": in.MessageID})
}

// simMessages is the body of GET /api/sim/messages.
type simMessages struct {
	Messages []care.SimMessage `json:"messages"`
	// Last is the sequence number to ask after next time.
	Last int64 `json:"last"`
}

// simList is GET /api/sim/messages: what the bot sent to a visitor after
// a sequence number.
func (s *Server) simList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	addr, err := simAddress(q.Get("user"), q.Get("channel"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var after int64
	if a := q.Get("after"); a != "" {
		if after, err = strconv.ParseInt(a, 10, 64); err != nil || after < 0 {
			s.writeError(w, r, care.Errorf(care.EInvalid, "after must be a whole number, 0 or more"))
			return
		}
	}
	msgs, err := s.cfg.Simulator.Messages(r.Context(), addr.ContactID(), after, simPageSize)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := simMessages{Messages: msgs, Last: after}
	if out.Messages == nil {
		out.Messages = []care.SimMessage{}
	}
	if n := len(msgs); n > 0 {
		out.Last = msgs[n-1].Seq
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// simForm is POST /sim/send: the page's form without JavaScript. It
// redirects back to the page once the message is stored and the bot has
// had a moment to answer.
func (s *Server) simForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderSim(w, r, simView{Notice: "Formulir tidak terbaca: " + err.Error()}, http.StatusBadRequest)
		return
	}
	req := simRequest{
		User:    r.PostForm.Get("user"),
		Channel: r.PostForm.Get("channel"),
		Text:    r.PostForm.Get("text"),
		Choice:  r.PostForm.Get("choice"),
		Kind:    r.PostForm.Get("kind"),
		ID:      r.PostForm.Get("id"),
	}
	addr, err := simAddress(req.User, req.Channel)
	if err != nil {
		s.renderSim(w, r, simView{Notice: err.Error()}, http.StatusBadRequest)
		return
	}
	back := chatURL(req.User, addr.Channel)
	if strings.TrimSpace(req.Text) == "" && req.Choice == "" && req.Kind == "" {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	after, _ := strconv.ParseInt(r.PostForm.Get("after"), 10, 64)
	in, err := s.inbound(req)
	if err == nil {
		err = s.submit(r.Context(), in)
	}
	if err != nil {
		v := simView{User: req.User, Channel: addr.Channel, Text: req.Text, MsgID: in.MessageID, Notice: "Pesan belum terkirim: " + err.Error()}
		if errorStatus(err) >= 500 {
			v.Notice = "Pesan belum terkirim, sambungan sedang terputus. Coba kirim lagi sebentar lagi."
		}
		s.renderSim(w, r, v, errorStatus(err))
		return
	}
	s.awaitReply(r.Context(), addr.ContactID(), after)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// awaitReply waits up to simReplyWait for a bot message after seq.
func (s *Server) awaitReply(ctx context.Context, id care.ContactID, after int64) {
	ctx, cancel := context.WithTimeout(ctx, simReplyWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if msgs, err := s.cfg.Simulator.Messages(ctx, id, after, 1); err != nil || len(msgs) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// chatURL is the page of one visitor on one channel.
func chatURL(user string, ch care.Channel) string {
	return "/?" + url.Values{"user": {user}, "channel": {string(ch)}}.Encode()
}

// simView is what the page template shows. Without User it shows the
// form that picks one.
type simView struct {
	Shop    string
	User    string
	Channel care.Channel
	// Suggested is the id offered on the form that picks one.
	Suggested string
	Messages  []care.SimMessage
	// MsgID is the id of the form's next message, so a form sent twice is
	// processed once.
	MsgID string
	// Text is put back in the text box after a failed send.
	Text string
	// Notice is a problem to show.
	Notice      string
	Attachments []simAttachment
	// State is the script's starting point.
	State simState
}

// simState is what sim.js reads from the page.
type simState struct {
	User    string       `json:"user"`
	Channel care.Channel `json:"channel"`
	// Last is the sequence number of the last bot message on the page.
	Last int64 `json:"last"`
}

// simPage is GET /: the chat of ?user= on ?channel=, or the form that
// picks them.
func (s *Server) simPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := simView{User: q.Get("user"), Channel: care.Channel(q.Get("channel"))}
	if v.User == "" {
		if !v.Channel.Valid() {
			v.Channel = care.WhatsApp
		}
		s.renderSim(w, r, v, http.StatusOK)
		return
	}
	addr, err := simAddress(v.User, string(v.Channel))
	if err != nil {
		s.renderSim(w, r, simView{Suggested: v.User, Notice: err.Error()}, http.StatusBadRequest)
		return
	}
	v.Channel = addr.Channel
	s.renderSim(w, r, v, http.StatusOK)
}

// renderSim loads the conversation of v's visitor and renders the page.
func (s *Server) renderSim(w http.ResponseWriter, r *http.Request, v simView, status int) {
	v.Shop = s.cfg.ShopName
	if v.Shop == "" {
		v.Shop = "Mitra"
	}
	if !v.Channel.Valid() {
		v.Channel = care.WhatsApp
	}
	if v.User == "" && v.Suggested == "" {
		v.Suggested = suggestUser()
	}
	if v.User != "" {
		if v.MsgID == "" {
			v.MsgID = rand.Text()
		}
		msgs, err := s.conversation(r.Context(), care.Address{Channel: v.Channel, ID: care.SimPrefix + v.User}.ContactID())
		if err != nil {
			s.cfg.Logger.Warn("simulator page: loading messages failed", "user", v.User, "err", err)
			status = errorStatus(err)
			if status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			if v.Notice == "" {
				v.Notice = "Percakapan belum bisa dimuat; halaman akan mencoba lagi."
			}
		}
		v.Messages = msgs
		v.State = simState{User: v.User, Channel: v.Channel}
		if n := len(msgs); n > 0 {
			v.State.Last = msgs[n-1].Seq
		}
	}
	v.Attachments = simAttachments
	var buf bytes.Buffer
	if err := simTemplate.ExecuteTemplate(&buf, "sim.html", v); err != nil {
		s.writeError(w, r, fmt.Errorf("simulator page: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", simCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// conversation returns up to simPageMax bot messages of a contact,
// oldest first.
func (s *Server) conversation(ctx context.Context, id care.ContactID) ([]care.SimMessage, error) {
	var all []care.SimMessage
	var after int64
	for len(all) < simPageMax {
		msgs, err := s.cfg.Simulator.Messages(ctx, id, after, simPageSize)
		if err != nil {
			return all, err
		}
		all = append(all, msgs...)
		if len(msgs) < simPageSize {
			break
		}
		after = msgs[len(msgs)-1].Seq
	}
	return all, nil
}

// suggestUser returns a fresh visitor id like "tamu-4821".
func suggestUser() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9000))
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(err)
	}
	return fmt.Sprintf("tamu-%d", 1000+n.Int64())
}

// staticFile is an embedded file with its ETag.
type staticFile struct {
	body []byte
	etag string
}

// staticFiles are the embedded static files by name.
var staticFiles = func() map[string]staticFile {
	files := map[string]staticFile{}
	entries, err := webFS.ReadDir("web/static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := webFS.ReadFile("web/static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		files[e.Name()] = staticFile{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return files
}()

// serveStatic is GET /static/{name}. Browsers revalidate every time and
// get 304 while the file is unchanged.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, ok := staticFiles[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}

// initial is the first letter of a shop name, for its avatar.
func initial(name string) string {
	r, _ := utf8.DecodeRuneInString(name)
	if r == utf8.RuneError {
		return "M"
	}
	return string(unicode.ToUpper(r))
}
