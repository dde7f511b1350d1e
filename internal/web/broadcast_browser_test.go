package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mitra-care/mitra/internal/broadcast"
	"github.com/mitra-care/mitra/internal/browsertest"
	"github.com/mitra-care/mitra/internal/care"
)

// TestBroadcastPagesInBrowser makes a campaign through the form in a
// headless Chromium on a phone's screen, previews it and sees the
// numbers, starts it, watches the figures kept live, and sees them
// called stale when the status stops answering.
func TestBroadcastPagesInBrowser(t *testing.T) {
	every := broadcastStatusEvery
	broadcastStatusEvery = 300 * time.Millisecond
	t.Cleanup(func() { broadcastStatusEvery = every })
	s := newBroadcastServer(t)
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() && strings.HasSuffix(r.URL.Path, "/status") {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ctx := browsertest.New(t)
	consoleErrors := watchConsole(ctx)

	navigate(t, ctx, "log in as the owner",
		chromedp.EmulateViewport(412, 860, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(srv.URL+"/login?next=%2Fconsole%2Fbroadcasts"),
	)
	step(t, ctx, "type the name and password",
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "sari"),
		chromedp.SendKeys(chromedp.ID("password"), ownerPassword),
	)
	navigate(t, ctx, "log in", chromedp.Click(chromedp.ID("login")))
	if n := eval[string](t, ctx, `document.getElementById('none').innerText`); !strings.Contains(n, "Belum ada siaran") {
		t.Errorf("empty list says %q", n)
	}
	step(t, ctx, "write a campaign",
		chromedp.SendKeys(chromedp.ID("name"), "Promo Mei"),
		chromedp.SendKeys(chromedp.ID("text_id"), "Halo {{contact.name|Kak}}, telur omega diskon 10% di {{shop.name}}!"),
		chromedp.SendKeys(chromedp.ID("text_en"), "Hi {{contact.name}}, omega eggs 10% off!"),
		chromedp.SendKeys(chromedp.ID("active_days"), "30"),
	)
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 412 {
		t.Errorf("the broadcasts page is %dpx wide on a 412px phone", w)
	}
	screenshot(t, ctx, "owner-broadcasts.png")
	navigate(t, ctx, "create it", chromedp.Click(chromedp.ID("create-btn")))
	if n := eval[string](t, ctx, `document.getElementById('notice').innerText`); !strings.Contains(n, "dibuat sebagai draf") {
		t.Errorf("notice %q after creating", n)
	}

	navigate(t, ctx, "preview it", chromedp.Click(chromedp.ID("preview-btn")))
	if r := eval[string](t, ctx, `document.getElementById('preview-recipients').innerText`); !strings.Contains(r, "2 orang akan menerima") {
		t.Errorf("preview recipients %q", r)
	}
	if e := eval[string](t, ctx, `document.getElementById('preview-figures').innerText`); !strings.Contains(e, "belum pernah setuju menerima promosi\n1") || !strings.Contains(e, "Perkiraan selesai") {
		t.Errorf("preview figures %q", e)
	}
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 412 {
		t.Errorf("the campaign's page is %dpx wide on a 412px phone", w)
	}
	screenshot(t, ctx, "owner-broadcast-preview.png")

	navigate(t, ctx, "start it", chromedp.Click(chromedp.ID("start")))
	if st := eval[string](t, ctx, `document.getElementById('state').innerText`); st != "berjalan" {
		t.Errorf("state %q after the start", st)
	}
	// The runner plans it and queues both messages; the page sees it.
	runner := broadcast.NewRunner(broadcast.RunnerConfig{Service: s.campaigns, Owner: "test"})
	if err := runner.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the figures to be refreshed", func() bool {
		return eval[string](t, ctx, `document.getElementById('progress').innerText`) == "0/2"
	})
	if q := eval[string](t, ctx, `document.querySelector('[data-k="queued"]').innerText`); q != "2" {
		t.Errorf("queued %q", q)
	}
	if u := eval[string](t, ctx, `document.getElementById('updated').innerText`); !strings.HasPrefix(u, "Diperbarui ") {
		t.Errorf("updated %q", u)
	}
	if eval[bool](t, ctx, `!document.getElementById('stale').hidden`) {
		t.Errorf("fresh figures are called stale")
	}
	screenshot(t, ctx, "owner-broadcast-running.png")

	// A safety pause shows up on the open page, with its reason.
	if _, err := s.store.ChangeCampaign(t.Context(), s.state(t, id(t, ctx)).ID, func(c care.Campaign) (care.Campaign, error) {
		c.State, c.Reason, c.Auto = care.CampaignPaused, "7 of 100 recipients opted out (over 5%)", true
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the safety pause to show", func() bool {
		return eval[bool](t, ctx, `!document.getElementById('auto-pause').hidden`)
	})
	if r := eval[string](t, ctx, `document.getElementById('auto-reason').innerText`); !strings.Contains(r, "opted out") {
		t.Errorf("auto-pause reason %q", r)
	}
	if c := eval[string](t, ctx, `document.getElementById('changed').innerText`); !strings.Contains(c, "dijeda") {
		t.Errorf("changed %q", c)
	}
	screenshot(t, ctx, "owner-broadcast-paused.png")

	down.Store(true)
	waitFor(t, "the figures to be called stale", func() bool {
		return eval[bool](t, ctx, `!document.getElementById('stale').hidden`)
	})
	if m := eval[string](t, ctx, `document.getElementById('stale').innerText`); !strings.Contains(m, "tidak terbarui sejak") {
		t.Errorf("stale banner %q", m)
	}
	down.Store(false)
	waitFor(t, "the figures to be live again", func() bool {
		return eval[bool](t, ctx, `document.getElementById('stale').hidden`)
	})

	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the browser reported: %q", errs)
	}
}

// id is the campaign of the page open in ctx.
func id(t *testing.T, ctx context.Context) care.CampaignID {
	t.Helper()
	return care.CampaignID(eval[string](t, ctx, `location.pathname.split('/')[3]`))
}

// waitFor polls ok for a few seconds.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("waited in vain for %s", what)
}
