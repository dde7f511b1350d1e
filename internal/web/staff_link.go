package web

import (
	"context"
	"net/http"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// A staff member links their own Telegram or WhatsApp chat for alerts
// from the console, with the same one-time code `mitra staff link NAME`
// prints: the console shows it with what to send the bot, and the bot
// does the rest (care.StaffChats).

// linkCoder makes the one-time codes that link a staff member's chat to
// their account (care.StaffChats.StaffLinkCode).
type linkCoder interface {
	StaffLinkCode(ctx context.Context, name string) (code string, expires time.Time, err error)
}

// linkCodes returns what makes the link codes: the store that keeps the
// inbox keeps the staff chats too (redisstore.Store is both).
func (s *Server) linkCodes() (linkCoder, bool) {
	lc, ok := s.cfg.Inbox.(linkCoder)
	return lc, ok
}

// linkView is a link code as the console shows it.
type linkView struct {
	Code string
	// Minutes is how long the code lasts; Until says until when, in the
	// shop's time.
	Minutes int
	Until   string
}

// linkResult is the answer to the page's script.
type linkResult struct {
	OK      bool      `json:"ok"`
	Error   string    `json:"error,omitempty"`
	Code    string    `json:"code,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	// HTML is the panel that shows the code, escaped by html/template.
	HTML string `json:"html,omitempty"`
}

// linkChat is POST /console/link: a fresh code that links the chat it
// is sent from to the signed-in account. A script gets it in JSON, a
// plain form sees the console with it.
func (s *Server) linkChat(w http.ResponseWriter, r *http.Request) {
	lc, _ := s.linkCodes()
	acct, _ := staffFrom(r.Context())
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	code, expires, err := lc.StaffLinkCode(ctx, acct.Name)
	if err != nil {
		status, why := errorStatus(err), linkRefusal(err)
		if status >= 500 {
			s.cfg.Logger.Error("making a link code failed", "account", acct.Name, "err", err)
			w.Header().Set("Retry-After", "1")
		}
		if wantsJSON(r) {
			writeJSON(w, status, linkResult{Error: why})
			return
		}
		http.Error(w, why, status)
		return
	}
	lv := &linkView{Code: code, Minutes: int(care.StaffLinkTTL / time.Minute), Until: s.clock(expires)}
	w.Header().Set("Cache-Control", "no-store")
	if !wantsJSON(r) {
		v := s.newConsoleView(w, r)
		v.Link = lv
		if v.Queue, err = s.queue(ctx, "", "", acct.Name); err != nil {
			s.staffUnavailable(w, r, err)
			return
		}
		s.renderStaffPage(w, consoleTemplate, v, http.StatusOK)
		return
	}
	html, err := fragment("link-panel", lv)
	if err != nil {
		s.cfg.Logger.Error("rendering a link code failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, linkResult{Error: "Terjadi kesalahan; coba lagi. (Something went wrong.)"})
		return
	}
	writeJSON(w, http.StatusOK, linkResult{OK: true, Code: code, Expires: expires, HTML: string(html)})
}

// linkRefusal says why no link code was made, for people.
func linkRefusal(err error) string {
	switch status := errorStatus(err); {
	case care.ErrorCode(err) == care.ENotFound:
		return "Akun ini tidak ada lagi. (This account no longer exists.)"
	case status == http.StatusServiceUnavailable:
		return "Sedang tidak tersedia; coba lagi sebentar lagi. (Temporarily unavailable.)"
	}
	return "Terjadi kesalahan; coba lagi. (Something went wrong.)"
}
