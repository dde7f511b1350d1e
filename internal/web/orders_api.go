package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mitra-care/mitra/internal/care"
)

// The orders' JSON API, under the same authentication as the inbox's
// (apiAuth): every account lists and reads the orders and changes their
// states, each change by the order's rules (a transition that makes no
// sense is 409 with the reason) and told to the customer through the
// gate. A staff account does not change the orders of a customer whose
// conversation another staff member holds: that person is talking to
// them and may be promising something else; the owner may, and so may
// anyone while the bot, nobody yet or the shop's phone answers.

// routeOrders serves the orders' JSON API when the server has their
// store.
func (s *Server) routeOrders() {
	if s.cfg.Orders == nil || s.cfg.Contacts == nil {
		return
	}
	s.mux.HandleFunc("GET /api/v1/orders", s.api(care.RoleStaff, s.apiOrders))
	s.mux.HandleFunc("/api/v1/orders", methodsOnly(http.MethodGet))
	s.mux.HandleFunc("GET /api/v1/orders/{number}", s.api(care.RoleStaff, s.apiOrder))
	s.mux.HandleFunc("/api/v1/orders/{number}", methodsOnly(http.MethodGet))
	s.mux.HandleFunc("POST /api/v1/orders/{number}/status", s.api(care.RoleStaff, s.apiOrderStatus))
	s.mux.HandleFunc("/api/v1/orders/{number}/status", methodsOnly(http.MethodPost))
	if s.cfg.Fees != nil {
		s.mux.HandleFunc("POST /api/v1/orders/{number}/fee", s.api(care.RoleStaff, s.apiOrderFee))
		s.mux.HandleFunc("/api/v1/orders/{number}/fee", methodsOnly(http.MethodPost))
	}
	s.routeOrderPages()
}

// apiOrders is GET /api/v1/orders?state=…&limit=…: the orders in a
// state of any of the three kinds (new, paid, shipped…, or the
// Indonesian word), every order when none is given, the last changed
// first.
func (s *Server) apiOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := care.OrderQuery{Limit: apiListDefault}
	if v := q.Get("state"); v != "" {
		st, err := care.ParseOrderStatus(v)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, publicMessage(err))
			return
		}
		query.Status = st
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiListMax {
			writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want 1 to %d", clip(v, maxEcho), apiListMax))
			return
		}
		query.Limit = n
	}
	orders, err := s.cfg.Orders.ListOrders(r.Context(), query)
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": orEmpty(orders)})
}

// apiOrder is GET /api/v1/orders/{number}: one order, with its history.
func (s *Server) apiOrder(w http.ResponseWriter, r *http.Request) {
	o, err := s.cfg.Orders.Order(r.Context(), r.PathValue("number"))
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": o})
}

// noticeJSON is the message queued to tell the customer of a change.
type noticeJSON struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// apiOrderStatus is POST /api/v1/orders/{number}/status with
// {"order": …, "payment": …, "fulfilment": …, "resi": …, "reason": …}
// (each optional, at least one state or a resi): the states change at
// once, by the caller, and the answer holds the order and the notice
// queued for the customer (null when nothing they need to hear
// changed). Refused: 400 an unknown state or nothing to change, 404 no
// such order, 409 a transition that makes no sense (with why) or an
// order of a customer another staff member holds.
func (s *Server) apiOrderStatus(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Order      string `json:"order"`
		Payment    string `json:"payment"`
		Fulfilment string `json:"fulfilment"`
		Resi       string `json:"resi"`
		Reason     string `json:"reason"`
	}
	if !readJSON(w, r, &body, false) {
		return
	}
	var ch care.OrderChange
	for _, f := range []struct {
		name, value string
		set         func(string) bool
	}{
		{"order", body.Order, func(st string) bool { ch.Order = care.OrderState(st); return ch.Order.Valid() }},
		{"payment", body.Payment, func(st string) bool { ch.Payment = care.PaymentState(st); return ch.Payment.Valid() }},
		{"fulfilment", body.Fulfilment, func(st string) bool { ch.Fulfilment = care.FulfilmentState(st); return ch.Fulfilment.Valid() }},
	} {
		if f.value == "" {
			continue
		}
		st, err := care.ParseOrderStatus(f.value)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, f.name+": "+publicMessage(err))
			return
		}
		if !f.set(st) {
			writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("%s %q: that is not a state of the %s", f.name, clip(f.value, maxEcho), f.name))
			return
		}
	}
	ch.Resi, ch.Reason = strings.TrimSpace(body.Resi), body.Reason
	if ch.Order == "" && ch.Payment == "" && ch.Fulfilment == "" && ch.Resi == "" {
		writeJSONError(w, http.StatusBadRequest, `nothing to change: send {"order": …, "payment": …, "fulfilment": …, "resi": …}`)
		return
	}
	ctx, number := r.Context(), r.PathValue("number")
	acct, _ := staffFrom(ctx)
	if !s.mayChangeOrder(w, r, acct, number) {
		return
	}
	u, err := s.cfg.Orders.UpdateOrder(ctx, number, func(o care.Order) (care.Order, error) { return o.Apply(ch, acct.Name, s.cfg.Now()) })
	s.writeOrderUpdate(w, r, u, err)
}

// mayChangeOrder reports whether acct may change the order number (a
// staff account not the orders of a customer another one holds),
// answering the refusal when not.
func (s *Server) mayChangeOrder(w http.ResponseWriter, r *http.Request, acct care.StaffAccount, number string) bool {
	if acct.Role == care.RoleOwner {
		return true
	}
	o, err := s.cfg.Orders.Order(r.Context(), number)
	if err == nil {
		err = s.heldFromCaller(r, o.Contact, acct.Name)
	}
	if err != nil {
		s.apiError(w, r, 0, err)
		return false
	}
	return true
}

// writeOrderUpdate answers a change of an order: the order and the
// notice queued for the customer (null when nothing they need to hear
// changed), or the error.
func (s *Server) writeOrderUpdate(w http.ResponseWriter, r *http.Request, u care.OrderUpdate, err error) {
	if err != nil {
		s.apiError(w, r, 0, err)
		return
	}
	var notice *noticeJSON
	if m := u.Notice; m != nil {
		notice = &noticeJSON{ID: m.ID, Text: m.Text}
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": u.Order, "notice": notice})
}

// apiOrderFee is POST /api/v1/orders/{number}/fee with {"fee": 12000}:
// the delivery fee in whole rupiah, set by the caller — of an order
// filed with its fee not known (an address in no delivery area), or a
// correction — and the customer told the fee, the new total and how to
// pay. Refused: 400 no fee or one below 0 or too large, 404 no such
// order, 409 an order whose total does not change any more (a pickup,
// paid, shipped, completed or cancelled; a COD order its customer was
// asked to confirm) or of a customer another staff member holds.
func (s *Server) apiOrderFee(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Fee *int64 `json:"fee"`
	}
	if !readJSON(w, r, &body, false) {
		return
	}
	if body.Fee == nil {
		writeJSONError(w, http.StatusBadRequest, `no fee: send {"fee": 12000}, whole rupiah`)
		return
	}
	ctx, number := r.Context(), r.PathValue("number")
	acct, _ := staffFrom(ctx)
	if !s.mayChangeOrder(w, r, acct, number) {
		return
	}
	u, err := s.cfg.Fees.SetOrderFee(ctx, number, *body.Fee, acct.Name, s.cfg.PayText)
	s.writeOrderUpdate(w, r, u, err)
}

// heldFromCaller is EConflict when another staff member holds the
// conversation of customer id (nil for an order kept for the books,
// without a customer).
func (s *Server) heldFromCaller(r *http.Request, id care.ContactID, staff string) error {
	if id == "" {
		return nil
	}
	c, ok, err := s.cfg.Contacts.Contact(r.Context(), id)
	if err != nil || !ok {
		return err
	}
	if h := c.Handover; h.State == care.StateHeld && h.Holder != care.ShopPhone && !strings.EqualFold(h.Holder, staff) {
		return care.Errorf(care.EConflict, "%s holds this customer's conversation: only they or the owner change their orders now", h.Holder)
	}
	return nil
}
