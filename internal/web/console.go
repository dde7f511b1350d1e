package web

import (
	"context"
	"html/template"
	"net/http"
	"strings"

	"github.com/mitra-care/mitra/internal/care"
)

// consoleTemplate is the console page and the fragments the live
// updates replace.
var consoleTemplate = template.Must(template.New("console.html").Funcs(template.FuncMap{"initial": initial}).
	ParseFS(staffFS, "web/staff/console.html"))

// consoleView is what the console page shows.
type consoleView struct {
	Shop    string
	Account care.StaffAccount
	// FormToken goes with every form, and with the calls of the page's
	// script (X-CSRF-Token).
	FormToken string
	// On: the inbox is served (else the page says it is off).
	On    bool
	Queue queueView
	// Conv is the open conversation; nil on the queue alone.
	Conv *convView
	// Canned are the shop's canned replies written for Conv's contact,
	// offered beside the reply box; Draft is what the box holds when the
	// page opens (a canned reply picked without the script).
	Canned []cannedPick
	Draft  string
	// CanLink: the account may make a code that links its own chat for
	// alerts; Link is the code just made.
	CanLink bool
	Link    *linkView
	// Notice says why the last action was refused.
	Notice string
	// Orders: the console has the orders page.
	Orders bool
}

// cannedPick is a canned reply as the reply box offers it: its name and
// its text for the contact, ready to send or to edit.
type cannedPick struct{ Name, Text string }

// console is GET /console: the queue; on a phone the whole page, on a
// desk beside an empty conversation pane.
func (s *Server) console(w http.ResponseWriter, r *http.Request) {
	v := s.newConsoleView(w, r)
	if v.On {
		var err error
		if v.Queue, err = s.queue(r.Context(), care.InboxView(r.URL.Query().Get("view")), "", v.Account.Name); err != nil {
			s.staffUnavailable(w, r, err)
			return
		}
	}
	s.renderStaffPage(w, consoleTemplate, v, http.StatusOK)
}

// newConsoleView is the page's frame for the signed-in account.
func (s *Server) newConsoleView(w http.ResponseWriter, r *http.Request) consoleView {
	acct, _ := staffFrom(r.Context())
	_, canLink := s.linkCodes()
	return consoleView{Shop: s.shopName(), Account: acct, FormToken: formToken(w, r), On: s.inboxOn(), CanLink: canLink && s.inboxOn(), Orders: s.ordersOn()}
}

// cannedFor is the canned replies written for contact c. The page shows
// without them when they cannot be read: the reply box works all the
// same.
func (s *Server) cannedFor(ctx context.Context, c care.Contact) []cannedPick {
	if s.cfg.Canned == nil {
		return nil
	}
	rs, err := s.cfg.Canned.CannedReplies(ctx)
	if err != nil {
		s.cfg.Logger.Warn("reading the canned replies for the reply box failed", "err", err)
		return nil
	}
	out := make([]cannedPick, len(rs))
	for i, r := range rs {
		out[i] = cannedPick{Name: r.Name, Text: r.Render(c.Lang, c.Name, s.shopName())}
	}
	return out
}

// draftOf is the text of the canned reply named name ("" when none is).
func draftOf(picks []cannedPick, name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, p := range picks {
		if p.Name == name {
			return p.Text
		}
	}
	return ""
}
