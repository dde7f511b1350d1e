package web

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"embed"
	"fmt"
	"html/template"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/mitra-care/mitra/internal/care"
)

// Staff log in with a name and password at /login and get a session
// cookie; pages for them are wrapped in staffOnly, the JSON API under
// /api/v1/ in apiAuth, which also takes a bearer token made with
// `mitra staff token`.
const (
	// sessionCookie holds a staff member's session token.
	sessionCookie = "mitra_session"
	// csrfHeader carries the page's form token on the JSON API calls a
	// staff page's script makes with the session cookie.
	csrfHeader = "X-CSRF-Token"
	// staffCSP keeps the staff pages to their own stylesheets and
	// scripts: no inline script, nothing from elsewhere.
	staffCSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// maxNext bounds the page a login goes on to.
	maxNext = 512
)

// The staff pages' templates. They live apart from the simulator's, so
// each set has its own functions.
//
//go:embed web/staff/*.html
var staffFS embed.FS

var loginTemplate = template.Must(template.New("login.html").Funcs(template.FuncMap{"initial": initial}).
	ParseFS(staffFS, "web/staff/login.html"))

// routeStaff serves the login and logout, the console and the API's
// account endpoint.
func (s *Server) routeStaff() {
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("POST /logout", s.logout)
	s.mux.HandleFunc("GET /console", s.staffOnly(care.RoleStaff, s.console))
	s.mux.HandleFunc("GET /api/v1/me", s.apiAuth(s.me))
	s.mux.HandleFunc("/api/v1/me", methodsOnly(http.MethodGet))
	if s.cfg.Simulator == nil {
		// The simulator serves the stylesheets when it is on.
		s.mux.HandleFunc("GET /static/{name}", serveStatic)
	}
}

// staffKey is the request context's key of the signed-in account.
type staffKey struct{}

// staffFrom returns the account staffOnly or apiAuth let through.
func staffFrom(ctx context.Context) (care.StaffAccount, bool) {
	a, ok := ctx.Value(staffKey{}).(care.StaffAccount)
	return a, ok
}

// staffOnly serves h to a signed-in account of role (an owner passes
// for staff too) and puts the account in the request's context. Without
// a live session it redirects to /login, which comes back to the page.
// A request other than GET or HEAD must carry the form token (the form
// field csrf or the X-CSRF-Token header), so every form of a staff page
// is safe from other sites without more code.
func (s *Server) staffOnly(role care.StaffRole, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acct, ok, err := s.sessionAccount(r)
		if err != nil {
			s.staffUnavailable(w, r, err)
			return
		}
		safe := r.Method == http.MethodGet || r.Method == http.MethodHead
		if !ok {
			next := ""
			if safe {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, loginURL(next), http.StatusSeeOther)
			return
		}
		if !acct.Role.Allows(role) {
			http.Error(w, "Halaman ini hanya untuk pemilik toko. (This page is for the shop's owner.)", http.StatusForbidden)
			return
		}
		if !safe {
			if err := r.ParseForm(); err != nil {
				http.Error(w, "Formulir tidak terbaca. (Unreadable form.)", http.StatusBadRequest)
				return
			}
			if !validFormToken(r) && !validHeaderToken(r) {
				http.Error(w, "Formulir ini kedaluwarsa atau bukan dari halaman Mitra; muat ulang halaman lalu coba lagi. (This form expired or is not from Mitra's page.)", http.StatusForbidden)
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), staffKey{}, acct)))
	}
}

// apiAuth serves h to a request with a bearer token (Authorization:
// Bearer mitra_…) or with a session cookie and the page's form token in
// the X-CSRF-Token header, and puts the account in the request's
// context. Anything else is answered 401 (403 without the header) in
// JSON, and h does not run.
func (s *Server) apiAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var acct care.StaffAccount
		var ok bool
		var err error
		switch auth, cookie := r.Header.Get("Authorization"), sessionToken(r); {
		case auth != "":
			scheme, token, _ := strings.Cut(auth, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				unauthorized(w, "use the header Authorization: Bearer <token> (mitra staff token NAME makes one)")
				return
			}
			acct, ok, err = s.cfg.Staff.CheckStaffToken(r.Context(), strings.TrimSpace(token))
		case cookie != "":
			if !validHeaderToken(r) {
				writeJSONError(w, http.StatusForbidden, "a call with the session cookie must send the page's form token in the "+csrfHeader+" header")
				return
			}
			acct, ok, err = s.cfg.Staff.CheckStaffSession(r.Context(), cookie)
		default:
			unauthorized(w, "log in first: send Authorization: Bearer <token> (mitra staff token NAME makes one)")
			return
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !ok {
			unauthorized(w, "the token or session is not valid (revoked, expired or unknown): log in again")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), staffKey{}, acct)))
	}
}

// unauthorized answers a JSON API call that carries no valid credentials.
func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="mitra"`)
	writeJSONError(w, http.StatusUnauthorized, msg)
}

// me is GET /api/v1/me: the account the call acts for.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	acct, _ := staffFrom(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, acct)
}

// sessionToken returns the request's session cookie, or "".
func sessionToken(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// sessionAccount returns the account of the request's live session.
func (s *Server) sessionAccount(r *http.Request) (care.StaffAccount, bool, error) {
	token := sessionToken(r)
	if token == "" {
		return care.StaffAccount{}, false, nil
	}
	return s.cfg.Staff.CheckStaffSession(r.Context(), token)
}

// validHeaderToken reports whether the X-CSRF-Token header carries the
// token of the visitor's form cookie: a page's script reads it from the
// page, which another site cannot.
func validHeaderToken(r *http.Request) bool {
	want := cookieToken(r)
	got := r.Header.Get(csrfHeader)
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// loginView is what the login page shows.
type loginView struct {
	Shop string
	// Name is put back in its box after a failed login.
	Name string
	// Next is the page to go on to after logging in.
	Next      string
	Notice    string
	FormToken string
}

// loginPage is GET /login. A visitor already signed in goes on at once.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	v := loginView{Next: safeNext(r.URL.Query().Get("next"))}
	if _, ok, err := s.sessionAccount(r); err == nil && ok {
		http.Redirect(w, r, cmp.Or(v.Next, "/console"), http.StatusSeeOther)
		return
	}
	if r.URL.Query().Has("out") {
		v.Notice = "Anda sudah keluar. (You are logged out.)"
	}
	s.renderLogin(w, r, v, http.StatusOK)
}

// login is POST /login. Whatever goes wrong, the visitor is back on the
// login page with a notice and nothing else happened: a wrong name and a
// wrong password read the same, and take about as long.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderLogin(w, r, loginView{Notice: "Formulir tidak terbaca. (Unreadable form.)"}, http.StatusBadRequest)
		return
	}
	name, password := r.PostForm.Get("name"), r.PostForm.Get("password")
	v := loginView{Name: clip(name, care.MaxStaffName), Next: safeNext(r.PostForm.Get("next"))}
	if !validFormToken(r) {
		v.Notice = "Formulir ini kedaluwarsa. Silakan masuk lagi. (This form expired; please log in again.)"
		s.renderLogin(w, r, v, http.StatusForbidden)
		return
	}
	ctx, client := r.Context(), s.clientAddr(r)
	until, err := s.cfg.Staff.StaffLoginLocked(ctx, name, client)
	if err != nil {
		s.loginUnavailable(w, r, v, err)
		return
	}
	if !until.IsZero() {
		s.cfg.Logger.Warn("staff login refused: too many failed logins", "client", client)
		minutes := int(math.Ceil(until.Sub(s.cfg.Now()).Minutes()))
		w.Header().Set("Retry-After", strconv.Itoa(max(minutes, 1)*60))
		v.Notice = fmt.Sprintf("Terlalu banyak percobaan yang gagal. Coba lagi dalam %d menit. (Too many failed logins; try again in %d minutes.)", max(minutes, 1), max(minutes, 1))
		s.renderLogin(w, r, v, http.StatusTooManyRequests)
		return
	}
	acct, ok, err := s.cfg.Staff.CheckStaffPassword(ctx, name, password)
	if err != nil {
		s.loginUnavailable(w, r, v, err)
		return
	}
	if err := s.cfg.Staff.RecordStaffLogin(ctx, name, client, ok); err != nil {
		s.loginUnavailable(w, r, v, err)
		return
	}
	if !ok {
		s.cfg.Logger.Warn("staff login failed", "client", client)
		v.Notice = "Nama akun atau kata sandi salah. (Wrong account name or password.)"
		s.renderLogin(w, r, v, http.StatusUnauthorized)
		return
	}
	token, err := s.cfg.Staff.StartStaffSession(ctx, acct.Name)
	if err != nil {
		s.loginUnavailable(w, r, v, err)
		return
	}
	if old := sessionToken(r); old != "" {
		if err := s.cfg.Staff.EndStaffSession(ctx, old); err != nil {
			s.cfg.Logger.Warn("ending the session replaced by a login failed", "err", err)
		}
	}
	s.setSessionCookie(w, r, token)
	s.cfg.Logger.Info("staff logged in", "name", acct.Name, "client", client)
	http.Redirect(w, r, cmp.Or(v.Next, "/console"), http.StatusSeeOther)
}

// logout is POST /logout: the session ends and the cookie goes.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !validFormToken(r) {
		http.Error(w, "Formulir ini kedaluwarsa atau bukan dari halaman Mitra; muat ulang halaman lalu coba lagi. (This form expired or is not from Mitra's page.)", http.StatusForbidden)
		return
	}
	if token := sessionToken(r); token != "" {
		if err := s.cfg.Staff.EndStaffSession(r.Context(), token); err != nil {
			s.staffUnavailable(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
}

// setSessionCookie gives the browser its session. The cookie has no
// expiry of its own: the store ends an idle session.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.secure(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// secure reports whether the browser reached Mitra over TLS: directly,
// or through the trusted proxy that says so.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// clientAddr is the address the login throttle counts a request under:
// the peer's, or the one the trusted proxy adds last to
// X-Forwarded-For. An IPv6 address counts as its /64, which one
// household or phone usually holds whole. It is "" when unknown.
func (s *Server) clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if s.cfg.TrustProxy {
		if hops := r.Header.Values("X-Forwarded-For"); len(hops) > 0 {
			last := hops[len(hops)-1]
			host = strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:])
		}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		if ap, err := netip.ParseAddrPort(host); err == nil {
			addr = ap.Addr()
		} else {
			return ""
		}
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}

// safeNext returns next when it is a path of this site to go on to
// after logging in, "" otherwise (a page elsewhere must not send a
// visitor off-site through the login).
func safeNext(next string) string {
	if next == "" || len(next) > maxNext || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

// loginURL is the login page that goes on to next.
func loginURL(next string) string {
	if next = safeNext(next); next == "" {
		return "/login"
	}
	return "/login?" + url.Values{"next": {next}}.Encode()
}

// loginUnavailable answers a login that Redis could not check.
func (s *Server) loginUnavailable(w http.ResponseWriter, r *http.Request, v loginView, err error) {
	s.cfg.Logger.Error("staff login: store failed", "err", err)
	w.Header().Set("Retry-After", "5")
	v.Notice = "Sedang tidak bisa masuk; coba lagi sebentar lagi. (Logging in is unavailable; try again shortly.)"
	s.renderLogin(w, r, v, http.StatusServiceUnavailable)
}

// staffUnavailable answers a staff page that Redis could not check.
func (s *Server) staffUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.Error("staff page: store failed", "method", r.Method, "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "5")
	http.Error(w, "Sedang tidak tersedia; coba lagi sebentar lagi. (Temporarily unavailable; try again shortly.)", http.StatusServiceUnavailable)
}

// shopName is the name the pages show.
func (s *Server) shopName() string {
	if s.cfg.ShopName == "" {
		return "Mitra"
	}
	return s.cfg.ShopName
}

// renderLogin renders the login page with a fresh form token.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, v loginView, status int) {
	v.Shop = s.shopName()
	v.FormToken = formToken(w, r)
	s.renderStaffPage(w, loginTemplate, v, status)
}

// renderStaffPage renders one of the staff pages.
func (s *Server) renderStaffPage(w http.ResponseWriter, t *template.Template, v any, status int) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		s.cfg.Logger.Error("staff page", "page", t.Name(), "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", staffCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
