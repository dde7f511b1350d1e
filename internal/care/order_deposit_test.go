package care

import (
	"strings"
	"testing"
)

// depositOrder is a pre-order of Rp150.000 with a DP of Rp75.000,
// standing where pay says; awaitingBalance sends its proof after the
// DP was paid.
func depositOrder(pay PaymentState, awaitingBalance bool) Order {
	o := orderIn(OrderConfirmed, pay, "", true)
	o.Lines = []OrderLine{{Item: "lapis_legit", Name: "Kue lapis legit", Qty: 1, Unit: "loyang", Price: 150_000, Preorder: true}}
	o.Subtotal, o.Total, o.PreOrder = 150_000, 150_000, &PreOrder{Deposit: 75_000, Ready: orderAt.AddDate(0, 0, 7)}
	if awaitingBalance {
		o.History = []OrderEvent{{What: FieldPayment, From: string(PaymentDeposit), To: string(PaymentAwaiting)}}
	}
	return o
}

func TestCheckPaymentDeposit(t *testing.T) {
	tests := []struct {
		name   string
		o      Order
		to     PaymentState
		reason string
		want   string // part of the EConflict; "" when allowed
	}{
		{"unpaid to DP paid", depositOrder(PaymentUnpaid, false), PaymentDeposit, "", ""},
		{"the DP's proof checked", depositOrder(PaymentAwaiting, false), PaymentDeposit, "", ""},
		{"DP paid to paid in full", depositOrder(PaymentDeposit, false), PaymentPaid, "", ""},
		{"DP paid awaits the balance's check", depositOrder(PaymentDeposit, false), PaymentAwaiting, "", ""},
		{"the balance's proof checked", depositOrder(PaymentAwaiting, true), PaymentPaid, "", ""},
		{"the balance's proof refused needs a reason", depositOrder(PaymentAwaiting, true), PaymentDeposit, "", "say why only the DP counts as paid"},
		{"the balance's proof refused with a reason", depositOrder(PaymentAwaiting, true), PaymentDeposit, "nominal kurang", ""},
		{"paid back to DP needs a reason", depositOrder(PaymentPaid, false), PaymentDeposit, "", "say why only the DP counts as paid"},
		{"paid back to DP with a reason", depositOrder(PaymentPaid, false), PaymentDeposit, "transfer kedua gagal", ""},
		{"DP back to unpaid needs a reason", depositOrder(PaymentDeposit, false), PaymentUnpaid, "", "say why the payment goes back to unpaid"},
		{"no DP without a down payment", orderIn(OrderConfirmed, PaymentUnpaid, "", false), PaymentDeposit, "", "has no down payment (DP): mark it paid"},
		{"cancelled keeps its payment", func() Order { o := depositOrder(PaymentUnpaid, false); o.State = OrderCancelled; return o }(), PaymentDeposit, "", "is cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefusal(t, tt.o.CheckPayment(tt.to, tt.reason), EConflict, tt.want)
		})
	}
	// Completing needs the balance too.
	o := depositOrder(PaymentDeposit, false)
	o.Fulfilment = FulfilmentPickedUp
	checkRefusal(t, o.CheckOrder(OrderCompleted), EConflict, "it is not paid (payment dp_paid)")
	if s, err := ParseOrderStatus("DP dibayar"); err != nil || s != string(PaymentDeposit) {
		t.Errorf("DP dibayar: %q, %v", s, err)
	}
}

func TestDepositNotices(t *testing.T) {
	tests := []struct {
		name string
		o    Order
		ch   OrderChange
		lang string
		want string
	}{
		{"DP paid", depositOrder(PaymentAwaiting, false), OrderChange{Payment: PaymentDeposit}, "id",
			"DP pesanan WBS-0142 sudah kami terima, Kak. Sisa pelunasannya Rp75.000, dibayar saat pesanan siap."},
		{"DP paid, in English", depositOrder(PaymentUnpaid, false), OrderChange{Payment: PaymentDeposit}, "en",
			"We received the deposit for order WBS-0142. The balance of Rp75,000 is due when the order is ready."},
		{"the balance's proof refused", depositOrder(PaymentAwaiting, true), OrderChange{Payment: PaymentDeposit, Reason: "nominal kurang"}, "id",
			"Maaf Kak, pelunasan pesanan WBS-0142 belum bisa kami konfirmasi; yang kami terima baru DP-nya. Alasannya: nominal kurang."},
		{"paid in full", depositOrder(PaymentDeposit, false), OrderChange{Payment: PaymentPaid}, "id",
			"Pembayaran pesanan WBS-0142 sudah kami terima. Terima kasih, Kak!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.o.Apply(tt.ch, "sari", orderAt)
			if err != nil {
				t.Fatal(err)
			}
			if n := got.Notice(tt.o, tt.lang); n != tt.want {
				t.Errorf("notice %q\nwant   %q", n, tt.want)
			}
		})
	}
	// A proof sent once the DP is paid is the balance's.
	got, err := depositOrder(PaymentDeposit, false).AttachProof("telegram:file:x", ByCustomer, orderAt)
	if err != nil || got.Payment != PaymentAwaiting || !got.AwaitingBalance() {
		t.Errorf("proof after the DP: %+v, %v", got, err)
	}
}

func TestRemindBalance(t *testing.T) {
	o := depositOrder(PaymentDeposit, false)
	r, err := o.RemindBalance(ByMitra, orderAt)
	if err != nil || !r.BalanceReminded() || r.Notice(o, "id") != "" || r.Follows(o) != nil {
		t.Fatalf("reminded %+v, %v", r, err)
	}
	if r.Balance() != 75_000 || orderIn(OrderNew, PaymentUnpaid, "", false).Balance() != 0 {
		t.Errorf("balances %d, %d", r.Balance(), orderIn(OrderNew, PaymentUnpaid, "", false).Balance())
	}
	for _, tt := range []struct {
		name string
		o    Order
		want string
	}{
		{"twice", r, "reminded of the balance already"},
		{"paid in full", depositOrder(PaymentPaid, false), "not DP paid"},
		{"the DP not paid", depositOrder(PaymentUnpaid, false), "not DP paid"},
		{"cancelled", func() Order { o := depositOrder(PaymentDeposit, false); o.State = OrderCancelled; return o }(), "is cancelled"},
	} {
		_, err := tt.o.RemindBalance(ByMitra, orderAt)
		if ErrorCode(err) != EConflict || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want %q", tt.name, err, tt.want)
		}
	}
}

// cakeEggs is a delivery of a pre-order cake at Rp350.000 with a 50%
// DP, 2 kg of eggs at Rp29.000 and an ongkir of Rp8.000: Rp241.000 due
// when placed, Rp175.000 when the cake is ready.
func cakeEggs(pay PaymentState) Order {
	o := orderIn(OrderConfirmed, pay, "", false)
	o.Lines = []OrderLine{
		{Item: "lapis_legit", Name: "Kue lapis legit", Qty: 1, Unit: "loyang", Price: 350_000, Preorder: true},
		{Item: "telur", Name: "Telur ayam", Qty: 2, Unit: "kg", Price: 29_000},
	}
	o.Subtotal, o.DeliveryFee, o.Total = 408_000, 8_000, 416_000
	o.PreOrder = &PreOrder{Deposit: 175_000, Ready: orderAt.AddDate(0, 0, 7)}
	return o
}

func TestSplitDue(t *testing.T) {
	pickupOnly := depositOrder(PaymentUnpaid, false)
	delivered := depositOrder(PaymentUnpaid, false)
	delivered.Delivery = OrderDelivery{Address: "Jl. Mawar 5, Sleman"}
	delivered.DeliveryFee, delivered.Total = 8_000, 158_000
	tests := []struct {
		name                   string
		o                      Order
		preorder, now, balance int64
	}{
		{"no pre-order", orderIn(OrderNew, PaymentUnpaid, "", false), 0, 45_000, 0},
		{"pre-order picked up", pickupOnly, 150_000, 75_000, 75_000},
		{"pre-order delivered: the fee is paid with the DP", delivered, 150_000, 83_000, 75_000},
		{"pre-order, eggs and the fee", cakeEggs(PaymentUnpaid), 350_000, 241_000, 175_000},
		{"a DP of the whole pre-order", func() Order { o := cakeEggs(PaymentUnpaid); o.PreOrder.Deposit = 350_000; return o }(), 350_000, 416_000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			if got := o.PreorderAmount(); got != tt.preorder {
				t.Errorf("PreorderAmount %d, want %d", got, tt.preorder)
			}
			now, balance := SplitDue(o.Total, o.PreorderAmount(), o.deposit())
			if now != tt.now || balance != tt.balance || o.DueNow() != tt.now || o.BalanceBase() != tt.balance || now+balance != o.Total {
				t.Errorf("split %d + %d, DueNow %d, BalanceBase %d; want %d + %d", now, balance, o.DueNow(), o.BalanceBase(), tt.now, tt.balance)
			}
		})
	}
}

// TestBalanceFeeChanged: the balance is the pre-order lines less the
// DP; a fee changed once the money came in moves it by the difference.
func TestBalanceFeeChanged(t *testing.T) {
	unpaid := cakeEggs(PaymentUnpaid)
	dp, err := unpaid.Apply(OrderChange{Payment: PaymentDeposit}, "sari", orderAt)
	if err != nil {
		t.Fatal(err)
	}
	if dp.Balance() != 175_000 {
		t.Errorf("balance %d, want 175000", dp.Balance())
	}
	if want := "DP pesanan WBS-0142 sudah kami terima, Kak. Sisa pelunasannya Rp175.000, dibayar saat pesanan siap."; dp.Notice(unpaid, "id") != want {
		t.Errorf("notice %q, want %q", dp.Notice(unpaid, "id"), want)
	}
	if fee, ok := unpaid.FeePaid(); ok {
		t.Errorf("FeePaid of an unpaid order: %d", fee)
	}
	up, err := dp.SetFee(12_000, "sari", orderAt)
	if err != nil {
		t.Fatal(err)
	}
	if fee, ok := up.FeePaid(); !ok || fee != 8_000 || up.Balance() != 179_000 {
		t.Errorf("fee up: FeePaid %d %v, balance %d; want 8000, 179000", fee, ok, up.Balance())
	}
	down, err := up.SetFee(0, "sari", orderAt)
	if err != nil {
		t.Fatal(err)
	}
	if fee, _ := down.FeePaid(); fee != 8_000 || down.Balance() != 167_000 {
		t.Errorf("fee down: FeePaid %d, balance %d; want 8000, 167000", fee, down.Balance())
	}
	// Taken back to unpaid, nothing is in.
	back, err := down.Apply(OrderChange{Payment: PaymentUnpaid, Reason: "transfer batal"}, "sari", orderAt)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := back.FeePaid(); ok || back.Balance() != 175_000 {
		t.Errorf("back to unpaid: balance %d", back.Balance())
	}
}

// TestTidyDeposit: a down payment is of the pre-order lines.
func TestTidyDeposit(t *testing.T) {
	for _, tt := range []struct {
		name    string
		deposit int64
		ok      bool
	}{{"half", 175_000, true}, {"all of it", 350_000, true}, {"above the pre-order lines", 350_001, false}, {"negative", -1, false}} {
		o := cakeEggs(PaymentUnpaid)
		o.PreOrder.Deposit = tt.deposit
		if _, err := o.Tidy(); (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}
