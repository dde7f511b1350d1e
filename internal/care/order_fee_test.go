package care

import (
	"strings"
	"testing"
)

// pendingFee is an order of Rp45.000 to an address in no delivery
// area: its fee is not known yet.
func pendingFee(st OrderState, pay PaymentState, ful FulfilmentState) Order {
	o := orderIn(st, pay, ful, false)
	o.Subtotal, o.FeePending = 45_000, true
	return o
}

func TestSetFee(t *testing.T) {
	cod := pendingFee(OrderNew, PaymentCOD, "")
	asked := pendingFee(OrderConfirmed, PaymentCOD, "")
	asked.FeePending, asked.DeliveryFee, asked.Total, asked.CODAsked = false, 8_000, 53_000, orderAt
	known := orderIn(OrderConfirmed, PaymentUnpaid, "", false)
	known.Subtotal, known.DeliveryFee, known.Total = 45_000, 8_000, 53_000
	deposit := pendingFee(OrderNew, PaymentUnpaid, "")
	deposit.PreOrder = &PreOrder{Deposit: 40_000}
	tests := []struct {
		name      string
		o         Order
		fee       int64
		code      string
		want      string // part of the error; "" when set
		total     int64
		from, say string
	}{
		{"not known, set", pendingFee(OrderNew, PaymentUnpaid, ""), 12_000, "", "", 57_000, "",
			"Ongkir pesanan WBS-0142 Rp12.000, jadi totalnya Rp57.000, Kak."},
		{"free after all", pendingFee(OrderNew, PaymentUnpaid, ""), 0, "", "", 45_000, "", "Ongkir pesanan WBS-0142 Rp0, jadi totalnya Rp45.000, Kak."},
		{"a proof came meanwhile", pendingFee(OrderNew, PaymentAwaiting, ""), 10_000, "", "", 55_000, "", ""},
		{"COD, not asked yet", cod, 10_000, "", "", 55_000, "", ""},
		{"a known fee corrected", known, 15_000, "", "", 60_000, "8000",
			"Ongkir pesanan WBS-0142 kami perbarui jadi Rp15.000, jadi totalnya Rp60.000, Kak."},
		{"negative", pendingFee(OrderNew, PaymentUnpaid, ""), -1, EInvalid, "want 0 to", 0, "", ""},
		{"too much", pendingFee(OrderNew, PaymentUnpaid, ""), maxPrice + 1, EInvalid, "want 0 to", 0, "", ""},
		{"pickup", orderIn(OrderNew, PaymentUnpaid, "", true), 5_000, EConflict, "picked up at the shop", 0, "", ""},
		{"cancelled", pendingFee(OrderCancelled, PaymentUnpaid, ""), 5_000, EConflict, "does not change any more", 0, "", ""},
		{"paid", func() Order { o := known; o.Payment = PaymentPaid; return o }(), 5_000, EConflict, "paid already", 0, "", ""},
		{"shipped", func() Order { o := known; o.Fulfilment, o.Resi = FulfilmentShipped, "JNE1"; return o }(), 5_000, EConflict, "was shipped already", 0, "", ""},
		{"COD asked with its total", asked, 5_000, EConflict, "asked to confirm it", 0, "", ""},
		{"down payment fits", deposit, 1_000, "", "", 46_000, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.o.SetFee(tt.fee, "sari", orderAt)
			checkRefusal(t, err, tt.code, tt.want)
			if err != nil {
				return
			}
			e := got.History[len(got.History)-1]
			if got.FeePending || got.DeliveryFee != tt.fee || got.Total != tt.total || e.What != FieldFee || e.By != "sari" || e.From != tt.from {
				t.Errorf("set fee: %+v, event %+v", got, e)
			}
			if err := got.Follows(tt.o); err != nil {
				t.Errorf("Follows: %v", err)
			}
			if tt.say != "" {
				if n := got.Notice(tt.o, "id"); n != tt.say {
					t.Errorf("notice %q, want %q", n, tt.say)
				}
			}
			if n := got.Notice(tt.o, "en"); !strings.Contains(n, "so the total is") {
				t.Errorf("English notice %q", n)
			}
		})
	}
	same := known
	if got, err := same.SetFee(8_000, "sari", orderAt); err != nil || len(got.History) != 0 {
		t.Errorf("setting the fee it has: %+v, %v; want no change", got, err)
	}
}

// TestFeeWaits: confirming, marking paid or the DP paid, shipping and
// completing wait for the fee, with the reason; cancelling does not.
func TestFeeWaits(t *testing.T) {
	const why = "has no delivery fee yet"
	tests := []struct {
		name string
		o    Order
		ch   OrderChange
		want string
	}{
		{"confirm", pendingFee(OrderNew, PaymentUnpaid, ""), OrderChange{Order: OrderConfirmed}, why + " (the address is in none of the shop's areas): set the fee before it is confirmed"},
		{"paid", pendingFee(OrderNew, PaymentAwaiting, ""), OrderChange{Payment: PaymentPaid}, "set the fee before it is marked paid"},
		{"shipped", pendingFee(OrderConfirmed, PaymentUnpaid, ""), OrderChange{Fulfilment: FulfilmentShipped, Resi: "JNE1"}, "set the fee before it is shipped"},
		{"completed", pendingFee(OrderConfirmed, PaymentCOD, FulfilmentDelivered), OrderChange{Order: OrderCompleted}, "set the fee before it is completed"},
		{"cancelled", pendingFee(OrderNew, PaymentUnpaid, ""), OrderChange{Order: OrderCancelled, Reason: "alamat terlalu jauh"}, ""},
		{"DP paid", func() Order {
			o := pendingFee(OrderConfirmed, PaymentUnpaid, "")
			o.PreOrder = &PreOrder{Deposit: 20_000}
			return o
		}(), OrderChange{Payment: PaymentDeposit}, "set the fee before its down payment (DP) is marked paid: the customer pays the fee with the DP"},
		{"DP paid once its proof came", func() Order {
			o := pendingFee(OrderConfirmed, PaymentAwaiting, "")
			o.PreOrder = &PreOrder{Deposit: 20_000}
			return o
		}(), OrderChange{Payment: PaymentDeposit}, "set the fee before its down payment (DP) is marked paid"},
		{"preparing", pendingFee(OrderConfirmed, PaymentUnpaid, ""), OrderChange{Fulfilment: FulfilmentPreparing}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.o.Apply(tt.ch, "sari", orderAt)
			checkRefusal(t, err, EConflict, tt.want)
		})
	}
	dp := pendingFee(OrderConfirmed, PaymentDeposit, "")
	dp.PreOrder = &PreOrder{Deposit: 20_000}
	_, err := dp.RemindBalance(ByMitra, orderAt)
	checkRefusal(t, err, EConflict, "set the fee before its customer is reminded of the balance")
	// A fee set stops the wait.
	o, err := pendingFee(OrderNew, PaymentUnpaid, "").SetFee(9_000, "sari", orderAt)
	if err == nil {
		_, err = o.Apply(OrderChange{Order: OrderConfirmed}, "sari", orderAt)
	}
	if err != nil {
		t.Errorf("confirm once the fee is set: %v", err)
	}
}

func TestPrepareFeePending(t *testing.T) {
	o := Order{Contact: "caaaaaaaaaaaaaaaa", Method: MethodTransfer, Lines: []OrderLine{{Name: "Beras", Qty: 1, Price: 15_000}}, FeePending: true,
		Delivery: OrderDelivery{Address: "Jl. Magelang 5"}}
	if p, err := o.Prepare(); err != nil || !p.FeePending || p.Total != 15_000 {
		t.Errorf("Prepare: %+v, %v", p, err)
	}
	o.Delivery = OrderDelivery{Pickup: true}
	if _, err := o.Prepare(); ErrorCode(err) != EInvalid {
		t.Errorf("a pickup whose fee is not known: %v, want EInvalid", err)
	}
}
