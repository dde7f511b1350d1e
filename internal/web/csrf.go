package web

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"time"
)

// A page's no-JavaScript form carries a token that must match a random
// cookie of the visitor's (a double-submit token): a page on another site
// can make a browser post a form, but it can neither read the token nor
// set the cookie. The check stands behind the same-origin rule of
// ServeHTTP, for browsers that send neither Sec-Fetch-Site nor Origin.
// The token is no secret of the server's, so it holds across restarts
// and across processes behind one address.
const (
	// formCookie names the cookie that holds the visitor's token.
	formCookie = "mitra_form"
	// formField names the form field that carries it.
	formField = "csrf"
	// formTokenLen is the length of a token: rand.Text's 26 base32
	// letters, 128 random bits.
	formTokenLen = 26
	// formTokenAge is how long the cookie lasts after the visitor's last
	// page view.
	formTokenAge = 7 * 24 * time.Hour
)

// formToken returns the visitor's form token, making one when their
// cookie has none, and (re)sets the cookie. It must run before the
// response's header is written.
func formToken(w http.ResponseWriter, r *http.Request) string {
	token := cookieToken(r)
	if token == "" {
		token = rand.Text()
	}
	http.SetCookie(w, &http.Cookie{
		Name:     formCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   int(formTokenAge / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
	return token
}

// validFormToken reports whether the posted form carries the token of
// the visitor's cookie. The form must be parsed.
func validFormToken(r *http.Request) bool {
	want := cookieToken(r)
	got := r.PostForm.Get(formField)
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// cookieToken returns the token of the visitor's cookie, or "" when they
// have none that looks like one.
func cookieToken(r *http.Request) string {
	c, err := r.Cookie(formCookie)
	if err != nil || len(c.Value) != formTokenLen {
		return ""
	}
	for _, b := range []byte(c.Value) {
		if !('A' <= b && b <= 'Z' || '2' <= b && b <= '7') {
			return ""
		}
	}
	return c.Value
}
