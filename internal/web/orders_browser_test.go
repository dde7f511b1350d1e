package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mitra-care/mitra/internal/browsertest"
	"github.com/mitra-care/mitra/internal/care"
)

// TestOrderPanelInBrowser: staff open a conversation with an order,
// see it beside the conversation, confirm it, and see it confirmed;
// shipping it without a resi is refused with the reason; a pre-order
// has its down payment marked paid, then offers the balance. Screenshots
// at a desk's and a phone's width.
func TestOrderPanelInBrowser(t *testing.T) {
	s, id, o, base, ctx, consoleErrors := openOrder(t)
	card := `document.getElementById('order-` + o.Number + `')`
	until(t, ctx, "the order shows beside the conversation, new and unpaid",
		card+` && /baru/.test(`+card+`.querySelector('.order-state').textContent) && /belum dibayar/.test(`+card+`.textContent) && /Rp45\.000/.test(`+card+`.textContent)`)
	if beside := eval[bool](t, ctx, `document.getElementById('orders-panel').getBoundingClientRect().left > document.getElementById('conv-timeline').getBoundingClientRect().right - 1`); !beside {
		t.Error("at a desk the orders are not beside the conversation")
	}
	screenshot(t, ctx, "order-panel.png")

	navigate(t, ctx, "confirm the order", press(`#order-`+o.Number+` button[data-do="confirm"]`))
	until(t, ctx, "the order shows confirmed, and offers to ship it",
		`!!(`+card+` && /dikonfirmasi/.test(`+card+`.querySelector('.order-state').textContent) && !`+card+`.querySelector('[data-do="confirm"]') && `+card+`.querySelector('[data-do="ship"]'))`)
	if got := s.stored(t, o.Number); got.State != care.OrderConfirmed || got.History[0].By != "budi" {
		t.Errorf("stored: %s by %+v", got.State, got.History)
	}

	step(t, ctx, "ship without a resi", press(`#order-`+o.Number+` button[data-do="ship"]`))
	until(t, ctx, "the refusal says why beside the order",
		card+` && /needs a resi/.test(`+card+`.querySelector('.order-refusal').textContent)`)

	// A pre-order's down payment: "DP dibayar" beside "Tandai dibayar",
	// then the balance alone.
	pre := s.filesPreOrder(t, id)
	dp := `document.getElementById('order-` + pre.Number + `')`
	navigate(t, ctx, "open the conversation with the pre-order", chromedp.Navigate(base+"/console/c/"+string(id)))
	until(t, ctx, "the pre-order offers its DP and the whole", `!!`+dp+` && !!`+dp+`.querySelector('[data-do="dp_paid"]') && !!`+dp+`.querySelector('[data-do="paid"]')`)
	navigate(t, ctx, "mark the DP paid", press(`#order-`+pre.Number+` button[data-do="dp_paid"]`))
	until(t, ctx, "the pre-order shows its DP paid, and offers the balance alone",
		`!!`+dp+` && /DP dibayar/.test(`+dp+`.querySelector('.order-payment').textContent) && !`+dp+`.querySelector('[data-do="dp_paid"]') && !!`+dp+`.querySelector('[data-do="paid"]')`)
	if got := s.stored(t, pre.Number); got.Payment != care.PaymentDeposit {
		t.Errorf("stored: payment %s", got.Payment)
	}

	viewport(t, ctx, phone)
	navigate(t, ctx, "open the conversation on a phone", chromedp.Navigate(base+"/console/c/"+string(id)))
	until(t, ctx, "on a phone the orders are below the conversation",
		`document.getElementById('orders-panel').getBoundingClientRect().top >= document.getElementById('conv-timeline').getBoundingClientRect().bottom - 1`)
	screenshot(t, ctx, "order-panel-phone.png")
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the console said: %s", strings.Join(errs, "\n"))
	}
}

// openOrder starts an orders console with Dian's conversation handed
// over and an order of hers filed, and a browser at a desk's width
// logged in as budi with her conversation open: the console, her
// contact, the order, the console's address, the browser and what its
// console said.
func openOrder(t *testing.T) (*consoleServer, care.ContactID, care.Order, string, context.Context, func() []string) {
	t.Helper()
	s := newOrdersConsole(t)
	id := s.handsOver(t, dian, "Dian", "mau pesan telur")
	o := s.files(t, id, false)
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.EndStreams()
		srv.Close()
	})
	ctx := browsertest.New(t)
	consoleErrors := watchConsole(ctx)
	fakeNotifications(t, ctx)
	viewport(t, ctx, desktop)
	logIn(t, ctx, srv.URL, "budi")
	navigate(t, ctx, "open the conversation", chromedp.Navigate(srv.URL+"/console/c/"+string(id)))
	return s, id, o, srv.URL, ctx, consoleErrors
}
