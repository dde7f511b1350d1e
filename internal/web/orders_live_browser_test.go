package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mitra-care/mitra/internal/browsertest"
	"github.com/mitra-care/mitra/internal/care"
)

// TestOrdersLiveInBrowser: an order changed elsewhere — through the
// store, as the API, the CLI or a customer's photo change it — shows
// in a conversation's order panel and on the orders page already open,
// without a reload, and what staff were typing in the panel stays. An
// order without a delivery fee waits for it: staff set it in the panel.
func TestOrdersLiveInBrowser(t *testing.T) {
	s, id, o, base, ctx, consoleErrors := openOrder(t)
	card := `document.getElementById('order-` + o.Number + `')`
	until(t, ctx, "the order shows new", card+` && /baru/.test(`+card+`.querySelector('.order-state').textContent)`)
	step(t, ctx, "mark the page, and start typing a reason to cancel",
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true; document.querySelector('#order-`+o.Number+` details.order-cancel').open = true`),
		chromedp.SendKeys(chromedp.ID("reason-"+o.Number), "stok habis"))

	change := func(by string, ch care.OrderChange) {
		t.Helper()
		if _, err := s.store.UpdateOrder(t.Context(), o.Number, func(o care.Order) (care.Order, error) { return o.Apply(ch, by, s.clock.Now()) }); err != nil {
			t.Fatal(err)
		}
	}
	change("sari", care.OrderChange{Order: care.OrderConfirmed})
	until(t, ctx, "sari's confirmation shows without a reload",
		`window.notReloaded && /dikonfirmasi/.test(`+card+`.querySelector('.order-state').textContent) && !!`+card+`.querySelector('[data-do="ship"]')`)
	if kept := eval[bool](t, ctx, `document.getElementById('reason-`+o.Number+`').value === 'stok habis' && `+card+`.querySelector('details.order-cancel').open`); !kept {
		t.Error("the reason being typed was lost when the panel changed")
	}
	change("cli", care.OrderChange{Payment: care.PaymentPaid})
	until(t, ctx, "the payment shows paid", `window.notReloaded && /dibayar/.test(`+card+`.querySelector('.order-payment').textContent)`)

	// An order without a fee: filed elsewhere, it appears, and waits.
	pending, err := s.store.CreateOrder(t.Context(), care.Order{Contact: id, Method: care.MethodTransfer, FeePending: true,
		Lines:    []care.OrderLine{{Name: "Beras", Qty: 2, Unit: "kg", Price: 15_000}},
		Delivery: care.OrderDelivery{Recipient: "Dian", Address: "Jl. Magelang 9"}}, "TS")
	if err != nil {
		t.Fatal(err)
	}
	fee := `document.getElementById('order-` + pending.Number + `')`
	until(t, ctx, "the new order shows, waiting for its fee, with no confirm",
		`window.notReloaded && !!`+fee+` && /Ongkir belum ada/.test(`+fee+`.textContent) && !`+fee+`.querySelector('[data-do="confirm"]') && !!`+fee+`.querySelector('[data-do="fee"]')`)
	step(t, ctx, "type the fee", chromedp.SendKeys(chromedp.ID("fee-"+pending.Number), "12.000"))
	navigate(t, ctx, "set the fee", press(`#order-`+pending.Number+` button[data-do="fee"]`))
	until(t, ctx, "the fee is set and the order can be confirmed",
		`!!`+fee+` && /Rp42\.000/.test(`+fee+`.querySelector('.order-total').textContent) && !!`+fee+`.querySelector('[data-do="confirm"]')`)
	if got := s.stored(t, pending.Number); got.FeePending || got.DeliveryFee != 12_000 || got.History[0].By != "budi" {
		t.Errorf("stored: %+v", got)
	}

	// The orders page follows too.
	navigate(t, ctx, "open the orders page", chromedp.Navigate(base+"/console/orders?state=all"))
	step(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	third := s.files(t, id, true)
	until(t, ctx, "an order filed elsewhere appears in the list without a reload",
		`window.notReloaded && !!document.querySelector('#orders [data-number="`+third.Number+`"]')`)
	change("sari", care.OrderChange{Fulfilment: care.FulfilmentPreparing})
	row := `document.querySelector('#orders [data-number="` + o.Number + `"]')`
	until(t, ctx, "a change shows in its row", `window.notReloaded && /disiapkan/.test(`+row+`.textContent)`)
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the console said: %s", strings.Join(errs, "\n"))
	}
}

// TestOrdersFallbackInBrowser puts a proxy in front that kills the live
// stream: after 20 s the orders page says updates are paused and polls
// its list, as the conversation page does; once the stream gets
// through again the banner goes and changes come live.
func TestOrdersFallbackInBrowser(t *testing.T) {
	s := newOrdersConsole(t)
	id := s.handsOver(t, dian, "Dian", "mau pesan telur")
	srv, broken := brokenStream(t, s)
	ctx := browsertest.New(t)
	consoleErrors := watchConsole(ctx)
	viewport(t, ctx, desktop)
	logIn(t, ctx, srv.URL, "budi")
	navigate(t, ctx, "open the orders page", chromedp.Navigate(srv.URL+"/console/orders?state=all"))
	loaded := time.Now()
	step(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	first := s.files(t, id, false)
	row := func(number string) string {
		return `!!document.querySelector('#orders [data-number="` + number + `"]')`
	}
	// What must not happen yet: nothing to wait for but time.
	time.Sleep(3 * time.Second)
	if eval[bool](t, ctx, row(first.Number)) || !eval[bool](t, ctx, `document.getElementById('banner').hidden`) {
		t.Fatal("without a stream the list changed, or said so, before 20 s")
	}
	pausedBanner(t, ctx, loaded)
	until(t, ctx, "the order comes by polling", `window.notReloaded && `+row(first.Number))

	broken.Store(false)
	until(t, ctx, "the stream is back and the banner gone", `document.getElementById('banner').hidden`)
	second := s.files(t, id, true)
	until(t, ctx, "a new order shows up live again", `window.notReloaded && `+row(second.Number))
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the console said: %s", strings.Join(errs, "\n"))
	}
}
