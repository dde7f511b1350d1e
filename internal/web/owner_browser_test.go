package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mitra-care/mitra/internal/browsertest"
	"github.com/mitra-care/mitra/internal/care"
)

// TestOwnerPagesInBrowser walks the owner's pages in a headless
// Chromium on a phone's screen: the contacts, one contact's consent
// evidence, a canned reply added through the form, the accounts and the
// staff audit, with no script error or blocked resource on the way.
func TestOwnerPagesInBrowser(t *testing.T) {
	s := newInboxServer(t)
	yes := care.ConsentEvent{Purpose: care.Promotions, Granted: true, At: testNow, Channel: care.WhatsApp, Source: care.SourceFlow,
		MessageID: "wamid-1", Text: "ya mau", Question: "Mau info promo dari Toko Sari? Balas YA.", Version: "promo-v2"}
	id := s.customer(t, dewi, "Dewi Lestari", "id", "halo, telur omega ada?", yes)
	s.customer(t, care.Address{Channel: care.Telegram, ID: "4242"}, "", "en", "hi")
	want(t, s.call(t, "budi", "POST", "/api/v1/conversations/"+string(id)+"/takeover", "{}"), 200)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	ctx := browsertest.New(t)
	consoleErrors := watchConsole(ctx)

	navigate(t, ctx, "log in as the owner",
		chromedp.EmulateViewport(412, 860, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(srv.URL+"/login?next=%2Fconsole%2Fcontacts"),
	)
	step(t, ctx, "type the name and password",
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "sari"),
		chromedp.SendKeys(chromedp.ID("password"), ownerPassword),
	)
	navigate(t, ctx, "log in", chromedp.Click(chromedp.ID("login")))
	if n := eval[string](t, ctx, `document.getElementById('count').innerText`); !strings.Contains(n, "1–2 dari 2 kontak") {
		t.Errorf("contacts count %q", n)
	}
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 412 {
		t.Errorf("the contacts page is %dpx wide on a 412px phone", w)
	}
	screenshot(t, ctx, "owner-contacts.png")

	navigate(t, ctx, "open Dewi", chromedp.Click(chromedp.CSS(`#contacts a[href$="`+string(id)+`"]`)))
	if l := eval[string](t, ctx, `document.getElementById('ledger').innerText`); !strings.Contains(l, "ya mau") || !strings.Contains(l, "versi promo-v2") {
		t.Errorf("ledger %q", l)
	}
	screenshot(t, ctx, "owner-contact.png")

	navigate(t, ctx, "open the canned replies", chromedp.Click(chromedp.CSS(`.tabs a[href="/console/canned"]`)))
	step(t, ctx, "write a canned reply",
		chromedp.SendKeys(chromedp.ID("name"), "salam"),
		chromedp.SendKeys(chromedp.ID("text"), "Halo {{contact.name}}, terima kasih sudah menghubungi {{shop.name}}."),
	)
	navigate(t, ctx, "save it", chromedp.Click(chromedp.ID("save")))
	if n := eval[string](t, ctx, `document.getElementById('notice').innerText`); !strings.Contains(n, "tersimpan") {
		t.Errorf("notice %q after saving", n)
	}
	screenshot(t, ctx, "owner-canned.png")

	navigate(t, ctx, "open the accounts", chromedp.Click(chromedp.CSS(`.tabs a[href="/console/staff"]`)))
	if a := eval[string](t, ctx, `document.getElementById('accounts').innerText`); !strings.Contains(a, "budi") || !strings.Contains(a, "rina") {
		t.Errorf("accounts %q", a)
	}
	screenshot(t, ctx, "owner-staff.png")

	navigate(t, ctx, "open the staff audit", chromedp.Click(chromedp.CSS(`.tabs a[href="/console/audit"]`)))
	if a := eval[string](t, ctx, `document.getElementById('audit').innerText`); !strings.Contains(a, "budi mengambil alih\nDewi Lestari") {
		t.Errorf("audit %q", a)
	}
	screenshot(t, ctx, "owner-audit.png")

	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the browser reported: %q", errs)
	}
}
