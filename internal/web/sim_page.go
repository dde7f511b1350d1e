package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mitra-care/mitra/internal/care"
)

const (
	// simPageMax is the most messages the page renders; the script polls
	// for the rest.
	simPageMax = 10 * simPageSize
	// simReplyWait is how long a form send waits for the bot's first reply
	// before redirecting, so a page without JavaScript shows the answer.
	simReplyWait = 2 * time.Second
	// simCSP keeps the page to its own script and stylesheet.
	simCSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

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

// simForm is POST /sim/send: the page's form without JavaScript. It
// redirects back to the page once the message is stored and the bot has
// had a moment to answer.
func (s *Server) simForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		status, notice := http.StatusBadRequest, "Formulir tidak terbaca: "+err.Error()
		if maxErr := (*http.MaxBytesError)(nil); errors.As(err, &maxErr) {
			status, notice = http.StatusRequestEntityTooLarge, fmt.Sprintf("Pesan terlalu panjang: formulir lebih dari %d byte.", maxErr.Limit)
		}
		s.renderSim(w, r, simView{Notice: notice}, status)
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
	if !validFormToken(r) {
		// Not from the visitor's own page (or their cookie expired): the
		// text is not kept, so a page elsewhere cannot put words in the
		// visitor's text box either.
		s.renderSim(w, r, simView{User: req.User, Channel: addr.Channel,
			Notice: "Pesan belum terkirim: formulir ini kedaluwarsa atau bukan dari halaman ini. Silakan kirim lagi."}, http.StatusForbidden)
		return
	}
	back := chatURL(req.User, addr.Channel)
	if strings.TrimSpace(req.Text) == "" && req.Choice == "" && req.Kind == "" {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	after, err := strconv.ParseInt(r.PostForm.Get("after"), 10, 64)
	if err != nil || after < 0 {
		after = 0
	}
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
	s.awaitReply(r.Context(), addr, after)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// awaitReply waits up to simReplyWait for a bot message after seq.
func (s *Server) awaitReply(ctx context.Context, id care.Address, after int64) {
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
	Notice string
	// FormToken goes with the form, which is refused without it.
	FormToken   string
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
		s.renderSim(w, r, simView{Suggested: clip(v.User, maxSimUser), Notice: err.Error()}, http.StatusBadRequest)
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
		v.FormToken = formToken(w, r)
		msgs, err := s.conversation(r.Context(), care.Address{Channel: v.Channel, ID: care.SimPrefix + v.User})
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
func (s *Server) conversation(ctx context.Context, id care.Address) ([]care.SimMessage, error) {
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

// initial is the first letter of a shop name, for its avatar.
func initial(name string) string {
	r, _ := utf8.DecodeRuneInString(name)
	if r == utf8.RuneError {
		return "M"
	}
	return string(unicode.ToUpper(r))
}
