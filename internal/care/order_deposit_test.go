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
	o.Total, o.PreOrder = 150_000, &PreOrder{Deposit: 75_000, Ready: orderAt.AddDate(0, 0, 7)}
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
			"We received the deposit for order WBS-0142. The balance of Rp75.000 is due when the order is ready."},
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
	if err != nil || got.Payment != PaymentAwaiting || !got.awaitingBalance() {
		t.Errorf("proof after the DP: %+v, %v", got, err)
	}
}

func TestRemindBalance(t *testing.T) {
	o := depositOrder(PaymentDeposit, false)
	r, err := o.RemindBalance(ByMitra, orderAt)
	if err != nil || !r.BalanceReminded() || r.Notice(o, "id") != "" || r.Follows(o) != nil {
		t.Fatalf("reminded %+v, %v", r, err)
	}
	if r.Balance() != 75_000 || orderIn(OrderNew, PaymentUnpaid, "", false).Balance() != 45_000 {
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
