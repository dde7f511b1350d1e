package web

import (
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

const (
	ownerPassword = "kopi-susu-2026"
	staffPassword = "teh-manis-dingin"
)

// authClock is the clock of the server and the store, moved by tests.
type authClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *authClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *authClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// staffServer is a server with staff accounts in a real Redis: Sari the
// owner and budi of the staff.
type staffServer struct {
	*Server
	staff *redisstore.Staff
	clock *authClock
}

func newStaffServer(t *testing.T, mutate func(*Config)) staffServer {
	t.Helper()
	client, prefix := redistest.Client(t)
	clock := &authClock{now: testNow}
	st := redisstore.New(client, prefix, redisstore.WithClock(clock.Now)).Staff(redisstore.WithBcryptCost(bcrypt.MinCost))
	for _, a := range []struct {
		name     string
		role     care.StaffRole
		password string
	}{{"Sari", care.RoleOwner, ownerPassword}, {"budi", care.RoleStaff, staffPassword}} {
		if _, err := st.AddStaff(t.Context(), a.name, a.role, a.password); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Staff: st, ShopName: "Toko Sari", Now: clock.Now, Logger: slog.New(slog.DiscardHandler)}
	if mutate != nil {
		mutate(&cfg)
	}
	return staffServer{Server: New(cfg), staff: st, clock: clock}
}

// browser is a visitor with its cookies, talking to a handler in-process
// from one address.
type browser struct {
	t       *testing.T
	h       http.Handler
	addr    string
	cookies map[string]string
}

func newBrowser(t *testing.T, h http.Handler) *browser {
	return &browser{t: t, h: h, addr: "192.0.2.10:40000", cookies: map[string]string{}}
}

// do sends req with the browser's cookies and keeps the ones it is given.
func (b *browser) do(req *http.Request) *httptest.ResponseRecorder {
	b.t.Helper()
	req.RemoteAddr = b.addr
	for name, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	rec := do(b.t, b.h, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return rec
}

func (b *browser) get(target string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do(httptest.NewRequest("GET", target, nil))
}

func (b *browser) post(target string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	req := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login opens the login page and posts its form.
func (b *browser) login(name, password string, extra url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	if rec := b.get("/login"); rec.Code != 200 && rec.Code != 303 {
		b.t.Fatalf("GET /login: %d", rec.Code)
	}
	form := url.Values{"name": {name}, "password": {password}, formField: {b.cookies[formCookie]}}
	for k, v := range extra {
		form[k] = v
	}
	return b.post("/login", form)
}

// sessionCookieOf returns the session cookie a response sets, or nil.
func sessionCookieOf(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

func wantRedirect(t *testing.T, rec *httptest.ResponseRecorder, to string) {
	t.Helper()
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != to {
		t.Fatalf("status %d to %q, want 303 to %q; body %.300s", rec.Code, rec.Header().Get("Location"), to, rec.Body)
	}
}

func TestLoginAndLogout(t *testing.T) {
	s := newStaffServer(t, nil)
	b := newBrowser(t, s)
	wantRedirect(t, b.get("/console"), "/login?next=%2Fconsole")

	login := b.login("sari", ownerPassword, url.Values{"next": {"/console"}})
	wantRedirect(t, login, "/console")
	c := sessionCookieOf(login)
	if c == nil {
		t.Fatal("no session cookie")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.MaxAge != 0 || len(c.Value) != 43 {
		t.Errorf("cookie %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure over http, no Max-Age", c)
	}
	page := b.get("/console")
	if page.Code != 200 || !strings.Contains(page.Body.String(), "<strong>Sari</strong>") || !strings.Contains(page.Body.String(), "pemilik") {
		t.Fatalf("console: %d\n%s", page.Code, page.Body)
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || page.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("console headers %v", page.Header())
	}
	if want := `name="csrf-token" content="` + b.cookies[formCookie] + `"`; !strings.Contains(page.Body.String(), want) {
		t.Errorf("console lacks the form token for scripts: %s", want)
	}
	wantRedirect(t, b.get("/login?next=/console%3Ftab%3D2"), "/console?tab=2")

	// Logging out ends the session in the store, not only the cookie.
	session := b.cookies[sessionCookie]
	if rec := b.post("/logout", url.Values{}); rec.Code != http.StatusForbidden {
		t.Errorf("logout without the form token: %d, want 403", rec.Code)
	}
	wantRedirect(t, b.post("/logout", url.Values{formField: {b.cookies[formCookie]}}), "/login?out=1")
	if _, ok := b.cookies[sessionCookie]; ok {
		t.Errorf("the session cookie stays after logout")
	}
	if out := b.get("/login?out=1"); !strings.Contains(out.Body.String(), "Anda sudah keluar") {
		t.Errorf("no logout notice:\n%s", out.Body)
	}
	b.cookies[sessionCookie] = session
	wantRedirect(t, b.get("/console"), "/login?next=%2Fconsole")
}

// TestLoginRefused posts logins that must fail: each is back on the login
// page with a notice and no session. A wrong name reads like a wrong
// password.
func TestLoginRefused(t *testing.T) {
	const wrong = "Nama akun atau kata sandi salah."
	tests := []struct {
		name           string
		user, password string
		// token: "" is the right one, "-" none, anything else sent as is.
		token  string
		status int
		notice string
	}{
		{name: "wrong password", user: "sari", password: staffPassword, status: 401, notice: wrong},
		{name: "unknown name", user: "dewi", password: ownerPassword, status: 401, notice: wrong},
		{name: "another account's password", user: "budi", password: ownerPassword, status: 401, notice: wrong},
		{name: "empty", status: 401, notice: wrong},
		{name: "not a name", user: "<script>", password: ownerPassword, status: 401, notice: wrong},
		{name: "no form token", user: "sari", password: ownerPassword, token: "-", status: 403, notice: "kedaluwarsa"},
		{name: "another form token", user: "sari", password: ownerPassword, token: strings.Repeat("A", formTokenLen), status: 403, notice: "kedaluwarsa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStaffServer(t, nil)
			b := newBrowser(t, s)
			b.get("/login")
			form := url.Values{"name": {tt.user}, "password": {tt.password}}
			switch tt.token {
			case "":
				form.Set(formField, b.cookies[formCookie])
			case "-":
			default:
				form.Set(formField, tt.token)
			}
			rec := b.post("/login", form)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.notice) {
				t.Fatalf("status %d, want %d with %q:\n%s", rec.Code, tt.status, tt.notice, rec.Body)
			}
			if c := sessionCookieOf(rec); c != nil {
				t.Errorf("session cookie %v set", c)
			}
			if strings.Contains(rec.Body.String(), tt.password) && tt.password != "" {
				t.Errorf("the password is put back on the page")
			}
			if !strings.Contains(rec.Body.String(), `name="csrf" value="`+b.cookies[formCookie]+`"`) {
				t.Errorf("the page has no fresh form to try again with")
			}
		})
	}
}

func TestLoginCaseInsensitive(t *testing.T) {
	s := newStaffServer(t, nil)
	wantRedirect(t, newBrowser(t, s).login("SARI", ownerPassword, nil), "/console")
}

func TestLoginNext(t *testing.T) {
	tests := []struct{ next, want string }{
		{"/console", "/console"},
		{"/console?tab=2", "/console?tab=2"},
		{"", "/console"},
		{"//evil.example/", "/console"},
		{"https://evil.example/", "/console"},
		{"/\\evil.example", "/console"},
		{"evil", "/console"},
		{"/a\r\nLocation: x", "/console"},
		{"/" + strings.Repeat("a", maxNext), "/console"},
	}
	for _, tt := range tests {
		s := newStaffServer(t, nil)
		rec := newBrowser(t, s).login("sari", ownerPassword, url.Values{"next": {tt.next}})
		if got := rec.Header().Get("Location"); rec.Code != 303 || got != tt.want {
			t.Errorf("next %q: %d to %q, want %q", tt.next, rec.Code, got, tt.want)
		}
	}
}

// TestLoginLockout fails five times: the account and the address are
// locked, even for the right password, then open again 15 minutes on.
func TestLoginLockout(t *testing.T) {
	s := newStaffServer(t, nil)
	b := newBrowser(t, s)
	for i := range 5 {
		if rec := b.login("sari", "salah-"+string(rune('a'+i))+"-12345", nil); rec.Code != 401 {
			t.Fatalf("failure %d: %d", i+1, rec.Code)
		}
	}
	const locked = "Terlalu banyak percobaan yang gagal. Coba lagi dalam 15 menit."
	rec := b.login("sari", ownerPassword, nil)
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), locked) || sessionCookieOf(rec) != nil {
		t.Fatalf("right password when locked: %d, cookie %v\n%s", rec.Code, sessionCookieOf(rec), rec.Body)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "900" {
		t.Errorf("Retry-After %q, want 900", ra)
	}
	// The account from elsewhere, and another account from here.
	elsewhere := newBrowser(t, s)
	elsewhere.addr = "198.51.100.7:5555"
	if rec := elsewhere.login("sari", ownerPassword, nil); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the locked account from another address: %d, want 429", rec.Code)
	}
	if rec := b.login("budi", staffPassword, nil); rec.Code != http.StatusTooManyRequests {
		t.Errorf("another account from the locked address: %d, want 429", rec.Code)
	}
	if rec := elsewhere.login("budi", staffPassword, nil); rec.Code != 303 {
		t.Errorf("another account from another address: %d, want 303", rec.Code)
	}
	// An unknown name locks just the same: the lock tells nothing.
	c := newBrowser(t, s)
	c.addr = "203.0.113.9:1"
	for range 5 {
		c.login("dewi", ownerPassword, nil)
	}
	d := newBrowser(t, s)
	d.addr = "203.0.113.10:1"
	if rec := d.login("dewi", ownerPassword, nil); rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), locked) {
		t.Errorf("an unknown name after five failures: %d, want 429 like an account", rec.Code)
	}

	s.clock.Add(15*time.Minute + time.Second)
	wantRedirect(t, b.login("sari", ownerPassword, nil), "/console")
}

func TestSessionExpires(t *testing.T) {
	s := newStaffServer(t, nil)
	b := newBrowser(t, s)
	wantRedirect(t, b.login("budi", staffPassword, nil), "/console")
	s.clock.Add(11 * time.Hour)
	if rec := b.get("/console"); rec.Code != 200 {
		t.Fatalf("after 11 hours: %d", rec.Code)
	}
	s.clock.Add(11 * time.Hour)
	if rec := b.get("/console"); rec.Code != 200 {
		t.Fatalf("11 hours after the last request: %d, want the session kept alive", rec.Code)
	}
	s.clock.Add(12*time.Hour + time.Second)
	wantRedirect(t, b.get("/console"), "/login?next=%2Fconsole")
	if rec := b.get("/login?next=%2Fconsole"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `name="next" value="/console"`) {
		t.Errorf("login page after expiry: %d\n%s", rec.Code, rec.Body)
	}
}

func TestPasswordResetEndsSessions(t *testing.T) {
	s := newStaffServer(t, nil)
	b := newBrowser(t, s)
	wantRedirect(t, b.login("budi", staffPassword, nil), "/console")
	if err := s.staff.SetStaffPassword(t.Context(), "budi", "gula-aren-manis"); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, b.get("/console"), "/login?next=%2Fconsole")
}

func TestSessionCookieSecure(t *testing.T) {
	tests := []struct {
		name   string
		tls    bool
		proto  string
		trust  bool
		secure bool
	}{
		{name: "plain http", secure: false},
		{name: "TLS", tls: true, secure: true},
		{name: "X-Forwarded-Proto without a trusted proxy", proto: "https", secure: false},
		{name: "X-Forwarded-Proto from the trusted proxy", proto: "https", trust: true, secure: true},
		{name: "trusted proxy over http", proto: "http", trust: true, secure: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStaffServer(t, func(c *Config) { c.TrustProxy = tt.trust })
			b := newBrowser(t, s)
			b.get("/login")
			req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{
				"name": {"sari"}, "password": {ownerPassword}, formField: {b.cookies[formCookie]}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			c := sessionCookieOf(b.do(req))
			if c == nil || c.Secure != tt.secure {
				t.Errorf("cookie %+v, want Secure %t", c, tt.secure)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		remote, xff string
		trust       bool
		want        string
	}{
		{remote: "192.0.2.1:1234", want: "192.0.2.1"},
		{remote: "192.0.2.1:1234", xff: "198.51.100.1", want: "192.0.2.1"},
		{remote: "192.0.2.1:1234", xff: "10.9.9.9, 198.51.100.1", trust: true, want: "198.51.100.1"},
		{remote: "192.0.2.1:1234", xff: "198.51.100.1:999", trust: true, want: "198.51.100.1"},
		{remote: "[2001:db8:1:2:3:4:5:6]:443", want: "2001:db8:1:2::/64"},
		{remote: "[::ffff:192.0.2.1]:1", want: "192.0.2.1"},
		{remote: "192.0.2.1:1234", xff: "not an address", trust: true, want: ""},
		{remote: "@", want: ""},
	}
	for _, tt := range tests {
		s := New(Config{TrustProxy: tt.trust})
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.remote
		if tt.xff != "" {
			req.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := s.clientAddr(req); got != tt.want {
			t.Errorf("clientAddr(%q, X-Forwarded-For %q, trust %t) = %q, want %q", tt.remote, tt.xff, tt.trust, got, tt.want)
		}
	}
}

// TestStaffAPI calls the JSON API as a script or a program would: with a
// bearer token, or with the session cookie and the page's form token.
// Without them the answer is a JSON 401 or 403 and nothing runs.
func TestStaffAPI(t *testing.T) {
	s := newStaffServer(t, nil)
	_, token, err := s.staff.CreateStaffToken(t.Context(), "budi", "skrip")
	if err != nil {
		t.Fatal(err)
	}
	revoked, revokedSecret, _ := s.staff.CreateStaffToken(t.Context(), "budi", "lama")
	if err := s.staff.RevokeStaffToken(t.Context(), "budi", revoked.ID); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	wantRedirect(t, b.login("sari", ownerPassword, nil), "/console")
	formTok := b.cookies[formCookie]

	tests := []struct {
		name    string
		header  map[string]string
		cookies bool
		status  int
		who     string
	}{
		{name: "nothing", status: 401},
		{name: "bearer token", header: map[string]string{"Authorization": "Bearer " + token}, status: 200, who: "budi"},
		{name: "bearer in lower case", header: map[string]string{"Authorization": "bearer " + token}, status: 200, who: "budi"},
		{name: "revoked token", header: map[string]string{"Authorization": "Bearer " + revokedSecret}, status: 401},
		{name: "unknown token", header: map[string]string{"Authorization": "Bearer mitra_" + strings.Repeat("x", 43)}, status: 401},
		{name: "a session token as a bearer token", header: map[string]string{"Authorization": "Bearer " + b.cookies[sessionCookie]}, status: 401},
		{name: "basic auth", header: map[string]string{"Authorization": "Basic c2FyaTp4"}, status: 401},
		{name: "a bad token does not fall back to the cookie", header: map[string]string{"Authorization": "Bearer nope", csrfHeader: formTok}, cookies: true, status: 401},
		{name: "session cookie without the header", cookies: true, status: 403},
		{name: "session cookie with another token", header: map[string]string{csrfHeader: strings.Repeat("A", formTokenLen)}, cookies: true, status: 403},
		{name: "session cookie with the page's token", header: map[string]string{csrfHeader: formTok}, cookies: true, status: 200, who: "Sari"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/api/v1/me", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.cookies {
				for name, v := range b.cookies {
					req.AddCookie(&http.Cookie{Name: name, Value: v})
				}
			}
			rec := do(t, s, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q, want JSON", rec.Header().Get("Content-Type"))
			}
			var body struct {
				Name  string `json:"name"`
				Role  string `json:"role"`
				Error string `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("not JSON: %s", rec.Body)
			}
			if tt.status == 200 && body.Name != tt.who {
				t.Errorf("acts for %q, want %q", body.Name, tt.who)
			}
			if tt.status != 200 && body.Error == "" {
				t.Errorf("no error message: %s", rec.Body)
			}
			if tt.status == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
			if strings.Contains(rec.Body.String(), token) || strings.Contains(rec.Body.String(), "hash") {
				t.Errorf("the answer repeats a secret: %s", rec.Body)
			}
		})
	}

	// Removing the account revokes its token.
	if err := s.staff.RemoveStaff(t.Context(), "budi"); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if rec := do(t, s, req); rec.Code != 401 {
		t.Errorf("token of a removed account: %d, want 401", rec.Code)
	}
	if rec := do(t, s, httptest.NewRequest("DELETE", "/api/v1/me", nil)); rec.Code != 405 {
		t.Errorf("DELETE /api/v1/me: %d, want 405", rec.Code)
	}
}

// TestStaffOnly checks the page middleware on pages of its own: the role,
// and the form token on anything but GET.
func TestStaffOnly(t *testing.T) {
	s := newStaffServer(t, nil)
	var ran []string
	page := func(w http.ResponseWriter, r *http.Request) {
		acct, ok := staffFrom(r.Context())
		if !ok {
			t.Error("no account in the context")
		}
		ran = append(ran, r.Method+" "+r.URL.Path+" "+acct.Name)
	}
	s.mux.HandleFunc("GET /owner-page", s.staffOnly(care.RoleOwner, page))
	s.mux.HandleFunc("POST /act", s.staffOnly(care.RoleStaff, page))

	owner, staff, nobody := newBrowser(t, s), newBrowser(t, s), newBrowser(t, s)
	wantRedirect(t, owner.login("sari", ownerPassword, nil), "/console")
	wantRedirect(t, staff.login("budi", staffPassword, nil), "/console")
	nobody.get("/login")

	tests := []struct {
		name   string
		b      *browser
		method string
		path   string
		form   url.Values
		header string
		status int
	}{
		{name: "owner page as owner", b: owner, method: "GET", path: "/owner-page", status: 200},
		{name: "owner page as staff", b: staff, method: "GET", path: "/owner-page", status: 403},
		{name: "owner page logged out", b: nobody, method: "GET", path: "/owner-page", status: 303},
		{name: "post with the form token", b: staff, method: "POST", path: "/act", form: url.Values{formField: {staff.cookies[formCookie]}}, status: 200},
		{name: "post with the header", b: staff, method: "POST", path: "/act", header: staff.cookies[formCookie], status: 200},
		{name: "post without a token", b: staff, method: "POST", path: "/act", status: 403},
		{name: "post with another's token", b: staff, method: "POST", path: "/act", form: url.Values{formField: {owner.cookies[formCookie]}}, status: 403},
		{name: "post logged out", b: nobody, method: "POST", path: "/act", form: url.Values{formField: {nobody.cookies[formCookie]}}, status: 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran = nil
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.header != "" {
				req.Header.Set(csrfHeader, tt.header)
			}
			rec := tt.b.do(req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if (len(ran) == 1) != (tt.status == 200) {
				t.Errorf("handler ran %q", ran)
			}
			if tt.status == 303 {
				want := "/login?next=%2Fowner-page"
				if tt.method == "POST" {
					want = "/login"
				}
				if got := rec.Header().Get("Location"); got != want {
					t.Errorf("redirect to %q, want %q", got, want)
				}
			}
		})
	}
}

func TestStaffRoutesOff(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	for _, path := range []string{"/login", "/console", "/api/v1/me", "/static/staff.css"} {
		if rec := do(t, s, httptest.NewRequest("GET", path, nil)); rec.Code != 404 {
			t.Errorf("GET %s: %d without staff accounts, want 404", path, rec.Code)
		}
	}
}

// TestStaffPagesBesideTheSimulator serves both: the login page's
// stylesheet comes through the simulator's static route.
func TestStaffPagesBesideTheSimulator(t *testing.T) {
	s := newStaffServer(t, func(c *Config) { c.Simulator = &fakeSim{} })
	for _, path := range []string{"/login", "/static/staff.css", "/static/sim.css", "/"} {
		if rec := do(t, s, httptest.NewRequest("GET", path, nil)); rec.Code != 200 {
			t.Errorf("GET %s: %d", path, rec.Code)
		}
	}
}

// TestStaffRedisAway checks that a store that cannot answer lets nobody
// in and says to try again.
func TestStaffRedisAway(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	st := redisstore.New(client, "away").Staff(redisstore.WithBcryptCost(bcrypt.MinCost))
	s := New(Config{Staff: st, Logger: slog.New(slog.DiscardHandler)})
	b := newBrowser(t, s)
	b.cookies[sessionCookie] = strings.Repeat("s", 43)
	if rec := b.login("sari", ownerPassword, nil); rec.Code != 503 || !strings.Contains(rec.Body.String(), "coba lagi") || sessionCookieOf(rec) != nil {
		t.Errorf("login: %d\n%s", rec.Code, rec.Body)
	}
	if rec := b.get("/console"); rec.Code != 503 {
		t.Errorf("console: %d, want 503", rec.Code)
	}
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer mitra_"+strings.Repeat("x", 43))
	if rec := do(t, s, req); rec.Code != 503 {
		t.Errorf("API: %d, want 503", rec.Code)
	}
}

func TestWebhookPathsOfStaffPages(t *testing.T) {
	for _, path := range []string{"/login", "/logout", "/console", "/api/v1/me", "/api/v1/inbox"} {
		if err := CheckWebhookPath(path); err == nil {
			t.Errorf("CheckWebhookPath(%q) = nil, want refused", path)
		}
	}
}
