package care

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// An order is a record the shop keeps: what the customer ordered, at
// what price, and where it stands. Where it stands is three states kept
// apart, because they move apart: the order itself (is the shop doing
// it?), its payment (has the money come?) and its fulfilment (where are
// the goods?). Each moves only by a transition that makes sense, and
// every move is recorded in the order's history with who made it.

// OrderID identifies an order in Mitra's records: "o" and 16 random
// base32 letters. Customers and staff use the order's Number instead.
type OrderID string

// orderIDLen is the length of an OrderID: "o" and 16 letters.
const orderIDLen = 17

// NewOrderID returns a fresh random OrderID.
func NewOrderID() OrderID {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return OrderID("o" + strings.ToLower(base32.StdEncoding.EncodeToString(b)))
}

// Validate reports why id is not an OrderID.
func (id OrderID) Validate() error {
	if len(id) != orderIDLen || id[0] != 'o' {
		return Errorf(EInvalid, "order id %q: want o and 16 letters", clipName(string(id)))
	}
	for _, r := range id[1:] {
		if !('a' <= r && r <= 'z' || '2' <= r && r <= '7') {
			return Errorf(EInvalid, "order id %q: want o and 16 letters", clipName(string(id)))
		}
	}
	return nil
}

// OrderState is where the order itself stands: is the shop doing it?
type OrderState string

// The states of an order.
const (
	// OrderNew: placed by the customer, not yet confirmed by the shop.
	OrderNew OrderState = "new"
	// OrderConfirmed: the shop accepted it (stock, price, delivery fee).
	OrderConfirmed OrderState = "confirmed"
	// OrderCompleted: paid (or COD) and received; final.
	OrderCompleted OrderState = "completed"
	// OrderCancelled: it will not be done; final.
	OrderCancelled OrderState = "cancelled"
)

// orderStates lists the order states, in their usual sequence.
var orderStates = []OrderState{OrderNew, OrderConfirmed, OrderCompleted, OrderCancelled}

// Valid reports whether s is an order state.
func (s OrderState) Valid() bool { return slices.Contains(orderStates, s) }

// final reports whether nothing about the order changes any more.
func (s OrderState) final() bool { return s == OrderCompleted || s == OrderCancelled }

// PaymentState is where the order's payment stands.
type PaymentState string

// The states of a payment.
const (
	// PaymentUnpaid: nothing received yet (transfer or QRIS).
	PaymentUnpaid PaymentState = "unpaid"
	// PaymentAwaiting: the customer says they paid (a proof came); the
	// shop has to check.
	PaymentAwaiting PaymentState = "awaiting"
	// PaymentDeposit: the shop has a pre-order's down payment (DP); the
	// balance (pelunasan, Order.Balance) is still due.
	PaymentDeposit PaymentState = "dp_paid"
	// PaymentPaid: the shop has the money.
	PaymentPaid PaymentState = "paid"
	// PaymentCOD: paid in cash on delivery or at pickup; an order whose
	// method is COD starts so.
	PaymentCOD PaymentState = "cod"
)

// paymentStates lists the payment states.
var paymentStates = []PaymentState{PaymentUnpaid, PaymentAwaiting, PaymentDeposit, PaymentPaid, PaymentCOD}

// Valid reports whether s is a payment state.
func (s PaymentState) Valid() bool { return slices.Contains(paymentStates, s) }

// settled reports whether the payment lets the order complete.
func (s PaymentState) settled() bool { return s == PaymentPaid || s == PaymentCOD }

// FulfilmentState is where the order's goods are. It is empty until the
// shop starts preparing them.
type FulfilmentState string

// The states of fulfilment.
const (
	// FulfilmentPreparing: the shop is packing it.
	FulfilmentPreparing FulfilmentState = "preparing"
	// FulfilmentShipped: handed to a courier, with a resi (tracking
	// number).
	FulfilmentShipped FulfilmentState = "shipped"
	// FulfilmentDelivered: the customer received it; final.
	FulfilmentDelivered FulfilmentState = "delivered"
	// FulfilmentPickedUp: the customer collected it at the shop; final.
	FulfilmentPickedUp FulfilmentState = "picked_up"
)

// fulfilmentStates lists the fulfilment states, in their usual
// sequence.
var fulfilmentStates = []FulfilmentState{FulfilmentPreparing, FulfilmentShipped, FulfilmentDelivered, FulfilmentPickedUp}

// Valid reports whether s is a fulfilment state (not the empty "not
// started").
func (s FulfilmentState) Valid() bool { return slices.Contains(fulfilmentStates, s) }

// received reports whether the customer has the goods.
func (s FulfilmentState) received() bool {
	return s == FulfilmentDelivered || s == FulfilmentPickedUp
}

// stateLabels are the Indonesian words for the states, as the shop's
// staff say them; ParseOrderStatus accepts them too.
var stateLabels = map[string]string{
	string(OrderNew): "baru", string(OrderConfirmed): "dikonfirmasi", string(OrderCompleted): "selesai", string(OrderCancelled): "dibatalkan",
	string(PaymentUnpaid): "belum dibayar", string(PaymentAwaiting): "menunggu konfirmasi", string(PaymentDeposit): "DP dibayar", string(PaymentPaid): "dibayar", string(PaymentCOD): "COD",
	string(FulfilmentPreparing): "disiapkan", string(FulfilmentShipped): "dikirim", string(FulfilmentDelivered): "diterima", string(FulfilmentPickedUp): "diambil",
}

// StatusLabel is the Indonesian word for a state of any of the three
// kinds ("dibayar" for paid); "belum diproses" for a fulfilment not
// started.
func StatusLabel(status string) string {
	if status == "" {
		return "belum diproses"
	}
	if l, ok := stateLabels[status]; ok {
		return l
	}
	return status
}

// OrderStatuses lists every state of the three kinds, order states
// first: the names ParseOrderStatus returns.
func allStatuses() []string {
	var out []string
	for _, s := range orderStates {
		out = append(out, string(s))
	}
	for _, s := range paymentStates {
		out = append(out, string(s))
	}
	for _, s := range fulfilmentStates {
		out = append(out, string(s))
	}
	return out
}

// ParseOrderStatus reads a state of any of the three kinds by its name
// (paid, picked_up) or its Indonesian word (dibayar, "menunggu
// konfirmasi"), in any case, with spaces, '-' or '_' between words. The
// names of the three kinds differ, so the name says which kind it is.
func ParseOrderStatus(s string) (string, error) {
	norm := statusKey(s)
	for _, name := range allStatuses() {
		if norm == name || norm == statusKey(stateLabels[name]) {
			return name, nil
		}
	}
	return "", Errorf(EInvalid, "unknown status %q: want one of %s", clipName(s), strings.Join(allStatuses(), ", "))
}

// statusKey is s lower-cased with its words joined by '_'.
func statusKey(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
}

// PaymentMethod is how the customer pays.
type PaymentMethod string

// The payment methods.
const (
	MethodTransfer PaymentMethod = "transfer" // a bank transfer
	MethodQRIS     PaymentMethod = "qris"     // Indonesia's QR payment standard
	MethodCOD      PaymentMethod = "cod"      // cash on delivery or at pickup
)

// Valid reports whether m is a payment method.
func (m PaymentMethod) Valid() bool { return m == MethodTransfer || m == MethodQRIS || m == MethodCOD }

// OrderLine is one item of an order, at its price when it was ordered.
type OrderLine struct {
	// Item is the catalog's id of the item; Name how it was shown.
	Item string `json:"item,omitempty"`
	Name string `json:"name"`
	// Qty is how many Units ("1.5" kg).
	Qty  float64 `json:"qty"`
	Unit string  `json:"unit,omitempty"`
	// Price is the price of one Unit in rupiah at order time.
	Price int64 `json:"price"`
	// Preorder: the item is made to order, and the line counts
	// against its quota (OrderBook.Booked) until the order is
	// cancelled, as a line of an item whose stock is counted does.
	Preorder bool `json:"preorder,omitempty"`
}

// Amount is the line's price in rupiah: Qty × Price, rounded.
func (l OrderLine) Amount() int64 { return int64(math.Round(l.Qty * float64(l.Price))) }

// OrderDelivery is where the goods go: picked up at the shop, or
// delivered to an address.
type OrderDelivery struct {
	Pickup bool `json:"pickup,omitempty"`
	// Recipient, Phone and Address are who receives a delivery and
	// where: personal data, which an erasure removes.
	Recipient string `json:"recipient,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Address   string `json:"address,omitempty"`
	// Area is the delivery area the fee was set by (a district, a
	// zone): kept for the books after an erasure.
	Area string `json:"area,omitempty"`
}

// PreOrder is what a pre-order adds: a down payment and when the goods
// will be ready.
type PreOrder struct {
	// Deposit is the down payment (DP) in rupiah.
	Deposit int64 `json:"deposit"`
	// Ready is the day the goods are expected.
	Ready time.Time `json:"ready,omitzero"`
}

// Feedback is what a customer said of an order they received: a score
// and, if they liked, a comment.
type Feedback struct {
	// Asked is when they were asked how it was.
	Asked time.Time `json:"asked"`
	// Score is 1 (not happy at all) to 5 (very happy); 0 until they
	// answer.
	Score int `json:"score,omitempty"`
	// Comment is their words, kept until they erase their data.
	Comment string `json:"comment,omitempty"`
	// At is when they answered; zero until then.
	At time.Time `json:"at,omitzero"`
}

// OrderField is what an entry of an order's history changed.
type OrderField string

// The fields an OrderEvent changes.
const (
	FieldOrder      OrderField = "order"
	FieldPayment    OrderField = "payment"
	FieldFulfilment OrderField = "fulfilment"
	// FieldProof: a proof of payment was attached (no state changes by
	// itself).
	FieldProof OrderField = "proof"
	// FieldCOD: the customer confirmed a cash-on-delivery order before
	// it ships (no state changes by itself).
	FieldCOD OrderField = "cod_confirmed"
	// FieldBalanceReminder: the customer was reminded of a pre-order's
	// balance (pelunasan) before it is ready, once (no state changes by
	// itself).
	FieldBalanceReminder OrderField = "balance_reminded"
)

// OrderEvent is one change of an order: who, when, which state from
// what to what, and why.
type OrderEvent struct {
	At   time.Time  `json:"at"`
	By   string     `json:"by"`
	What OrderField `json:"what"`
	From string     `json:"from,omitempty"`
	To   string     `json:"to,omitempty"`
	// Resi is the tracking number given with a shipment (or its
	// correction).
	Resi   string `json:"resi,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Order is an order as the shop keeps it.
type Order struct {
	ID OrderID `json:"id"`
	// Version counts writes; a write succeeds only over the version that
	// was read (compare-and-set).
	Version int64 `json:"-"`
	// Number is what people call it: the shop's prefix and a counter
	// ("WBS-0142").
	Number string `json:"number"`
	// Contact is the customer; empty once they erased their data (the
	// order is then kept for the books alone).
	Contact  ContactID   `json:"contact,omitempty"`
	Lines    []OrderLine `json:"lines"`
	Subtotal int64       `json:"subtotal"`
	// DeliveryFee is the ongkir; Total is Subtotal and DeliveryFee.
	DeliveryFee int64 `json:"delivery_fee"`
	// FeePending: the fee is not known yet (an address in no delivery
	// area); DeliveryFee is 0 until staff set it (SetFee).
	FeePending bool          `json:"fee_pending,omitempty"`
	Total      int64         `json:"total"`
	Delivery   OrderDelivery `json:"delivery"`
	Method     PaymentMethod `json:"method"`
	// State, Payment and Fulfilment are where it stands; see the types.
	State      OrderState      `json:"state"`
	Payment    PaymentState    `json:"payment"`
	Fulfilment FulfilmentState `json:"fulfilment,omitempty"`
	Created    time.Time       `json:"created"`
	Updated    time.Time       `json:"updated"`
	// Note is the customer's note with the order.
	Note string `json:"note,omitempty"`
	// Placed is the id of the customer's message that placed the order
	// in the chat ("" for one filed otherwise): should that message be
	// processed again, the order it placed is found, not filed twice.
	Placed string `json:"placed,omitempty"`
	// Proof is the proof of payment: a media reference or a file path.
	Proof string `json:"proof,omitempty"`
	// Resi is the courier's tracking number of a shipped order.
	Resi     string    `json:"resi,omitempty"`
	PreOrder *PreOrder `json:"pre_order,omitempty"`
	// Feedback is what the customer said of the order once they had
	// it; nil until they were asked.
	Feedback *Feedback `json:"feedback,omitempty"`
	// CODAsked is when the customer was asked to confirm a COD order
	// that ships (see ConfirmCOD); zero until then.
	CODAsked time.Time `json:"cod_asked,omitzero"`
	// History is every change, oldest first.
	History []OrderEvent `json:"history,omitempty"`
	// Erased is when the customer erased their data; zero while they
	// have not. An erased order keeps only the shop's bookkeeping.
	Erased time.Time `json:"erased,omitzero"`
}

// Bounds of an order.
const (
	// maxOrderLines bounds the lines of one order.
	maxOrderLines = 100
	// maxOrderHistory bounds the changes of one order: far more than
	// any order needs, so a loop that keeps changing one stops.
	maxOrderHistory = 100
	// maxOrderText bounds a note or an address, in characters.
	maxOrderText = 1000
	// maxOrderField bounds a name, a unit, a resi, a reason or a by.
	maxOrderField = 200
	// maxProof bounds a proof's reference, in bytes.
	maxProof = 512
	// maxPrice bounds a price or a fee in rupiah (a trillion), and
	// maxQty a quantity, so no total overflows.
	maxPrice = 1_000_000_000_000
	maxQty   = 1_000_000
)

// Prepare checks a new order (its customer and Tidy) and returns it
// with its first states set: new, unpaid (or COD when paid on
// delivery), fulfilment not started, no proof, resi or history.
// Identity, number and times are the store's to set.
func (o Order) Prepare() (Order, error) {
	if err := o.Contact.Validate(); err != nil {
		return Order{}, err
	}
	out, err := o.Tidy()
	if err != nil {
		return Order{}, err
	}
	if err := out.checkFeePending(); err != nil {
		return Order{}, err
	}
	out.State, out.Payment, out.Fulfilment = OrderNew, PaymentUnpaid, ""
	if o.Method == MethodCOD {
		out.Payment = PaymentCOD
	}
	out.Proof, out.Resi, out.History, out.Erased = "", "", nil, time.Time{}
	return out, nil
}

// Tidy checks an order's content (lines, amounts, method, delivery,
// note, down payment) and returns it cleaned, with its subtotal and
// total computed from its lines and delivery fee.
func (o Order) Tidy() (Order, error) {
	if len(o.Lines) == 0 || len(o.Lines) > maxOrderLines {
		return Order{}, Errorf(EInvalid, "an order has 1 to %d lines", maxOrderLines)
	}
	if !o.Method.Valid() {
		return Order{}, Errorf(EInvalid, "payment method %q: want transfer, qris or cod", clipName(string(o.Method)))
	}
	out := o
	out.Lines = slices.Clone(o.Lines)
	out.Subtotal = 0
	for i, l := range out.Lines {
		var err error
		if l.Name, err = orderText(l.Name, "item name", maxOrderField, true); err != nil {
			return Order{}, err
		}
		if l.Unit, err = orderText(l.Unit, "unit", maxOrderField, false); err != nil {
			return Order{}, err
		}
		if l.Item, err = orderText(l.Item, "item id", maxOrderField, false); err != nil {
			return Order{}, err
		}
		if !(l.Qty > 0 && l.Qty <= maxQty) {
			return Order{}, Errorf(EInvalid, "line %d (%s): quantity %v; want more than 0, at most %d", i+1, l.Name, l.Qty, maxQty)
		}
		if l.Price < 0 || l.Price > maxPrice {
			return Order{}, Errorf(EInvalid, "line %d (%s): price %d; want 0 to %d rupiah", i+1, l.Name, l.Price, int64(maxPrice))
		}
		out.Lines[i] = l
		out.Subtotal += l.Amount()
	}
	if o.DeliveryFee < 0 || o.DeliveryFee > maxPrice {
		return Order{}, Errorf(EInvalid, "delivery fee %d: want 0 to %d rupiah", o.DeliveryFee, int64(maxPrice))
	}
	out.Total = out.Subtotal + out.DeliveryFee
	d := &out.Delivery
	for _, f := range []struct {
		v    *string
		what string
		max  int
	}{{&d.Recipient, "recipient", maxOrderField}, {&d.Phone, "phone", maxOrderField}, {&d.Address, "address", maxOrderText},
		{&d.Area, "area", maxOrderField}, {&out.Note, "note", maxOrderText}} {
		var err error
		if *f.v, err = orderText(*f.v, f.what, f.max, false); err != nil {
			return Order{}, err
		}
	}
	if p := o.PreOrder; p != nil && (p.Deposit < 0 || p.Deposit > out.PreorderAmount()) {
		return Order{}, Errorf(EInvalid, "down payment %d: want 0 to what the pre-order lines cost, %d", p.Deposit, out.PreorderAmount())
	}
	return out, nil
}

// orderText cleans a text of an order and checks its length.
func orderText(s, what string, max int, required bool) (string, error) {
	if n := utf8.RuneCountInString(strings.TrimSpace(s)); n > max {
		return "", Errorf(EInvalid, "%s of %d characters; at most %d", what, n, max)
	}
	clean, _ := CleanText(s, max)
	if required && clean == "" {
		return "", Errorf(EInvalid, "empty %s", what)
	}
	return clean, nil
}

// OrderChange asks for new states; an empty field leaves its state as
// it is.
type OrderChange struct {
	Order      OrderState
	Payment    PaymentState
	Fulfilment FulfilmentState
	// Resi is the tracking number: required to ship a delivery, or
	// alone to correct the resi of a shipped order.
	Resi string
	// Reason says why, to the customer too: required to take a payment
	// back to unpaid, told with a cancellation.
	Reason string
}

// refused is the error of a transition that makes no sense.
func refused(format string, args ...any) error { return Errorf(EConflict, format, args...) }

// CheckOrder reports why the order cannot move to state to (EConflict
// with the reason; EInvalid for a state that does not exist); nil when
// it can, or is there already. An order never goes back to new; a
// completed or cancelled one never changes; completing needs the
// payment settled (paid or COD) and the goods received; one received
// cannot be cancelled.
func (o Order) CheckOrder(to OrderState) error {
	if !to.Valid() {
		return Errorf(EInvalid, "unknown order state %q: want new, confirmed, completed or cancelled", clipName(string(to)))
	}
	if to == o.State {
		return nil
	}
	if o.State.final() {
		return refused("order %s is %s: it does not change any more", o.Number, o.State)
	}
	switch to {
	case OrderNew:
		return refused("order %s is %s: an order never goes back to new", o.Number, o.State)
	case OrderCompleted:
		if o.State == OrderNew {
			return refused("order %s is not confirmed yet: confirm it first", o.Number)
		}
		var missing []string
		if !o.Payment.settled() {
			missing = append(missing, "it is not paid (payment "+string(o.Payment)+")")
		}
		if !o.Fulfilment.received() {
			missing = append(missing, "the customer does not have it yet (fulfilment "+fulfilmentName(o.Fulfilment)+")")
		}
		if len(missing) > 0 {
			return refused("order %s cannot be completed: %s", o.Number, strings.Join(missing, " and "))
		}
	case OrderCancelled:
		if o.Fulfilment.received() {
			return refused("order %s was %s already: it cannot be cancelled", o.Number, strings.ReplaceAll(string(o.Fulfilment), "_", " "))
		}
	}
	return nil
}

// fulfilmentName is s's name, "not started" for none.
func fulfilmentName(s FulfilmentState) string {
	if s == "" {
		return "not started"
	}
	return string(s)
}

// CheckPayment reports why the payment cannot move to state to, given
// reason (see CheckOrder for the errors). The payment of a completed or
// cancelled order does not change; COD is chosen with the order, never
// set later, and a COD order only becomes paid; a paid order does not
// await confirmation again; only an order with a down payment has its
// DP paid; taking a payment back (to unpaid, or from paid in full or a
// balance being checked to the DP alone: a proof that did not check
// out, a transfer reversed) needs a reason, which the customer is told.
func (o Order) CheckPayment(to PaymentState, reason string) error {
	if !to.Valid() {
		return Errorf(EInvalid, "unknown payment state %q: want unpaid, awaiting, dp_paid, paid or cod", clipName(string(to)))
	}
	if to == o.Payment {
		return nil
	}
	if o.State.final() {
		return refused("order %s is %s: its payment does not change any more", o.Number, o.State)
	}
	switch {
	case to == PaymentCOD:
		return refused("order %s is paid by %s: COD is chosen when ordering", o.Number, o.Method)
	case o.Payment == PaymentCOD && to != PaymentPaid:
		return refused("order %s is paid on delivery (COD): it can only become paid", o.Number)
	case o.Payment == PaymentPaid && to == PaymentAwaiting:
		return refused("order %s is paid already", o.Number)
	case to == PaymentDeposit && (o.PreOrder == nil || o.PreOrder.Deposit <= 0):
		return refused("order %s has no down payment (DP): mark it paid", o.Number)
	case to == PaymentUnpaid && strings.TrimSpace(reason) == "":
		return refused("order %s is %s: say why the payment goes back to unpaid (the customer is told)", o.Number, o.Payment)
	case to == PaymentDeposit && (o.Payment == PaymentPaid || o.AwaitingBalance()) && strings.TrimSpace(reason) == "":
		return refused("order %s is %s: say why only the DP counts as paid (the customer is told)", o.Number, o.Payment)
	}
	return nil
}

// AwaitingBalance reports whether the order awaits the check of a
// proof sent after its DP was paid: the proof of the balance.
func (o Order) AwaitingBalance() bool {
	if o.Payment != PaymentAwaiting {
		return false
	}
	for i := len(o.History) - 1; i >= 0; i-- {
		if e := o.History[i]; e.What == FieldPayment {
			return e.To == string(PaymentAwaiting) && e.From == string(PaymentDeposit)
		}
	}
	return false
}

// SplitDue splits what the customer pays for an order of total, whose
// pre-order lines cost preorder of which deposit is paid ahead (the
// DP): now, when it is placed — the DP, the delivery fee and any other
// lines — and the balance (pelunasan), the rest of the pre-order lines,
// when they are ready. Without a down payment all of it is due now.
// The rekap (catalog.Quote) and the order (Order.DueNow, Order.Balance)
// both split by it.
func SplitDue(total, preorder, deposit int64) (now, balance int64) {
	if deposit <= 0 {
		return total, 0
	}
	balance = max(preorder-deposit, 0)
	return total - balance, balance
}

// PreorderAmount is what the order's pre-order lines cost.
func (o Order) PreorderAmount() int64 {
	var n int64
	for _, l := range o.Lines {
		if l.Preorder {
			n += l.Amount()
		}
	}
	return n
}

// deposit is the order's down payment; 0 without one.
func (o Order) deposit() int64 {
	if o.PreOrder == nil {
		return 0
	}
	return o.PreOrder.Deposit
}

// DueNow is what the customer pays when the order is placed (SplitDue):
// the total, or for a pre-order with a down payment the DP, the
// delivery fee and the other lines.
func (o Order) DueNow() int64 {
	now, _ := SplitDue(o.Total, o.PreorderAmount(), o.deposit())
	return now
}

// BalanceBase is the balance (pelunasan) as the order was placed: the
// pre-order lines less the DP (SplitDue); 0 without a down payment.
func (o Order) BalanceBase() int64 {
	_, b := SplitDue(o.Total, o.PreorderAmount(), o.deposit())
	return b
}

// Balance is what is left to pay of a pre-order once its down payment
// is in (the pelunasan): BalanceBase, and the difference of a delivery
// fee changed since the money came in (FeePaid), never below 0; 0 for
// an order without a down payment.
func (o Order) Balance() int64 {
	if o.deposit() <= 0 {
		return 0
	}
	b := o.BalanceBase()
	if fee, ok := o.FeePaid(); ok {
		b += o.DeliveryFee - fee
	}
	return max(b, 0)
}

// FeePaid is the delivery fee the money that came in was reckoned
// with: the fee (0 while it was not known) when the payment last left
// unpaid — a proof sent, the DP or the whole marked paid. ok is false
// while nothing came in (unpaid, or COD).
func (o Order) FeePaid() (fee int64, ok bool) {
	if o.Payment == PaymentUnpaid || o.Payment == PaymentCOD {
		return 0, false
	}
	at := -1
	for i, e := range o.History {
		if e.What == FieldPayment && e.From == string(PaymentUnpaid) {
			at = i
		}
	}
	if at < 0 {
		return 0, false
	}
	for _, e := range o.History[at+1:] {
		if e.What == FieldFee {
			// The first change after it says what the fee was then.
			fee, _ = strconv.ParseInt(e.From, 10, 64) // "" (not known) is 0
			return fee, true
		}
	}
	return o.DeliveryFee, true
}

// BalanceReminded reports whether the customer was reminded of the
// order's balance (RemindBalance).
func (o Order) BalanceReminded() bool {
	return slices.ContainsFunc(o.History, func(e OrderEvent) bool { return e.What == FieldBalanceReminder })
}

// RemindBalance returns the order with the reminder of its balance (by
// whom, at) in the history: once per order, only while its DP is paid
// and the balance is not, and it is neither completed nor cancelled.
func (o Order) RemindBalance(by string, at time.Time) (Order, error) {
	by, err := changedBy(by)
	if err != nil {
		return Order{}, err
	}
	return o.step(OrderEvent{At: at, By: by, What: FieldBalanceReminder})
}

// CheckFulfilment reports why the goods cannot move to state to, with
// resi the tracking number given now (see CheckOrder for the errors).
// Only a confirmed order is prepared, shipped or handed over; goods
// received never go back; a delivery is shipped with a resi to its
// address before it is delivered, a pickup is picked up and never
// shipped. Shipping again with another resi corrects the resi.
func (o Order) CheckFulfilment(to FulfilmentState, resi string) error {
	if !to.Valid() {
		return Errorf(EInvalid, "unknown fulfilment state %q: want preparing, shipped, delivered or picked_up", clipName(string(to)))
	}
	if to == o.Fulfilment && (to != FulfilmentShipped || resi == "" || resi == o.Resi) {
		return nil
	}
	switch o.State {
	case OrderNew:
		return refused("order %s is not confirmed yet: confirm it before it is %s", o.Number, fulfilmentVerb(to))
	case OrderCancelled, OrderCompleted:
		return refused("order %s is %s: it cannot be %s", o.Number, o.State, fulfilmentVerb(to))
	}
	if o.Fulfilment.received() {
		return refused("order %s was %s already: that does not change", o.Number, fulfilmentVerb(o.Fulfilment))
	}
	switch to {
	case FulfilmentPreparing:
		if o.Fulfilment == FulfilmentShipped {
			return refused("order %s was shipped already (resi %s)", o.Number, o.Resi)
		}
	case FulfilmentShipped:
		switch {
		case o.Delivery.Pickup:
			return refused("order %s is picked up at the shop, not shipped", o.Number)
		case o.Method == MethodCOD && !o.CODConfirmed():
			return refused("order %s is paid on delivery (COD): the customer has not confirmed it yet (they are asked once it is confirmed)", o.Number)
		case resi == "" && o.Resi == "":
			return refused("shipping order %s needs a resi (the courier's tracking number)", o.Number)
		case o.Delivery.Address == "":
			return refused("order %s has no delivery address", o.Number)
		}
	case FulfilmentDelivered:
		if o.Delivery.Pickup {
			return refused("order %s is picked up at the shop: it is picked_up, not delivered", o.Number)
		}
		if o.Fulfilment != FulfilmentShipped {
			return refused("order %s was not shipped yet: ship it with a resi first", o.Number)
		}
	case FulfilmentPickedUp:
		if !o.Delivery.Pickup {
			return refused("order %s is delivered to an address: it is delivered, not picked up", o.Number)
		}
	}
	return nil
}

// fulfilmentVerb is a fulfilment state as a past participle.
func fulfilmentVerb(s FulfilmentState) string {
	if s == FulfilmentPreparing {
		return "prepared"
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

// Apply returns the order after ch, made by by at at, each change
// recorded in the history: the payment first, then the fulfilment, then
// the order, so that one change may pay, deliver and complete. A state
// that is there already changes nothing; a transition that makes no
// sense refuses the whole change (EConflict with the reason, see
// CheckOrder, CheckPayment and CheckFulfilment).
func (o Order) Apply(ch OrderChange, by string, at time.Time) (Order, error) {
	by, err := changedBy(by)
	if err != nil {
		return Order{}, err
	}
	if ch.Resi, err = orderText(ch.Resi, "resi", maxOrderField, false); err != nil {
		return Order{}, err
	}
	if ch.Reason, err = orderText(ch.Reason, "reason", maxOrderField, false); err != nil {
		return Order{}, err
	}
	var events []OrderEvent
	if ch.Payment != "" && ch.Payment != o.Payment {
		events = append(events, OrderEvent{What: FieldPayment, From: string(o.Payment), To: string(ch.Payment), Reason: ch.Reason})
	}
	ful := ch.Fulfilment
	if ful == "" && ch.Resi != "" {
		// A resi alone corrects the resi of a shipped order.
		if o.Fulfilment != FulfilmentShipped {
			return Order{}, refused("order %s is not shipped: ship it with the resi", o.Number)
		}
		ful = FulfilmentShipped
	}
	if ch.Resi != "" && ful != FulfilmentShipped {
		return Order{}, Errorf(EInvalid, "a resi goes with shipped, not %s", ful)
	}
	if ful != "" && (ful != o.Fulfilment || ful == FulfilmentShipped && ch.Resi != "" && ch.Resi != o.Resi) {
		events = append(events, OrderEvent{What: FieldFulfilment, From: string(o.Fulfilment), To: string(ful), Resi: ch.Resi})
	}
	if ch.Order != "" && ch.Order != o.State {
		events = append(events, OrderEvent{What: FieldOrder, From: string(o.State), To: string(ch.Order), Reason: ch.Reason})
	}
	for _, e := range events {
		e.At, e.By = at, by
		if o, err = o.step(e); err != nil {
			return Order{}, err
		}
	}
	return o, nil
}

// AttachProof returns the order with proof (a media reference or a file
// path) kept as its proof of payment, recorded in the history, and an
// unpaid payment (or the balance of one whose DP is paid) now awaiting
// confirmation.
func (o Order) AttachProof(proof, by string, at time.Time) (Order, error) {
	proof = strings.TrimSpace(proof)
	if proof == "" || len(proof) > maxProof || strings.ContainsFunc(proof, unicode.IsControl) {
		return Order{}, Errorf(EInvalid, "a proof of payment is a media reference or a file path of 1 to %d bytes", maxProof)
	}
	by, err := changedBy(by)
	if err != nil {
		return Order{}, err
	}
	if o, err = o.step(OrderEvent{At: at, By: by, What: FieldProof}); err != nil {
		return Order{}, err
	}
	o.Proof = proof
	if (o.Payment == PaymentUnpaid || o.Payment == PaymentDeposit) && !o.State.final() {
		return o.step(OrderEvent{At: at, By: by, What: FieldPayment, From: string(o.Payment), To: string(PaymentAwaiting)})
	}
	return o, nil
}

// CODConfirmed reports whether the customer confirmed the order, paid
// on delivery, before it ships.
func (o Order) CODConfirmed() bool {
	return slices.ContainsFunc(o.History, func(e OrderEvent) bool { return e.What == FieldCOD })
}

// ConfirmCOD returns the order with the customer's confirmation of a
// cash-on-delivery order (by whom, at) in the history: an order paid on
// delivery ships only once confirmed. Confirming again changes nothing.
func (o Order) ConfirmCOD(by string, at time.Time) (Order, error) {
	if o.CODConfirmed() {
		return o, nil
	}
	by, err := changedBy(by)
	if err != nil {
		return Order{}, err
	}
	return o.step(OrderEvent{At: at, By: by, What: FieldCOD})
}

// changedBy checks and cleans who made a change: a staff member's name,
// "cli", ByCustomer, ByMitra.
func changedBy(by string) (string, error) {
	clean, err := orderText(by, "name of who made the change", maxOrderField, false)
	if err == nil && clean == "" {
		err = Errorf(EInvalid, "say who made the change")
	}
	return clean, err
}

// step makes the one change e records, if its transition makes sense
// from where the order stands, and appends e to the history.
func (o Order) step(e OrderEvent) (Order, error) {
	if len(o.History) >= maxOrderHistory {
		return Order{}, refused("order %s was changed %d times: no more changes", o.Number, maxOrderHistory)
	}
	from := map[OrderField]string{FieldOrder: string(o.State), FieldPayment: string(o.Payment), FieldFulfilment: string(o.Fulfilment)}
	if cur, ok := from[e.What]; ok && e.From != cur {
		return Order{}, Errorf(EConflict, "order %s: its %s is %s, not %s", o.Number, e.What, cur, e.From)
	}
	if err := o.checkFee(e); err != nil {
		return Order{}, err
	}
	var err error
	switch e.What {
	case FieldFee:
		o, err = o.stepFee(e)
	case FieldOrder:
		if err = o.CheckOrder(OrderState(e.To)); err == nil {
			o.State = OrderState(e.To)
		}
	case FieldPayment:
		if err = o.CheckPayment(PaymentState(e.To), e.Reason); err == nil {
			o.Payment = PaymentState(e.To)
		}
	case FieldFulfilment:
		if err = o.CheckFulfilment(FulfilmentState(e.To), e.Resi); err == nil {
			o.Fulfilment = FulfilmentState(e.To)
			if e.Resi != "" {
				o.Resi = e.Resi
			}
		}
	case FieldProof:
	case FieldCOD:
		switch {
		case o.Method != MethodCOD:
			err = refused("order %s is paid by %s, not on delivery", o.Number, o.Method)
		case o.State.final():
			err = refused("order %s is %s: it does not change any more", o.Number, o.State)
		}
	case FieldBalanceReminder:
		switch {
		case o.State.final():
			err = refused("order %s is %s: it does not change any more", o.Number, o.State)
		case o.Payment != PaymentDeposit:
			err = refused("order %s: its payment is %s, not DP paid: there is no balance to remind of", o.Number, o.Payment)
		case o.BalanceReminded():
			err = refused("order %s: its customer was reminded of the balance already", o.Number)
		}
	default:
		err = Errorf(EInvalid, "order %s: a change of %q", o.Number, clipName(string(e.What)))
	}
	if err != nil {
		return Order{}, err
	}
	o.History = append(slices.Clip(o.History), e)
	return o, nil
}

// Follows reports why o cannot be the next version of prev: a store
// writes an update only when every state that changed moved by a
// transition recorded in the history (Apply, AttachProof), so no code
// path steps around the rules.
func (o Order) Follows(prev Order) error {
	if len(o.History) < len(prev.History) {
		return Errorf(EInvalid, "order %s: its history lost entries", prev.Number)
	}
	r := o
	r.State, r.Payment, r.Fulfilment, r.Resi, r.History = prev.State, prev.Payment, prev.Fulfilment, prev.Resi, prev.History
	r.DeliveryFee, r.FeePending, r.Total = prev.DeliveryFee, prev.FeePending, prev.Total
	for _, e := range o.History[len(prev.History):] {
		var err error
		if r, err = r.step(e); err != nil {
			return err
		}
	}
	if r.State != o.State || r.Payment != o.Payment || r.Fulfilment != o.Fulfilment || r.Resi != o.Resi ||
		r.DeliveryFee != o.DeliveryFee || r.FeePending != o.FeePending {
		return Errorf(EInvalid, "order %s: a state changed without a recorded transition", prev.Number)
	}
	return nil
}

// Notice is the message that tells the customer, in lang (English for
// "en", else Indonesian), what changed since prev: one sentence per
// change, the resi with a shipment, the reason with a cancellation or a
// payment taken back. It is "" when nothing changed that the customer
// needs to hear (a proof attached by itself).
func (o Order) Notice(prev Order, lang string) string {
	if len(o.History) <= len(prev.History) {
		return ""
	}
	en := lang == "en"
	var lines []string
	for _, e := range o.History[len(prev.History):] {
		if s := noticeOf(o, e, en); s != "" {
			lines = append(lines, s)
		}
	}
	return strings.Join(lines, "\n")
}

// noticeOf is the sentence that tells the customer about change e of
// order o.
func noticeOf(o Order, e OrderEvent, en bool) string {
	n := o.Number
	pick := func(id, eng string) string {
		if en {
			return eng
		}
		return id
	}
	because := func(s string) string {
		if e.Reason == "" {
			return s + "."
		}
		return s + "." + pick(" Alasannya: ", " Reason: ") + strings.TrimRight(e.Reason, ".") + "."
	}
	switch e.What {
	case FieldFee:
		return feeNotice(o, e, en)
	case FieldOrder:
		switch OrderState(e.To) {
		case OrderConfirmed:
			if o.Method == MethodCOD && !o.Delivery.Pickup {
				return "" // the customer is asked to confirm it instead
			}
			return pick("Pesanan "+n+" sudah kami konfirmasi, Kak. Totalnya "+Rupiah(o.Total, "id")+".",
				"Your order "+n+" is confirmed. The total is "+Rupiah(o.Total, "en")+".")
		case OrderCompleted:
			return pick("Pesanan "+n+" selesai. Terima kasih sudah belanja, Kak! 🙏",
				"Your order "+n+" is complete. Thank you for shopping with us! 🙏")
		case OrderCancelled:
			return because(pick("Pesanan "+n+" dibatalkan, Kak", "Your order "+n+" has been cancelled"))
		}
	case FieldPayment:
		switch PaymentState(e.To) {
		case PaymentAwaiting:
			return pick("Bukti bayar pesanan "+n+" sudah kami terima, Kak. Kami cek dulu ya.",
				"We received the proof of payment for order "+n+" and will check it shortly.")
		case PaymentPaid:
			return pick("Pembayaran pesanan "+n+" sudah kami terima. Terima kasih, Kak!",
				"We received your payment for order "+n+". Thank you!")
		case PaymentDeposit:
			if e.From == string(PaymentPaid) || e.From == string(PaymentAwaiting) && e.Reason != "" {
				return because(pick("Maaf Kak, pelunasan pesanan "+n+" belum bisa kami konfirmasi; yang kami terima baru DP-nya",
					"Sorry, we could not confirm the balance of order "+n+"; we have the deposit only"))
			}
			return pick("DP pesanan "+n+" sudah kami terima, Kak. Sisa pelunasannya "+Rupiah(o.Balance(), "id")+", dibayar saat pesanan siap.",
				"We received the deposit for order "+n+". The balance of "+Rupiah(o.Balance(), "en")+" is due when the order is ready.")
		case PaymentUnpaid:
			return because(pick("Maaf Kak, pembayaran pesanan "+n+" belum bisa kami konfirmasi", "Sorry, we could not confirm the payment for order "+n))
		}
	case FieldFulfilment:
		switch FulfilmentState(e.To) {
		case FulfilmentPreparing:
			return pick("Pesanan "+n+" sedang kami siapkan, Kak.", "We are preparing your order "+n+".")
		case FulfilmentShipped:
			if e.From == string(FulfilmentShipped) {
				return pick("Nomor resi pesanan "+n+" kami perbarui, Kak: "+e.Resi+".",
					"The tracking number (resi) of order "+n+" is now "+e.Resi+".")
			}
			return pick("Pesanan "+n+" sudah dikirim, Kak! Nomor resinya "+o.resiAt(e)+".",
				"Your order "+n+" is on its way! Tracking number (resi): "+o.resiAt(e)+".")
		case FulfilmentDelivered:
			return pick("Pesanan "+n+" sudah sampai. Semoga suka, Kak!", "Your order "+n+" has arrived. We hope you like it!")
		case FulfilmentPickedUp:
			return pick("Pesanan "+n+" sudah diambil. Terima kasih, Kak!", "Your order "+n+" has been picked up. Thank you!")
		}
	}
	return ""
}

// resiAt is the resi of the shipment e: its own, or the one the order
// had already.
func (o Order) resiAt(e OrderEvent) string {
	if e.Resi != "" {
		return e.Resi
	}
	return o.Resi
}

// Rupiah writes an amount as the shop's customers read it: Rp45.000,
// and Rp45,000 to a customer who reads English (lang "en").
func Rupiah(n int64, lang string) string {
	sep := byte('.')
	if lang == "en" {
		sep = ','
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-Rp" + b.String()
	}
	return "Rp" + b.String()
}

// Anonymous is the order as the books keep it after its customer erased
// their data at at: the items, amounts, dates, states, the score they
// gave and who at the shop changed it, without anything that says who
// the customer was (no contact, recipient, phone, address, note, proof,
// resi, reasons or comment).
func (o Order) Anonymous(at time.Time) Order {
	out := o
	out.Contact = ""
	out.Delivery = OrderDelivery{Pickup: o.Delivery.Pickup, Area: o.Delivery.Area}
	out.Note, out.Proof, out.Resi = "", "", ""
	if f := o.Feedback; f != nil {
		out.Feedback = &Feedback{Asked: f.Asked, Score: f.Score, At: f.At}
	}
	out.History = make([]OrderEvent, len(o.History))
	for i, e := range o.History {
		e.Resi, e.Reason = "", ""
		out.History[i] = e
	}
	if out.Erased.IsZero() {
		out.Erased = at
	}
	return out
}

// OrderPrefix is the default prefix of a shop's order numbers: the
// initials of its name ("Warung Bu Sari": WBS), or the first three
// letters of a one-word name, at most 4 letters, upper case; "ORD" for a
// name without letters.
func OrderPrefix(shop string) string {
	var words [][]rune
	for _, w := range strings.FieldsFunc(shop, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		var ascii []rune
		for _, r := range strings.ToUpper(w) {
			if 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
				ascii = append(ascii, r)
			}
		}
		if len(ascii) > 0 {
			words = append(words, ascii)
		}
	}
	switch len(words) {
	case 0:
		return "ORD"
	case 1:
		return string(words[0][:min(3, len(words[0]))])
	}
	var b strings.Builder
	for _, w := range words[:min(4, len(words))] {
		b.WriteRune(w[0])
	}
	return b.String()
}

// CheckOrderPrefix reports why p cannot start order numbers: 1 to 8
// upper-case letters or digits.
func CheckOrderPrefix(p string) error {
	if p == "" || len(p) > 8 || strings.ContainsFunc(p, func(r rune) bool { return !('A' <= r && r <= 'Z' || '0' <= r && r <= '9') }) {
		return Errorf(EInvalid, "order number prefix %q: want 1 to 8 letters A-Z or digits", clipName(p))
	}
	return nil
}

// OrderNumber is the number of the n-th order with prefix: "WBS-0142".
func OrderNumber(prefix string, n int64) string { return fmt.Sprintf("%s-%04d", prefix, n) }

// CleanOrderNumber is an order number as typed ("#wbs-0142 ") in the
// one spelling it is filed under ("WBS-0142").
func CleanOrderNumber(s string) string {
	return strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(s), "#"))
}

// OrderQuery asks for a list of orders.
type OrderQuery struct {
	// Status keeps the orders in that state, of any of the three kinds
	// (ParseOrderStatus); "" keeps every order.
	Status string
	// Contact keeps one customer's orders; "" keeps everyone's.
	Contact ContactID
	// Limit is the most returned.
	Limit int
}

// OrderUpdate is what an update of an order did.
type OrderUpdate struct {
	Order Order
	// Notice is the message queued to tell the customer what changed
	// (class Transactional, through the gate); nil when nothing changed
	// that they need to hear, or they cannot be told (erased, no
	// address).
	Notice *Outbound
}

// OrderBook keeps the shop's orders (the name Orders is the consent
// purpose's). An order is written only over the
// version read (compare-and-set), its states move only by the
// transitions of Apply and AttachProof, and each change of state tells
// the customer in their chat, as a Transactional message through the
// outbox and the gate, in the same atomic step.
type OrderBook interface {
	// CreateOrder files a new order of a live contact (ENotFound
	// otherwise), prepared by Order.Prepare, with a new id (o.ID when
	// it has one: see PlacedOrderID), the next number of the shop's
	// counter under prefix (OrderPrefix of the shop's name by default)
	// and the time. It books the order's items whose stock or quota is
	// limited (SetLimits), and refuses the order with an
	// *OverBookedError when one asks more than is left.
	CreateOrder(ctx context.Context, o Order, prefix string) (Order, error)
	// Order returns the order of a number ("WBS-0142", as typed) or an
	// id (ENotFound when there is none).
	Order(ctx context.Context, ref string) (Order, error)
	// ListOrders returns up to q.Limit orders, the last changed first.
	ListOrders(ctx context.Context, q OrderQuery) ([]Order, error)
	// ContactOrders returns every order of a contact (following a
	// merge to the person), oldest first: what MY DATA shows.
	ContactOrders(ctx context.Context, id ContactID) ([]Order, error)
	// UpdateOrder changes the order of ref with fn, over the version fn
	// saw (fn runs again when it moved on), and queues the notice of
	// what changed. Id, number, customer and creation stay as they
	// were; states change only by transitions fn recorded (Apply,
	// AttachProof): anything else is EInvalid. When fn changes nothing,
	// nothing is written.
	UpdateOrder(ctx context.Context, ref string, fn func(Order) (Order, error)) (OrderUpdate, error)
	// AttachProof keeps proof (a media reference or a file path) as
	// the order's proof of payment; an unpaid order then awaits
	// confirmation, and the customer is told it came.
	AttachProof(ctx context.Context, ref, proof, by string) (OrderUpdate, error)
	// Booked returns how much of each pre-order item, and of each item
	// whose stock is counted, the orders not cancelled hold, by item id
	// (a stock counts the orders since it was last set): what is given
	// away, across all customers.
	Booked(ctx context.Context) (map[string]float64, error)
	// SetLimits keeps the catalog's limits by item id for CreateOrder:
	// an item whose stock number is new starts its count again (a
	// restock), one whose number is the same keeps counting.
	SetLimits(ctx context.Context, limits map[string]ItemLimit) error
}
