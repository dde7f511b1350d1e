package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// newOrdersServer is newInboxServer serving the orders too.
func newOrdersServer(t *testing.T) inboxServer {
	t.Helper()
	s := newInboxServer(t)
	s.Server = New(Config{Staff: s.staff, Inbox: s.store, Contacts: s.store, Orders: s.store, Fees: s.store, PayText: testPayText, ShopName: "Warung Bu Sari",
		Now: s.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	return s
}

// order files an order of Rp45.000 for id, to be delivered.
func (s inboxServer) order(t *testing.T, id care.ContactID) care.Order {
	t.Helper()
	o, err := s.store.CreateOrder(t.Context(), care.Order{Contact: id, Method: care.MethodTransfer, DeliveryFee: 10_000,
		Lines:    []care.OrderLine{{Name: "Telur omega", Qty: 1, Unit: "kg", Price: 35_000}},
		Delivery: care.OrderDelivery{Recipient: "Dewi", Address: "Jl. Kenanga 2, Depok"}}, care.OrderPrefix("Warung Bu Sari"))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// apiOrderAnswer is the answer to a change of status.
type apiOrderAnswer struct {
	Order  care.Order  `json:"order"`
	Notice *noticeJSON `json:"notice"`
}

func TestOrdersAPI(t *testing.T) {
	s := newOrdersServer(t)
	id := s.customer(t, dewi, "Dewi", "id", "mau pesan telur")
	o := s.order(t, id)

	// Reading.
	rec := s.call(t, "budi", "GET", "/api/v1/orders", "")
	want(t, rec, 200)
	if l := decode[struct{ Orders []care.Order }](t, rec); len(l.Orders) != 1 || l.Orders[0].Number != "WBS-0001" || l.Orders[0].Total != 45_000 {
		t.Errorf("orders: %s", rec.Body)
	}
	for query, n := range map[string]int{"state=baru": 1, "state=unpaid": 1, "state=paid": 0, "state=new&limit=1": 1} {
		rec := s.call(t, "budi", "GET", "/api/v1/orders?"+query, "")
		want(t, rec, 200)
		if l := decode[struct{ Orders []care.Order }](t, rec); len(l.Orders) != n || l.Orders == nil {
			t.Errorf("?%s: %s; want %d", query, rec.Body, n)
		}
	}
	for _, query := range []string{"state=lunas", "limit=0", "limit=501", "limit=x"} {
		want(t, s.call(t, "budi", "GET", "/api/v1/orders?"+query, ""), 400)
	}
	rec = s.call(t, "budi", "GET", "/api/v1/orders/wbs-0001", "")
	want(t, rec, 200)
	if got := decode[struct{ Order care.Order }](t, rec).Order; got.ID != o.ID || got.Delivery.Address != "Jl. Kenanga 2, Depok" || got.State != care.OrderNew {
		t.Errorf("one order: %s", rec.Body)
	}
	want(t, s.call(t, "budi", "GET", "/api/v1/orders/WBS-0404", ""), 404)
	want(t, s.call(t, "budi", "DELETE", "/api/v1/orders/WBS-0001", ""), 405)
	want(t, s.call(t, "budi", "GET", "/api/v1/orders/WBS-0001/status", ""), 405)

	// Changing: each change tells the customer once.
	path := "/api/v1/orders/WBS-0001/status"
	rec = s.call(t, "budi", "POST", path, `{"order": "dikonfirmasi"}`)
	want(t, rec, 200)
	a := decode[apiOrderAnswer](t, rec)
	if a.Order.State != care.OrderConfirmed || a.Notice == nil || a.Notice.Text != "Pesanan WBS-0001 sudah kami konfirmasi, Kak. Totalnya Rp45.000." ||
		a.Order.History[0].By != "budi" {
		t.Errorf("confirmed: %s", rec.Body)
	}
	ds := s.queued(t)
	if len(ds) != 1 || ds[0].ID != a.Notice.ID || ds[0].Class != care.Transactional || ds[0].Order != "WBS-0001" {
		t.Errorf("queued %+v; want the notice, transactional", ds)
	}
	refusals := []struct {
		name, body string
		status     int
		error      string
	}{
		{"shipped without a resi", `{"fulfilment": "shipped"}`, 409, "shipping order WBS-0001 needs a resi"},
		{"completed unpaid", `{"order": "completed"}`, 409, "cannot be completed: it is not paid"},
		{"a payment state for the order", `{"order": "paid"}`, 400, `order "paid": that is not a state of the order`},
		{"an unknown state", `{"payment": "lunas"}`, 400, `payment: unknown status "lunas"`},
		{"nothing to change", `{"reason": "x"}`, 400, "nothing to change"},
		{"not JSON", `order=completed`, 400, "one JSON object"},
		{"an unknown field", `{"state": "completed"}`, 400, "unknown field"},
	}
	for _, r := range refusals {
		rec := s.call(t, "budi", "POST", path, r.body)
		want(t, rec, r.status)
		if e := decode[apiError](t, rec); !strings.Contains(e.Error, r.error) {
			t.Errorf("%s: %q, want %q in it", r.name, e.Error, r.error)
		}
	}
	want(t, s.call(t, "budi", "POST", "/api/v1/orders/WBS-0404/status", `{"order": "cancelled"}`), 404)
	want(t, s.call(t, "budi", "POST", path, `{"payment": "paid"}`), 200)
	rec = s.call(t, "budi", "POST", path, `{"payment": "unpaid"}`)
	want(t, rec, 409)
	if e := decode[apiError](t, rec); !strings.Contains(e.Error, "say why the payment goes back to unpaid") {
		t.Errorf("back to unpaid: %s", e.Error)
	}
	rec = s.call(t, "budi", "POST", path, `{"fulfilment": "dikirim", "resi": "JNE0099"}`)
	want(t, rec, 200)
	if a := decode[apiOrderAnswer](t, rec); a.Notice == nil || a.Notice.Text != "Pesanan WBS-0001 sudah dikirim, Kak! Nomor resinya JNE0099." {
		t.Errorf("shipped: %s", rec.Body)
	}
	rec = s.call(t, "budi", "POST", path, `{"fulfilment": "shipped", "resi": "JNE0099"}`)
	want(t, rec, 200)
	if a := decode[apiOrderAnswer](t, rec); a.Notice != nil {
		t.Errorf("the same again told the customer: %s", rec.Body)
	}
	if ds := s.queued(t); len(ds) != 2 {
		t.Errorf("queued %d messages; want the payment's and the shipment's", len(ds))
	}
}

// TestOrdersAPIWhoMayChange: without credentials nothing is done; a
// staff account does not change the orders of a customer another staff
// member holds, the holder and the owner do.
func TestOrdersAPIWhoMayChange(t *testing.T) {
	s := newOrdersServer(t)
	id := s.customer(t, dewi, "Dewi", "id", "mau pesan telur")
	o := s.order(t, id)
	path := "/api/v1/orders/" + o.Number + "/status"
	b := newBrowser(t, s)
	wantRedirect(t, b.login("budi", staffPassword, nil), "/console")
	creds := []struct {
		name   string
		set    func(*http.Request)
		status int
	}{
		{"no token", func(*http.Request) {}, 401},
		{"a wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer mitra_nope") }, 401},
		{"session cookie without the page's token", func(r *http.Request) {
			for name, v := range b.cookies {
				r.AddCookie(&http.Cookie{Name: name, Value: v})
			}
		}, 403},
	}
	for _, cr := range creds {
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/api/v1/orders", ""}, {"GET", "/api/v1/orders/" + o.Number, ""}, {"POST", path, `{"order": "cancelled"}`},
		} {
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			cr.set(req)
			want(t, do(t, s, req), cr.status)
		}
	}
	if got, err := s.store.Order(t.Context(), o.Number); err != nil || got.Version != o.Version || len(s.queued(t)) != 0 {
		t.Fatalf("calls without credentials did something: %+v, %v", got, err)
	}
	// The page's script, with the cookie and the token, acts for budi.
	req := httptest.NewRequest("POST", path, strings.NewReader(`{"order": "confirmed"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(csrfHeader, b.cookies[formCookie])
	rec := b.do(req)
	want(t, rec, 200)
	if a := decode[apiOrderAnswer](t, rec); a.Order.History[0].By != "budi" {
		t.Errorf("from the page: %s", rec.Body)
	}

	if _, err := s.store.Takeover(t.Context(), id, "rina"); err != nil {
		t.Fatal(err)
	}
	rec = s.call(t, "budi", "POST", path, `{"payment": "paid"}`)
	want(t, rec, 409)
	if e := decode[apiError](t, rec); e.Error != "rina holds this customer's conversation: only they or the owner change their orders now" {
		t.Errorf("held by another: %q", e.Error)
	}
	want(t, s.call(t, "rina", "POST", path, `{"payment": "paid"}`), 200)
	s.clock.Add(time.Minute)
	rec = s.call(t, "sari", "POST", path, `{"fulfilment": "preparing"}`)
	want(t, rec, 200)
	got := decode[apiOrderAnswer](t, rec).Order
	if got.Payment != care.PaymentPaid || got.Fulfilment != care.FulfilmentPreparing || len(got.History) != 3 ||
		got.History[1].By != "rina" || got.History[2].By != "Sari" {
		t.Errorf("after rina and the owner: %+v", got)
	}
	// Reading is everyone's.
	want(t, s.call(t, "budi", "GET", "/api/v1/orders/"+o.Number, ""), 200)
}

// TestOrderFeeAPI sets the fee of an order filed without one: bad input
// is 400, what the order's rules refuse 409 with the reason, and the
// answer holds the order and what the customer is told.
func TestOrderFeeAPI(t *testing.T) {
	s := newOrdersServer(t)
	id := s.customer(t, dewi, "Dewi", "id", "mau pesan telur")
	o, err := s.store.CreateOrder(t.Context(), care.Order{Contact: id, Method: care.MethodTransfer, FeePending: true,
		Lines:    []care.OrderLine{{Name: "Telur omega", Qty: 1, Unit: "kg", Price: 35_000}},
		Delivery: care.OrderDelivery{Recipient: "Dewi", Address: "Jl. Magelang 9"}}, "WBS")
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/orders/" + o.Number + "/fee"
	for body, code := range map[string]int{`{}`: 400, `{"fee": "12000"}`: 400, `{"fee": -1}`: 400, `{"fee": 1.5}`: 400, `{"fee": 12000, "x": 1}`: 400} {
		if rec := s.call(t, "budi", "POST", path, body); rec.Code != code {
			t.Errorf("%s: %d %s, want %d", body, rec.Code, rec.Body, code)
		}
	}
	want(t, s.call(t, "budi", "GET", path, ""), 405)
	want(t, s.call(t, "budi", "POST", "/api/v1/orders/WBS-0404/fee", `{"fee": 1}`), 404)
	rec := s.call(t, "budi", "POST", "/api/v1/orders/"+o.Number+"/status", `{"order": "confirmed"}`)
	want(t, rec, 409)
	if !strings.Contains(rec.Body.String(), "set the fee before it is confirmed") {
		t.Errorf("confirm without a fee: %s", rec.Body)
	}
	rec = s.call(t, "budi", "POST", path, `{"fee": 12000}`)
	want(t, rec, 200)
	a := decode[apiOrderAnswer](t, rec)
	if a.Order.FeePending || a.Order.Total != 47_000 || a.Notice == nil ||
		a.Notice.Text != "Ongkir pesanan WBS-0001 Rp12.000, jadi totalnya Rp47.000, Kak.\nSilakan bayar Rp47.000 ke BCA 123." {
		t.Errorf("fee set: %s", rec.Body)
	}
	want(t, s.call(t, "budi", "POST", "/api/v1/orders/"+o.Number+"/status", `{"order": "confirmed"}`), 200)
}
