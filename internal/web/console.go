package web

import (
	"html/template"
	"net/http"

	"github.com/mitra-care/mitra/internal/care"
)

var consoleTemplate = template.Must(template.New("console.html").Funcs(template.FuncMap{"initial": initial}).
	ParseFS(staffFS, "web/staff/console.html"))

// consoleView is what the console shows.
type consoleView struct {
	Shop    string
	Account care.StaffAccount
	// FormToken goes with the logout form, and with the JSON API calls
	// of a script on the page (X-CSRF-Token).
	FormToken string
}

// console is GET /console, the staff's landing page after logging in:
// who is signed in, and a way out.
func (s *Server) console(w http.ResponseWriter, r *http.Request) {
	acct, _ := staffFrom(r.Context())
	v := consoleView{Shop: s.shopName(), Account: acct, FormToken: formToken(w, r)}
	s.renderStaffPage(w, consoleTemplate, v, http.StatusOK)
}
