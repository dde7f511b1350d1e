package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mitra-care/mitra/internal/browsertest"
)

// TestLoginInBrowser logs in through the real form in a headless
// Chromium, as a shop's owner on a phone would: a wrong password first,
// then the right one, on to the console, and out again.
func TestLoginInBrowser(t *testing.T) {
	s := newStaffServer(t, nil)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	ctx := browsertest.New(t)
	consoleErrors := watchConsole(ctx)

	navigate(t, ctx, "open the console, which sends to the login page",
		chromedp.EmulateViewport(412, 860, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(srv.URL+"/console"),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != srv.URL+"/login?next=%2Fconsole" {
		t.Errorf("location %q, want the login page", loc)
	}
	screenshot(t, ctx, "login.png")

	step(t, ctx, "type a wrong password",
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "sari"),
		chromedp.SendKeys(chromedp.ID("password"), "bukan-kata-sandinya"),
	)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("login")))
	if err != nil || resp.Status != 401 {
		t.Fatalf("wrong password: %v, %+v", err, resp)
	}
	if n := eval[string](t, ctx, `document.getElementById('notice').textContent`); !strings.Contains(n, "salah") {
		t.Errorf("notice %q after a wrong password", n)
	}
	if v := eval[string](t, ctx, `document.getElementById('name').value + '|' + document.getElementById('password').value`); v != "sari|" {
		t.Errorf("name|password boxes hold %q, want the name kept and the password not", v)
	}
	screenshot(t, ctx, "login-wrong.png")

	step(t, ctx, "type the right password", chromedp.SendKeys(chromedp.ID("password"), ownerPassword))
	navigate(t, ctx, "log in", chromedp.Click(chromedp.ID("login")))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != srv.URL+"/console" {
		t.Errorf("location %q after logging in, want the console", loc)
	}
	if who := eval[string](t, ctx, `document.getElementById('who').innerText`); !strings.Contains(who, "Masuk sebagai Sari") || !strings.Contains(who, "pemilik") {
		t.Errorf("console says %q", who)
	}
	if js := eval[bool](t, ctx, `document.cookie.includes('mitra_session')`); js {
		t.Errorf("the session cookie is readable by scripts")
	}
	screenshot(t, ctx, "console.png")

	navigate(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")))
	if n := eval[string](t, ctx, `document.getElementById('notice').textContent`); !strings.Contains(n, "Anda sudah keluar") {
		t.Errorf("notice %q after logging out", n)
	}
	navigate(t, ctx, "open the console again", chromedp.Navigate(srv.URL+"/console"))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, srv.URL+"/login") {
		t.Errorf("location %q after logging out, want the login page", loc)
	}
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the pages logged errors:\n%s", strings.Join(errs, "\n"))
	}
}
