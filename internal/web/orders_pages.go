package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mitra-care/mitra/internal/care"
)

// The orders in the console: beside a conversation, the customer's
// orders with the buttons for their next steps (forms, each change by
// the same rules as the orders' API: the order's transitions, and no
// change by a staff member to the orders of a customer another one
// holds); at /console/orders, the shop's orders by state, each linked
// to its customer's conversation.

// ordersTemplate is the orders page.
var ordersTemplate = ownerTemplate("orders.html")

// ordersShown bounds the rows of the orders page.
const ordersShown = 200

// routeOrderPages serves the orders page and, with the inbox, the
// order actions of the conversation page.
func (s *Server) routeOrderPages() {
	s.mux.HandleFunc("GET /console/orders", s.staffOnly(care.RoleStaff, s.ordersPage))
	if s.inboxOn() {
		s.mux.HandleFunc("POST /console/c/{contact}/orders/{number}", boundForm(s.staffOnly(care.RoleStaff, s.orderAction)))
	}
}

// ordersOn reports whether the console shows the orders.
func (s *Server) ordersOn() bool { return s.cfg.Orders != nil && s.cfg.Contacts != nil }

// orderPanel is a contact's orders beside their conversation.
type orderPanel struct {
	Contact care.ContactID
	Token   string
	Orders  []orderCard
	// Fees: staff set delivery fees here.
	Fees bool
	// Error is why reading them failed; the conversation shows all the
	// same.
	Error string
}

// orderCard is one order as the panel shows it.
type orderCard struct {
	care.Order
	Items                           []string
	TotalText, FeeText              string
	StateText, PaymentText, FulText string
	Created                         string
	// ProofURL is the proof of payment when it is a web address.
	ProofURL string
	Final    bool
	// Steps are the buttons of the changes that make sense next;
	// shipping (with its resi) and cancelling (with its reason) have
	// forms of their own.
	Steps              []orderStep
	CanShip, CanCancel bool
	// CanSetFee: the delivery fee may be set (or corrected) now.
	CanSetFee bool
	// Refusal is why the last action on it was refused.
	Refusal string
}

// orderStep is a button of the panel: do (a key of orderActions) to
// the order Number.
type orderStep struct {
	Number, Do, Label, En, Class string
}

// orderActions are the panel's buttons: what each changes.
var orderActions = map[string]care.OrderChange{
	"confirm":   {Order: care.OrderConfirmed},
	"paid":      {Payment: care.PaymentPaid},
	"dp_paid":   {Payment: care.PaymentDeposit},
	"preparing": {Fulfilment: care.FulfilmentPreparing},
	"ship":      {Fulfilment: care.FulfilmentShipped},
	"delivered": {Fulfilment: care.FulfilmentDelivered},
	"picked_up": {Fulfilment: care.FulfilmentPickedUp},
	"complete":  {Order: care.OrderCompleted},
	"cancel":    {Order: care.OrderCancelled},
}

// orderPanelOf is contact id's orders, newest first, with the steps
// each may take next; refused names the order whose last action was
// refused, and why.
func (s *Server) orderPanelOf(ctx context.Context, id care.ContactID, token, refusedNumber, why string) *orderPanel {
	if !s.ordersOn() {
		return nil
	}
	orders, err := s.cfg.Orders.ContactOrders(ctx, id)
	return s.panelOf(id, token, orders, err, refusedNumber, why)
}

// panelOf is the panel of contact id's orders as read (err when they
// could not be); see orderPanelOf.
func (s *Server) panelOf(id care.ContactID, token string, orders []care.Order, err error, refusedNumber, why string) *orderPanel {
	p := &orderPanel{Contact: id, Token: token, Fees: s.cfg.Fees != nil}
	if err != nil {
		s.cfg.Logger.Warn("reading a contact's orders for the conversation failed", "contact", id, "err", err)
		p.Error = "Pesanan tidak bisa dibaca sekarang; muat ulang sebentar lagi. (The orders cannot be read now.)"
		return p
	}
	for _, o := range slices.Backward(orders) {
		c := s.cardOf(o)
		if o.Number == refusedNumber {
			c.Refusal = why
		}
		p.Orders = append(p.Orders, c)
	}
	return p
}

// cardOf is o with its words and the steps that make sense next.
func (s *Server) cardOf(o care.Order) orderCard {
	c := orderCard{Order: o, TotalText: care.Rupiah(o.Total, "id"), Created: s.clock(o.Created), ProofURL: proofURL(o.Proof),
		StateText: care.StatusLabel(string(o.State)), PaymentText: care.StatusLabel(string(o.Payment)), FulText: care.StatusLabel(string(o.Fulfilment))}
	for _, l := range o.Lines {
		qty := strconv.FormatFloat(l.Qty, 'f', -1, 64)
		if l.Unit != "" {
			qty += " " + l.Unit
		}
		c.Items = append(c.Items, fmt.Sprintf("%s × %s (%s)", qty, l.Name, care.Rupiah(l.Amount(), "id")))
	}
	if o.DeliveryFee > 0 {
		c.FeeText = care.Rupiah(o.DeliveryFee, "id")
	}
	if o.FeePending {
		c.TotalText += " + ongkir"
	}
	if !o.Delivery.Pickup {
		_, err := o.SetFee(o.DeliveryFee+1, "check", o.Updated)
		c.CanSetFee = err == nil
	}
	ok := func(ch care.OrderChange) bool {
		_, err := o.Apply(ch, "check", o.Updated)
		return err == nil
	}
	c.Final = o.State == care.OrderCompleted || o.State == care.OrderCancelled
	if c.Final {
		return c
	}
	received := o.Fulfilment == care.FulfilmentDelivered || o.Fulfilment == care.FulfilmentPickedUp
	step := func(when bool, do, label, en, class string) {
		if when {
			c.Steps = append(c.Steps, orderStep{o.Number, do, label, en, class})
		}
	}
	// An order whose fee is not known waits for it (the fee's form).
	step(o.State == care.OrderNew && !o.FeePending, "confirm", "Konfirmasi", "confirm", "primary")
	// A pre-order's down payment may come first (unpaid, or its proof
	// awaiting the check); the balance then, or the whole at once.
	step(o.Payment != care.PaymentDeposit && o.PreOrder != nil && o.PreOrder.Deposit > 0 && ok(care.OrderChange{Payment: care.PaymentDeposit}),
		"dp_paid", "DP dibayar", "down payment paid", "primary")
	step(!o.FeePending && (o.Payment == care.PaymentUnpaid || o.Payment == care.PaymentAwaiting || o.Payment == care.PaymentDeposit ||
		o.Payment == care.PaymentCOD && received),
		"paid", "Tandai dibayar", "mark paid", "primary")
	step(o.State == care.OrderConfirmed && o.Fulfilment == "", "preparing", "Disiapkan", "preparing", "secondary")
	step(o.Fulfilment == care.FulfilmentShipped && ok(care.OrderChange{Fulfilment: care.FulfilmentDelivered}), "delivered", "Sudah sampai", "delivered", "secondary")
	step(o.State == care.OrderConfirmed && o.Delivery.Pickup && !received, "picked_up", "Sudah diambil", "picked up", "secondary")
	step(ok(care.OrderChange{Order: care.OrderCompleted}), "complete", "Selesai", "complete", "primary")
	c.CanShip = o.State == care.OrderConfirmed && !o.Delivery.Pickup && !o.FeePending && (o.Fulfilment == "" || o.Fulfilment == care.FulfilmentPreparing)
	c.CanCancel = !received
	return c
}

// orderAction is POST /console/c/{contact}/orders/{number} with do (a
// key of orderActions), and resi or reason where they go: the order
// changes by its rules, and the customer is told through the gate. The
// conversation shows again; a refusal says why, beside the order.
func (s *Server) orderAction(w http.ResponseWriter, r *http.Request) {
	id, ok := contactParam(w, r)
	if !ok {
		return
	}
	number := care.CleanOrderNumber(r.PathValue("number"))
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	acct, _ := staffFrom(ctx)
	why, err := s.changeOrder(ctx, r, id, acct, number)
	if err == nil {
		http.Redirect(w, r, conversationPath(id)+"#order-"+url.PathEscape(number), http.StatusSeeOther)
		return
	}
	status := errorStatus(err)
	if status >= 500 {
		s.cfg.Logger.Error("order action failed", "path", r.URL.Path, "err", err)
		why = "Terjadi kesalahan; coba lagi. (Something went wrong.)"
	}
	v := s.newConsoleView(w, r)
	v.Notice = "Pesanan " + number + ": " + why
	if tl, err := s.cfg.Live.Reread(ctx, id); err == nil {
		c := s.convOf(tl, nil, acct.Name, v.FormToken)
		c.Orders = s.orderPanelOf(ctx, tl.Contact.ID, v.FormToken, number, why)
		v.Conv = &c
		v.Canned = s.cannedFor(ctx, tl.Contact)
	}
	if q, err := s.queue(ctx, "", id, acct.Name); err == nil {
		v.Queue = q
	}
	s.renderStaffPage(w, consoleTemplate, v, status)
}

// changeOrder makes the change the form asks of the order number of
// contact id, as acct, by the rules of the orders' API; why is the
// reason to show when it is refused.
func (s *Server) changeOrder(ctx context.Context, r *http.Request, id care.ContactID, acct care.StaffAccount, number string) (why string, err error) {
	refuse := func(code, msg string) (string, error) { return msg, care.Errorf(code, "%s", msg) }
	do := r.PostForm.Get("do")
	ch, ok := orderActions[do]
	var fee int64
	switch {
	case do == "fee" && s.cfg.Fees != nil:
		if fee, ok = rupiahForm(r.PostForm.Get("fee")); !ok {
			return refuse(care.EInvalid, "Tulis ongkirnya dalam rupiah, misalnya 12000. (Write the fee in rupiah.)")
		}
	case !ok:
		return refuse(care.EInvalid, fmt.Sprintf("langkah %q tidak dikenal. (Unknown step.)", clip(do, maxEcho)))
	}
	switch do {
	case "ship":
		ch.Resi = strings.TrimSpace(r.PostForm.Get("resi"))
	case "cancel":
		ch.Reason = strings.TrimSpace(r.PostForm.Get("reason"))
	}
	orders, err := s.cfg.Orders.ContactOrders(ctx, id)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(orders, func(o care.Order) bool { return o.Number == number }) {
		return refuse(care.ENotFound, "pesanan ini bukan milik pelanggan ini. (No such order of this customer.)")
	}
	if acct.Role != care.RoleOwner {
		if err := s.heldFromCaller(r.WithContext(ctx), id, acct.Name); err != nil {
			return "Tidak bisa: " + publicMessage(err), err
		}
	}
	if do == "fee" {
		_, err = s.cfg.Fees.SetOrderFee(ctx, number, fee, acct.Name, s.cfg.PayText)
	} else {
		_, err = s.cfg.Orders.UpdateOrder(ctx, number, func(o care.Order) (care.Order, error) { return o.Apply(ch, acct.Name, s.cfg.Now()) })
	}
	if err != nil {
		return "Tidak bisa: " + publicMessage(err), err
	}
	return "", nil
}

// rupiahForm reads an amount of rupiah typed in a form: 12000, 12.000,
// "Rp 12.000"; false for anything else, or more than 13 digits.
func rupiahForm(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.ToLower(s)), "rp"))
	s = strings.ReplaceAll(s, ".", "")
	if s == "" || len(s) > 13 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// orderTab is a tab of the orders page: a state of any of the three
// kinds, "" for every order.
type orderTab struct {
	State, Label, En string
	Current          bool
}

// orderTabs are the orders page's tabs, in the order the work goes.
var orderTabs = []orderTab{
	{string(care.OrderNew), "Baru", "new", false},
	{string(care.PaymentAwaiting), "Cek pembayaran", "awaiting payment check", false},
	{string(care.PaymentDeposit), "DP dibayar", "down payment paid", false},
	{string(care.PaymentPaid), "Dibayar", "paid", false},
	{string(care.FulfilmentPreparing), "Disiapkan", "preparing", false},
	{string(care.FulfilmentShipped), "Dikirim", "shipped", false},
	{string(care.OrderCompleted), "Selesai", "completed", false},
	{string(care.OrderCancelled), "Dibatalkan", "cancelled", false},
	{"", "Semua", "all", false},
}

// ordersView is the orders page.
type ordersView struct {
	ownerPage
	Tabs []orderTab
	// State is the tab's, "" for every order.
	State string
	Rows  []orderRow
	Shown int
	// Inbox: the rows link to the conversations. Live: the page keeps
	// itself up to date (/console/events?orders=).
	Inbox, Live bool
}

// orderRow is an order in the list.
type orderRow struct {
	orderCard
	Customer string
	Updated  string
}

// ordersPage is GET /console/orders?state=…: the orders in a state (new
// when none is given, "all" for every one), the last changed first.
func (s *Server) ordersPage(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	switch state {
	case "":
		state = string(care.OrderNew)
	case "all":
		state = ""
	default:
		st, err := care.ParseOrderStatus(state)
		if err != nil {
			http.Error(w, publicMessage(err), http.StatusBadRequest)
			return
		}
		state = st
	}
	v := ordersView{ownerPage: s.ownerPage(w, r, "/console/orders", "Pesanan", "orders"), State: state, Shown: ordersShown, Inbox: s.inboxOn(),
		Live: s.ordersLiveOn()}
	if v.Account.Role != care.RoleOwner {
		v.Nav = []navLink{{"/console", "Kotak masuk", "inbox", false}, {"/console/orders", "Pesanan", "orders", true}}
	}
	v.Tabs = slices.Clone(orderTabs)
	for i := range v.Tabs {
		v.Tabs[i].Current = v.Tabs[i].State == state
	}
	rows, err := s.orderRows(r.Context(), state)
	if err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	v.Rows = rows
	s.renderStaffPage(w, ordersTemplate, v, http.StatusOK)
}

// orderRows are the orders in state ("" for all) as the orders page
// lists them, the last changed first, each with its customer's name.
func (s *Server) orderRows(ctx context.Context, state string) ([]orderRow, error) {
	orders, err := s.cfg.Orders.ListOrders(ctx, care.OrderQuery{Status: state, Limit: ordersShown})
	if err != nil {
		return nil, err
	}
	var rows []orderRow
	names := map[care.ContactID]string{}
	for _, o := range orders {
		row := orderRow{orderCard: s.cardOf(o), Updated: s.clock(o.Updated), Customer: "pelanggan yang sudah dihapus"}
		if o.Contact != "" {
			name, ok := names[o.Contact]
			if !ok {
				c, found, err := s.cfg.Contacts.Contact(ctx, o.Contact)
				if err != nil {
					return nil, err
				}
				name = titleOf(c.Name, o.Contact)
				if !found {
					name = "pelanggan yang sudah dihapus"
				}
				names[o.Contact] = name
			}
			row.Customer = name
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// ordersLiveOn reports whether the orders page updates itself: the
// console's live stream runs, and the store marks the orders' changes.
func (s *Server) ordersLiveOn() bool { return s.hub != nil && s.cfg.OrdersLive != nil }

// ordersPayload is the "orders" event: the list of the orders page's
// tab, as the page's script swaps it in.
type ordersPayload struct {
	HTML map[string]template.HTML `json:"html"`
}

// ordersPayloadOf renders the orders page's list of the orders in
// state ("" for all).
func (s *Server) ordersPayloadOf(ctx context.Context, state string) (ordersPayload, error) {
	rows, err := s.orderRows(ctx, state)
	if err != nil {
		return ordersPayload{}, err
	}
	var buf bytes.Buffer
	if err := ordersTemplate.ExecuteTemplate(&buf, "order-rows", ordersView{State: state, Rows: rows, Shown: ordersShown, Inbox: s.inboxOn()}); err != nil {
		return ordersPayload{}, fmt.Errorf("render the orders: %w", err)
	}
	// html/template escaped every value in it.
	return ordersPayload{HTML: map[string]template.HTML{"orders-list": template.HTML(buf.String())}}, nil
}

// ordersTab reads the tab a live request of the orders page lists, from
// its query's orders (a state of any kind, or "all"): listing is false
// when it has none, and a state that does not exist is answered 400.
func ordersTab(w http.ResponseWriter, r *http.Request) (tab string, listing, ok bool) {
	v := r.URL.Query().Get("orders")
	switch v {
	case "":
		return "", false, true
	case "all":
		return "", true, true
	}
	st, err := care.ParseOrderStatus(v)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "orders: "+publicMessage(err))
		return "", false, false
	}
	return st, true, true
}

// proofURL is a proof of payment that is a web address, "" for a media
// reference or a file path (shown as text).
func proofURL(proof string) string {
	u, err := url.Parse(proof)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return proof
}
