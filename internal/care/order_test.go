package care

import (
	"strings"
	"testing"
	"time"
)

var orderAt = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// orderIn is an order of Rp45.000 standing where the three states say,
// delivered to an address (picked up at the shop when pickup is set).
func orderIn(st OrderState, pay PaymentState, ful FulfilmentState, pickup bool) Order {
	o := Order{ID: "oaaaaaaaaaaaaaaaa", Number: "WBS-0142", Contact: "caaaaaaaaaaaaaaaa", State: st, Payment: pay, Fulfilment: ful,
		Method: MethodTransfer, Total: 45_000, Delivery: OrderDelivery{Pickup: pickup}}
	if pay == PaymentCOD {
		o.Method = MethodCOD
	}
	if !pickup {
		o.Delivery.Address = "Jl. Melati 5, Bogor"
	}
	if ful == FulfilmentShipped || ful == FulfilmentDelivered {
		o.Resi = "JNE123"
	}
	return o
}

// checkRefusal fails the test unless err is nil for want "", or an
// error of code with want in its message.
func checkRefusal(t *testing.T, err error, code, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("refused: %v; want allowed", err)
	case want != "" && err == nil:
		t.Errorf("allowed; want refused with %q", want)
	case want != "" && (ErrorCode(err) != code || !strings.Contains(err.Error(), want)):
		t.Errorf("error %v (%s); want %s with %q", err, ErrorCode(err), code, want)
	}
}

func TestCheckOrder(t *testing.T) {
	tests := []struct {
		name string
		o    Order
		to   OrderState
		want string // part of the EConflict; "" when allowed
	}{
		{"new stays new", orderIn(OrderNew, PaymentUnpaid, "", false), OrderNew, ""},
		{"new is confirmed", orderIn(OrderNew, PaymentUnpaid, "", false), OrderConfirmed, ""},
		{"new is not completed", orderIn(OrderNew, PaymentPaid, "", false), OrderCompleted, "not confirmed yet: confirm it first"},
		{"new is cancelled", orderIn(OrderNew, PaymentUnpaid, "", false), OrderCancelled, ""},
		{"confirmed never back to new", orderIn(OrderConfirmed, PaymentUnpaid, "", false), OrderNew, "never goes back to new"},
		{"confirmed stays confirmed", orderIn(OrderConfirmed, PaymentUnpaid, "", false), OrderConfirmed, ""},
		{"completed when paid and delivered", orderIn(OrderConfirmed, PaymentPaid, FulfilmentDelivered, false), OrderCompleted, ""},
		{"completed when COD and picked up", orderIn(OrderConfirmed, PaymentCOD, FulfilmentPickedUp, true), OrderCompleted, ""},
		{"completed when COD and delivered", orderIn(OrderConfirmed, PaymentCOD, FulfilmentDelivered, false), OrderCompleted, ""},
		{"not completed unpaid", orderIn(OrderConfirmed, PaymentUnpaid, FulfilmentDelivered, false), OrderCompleted, "it is not paid (payment unpaid)"},
		{"not completed awaiting", orderIn(OrderConfirmed, PaymentAwaiting, FulfilmentPickedUp, true), OrderCompleted, "it is not paid (payment awaiting)"},
		{"not completed while shipped", orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), OrderCompleted, "does not have it yet (fulfilment shipped)"},
		{"not completed, neither", orderIn(OrderConfirmed, PaymentUnpaid, "", false), OrderCompleted,
			"not paid (payment unpaid) and the customer does not have it yet (fulfilment not started)"},
		{"confirmed is cancelled", orderIn(OrderConfirmed, PaymentPaid, FulfilmentPreparing, false), OrderCancelled, ""},
		{"shipped is cancelled (it came back)", orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), OrderCancelled, ""},
		{"delivered is not cancelled", orderIn(OrderConfirmed, PaymentPaid, FulfilmentDelivered, false), OrderCancelled, "was delivered already"},
		{"picked up is not cancelled", orderIn(OrderConfirmed, PaymentCOD, FulfilmentPickedUp, true), OrderCancelled, "was picked up already"},
		{"completed not back to new", orderIn(OrderCompleted, PaymentPaid, FulfilmentDelivered, false), OrderNew, "is completed: it does not change"},
		{"completed not back to confirmed", orderIn(OrderCompleted, PaymentPaid, FulfilmentDelivered, false), OrderConfirmed, "is completed"},
		{"completed stays completed", orderIn(OrderCompleted, PaymentPaid, FulfilmentDelivered, false), OrderCompleted, ""},
		{"completed not cancelled", orderIn(OrderCompleted, PaymentPaid, FulfilmentDelivered, false), OrderCancelled, "is completed"},
		{"cancelled not back to new", orderIn(OrderCancelled, PaymentUnpaid, "", false), OrderNew, "is cancelled: it does not change"},
		{"cancelled not confirmed", orderIn(OrderCancelled, PaymentUnpaid, "", false), OrderConfirmed, "is cancelled"},
		{"cancelled not completed", orderIn(OrderCancelled, PaymentPaid, FulfilmentDelivered, false), OrderCompleted, "is cancelled"},
		{"cancelled stays cancelled", orderIn(OrderCancelled, PaymentUnpaid, "", false), OrderCancelled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefusal(t, tt.o.CheckOrder(tt.to), EConflict, tt.want)
		})
	}
	checkRefusal(t, orderIn(OrderNew, PaymentUnpaid, "", false).CheckOrder("done"), EInvalid, `unknown order state "done"`)
}

func TestCheckPayment(t *testing.T) {
	tests := []struct {
		name   string
		o      Order
		to     PaymentState
		reason string
		want   string
	}{
		{"unpaid stays", orderIn(OrderConfirmed, PaymentUnpaid, "", false), PaymentUnpaid, "", ""},
		{"unpaid to awaiting", orderIn(OrderConfirmed, PaymentUnpaid, "", false), PaymentAwaiting, "", ""},
		{"unpaid to paid", orderIn(OrderConfirmed, PaymentUnpaid, "", false), PaymentPaid, "", ""},
		{"unpaid to paid before confirmation", orderIn(OrderNew, PaymentUnpaid, "", false), PaymentPaid, "", ""},
		{"unpaid never to cod", orderIn(OrderConfirmed, PaymentUnpaid, "", false), PaymentCOD, "", "paid by transfer: COD is chosen when ordering"},
		{"awaiting back to unpaid needs a reason", orderIn(OrderConfirmed, PaymentAwaiting, "", false), PaymentUnpaid, " ", "say why the payment goes back to unpaid"},
		{"awaiting back to unpaid with a reason", orderIn(OrderConfirmed, PaymentAwaiting, "", false), PaymentUnpaid, "nominal kurang", ""},
		{"awaiting stays", orderIn(OrderConfirmed, PaymentAwaiting, "", false), PaymentAwaiting, "", ""},
		{"awaiting to paid", orderIn(OrderConfirmed, PaymentAwaiting, "", false), PaymentPaid, "", ""},
		{"awaiting never to cod", orderIn(OrderConfirmed, PaymentAwaiting, "", false), PaymentCOD, "", "COD is chosen when ordering"},
		{"paid back to unpaid needs a reason", orderIn(OrderConfirmed, PaymentPaid, "", false), PaymentUnpaid, "", "is paid: say why"},
		{"paid back to unpaid with a reason", orderIn(OrderConfirmed, PaymentPaid, "", false), PaymentUnpaid, "transfer dibatalkan bank", ""},
		{"paid never awaits again", orderIn(OrderConfirmed, PaymentPaid, "", false), PaymentAwaiting, "", "is paid already"},
		{"paid stays", orderIn(OrderConfirmed, PaymentPaid, "", false), PaymentPaid, "", ""},
		{"paid never to cod", orderIn(OrderConfirmed, PaymentPaid, "", false), PaymentCOD, "", "COD is chosen when ordering"},
		{"cod never unpaid", orderIn(OrderConfirmed, PaymentCOD, "", false), PaymentUnpaid, "ganti transfer", "paid on delivery (COD): it can only become paid"},
		{"cod never awaiting", orderIn(OrderConfirmed, PaymentCOD, "", false), PaymentAwaiting, "", "paid on delivery (COD)"},
		{"cod to paid", orderIn(OrderConfirmed, PaymentCOD, FulfilmentDelivered, false), PaymentPaid, "", ""},
		{"cod stays", orderIn(OrderConfirmed, PaymentCOD, "", false), PaymentCOD, "", ""},
		{"cancelled is not paid", orderIn(OrderCancelled, PaymentUnpaid, "", false), PaymentPaid, "", "is cancelled: its payment does not change"},
		{"completed is not unpaid", orderIn(OrderCompleted, PaymentPaid, FulfilmentDelivered, false), PaymentUnpaid, "refund", "is completed: its payment does not change"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefusal(t, tt.o.CheckPayment(tt.to, tt.reason), EConflict, tt.want)
		})
	}
	checkRefusal(t, orderIn(OrderNew, PaymentUnpaid, "", false).CheckPayment("lunas", ""), EInvalid, `unknown payment state "lunas"`)
}

func TestCheckFulfilment(t *testing.T) {
	noAddress := orderIn(OrderConfirmed, PaymentPaid, "", false)
	noAddress.Delivery.Address = ""
	tests := []struct {
		name string
		o    Order
		to   FulfilmentState
		resi string
		want string
	}{
		// A delivery.
		{"not started to preparing", orderIn(OrderConfirmed, PaymentPaid, "", false), FulfilmentPreparing, "", ""},
		{"not started to shipped", orderIn(OrderConfirmed, PaymentPaid, "", false), FulfilmentShipped, "JNE1", ""},
		{"shipped needs a resi", orderIn(OrderConfirmed, PaymentPaid, "", false), FulfilmentShipped, "", "needs a resi"},
		{"shipped needs an address", noAddress, FulfilmentShipped, "JNE1", "has no delivery address"},
		{"not started is not delivered", orderIn(OrderConfirmed, PaymentPaid, "", false), FulfilmentDelivered, "", "was not shipped yet: ship it with a resi first"},
		{"a delivery is not picked up", orderIn(OrderConfirmed, PaymentPaid, "", false), FulfilmentPickedUp, "", "is delivered to an address"},
		{"preparing stays", orderIn(OrderConfirmed, PaymentPaid, FulfilmentPreparing, false), FulfilmentPreparing, "", ""},
		{"preparing to shipped", orderIn(OrderConfirmed, PaymentPaid, FulfilmentPreparing, false), FulfilmentShipped, "JNE1", ""},
		{"preparing is not delivered", orderIn(OrderConfirmed, PaymentPaid, FulfilmentPreparing, false), FulfilmentDelivered, "", "was not shipped yet"},
		{"preparing delivery is not picked up", orderIn(OrderConfirmed, PaymentPaid, FulfilmentPreparing, false), FulfilmentPickedUp, "", "is delivered to an address"},
		{"shipped never back to preparing", orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), FulfilmentPreparing, "", "was shipped already (resi JNE123)"},
		{"shipped again with its resi", orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), FulfilmentShipped, "JNE123", ""},
		{"shipped again, resi corrected", orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), FulfilmentShipped, "JNE999", ""},
		{"shipped to delivered", orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), FulfilmentDelivered, "", ""},
		{"shipped is not picked up", orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), FulfilmentPickedUp, "", "is delivered to an address"},
		{"delivered never back to preparing", orderIn(OrderConfirmed, PaymentPaid, FulfilmentDelivered, false), FulfilmentPreparing, "", "was delivered already"},
		{"delivered never shipped again", orderIn(OrderConfirmed, PaymentPaid, FulfilmentDelivered, false), FulfilmentShipped, "JNE999", "was delivered already"},
		{"delivered stays", orderIn(OrderConfirmed, PaymentPaid, FulfilmentDelivered, false), FulfilmentDelivered, "", ""},
		{"delivered is not picked up", orderIn(OrderConfirmed, PaymentPaid, FulfilmentDelivered, false), FulfilmentPickedUp, "", "was delivered already"},
		// A pickup.
		{"pickup prepared", orderIn(OrderConfirmed, PaymentCOD, "", true), FulfilmentPreparing, "", ""},
		{"a pickup is not shipped", orderIn(OrderConfirmed, PaymentCOD, FulfilmentPreparing, true), FulfilmentShipped, "JNE1", "picked up at the shop, not shipped"},
		{"a pickup is not delivered", orderIn(OrderConfirmed, PaymentCOD, FulfilmentPreparing, true), FulfilmentDelivered, "", "it is picked_up, not delivered"},
		{"not started to picked up", orderIn(OrderConfirmed, PaymentCOD, "", true), FulfilmentPickedUp, "", ""},
		{"preparing to picked up", orderIn(OrderConfirmed, PaymentCOD, FulfilmentPreparing, true), FulfilmentPickedUp, "", ""},
		{"picked up never back to preparing", orderIn(OrderConfirmed, PaymentCOD, FulfilmentPickedUp, true), FulfilmentPreparing, "", "was picked up already"},
		{"picked up stays", orderIn(OrderConfirmed, PaymentCOD, FulfilmentPickedUp, true), FulfilmentPickedUp, "", ""},
		// The order's own state.
		{"new is not prepared", orderIn(OrderNew, PaymentPaid, "", false), FulfilmentPreparing, "", "not confirmed yet: confirm it before it is prepared"},
		{"new is not shipped", orderIn(OrderNew, PaymentPaid, "", false), FulfilmentShipped, "JNE1", "confirm it before it is shipped"},
		{"a cancelled order cannot ship", orderIn(OrderCancelled, PaymentPaid, FulfilmentPreparing, false), FulfilmentShipped, "JNE1", "is cancelled: it cannot be shipped"},
		{"a cancelled order is not picked up", orderIn(OrderCancelled, PaymentCOD, "", true), FulfilmentPickedUp, "", "is cancelled: it cannot be picked up"},
		{"a completed order does not move", orderIn(OrderCompleted, PaymentPaid, FulfilmentDelivered, false), FulfilmentShipped, "JNE999", "is completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefusal(t, tt.o.CheckFulfilment(tt.to, tt.resi), EConflict, tt.want)
		})
	}
	for _, to := range []FulfilmentState{"", "sent"} {
		checkRefusal(t, orderIn(OrderConfirmed, PaymentPaid, "", false).CheckFulfilment(to, ""), EInvalid, "unknown fulfilment state")
	}
}

func TestApply(t *testing.T) {
	full := orderIn(OrderConfirmed, PaymentPaid, "", false)
	for range maxOrderHistory {
		full.History = append(full.History, OrderEvent{What: FieldProof})
	}
	tests := []struct {
		name string
		o    Order
		ch   OrderChange
		by   string
		// want is the states and resi after, and events the changes
		// recorded ("what:from>to"); code and error a refusal.
		want   [4]string
		events []string
		code   string
		error  string
	}{
		{name: "pay, deliver and complete at once", o: orderIn(OrderConfirmed, PaymentAwaiting, FulfilmentShipped, false),
			ch:   OrderChange{Order: OrderCompleted, Payment: PaymentPaid, Fulfilment: FulfilmentDelivered},
			want: [4]string{"completed", "paid", "delivered", "JNE123"}, events: []string{"payment:awaiting>paid", "fulfilment:shipped>delivered", "order:confirmed>completed"}},
		{name: "confirm and ship", o: orderIn(OrderNew, PaymentPaid, "", false), ch: OrderChange{Order: OrderConfirmed, Fulfilment: FulfilmentShipped, Resi: " JNE777 "},
			error: "not confirmed yet", code: EConflict},
		{name: "ship with a resi", o: orderIn(OrderConfirmed, PaymentPaid, FulfilmentPreparing, false), ch: OrderChange{Fulfilment: FulfilmentShipped, Resi: " JNE777 "},
			want: [4]string{"confirmed", "paid", "shipped", "JNE777"}, events: []string{"fulfilment:preparing>shipped"}},
		{name: "a resi alone corrects it", o: orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), ch: OrderChange{Resi: "JNE124"},
			want: [4]string{"confirmed", "paid", "shipped", "JNE124"}, events: []string{"fulfilment:shipped>shipped"}},
		{name: "a resi alone before shipping", o: orderIn(OrderConfirmed, PaymentPaid, FulfilmentPreparing, false), ch: OrderChange{Resi: "JNE124"},
			code: EConflict, error: "is not shipped: ship it with the resi"},
		{name: "a resi with delivered", o: orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), ch: OrderChange{Fulfilment: FulfilmentDelivered, Resi: "JNE124"},
			code: EInvalid, error: "a resi goes with shipped, not delivered"},
		{name: "one refusal refuses all", o: orderIn(OrderConfirmed, PaymentUnpaid, FulfilmentShipped, false), ch: OrderChange{Payment: PaymentPaid, Order: OrderCompleted},
			code: EConflict, error: "does not have it yet (fulfilment shipped)"},
		{name: "a cancellation keeps its reason", o: orderIn(OrderNew, PaymentUnpaid, "", false), ch: OrderChange{Order: OrderCancelled, Reason: "stok habis"},
			want: [4]string{"cancelled", "unpaid", "", ""}, events: []string{"order:new>cancelled"}},
		{name: "nothing changes", o: orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false),
			ch:   OrderChange{Order: OrderConfirmed, Payment: PaymentPaid, Fulfilment: FulfilmentShipped, Resi: "JNE123"},
			want: [4]string{"confirmed", "paid", "shipped", "JNE123"}},
		{name: "nobody made it", o: orderIn(OrderNew, PaymentUnpaid, "", false), ch: OrderChange{Order: OrderConfirmed}, by: " ",
			code: EInvalid, error: "say who made the change"},
		{name: "an unknown state", o: orderIn(OrderNew, PaymentUnpaid, "", false), ch: OrderChange{Payment: "lunas"},
			code: EInvalid, error: `unknown payment state "lunas"`},
		{name: "too many changes", o: full, ch: OrderChange{Fulfilment: FulfilmentPreparing},
			code: EConflict, error: "was changed 100 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			by := tt.by
			if by == "" {
				by = "rina"
			}
			got, err := tt.o.Apply(tt.ch, by, orderAt)
			if tt.error != "" {
				checkRefusal(t, err, tt.code, tt.error)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st := [4]string{string(got.State), string(got.Payment), string(got.Fulfilment), got.Resi}; st != tt.want {
				t.Errorf("after: %v, want %v", st, tt.want)
			}
			var events []string
			for _, e := range got.History {
				events = append(events, string(e.What)+":"+e.From+">"+e.To)
				if e.By != "rina" || !e.At.Equal(orderAt) {
					t.Errorf("event %+v: want by rina at %v", e, orderAt)
				}
			}
			if strings.Join(events, " ") != strings.Join(tt.events, " ") {
				t.Errorf("events %v, want %v", events, tt.events)
			}
			if err := got.Follows(tt.o); err != nil {
				t.Errorf("the result does not follow the order: %v", err)
			}
		})
	}
}

func TestFollows(t *testing.T) {
	prev := orderIn(OrderConfirmed, PaymentPaid, "", false)
	prev.Delivery.Address = ""
	shipped := func(o Order) Order {
		o.Delivery.Address = "Jl. Kenanga 2"
		o, err := o.Apply(OrderChange{Fulfilment: FulfilmentShipped, Resi: "JNE1"}, "rina", orderAt)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	tests := []struct {
		name  string
		next  func() Order
		code  string
		error string
	}{
		{name: "an address given as it ships", next: func() Order { return shipped(prev) }},
		{name: "a detail, no state", next: func() Order { o := prev; o.Note = "tanpa sambal"; return o }},
		{name: "a state set by hand", next: func() Order { o := prev; o.State = OrderCompleted; return o },
			code: EInvalid, error: "a state changed without a recorded transition"},
		{name: "a resi set by hand", next: func() Order { o := shipped(prev); o.Resi = "JNE2"; return o },
			code: EInvalid, error: "without a recorded transition"},
		{name: "a forged transition", next: func() Order {
			o := prev
			o.History = append(o.History, OrderEvent{What: FieldOrder, From: "confirmed", To: "new", By: "x"})
			o.State = OrderNew
			return o
		}, code: EConflict, error: "never goes back to new"},
		{name: "an event from another state", next: func() Order {
			o := prev
			o.History = append(o.History, OrderEvent{What: FieldPayment, From: "unpaid", To: "paid", By: "x"})
			return o
		}, code: EConflict, error: "its payment is paid, not unpaid"},
		{name: "an unknown change", next: func() Order {
			o := prev
			o.History = append(o.History, OrderEvent{What: "price", By: "x"})
			return o
		}, code: EInvalid, error: `a change of "price"`},
		{name: "history cut", next: func() Order { o := shipped(prev); o.History = nil; return o }, code: EInvalid, error: "lost entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := tt.next()
			base := prev
			if tt.name == "history cut" {
				base = shipped(prev)
			}
			checkRefusal(t, next.Follows(base), tt.code, tt.error)
		})
	}
}

func TestAttachProof(t *testing.T) {
	o, err := orderIn(OrderNew, PaymentUnpaid, "", false).AttachProof(" media/wa/3EB0C7.jpg ", ByCustomer, orderAt)
	if err != nil {
		t.Fatal(err)
	}
	if o.Proof != "media/wa/3EB0C7.jpg" || o.Payment != PaymentAwaiting || len(o.History) != 2 || o.History[0].What != FieldProof {
		t.Errorf("after a proof: %+v", o)
	}
	paid, err := orderIn(OrderConfirmed, PaymentPaid, "", false).AttachProof("bukti.jpg", "rina", orderAt)
	if err != nil || paid.Payment != PaymentPaid || len(paid.History) != 1 {
		t.Errorf("a proof on a paid order: %+v, %v; want it kept, still paid", paid, err)
	}
	cancelled, err := orderIn(OrderCancelled, PaymentUnpaid, "", false).AttachProof("bukti.jpg", "rina", orderAt)
	if err != nil || cancelled.Payment != PaymentUnpaid || cancelled.Proof != "bukti.jpg" {
		t.Errorf("a proof on a cancelled order: %+v, %v; want it kept, unpaid", cancelled, err)
	}
	for _, bad := range []string{"", " ", "a\nb", strings.Repeat("x", 513)} {
		_, err := orderIn(OrderNew, PaymentUnpaid, "", false).AttachProof(bad, "rina", orderAt)
		checkRefusal(t, err, EInvalid, "a proof of payment is a media reference")
	}
	if err := o.Follows(orderIn(OrderNew, PaymentUnpaid, "", false)); err != nil {
		t.Errorf("a proof does not follow: %v", err)
	}
}

func TestNotice(t *testing.T) {
	change := func(o Order, ch OrderChange) func() (Order, Order) {
		return func() (Order, Order) {
			next, err := o.Apply(ch, "rina", orderAt)
			if err != nil {
				t.Fatal(err)
			}
			return o, next
		}
	}
	proof := func(o Order) func() (Order, Order) {
		return func() (Order, Order) {
			next, err := o.AttachProof("bukti.jpg", ByCustomer, orderAt)
			if err != nil {
				t.Fatal(err)
			}
			return o, next
		}
	}
	tests := []struct {
		name   string
		change func() (prev, next Order)
		lang   string
		want   string
	}{
		{"confirmed", change(orderIn(OrderNew, PaymentUnpaid, "", false), OrderChange{Order: OrderConfirmed}), "id",
			"Pesanan WBS-0142 sudah kami konfirmasi, Kak. Totalnya Rp45.000."},
		{"confirmed, in English", change(orderIn(OrderNew, PaymentUnpaid, "", false), OrderChange{Order: OrderConfirmed}), "en",
			"Your order WBS-0142 is confirmed. The total is Rp45,000."},
		{"a language without texts speaks Indonesian", change(orderIn(OrderNew, PaymentUnpaid, "", false), OrderChange{Order: OrderConfirmed}), "jv",
			"Pesanan WBS-0142 sudah kami konfirmasi, Kak. Totalnya Rp45.000."},
		{"proof came", proof(orderIn(OrderNew, PaymentUnpaid, "", false)), "id",
			"Bukti bayar pesanan WBS-0142 sudah kami terima, Kak. Kami cek dulu ya."},
		{"a proof alone says nothing", proof(orderIn(OrderConfirmed, PaymentPaid, "", false)), "id", ""},
		{"paid", change(orderIn(OrderConfirmed, PaymentAwaiting, "", false), OrderChange{Payment: PaymentPaid}), "id",
			"Pembayaran pesanan WBS-0142 sudah kami terima. Terima kasih, Kak!"},
		{"payment taken back", change(orderIn(OrderConfirmed, PaymentAwaiting, "", false), OrderChange{Payment: PaymentUnpaid, Reason: "nominal kurang Rp5.000."}), "id",
			"Maaf Kak, pembayaran pesanan WBS-0142 belum bisa kami konfirmasi. Alasannya: nominal kurang Rp5.000."},
		{"payment taken back, in English", change(orderIn(OrderConfirmed, PaymentPaid, "", false), OrderChange{Payment: PaymentUnpaid, Reason: "transfer reversed"}), "en",
			"Sorry, we could not confirm the payment for order WBS-0142. Reason: transfer reversed."},
		{"preparing", change(orderIn(OrderConfirmed, PaymentPaid, "", false), OrderChange{Fulfilment: FulfilmentPreparing}), "id",
			"Pesanan WBS-0142 sedang kami siapkan, Kak."},
		{"shipped", change(orderIn(OrderConfirmed, PaymentPaid, FulfilmentPreparing, false), OrderChange{Fulfilment: FulfilmentShipped, Resi: "JNE777"}), "id",
			"Pesanan WBS-0142 sudah dikirim, Kak! Nomor resinya JNE777."},
		{"shipped, in English", change(orderIn(OrderConfirmed, PaymentPaid, FulfilmentPreparing, false), OrderChange{Fulfilment: FulfilmentShipped, Resi: "JNE777"}), "en",
			"Your order WBS-0142 is on its way! Tracking number (resi): JNE777."},
		{"resi corrected", change(orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), OrderChange{Resi: "JNE124"}), "id",
			"Nomor resi pesanan WBS-0142 kami perbarui, Kak: JNE124."},
		{"delivered", change(orderIn(OrderConfirmed, PaymentPaid, FulfilmentShipped, false), OrderChange{Fulfilment: FulfilmentDelivered}), "id",
			"Pesanan WBS-0142 sudah sampai. Semoga suka, Kak!"},
		{"picked up", change(orderIn(OrderConfirmed, PaymentCOD, "", true), OrderChange{Fulfilment: FulfilmentPickedUp}), "en",
			"Your order WBS-0142 has been picked up. Thank you!"},
		{"cancelled with a reason", change(orderIn(OrderConfirmed, PaymentUnpaid, "", false), OrderChange{Order: OrderCancelled, Reason: "stok habis"}), "id",
			"Pesanan WBS-0142 dibatalkan, Kak. Alasannya: stok habis."},
		{"cancelled without", change(orderIn(OrderConfirmed, PaymentUnpaid, "", false), OrderChange{Order: OrderCancelled}), "en",
			"Your order WBS-0142 has been cancelled."},
		{"several at once, one line each", change(orderIn(OrderConfirmed, PaymentCOD, FulfilmentShipped, false),
			OrderChange{Payment: PaymentPaid, Fulfilment: FulfilmentDelivered, Order: OrderCompleted}), "id",
			"Pembayaran pesanan WBS-0142 sudah kami terima. Terima kasih, Kak!\nPesanan WBS-0142 sudah sampai. Semoga suka, Kak!\n" +
				"Pesanan WBS-0142 selesai. Terima kasih sudah belanja, Kak! 🙏"},
		{"nothing changed", change(orderIn(OrderConfirmed, PaymentPaid, "", false), OrderChange{Payment: PaymentPaid}), "id", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev, next := tt.change()
			if got := next.Notice(prev, tt.lang); got != tt.want {
				t.Errorf("Notice = %q\nwant     %q", got, tt.want)
			}
		})
	}
}

func TestPrepare(t *testing.T) {
	base := Order{Contact: "caaaaaaaaaaaaaaaa", Method: MethodTransfer, DeliveryFee: 10_000, Note: " tanpa\x00 sambal ",
		Lines:    []OrderLine{{Item: "tomat", Name: " Tomat ", Qty: 1.5, Unit: "kg", Price: 12_000}, {Name: "Cabai", Qty: 3, Unit: "ons", Price: 4_333}},
		Delivery: OrderDelivery{Recipient: "Sari", Address: "Jl. Melati 5", Area: "Bogor"}, Proof: "x", Resi: "y"}
	o, err := base.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	if o.Subtotal != 18_000+12_999 || o.Total != o.Subtotal+10_000 || o.State != OrderNew || o.Payment != PaymentUnpaid || o.Fulfilment != "" {
		t.Errorf("prepared: subtotal %d total %d states %s %s %q", o.Subtotal, o.Total, o.State, o.Payment, o.Fulfilment)
	}
	if o.Lines[0].Name != "Tomat" || o.Note != "tanpa sambal" || o.Proof != "" || o.Resi != "" || base.Lines[0].Name != " Tomat " {
		t.Errorf("prepared: %+v (from %+v)", o, base)
	}
	cod := base
	cod.Method = MethodCOD
	if o, err := cod.Prepare(); err != nil || o.Payment != PaymentCOD {
		t.Errorf("a COD order: %v, %v; want payment cod", o.Payment, err)
	}
	tests := []struct {
		name   string
		change func(o *Order)
		want   string
	}{
		{"no contact", func(o *Order) { o.Contact = "" }, "contact id"},
		{"no lines", func(o *Order) { o.Lines = nil }, "1 to 100 lines"},
		{"no method", func(o *Order) { o.Method = "" }, "payment method"},
		{"no name", func(o *Order) { o.Lines = []OrderLine{{Name: " ", Qty: 1, Price: 1}} }, "empty item name"},
		{"no quantity", func(o *Order) { o.Lines = []OrderLine{{Name: "Tomat", Price: 1}} }, "line 1 (Tomat): quantity 0"},
		{"a negative price", func(o *Order) { o.Lines = []OrderLine{{Name: "Tomat", Qty: 1, Price: -1}} }, "price -1"},
		{"a negative fee", func(o *Order) { o.DeliveryFee = -5 }, "delivery fee -5"},
		{"a long note", func(o *Order) { o.Note = strings.Repeat("n", 1001) }, "note of 1001 characters"},
		{"a deposit above the total", func(o *Order) { o.PreOrder = &PreOrder{Deposit: 1_000_000} }, "down payment 1000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.change(&o)
			_, err := o.Prepare()
			checkRefusal(t, err, EInvalid, tt.want)
		})
	}
}

func TestAnonymous(t *testing.T) {
	o := orderIn(OrderConfirmed, PaymentAwaiting, FulfilmentShipped, false)
	o.Delivery = OrderDelivery{Recipient: "Sari Wulandari", Phone: "0812345", Address: "Jl. Melati 5", Area: "Bogor"}
	o.Note, o.Proof = "pagar hijau", "media/bukti.jpg"
	o.Lines = []OrderLine{{Name: "Tomat", Qty: 1, Price: 45_000}}
	o.History = []OrderEvent{{At: orderAt, By: "rina", What: FieldFulfilment, To: "shipped", Resi: "JNE123", Reason: "Sari minta cepat"}}
	o.Feedback = &Feedback{Asked: orderAt, Score: 4, Comment: "kurir Pak Budi ramah", At: orderAt}
	a := o.Anonymous(orderAt)
	if a.Contact != "" || a.Delivery != (OrderDelivery{Area: "Bogor"}) || a.Note != "" || a.Proof != "" || a.Resi != "" ||
		a.History[0].Resi != "" || a.History[0].Reason != "" || !a.Erased.Equal(orderAt) || *a.Feedback != (Feedback{Asked: orderAt, Score: 4, At: orderAt}) {
		t.Errorf("anonymous: %+v", a)
	}
	if o.Feedback.Comment == "" {
		t.Error("anonymous changed the original's feedback")
	}
	if a.Number != o.Number || a.Total != o.Total || a.Lines[0].Name != "Tomat" || a.State != o.State || a.History[0].By != "rina" || o.History[0].Resi != "JNE123" {
		t.Errorf("anonymous lost the books or changed the original: %+v", a)
	}
	if again := a.Anonymous(orderAt.Add(time.Hour)); !again.Erased.Equal(orderAt) {
		t.Errorf("erased again: %v, want the first time kept", again.Erased)
	}
}

func TestOrderNames(t *testing.T) {
	prefixes := map[string]string{"Warung Bu Sari": "WBS", "Toko Sari": "TS", "Mitra": "MIT", "Ab": "AB", "toko  ëmas": "TM",
		"Kedai Kopi Kenangan Senja Indah": "KKKS", "!!!": "ORD", "Toko 99": "T9"}
	for shop, want := range prefixes {
		if got := OrderPrefix(shop); got != want || CheckOrderPrefix(got) != nil {
			t.Errorf("OrderPrefix(%q) = %q, want %q", shop, got, want)
		}
	}
	for _, bad := range []string{"", "wbs", "W-S", "ABCDEFGHI"} {
		if CheckOrderPrefix(bad) == nil {
			t.Errorf("CheckOrderPrefix(%q) allowed it", bad)
		}
	}
	if n := OrderNumber("WBS", 142); n != "WBS-0142" || CleanOrderNumber(" #wbs-0142") != n || OrderNumber("TS", 12345) != "TS-12345" {
		t.Errorf("numbers: %q, %q", n, OrderNumber("TS", 12345))
	}
	statuses := map[string]string{"paid": "paid", "Dibayar": "paid", "menunggu konfirmasi": "awaiting", "belum-dibayar": "unpaid",
		"PICKED-UP": "picked_up", "diambil": "picked_up", "cod": "cod", " baru ": "new", "dikirim": "shipped", "Diterima": "delivered"}
	for in, want := range statuses {
		if got, err := ParseOrderStatus(in); got != want || err != nil {
			t.Errorf("ParseOrderStatus(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseOrderStatus("lunas"); ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), "want one of new, confirmed") {
		t.Errorf("ParseOrderStatus(lunas) error %v", err)
	}
	if StatusLabel("awaiting") != "menunggu konfirmasi" || StatusLabel("") != "belum diproses" {
		t.Errorf("labels: %q %q", StatusLabel("awaiting"), StatusLabel(""))
	}
	id := NewOrderID()
	if id.Validate() != nil || OrderID("o123").Validate() == nil || OrderID("c"+string(id[1:])).Validate() == nil {
		t.Errorf("order ids: %q", id)
	}
}

// TestConfirmCOD: a COD order to an address ships only once the
// customer confirmed it, which the history keeps; only a COD order is
// confirmed so, and confirming again changes nothing.
func TestConfirmCOD(t *testing.T) {
	o := orderIn(OrderConfirmed, PaymentCOD, FulfilmentPreparing, false)
	checkRefusal(t, o.CheckFulfilment(FulfilmentShipped, "JNE1"), EConflict, "order WBS-0142 is paid on delivery (COD): the customer has not confirmed it yet")
	if _, err := o.Apply(OrderChange{Fulfilment: FulfilmentShipped, Resi: "JNE1"}, "sari", orderAt); ErrorCode(err) != EConflict {
		t.Errorf("shipped unconfirmed: %v", err)
	}
	c, err := o.ConfirmCOD(ByCustomer, orderAt)
	if err != nil || !c.CODConfirmed() || len(c.History) != 1 || c.History[0].What != FieldCOD || c.History[0].By != ByCustomer {
		t.Fatalf("confirmed %+v, %v", c, err)
	}
	if err := c.Follows(o); err != nil {
		t.Errorf("a confirmation does not follow: %v", err)
	}
	if again, err := c.ConfirmCOD(ByCustomer, orderAt); err != nil || len(again.History) != 1 {
		t.Errorf("confirmed again: %+v, %v", again.History, err)
	}
	checkRefusal(t, c.CheckFulfilment(FulfilmentShipped, "JNE1"), EConflict, "")
	if c.Notice(o, "id") != "" {
		t.Errorf("a confirmation tells the customer %q", c.Notice(o, "id"))
	}
	_, err = orderIn(OrderConfirmed, PaymentPaid, "", false).ConfirmCOD(ByCustomer, orderAt)
	checkRefusal(t, err, EConflict, "paid by transfer, not on delivery")
	// Its confirmation by staff says nothing: the customer is asked.
	n := orderIn(OrderNew, PaymentCOD, "", false)
	if got, _ := n.Apply(OrderChange{Order: OrderConfirmed}, "sari", orderAt); got.Notice(n, "id") != "" {
		t.Errorf("confirming a COD delivery tells %q", got.Notice(n, "id"))
	}
}

func TestRupiah(t *testing.T) {
	for _, tt := range []struct {
		n      int64
		id, en string
	}{
		{0, "Rp0", "Rp0"},
		{500, "Rp500", "Rp500"},
		{5000, "Rp5.000", "Rp5,000"},
		{59000, "Rp59.000", "Rp59,000"},
		{150000, "Rp150.000", "Rp150,000"},
		{1_234_567, "Rp1.234.567", "Rp1,234,567"},
		{-5_000, "-Rp5.000", "-Rp5,000"},
	} {
		if got := Rupiah(tt.n, "id"); got != tt.id {
			t.Errorf("Rupiah(%d, id) = %s, want %s", tt.n, got, tt.id)
		}
		if got := Rupiah(tt.n, "en"); got != tt.en {
			t.Errorf("Rupiah(%d, en) = %s, want %s", tt.n, got, tt.en)
		}
	}
}
