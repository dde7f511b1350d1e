package web

import (
	"html/template"
	"net/http"

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
	// Notice says why the last action was refused.
	Notice string
}

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
	return consoleView{Shop: s.shopName(), Account: acct, FormToken: formToken(w, r), On: s.inboxOn()}
}
