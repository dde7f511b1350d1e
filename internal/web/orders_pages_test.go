package web

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// newOrdersConsole is newConsoleServer serving the orders too.
func newOrdersConsole(t *testing.T) *consoleServer {
	t.Helper()
	s := newConsoleServer(t)
	s.Server = New(Config{Staff: s.store.Staff(redisstore.WithBcryptCost(bcrypt.MinCost)), Inbox: s.store, Live: s.store, Canned: s.store,
		Contacts: s.store, Orders: s.store, Fees: s.store, PayText: testPayText, OrdersLive: s.store, ShopName: "Toko Sari",
		TimeZone: time.FixedZone("WIB", 7*3600), Now: s.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	return s
}

// testPayText says how to pay as a shop's catalog would.
func testPayText(o care.Order, lang string) string {
	return "Silakan bayar " + care.Rupiah(o.Total, "id") + " ke BCA 123."
}

// files an order of Rp45.000 for id: delivered to an address, or
// picked up.
func (s *consoleServer) files(t *testing.T, id care.ContactID, pickup bool) care.Order {
	t.Helper()
	d := care.OrderDelivery{Recipient: "Dian", Address: "Jl. Kenanga 2, Depok"}
	if pickup {
		d = care.OrderDelivery{Pickup: true}
	}
	o, err := s.store.CreateOrder(t.Context(), care.Order{Contact: id, Method: care.MethodTransfer, DeliveryFee: 10_000,
		Lines: []care.OrderLine{{Name: "Telur omega", Qty: 1, Unit: "kg", Price: 35_000}}, Delivery: d}, "TS")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// postStep posts a form of the order panel as a browser without the
// script does.
func postStep(b *browser, id care.ContactID, number string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	if form.Get(formField) == "" {
		form.Set(formField, b.cookies[formCookie])
	}
	return b.post("/console/c/"+string(id)+"/orders/"+number, form)
}

// stored is the order of ref as the store has it.
func (s *consoleServer) stored(t *testing.T, ref string) care.Order {
	t.Helper()
	o, err := s.store.Order(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestOrderPanel: the conversation shows the customer's orders, newest
// first, with the steps that make sense next; each step changes the
// order by its rules and tells the customer, a refused one says why
// beside the order, and nothing changes without the form token.
func TestOrderPanel(t *testing.T) {
	s := newOrdersConsole(t)
	id := s.handsOver(t, dian, "Dian", "mau pesan telur")
	first := s.files(t, id, false)
	s.clock.Add(time.Minute)
	second := s.files(t, id, true)
	budi := s.signedIn(t, "budi", staffPassword)
	conv := "/console/c/" + string(id)

	rec := budi.get(conv)
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d", conv, rec.Code)
	}
	page := rec.Body.String()
	i, j := strings.Index(page, `id="order-`+second.Number+`"`), strings.Index(page, `id="order-`+first.Number+`"`)
	if i < 0 || j < 0 || i > j {
		t.Fatalf("want both orders, the newest (%s) first: %d, %d", second.Number, i, j)
	}
	for _, w := range []string{"Rp45.000", "1 kg × Telur omega (Rp35.000)", "Jl. Kenanga 2, Depok", "baru", "belum dibayar", "belum diproses",
		`data-do="confirm"`, `data-do="cancel"`, `action="` + conv + `/orders/` + first.Number + `"`} {
		if !strings.Contains(page, w) {
			t.Errorf("the panel lacks %q", w)
		}
	}
	if strings.Contains(page, `data-do="ship"`) || strings.Contains(page, `data-do="complete"`) {
		t.Error("a new order offers to ship or complete")
	}

	// Without the form token nothing changes.
	rec = budi.post(conv+"/orders/"+first.Number, url.Values{"do": {"confirm"}})
	if rec.Code != 403 || s.stored(t, first.Number).State != care.OrderNew {
		t.Fatalf("without the token: %d, order %s", rec.Code, s.stored(t, first.Number).State)
	}

	steps := []struct {
		name   string
		form   url.Values
		status int
		says   string
	}{
		{"confirm", url.Values{"do": {"confirm"}}, 303, ""},
		{"ship without a resi", url.Values{"do": {"ship"}}, 409, "shipping order " + first.Number + " needs a resi"},
		{"complete unpaid", url.Values{"do": {"complete"}}, 409, "cannot be completed: it is not paid"},
		{"an unknown step", url.Values{"do": {"lunas"}}, 400, `langkah &#34;lunas&#34; tidak dikenal`},
		{"mark paid", url.Values{"do": {"paid"}}, 303, ""},
		{"ship with a resi", url.Values{"do": {"ship"}, "resi": {" JNE0099 "}}, 303, ""},
		{"delivered", url.Values{"do": {"delivered"}}, 303, ""},
		{"complete", url.Values{"do": {"complete"}}, 303, ""},
		{"cancel once completed", url.Values{"do": {"cancel"}, "reason": {"stok habis"}}, 409, "it does not change any more"},
	}
	for _, st := range steps {
		rec := postStep(budi, id, first.Number, st.form)
		if rec.Code != st.status {
			t.Fatalf("%s: %d, want %d: %.500s", st.name, rec.Code, st.status, rec.Body)
		}
		if st.status == 303 {
			if loc := rec.Header().Get("Location"); loc != conv+"#order-"+first.Number {
				t.Errorf("%s: to %q", st.name, loc)
			}
			continue
		}
		body := rec.Body.String()
		if !strings.Contains(body, st.says) || !strings.Contains(body, `class="form-error order-refusal"`) {
			t.Errorf("%s: the page does not say %q beside the order", st.name, st.says)
		}
	}
	o := s.stored(t, first.Number)
	if o.State != care.OrderCompleted || o.Payment != care.PaymentPaid || o.Fulfilment != care.FulfilmentDelivered || o.Resi != "JNE0099" ||
		o.History[0].By != "budi" {
		t.Errorf("the order after its steps: %s %s %s resi %q, history %+v", o.State, o.Payment, o.Fulfilment, o.Resi, o.History)
	}
	var told []string
	for _, d := range s.outbox(t) {
		told = append(told, d.Text)
	}
	if len(told) != 5 || !strings.Contains(told[2], "Nomor resinya JNE0099") {
		t.Errorf("the customer was told %q; want the 5 changes", told)
	}
	page = budi.get(conv).Body.String()
	if !strings.Contains(page, "selesai") || !strings.Contains(page, "JNE0099") {
		t.Error("the completed order does not show as such")
	}

	// A pickup is picked up, never shipped; its proof shows; a
	// cancellation says why.
	if _, err := s.store.AttachProof(t.Context(), second.Number, "https://files.example/bukti.jpg", care.ByCustomer); err != nil {
		t.Fatal(err)
	}
	postStep(budi, id, second.Number, url.Values{"do": {"confirm"}})
	page = budi.get(conv).Body.String()
	card := page[strings.Index(page, `id="order-`+second.Number+`"`):]
	card = card[:strings.Index(card, "</article>")]
	for _, w := range []string{`href="https://files.example/bukti.jpg"`, "menunggu konfirmasi", `data-do="paid"`, `data-do="picked_up"`} {
		if !strings.Contains(card, w) {
			t.Errorf("the pickup's card lacks %q", w)
		}
	}
	if strings.Contains(card, `data-do="ship"`) {
		t.Error("a pickup offers to ship")
	}
	if rec := postStep(budi, id, second.Number, url.Values{"do": {"cancel"}, "reason": {"stok habis"}}); rec.Code != 303 {
		t.Fatalf("cancel: %d", rec.Code)
	}
	if o := s.stored(t, second.Number); o.State != care.OrderCancelled || o.History[len(o.History)-1].Reason != "stok habis" {
		t.Errorf("cancelled: %+v", o)
	}
}

// TestOrderPanelWhoMayChange: a staff member does not change the orders
// of a customer another one holds, and is told who; the holder and the
// owner do. An order of another customer is not changed from this
// conversation.
func TestOrderPanelWhoMayChange(t *testing.T) {
	s := newOrdersConsole(t)
	id := s.handsOver(t, dian, "Dian", "mau pesan telur")
	o := s.files(t, id, false)
	other := s.handsOver(t, care.Address{Channel: care.WhatsApp, ID: "6281299990002"}, "Eka", "halo")
	if _, err := s.store.Takeover(t.Context(), id, "rina"); err != nil {
		t.Fatal(err)
	}
	budi, rina := s.signedIn(t, "budi", staffPassword), s.signedIn(t, "rina", staffPassword)
	sari := s.signedIn(t, "Sari", ownerPassword)

	rec := postStep(budi, id, o.Number, url.Values{"do": {"confirm"}})
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), "rina holds this customer&#39;s conversation") {
		t.Fatalf("budi on rina's customer: %d %.600s", rec.Code, rec.Body)
	}
	if got := s.stored(t, o.Number).State; got != care.OrderNew {
		t.Fatalf("budi changed it: %s", got)
	}
	if rec := postStep(budi, other, o.Number, url.Values{"do": {"confirm"}}); rec.Code != 404 {
		t.Errorf("an order of another customer: %d", rec.Code)
	}
	if rec := postStep(rina, id, o.Number, url.Values{"do": {"confirm"}}); rec.Code != 303 {
		t.Fatalf("rina confirms: %d %.300s", rec.Code, rec.Body)
	}
	if rec := postStep(sari, id, o.Number, url.Values{"do": {"paid"}}); rec.Code != 303 {
		t.Fatalf("the owner marks it paid: %d %.300s", rec.Code, rec.Body)
	}
	if got := s.stored(t, o.Number); got.State != care.OrderConfirmed || got.Payment != care.PaymentPaid {
		t.Errorf("after rina and the owner: %s %s", got.State, got.Payment)
	}
}

// TestOrdersPage: staff and the owner list the orders by state, each
// linked to its customer's conversation.
func TestOrdersPage(t *testing.T) {
	s := newOrdersConsole(t)
	id := s.handsOver(t, dian, "Dian", "mau pesan telur")
	a, b := s.files(t, id, false), s.files(t, id, false)
	budi := s.signedIn(t, "budi", staffPassword)
	postStep(budi, id, b.Number, url.Values{"do": {"confirm"}})
	postStep(budi, id, b.Number, url.Values{"do": {"paid"}})

	for query, want := range map[string][]string{
		"":                    {a.Number},
		"?state=new":          {a.Number},
		"?state=paid":         {b.Number},
		"?state=dibayar":      {b.Number},
		"?state=all":          {a.Number, b.Number},
		"?state=shipped":      {},
		"?state=dikonfirmasi": {b.Number},
	} {
		rec := budi.get("/console/orders" + query)
		if rec.Code != 200 {
			t.Fatalf("%s: %d", query, rec.Code)
		}
		page := rec.Body.String()
		if n := strings.Count(page, `class="row order-row"`); n != len(want) {
			t.Errorf("%s: %d rows, want %v", query, n, want)
		}
		for _, number := range want {
			if !strings.Contains(page, `href="/console/c/`+string(id)+`#order-`+number+`"`) {
				t.Errorf("%s: no link from %s to the conversation", query, number)
			}
		}
		if strings.Contains(page, "/console/staff") {
			t.Errorf("%s: staff see the owner's tabs", query)
		}
	}
	if rec := budi.get("/console/orders?state=lunas"); rec.Code != 400 {
		t.Errorf("an unknown state: %d", rec.Code)
	}
	page := s.signedIn(t, "Sari", ownerPassword).get("/console/orders?state=paid").Body.String()
	if !strings.Contains(page, `href="/console/orders" aria-current="page"`) || !strings.Contains(page, "/console/staff") ||
		!strings.Contains(page, `data-state="paid" aria-current="page"`) {
		t.Error("the owner's orders page lacks its tabs")
	}
	if !strings.Contains(budi.get("/console").Body.String(), `href="/console/orders"`) {
		t.Error("the console does not link to the orders")
	}
}

// filesPreOrder files a pre-order of Rp150.000 for id, picked up, with
// a down payment of Rp75.000.
func (s *consoleServer) filesPreOrder(t *testing.T, id care.ContactID) care.Order {
	t.Helper()
	o, err := s.store.CreateOrder(t.Context(), care.Order{Contact: id, Method: care.MethodTransfer,
		Lines:    []care.OrderLine{{Name: "Kue lapis legit", Qty: 1, Unit: "loyang", Price: 150_000, Preorder: true}},
		Delivery: care.OrderDelivery{Pickup: true}, PreOrder: &care.PreOrder{Deposit: 75_000, Ready: s.clock.Now().AddDate(0, 0, 7)}}, "TS")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// cardIn is the order card of number in a conversation page.
func cardIn(t *testing.T, page, number string) string {
	t.Helper()
	i := strings.Index(page, `id="order-`+number+`"`)
	if i < 0 {
		t.Fatalf("no card of %s", number)
	}
	card := page[i:]
	return card[:strings.Index(card, "</article>")]
}

// TestOrderPanelDepositWaitsForFee: a pre-order whose fee is not known
// yet offers no "DP dibayar" (the DP is paid with the fee), and is
// refused with the reason when asked; once the fee is set, it does.
func TestOrderPanelDepositWaitsForFee(t *testing.T) {
	s := newOrdersConsole(t)
	id := s.handsOver(t, dian, "Dian", "mau pesan kue")
	o, err := s.store.CreateOrder(t.Context(), care.Order{Contact: id, Method: care.MethodTransfer, FeePending: true,
		Lines:    []care.OrderLine{{Name: "Kue lapis legit", Qty: 1, Unit: "loyang", Price: 150_000, Preorder: true}},
		Delivery: care.OrderDelivery{Address: "Jl. Mawar 5, Magelang"}, PreOrder: &care.PreOrder{Deposit: 75_000, Ready: s.clock.Now().AddDate(0, 0, 7)}}, "TS")
	if err != nil {
		t.Fatal(err)
	}
	budi := s.signedIn(t, "budi", staffPassword)
	conv := "/console/c/" + string(id)
	if card := cardIn(t, budi.get(conv).Body.String(), o.Number); strings.Contains(card, `data-do="dp_paid"`) {
		t.Errorf("the DP is offered before the fee:\n%s", card)
	}
	rec := postStep(budi, id, o.Number, url.Values{"do": {"dp_paid"}})
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), "set the fee before its down payment (DP) is marked paid") {
		t.Errorf("DP paid before the fee: %d %.500s", rec.Code, rec.Body)
	}
	if _, err := s.store.SetOrderFee(t.Context(), o.Number, 8_000, "budi", nil); err != nil {
		t.Fatal(err)
	}
	if card := cardIn(t, budi.get(conv).Body.String(), o.Number); !strings.Contains(card, `data-do="dp_paid"`) {
		t.Errorf("the DP is not offered once the fee is set:\n%s", card)
	}
}

// TestOrderPanelDeposit: an order with a down payment offers "DP
// dibayar" beside "Tandai dibayar" while it is unpaid or its proof
// awaits the check, and once its DP is paid only the balance; an order
// without one never offers it, and is refused with the reason when
// asked; taking a payment in full back to the DP needs a reason the
// panel does not ask for, so it is refused. The orders page has a tab
// of the orders whose DP is paid.
func TestOrderPanelDeposit(t *testing.T) {
	s := newOrdersConsole(t)
	id := s.handsOver(t, dian, "Dian", "mau pesan kue")
	plain := s.files(t, id, false)
	pre := s.filesPreOrder(t, id)
	budi := s.signedIn(t, "budi", staffPassword)
	conv := "/console/c/" + string(id)

	page := budi.get(conv).Body.String()
	if card := cardIn(t, page, plain.Number); strings.Contains(card, `data-do="dp_paid"`) || !strings.Contains(card, `data-do="paid"`) {
		t.Errorf("the order without a DP: wants paid and no DP:\n%s", card)
	}
	if card := cardIn(t, page, pre.Number); !strings.Contains(card, `data-do="dp_paid"`) || !strings.Contains(card, "DP dibayar") || !strings.Contains(card, `data-do="paid"`) {
		t.Errorf("the pre-order: wants DP and paid:\n%s", card)
	}

	steps := []struct {
		name    string
		number  string
		form    url.Values
		status  int
		says    string
		payment care.PaymentState
		offers  []string // steps of the payment offered after it
		lacks   []string
	}{
		{"DP of an order without one", plain.Number, url.Values{"do": {"dp_paid"}}, 409, "has no down payment (DP): mark it paid", care.PaymentUnpaid,
			[]string{`data-do="paid"`}, []string{`data-do="dp_paid"`}},
		{"DP of the pre-order", pre.Number, url.Values{"do": {"dp_paid"}}, 303, "", care.PaymentDeposit,
			[]string{`data-do="paid"`, "DP dibayar"}, []string{`data-do="dp_paid"`}},
		{"DP again", pre.Number, url.Values{"do": {"dp_paid"}}, 303, "", care.PaymentDeposit,
			[]string{`data-do="paid"`}, []string{`data-do="dp_paid"`}},
		{"paid in full", pre.Number, url.Values{"do": {"paid"}}, 303, "", care.PaymentPaid,
			nil, []string{`data-do="paid"`, `data-do="dp_paid"`}},
		{"back to the DP without a reason", pre.Number, url.Values{"do": {"dp_paid"}}, 409, "say why only the DP counts as paid", care.PaymentPaid,
			nil, []string{`data-do="paid"`, `data-do="dp_paid"`}},
	}
	for _, st := range steps {
		rec := postStep(budi, id, st.number, st.form)
		if rec.Code != st.status {
			t.Fatalf("%s: %d, want %d: %.500s", st.name, rec.Code, st.status, rec.Body)
		}
		page := rec.Body.String()
		if st.status == 303 {
			page = budi.get(conv).Body.String()
		}
		card := cardIn(t, page, st.number)
		if st.says != "" && (!strings.Contains(card, st.says) || !strings.Contains(card, `class="form-error order-refusal"`)) {
			t.Errorf("%s: the card does not say %q:\n%s", st.name, st.says, card)
		}
		if got := s.stored(t, st.number).Payment; got != st.payment {
			t.Errorf("%s: payment %s, want %s", st.name, got, st.payment)
		}
		for _, w := range st.offers {
			if !strings.Contains(card, w) {
				t.Errorf("%s: the card lacks %q", st.name, w)
			}
		}
		for _, w := range st.lacks {
			if strings.Contains(card, w) {
				t.Errorf("%s: the card offers %q", st.name, w)
			}
		}
	}
	var told []string
	for _, d := range s.outbox(t) {
		told = append(told, d.Text)
	}
	if len(told) != 2 || !strings.Contains(told[0], "Sisa pelunasannya Rp75.000") {
		t.Errorf("the customer was told %q; want the DP with its balance, then paid", told)
	}
}

// TestOrdersPageDepositTab: the orders page lists the orders whose DP
// is paid under their own tab, by its name in either language.
func TestOrdersPageDepositTab(t *testing.T) {
	s := newOrdersConsole(t)
	id := s.handsOver(t, dian, "Dian", "mau pesan kue")
	s.files(t, id, false)
	pre := s.filesPreOrder(t, id)
	budi := s.signedIn(t, "budi", staffPassword)
	if rec := postStep(budi, id, pre.Number, url.Values{"do": {"dp_paid"}}); rec.Code != 303 {
		t.Fatalf("DP: %d", rec.Code)
	}
	for _, query := range []string{"?state=dp_paid", "?state=DP+dibayar", "?state=dp-paid"} {
		page := budi.get("/console/orders" + query).Body.String()
		if n := strings.Count(page, `class="row order-row"`); n != 1 || !strings.Contains(page, `data-number="`+pre.Number+`"`) {
			t.Errorf("%s: %d rows, want only %s", query, n, pre.Number)
		}
		if !strings.Contains(page, `data-state="dp_paid" aria-current="page"`) {
			t.Errorf("%s: the DP tab is not the current one", query)
		}
	}
}

// TestOrdersSnapshot: the orders page, its stream down, polls
// /console/snapshot with the stream's query and gets the list of its
// tab as the stream's "orders" event has it, and no queue; a state that
// does not exist is answered 400.
func TestOrdersSnapshot(t *testing.T) {
	s := newOrdersConsole(t)
	id := s.handsOver(t, dian, "Dian", "mau pesan telur")
	a, b := s.files(t, id, false), s.files(t, id, false)
	budi := s.signedIn(t, "budi", staffPassword)
	postStep(budi, id, b.Number, url.Values{"do": {"confirm"}})
	tests := []struct {
		query      string
		status     int
		has, lacks []string
	}{
		{"?orders=new", 200, []string{a.Number}, []string{b.Number}},
		{"?orders=dikonfirmasi", 200, []string{b.Number}, []string{a.Number}},
		{"?orders=all", 200, []string{a.Number, b.Number}, nil},
		{"?orders=all&c=" + string(id), 200, []string{a.Number, b.Number}, nil},
		{"?orders=lunas", 400, nil, nil},
	}
	for _, tt := range tests {
		rec := budi.get("/console/snapshot" + tt.query)
		if rec.Code != tt.status {
			t.Fatalf("%s: %d, want %d: %s", tt.query, rec.Code, tt.status, rec.Body)
		}
		if tt.status != 200 {
			continue
		}
		var sp struct {
			Queue        json.RawMessage `json:"queue"`
			Conversation json.RawMessage `json:"conversation"`
			Orders       struct {
				HTML map[string]string `json:"html"`
			} `json:"orders"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &sp); err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		list := sp.Orders.HTML["orders-list"]
		if sp.Queue != nil || sp.Conversation != nil || !strings.Contains(list, `id="orders"`) {
			t.Errorf("%s: want the orders' list alone: %.300s", tt.query, rec.Body)
		}
		for _, n := range tt.has {
			if !strings.Contains(list, `data-number="`+n+`"`) {
				t.Errorf("%s: no %s", tt.query, n)
			}
		}
		for _, n := range tt.lacks {
			if strings.Contains(list, `data-number="`+n+`"`) {
				t.Errorf("%s: lists %s", tt.query, n)
			}
		}
	}
	var sp map[string]json.RawMessage
	if err := json.Unmarshal(budi.get("/console/snapshot").Body.Bytes(), &sp); err != nil || sp["queue"] == nil || sp["orders"] != nil {
		t.Errorf("the inbox's snapshot: %v %v", err, sp)
	}
}
