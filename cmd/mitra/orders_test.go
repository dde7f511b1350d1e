package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// runOrders runs `mitra orders args...` and returns what it printed.
func runOrders(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return run(t, ordersCmd(), args...)
}

// orderStep is one `mitra orders` call of a test: out is in what it
// prints; fails is in its error, when it must fail.
type orderStep struct {
	name       string
	args       []string
	out, fails string
}

// runOrderSteps makes the calls in turn and checks each.
func runOrderSteps(t *testing.T, steps []orderStep) {
	t.Helper()
	for _, st := range steps {
		out, err := runOrders(t, st.args...)
		switch {
		case st.fails != "" && (err == nil || !strings.Contains(err.Error(), st.fails)):
			t.Errorf("%s: error %v, want one with %q", st.name, err, st.fails)
		case st.fails == "" && err != nil:
			t.Errorf("%s: %v", st.name, err)
		case !strings.Contains(out, st.out):
			t.Errorf("%s: printed\n%s\nwant %q in it", st.name, out, st.out)
		}
	}
}

func TestOrdersCommands(t *testing.T) {
	t.Setenv("MITRA_TIMEZONE", "Asia/Jakarta")
	s := cliStore(t)
	tg := care.Address{Channel: care.Telegram, ID: "7001"}
	id, err := s.Import(t.Context(), tg, care.Contact{Name: "Dewi"})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runOrders(t, "list"); err != nil || out != "no orders\n" {
		t.Fatalf("list with no orders: %q, %v", out, err)
	}
	for _, method := range []care.PaymentMethod{care.MethodTransfer, care.MethodCOD} {
		if _, err := s.CreateOrder(t.Context(), care.Order{Contact: id, Method: method, DeliveryFee: 10_000,
			Lines:    []care.OrderLine{{Name: "Tomat", Qty: 1.5, Unit: "kg", Price: 10_000}, {Name: "Cabai", Qty: 2, Unit: "ons", Price: 10_000}},
			Delivery: care.OrderDelivery{Recipient: "Dewi", Address: "Jl. Kenanga 2", Area: "Depok"}}, "WBS"); err != nil {
			t.Fatal(err)
		}
	}
	runOrderSteps(t, []orderStep{
		{name: "list", args: []string{"list"}, out: "WBS-0001  new    unpaid   -           Rp45.000"},
		{name: "list names the customer", args: []string{"list"}, out: "Dewi (" + string(id) + ")"},
		{name: "list a state", args: []string{"list", "--state", "cod"}, out: "WBS-0002"},
		{name: "list an unknown state", args: []string{"list", "--state", "lunas"}, fails: `unknown status "lunas"`},
		{name: "show", args: []string{"show", "wbs-0001"}, out: "1.5 kg Tomat × Rp10.000 = Rp15.000"},
		{name: "show the delivery", args: []string{"show", "WBS-0001"}, out: "delivery      to Dewi, Jl. Kenanga 2, Depok"},
		{name: "show nothing", args: []string{"show", "WBS-0404"}, fails: "no order WBS-0404 (mitra orders list shows the numbers)"},
		{name: "confirm", args: []string{"set-status", "WBS-0001", "dikonfirmasi", "--by", "sari"},
			out: "WBS-0001: confirmed · unpaid · -\nthe customer is told (through the gate): Pesanan WBS-0001 sudah kami konfirmasi, Kak. Totalnya Rp45.000."},
		{name: "complete unpaid", args: []string{"set-status", "WBS-0001", "completed"}, fails: "order WBS-0001 cannot be completed: it is not paid (payment unpaid)"},
		{name: "an unknown status", args: []string{"set-status", "WBS-0001", "lunas"}, fails: `unknown status "lunas"`},
		{name: "an unknown number", args: []string{"set-status", "WBS-0404", "confirmed"}, fails: "no order WBS-0404"},
		{name: "a payment of shipped", args: []string{"set-payment", "WBS-0001", "shipped"}, fails: `"shipped" is not a state of the payment`},
		{name: "paid", args: []string{"set-payment", "WBS-0001", "paid"}, out: "WBS-0001: confirmed · paid · -"},
		{name: "refused: no reason", args: []string{"set-payment", "WBS-0001", "unpaid"}, fails: "say why the payment goes back to unpaid"},
		{name: "ship without a resi", args: []string{"ship", "WBS-0001"}, fails: `required flag(s) "resi" not set`},
		{name: "ship", args: []string{"ship", "WBS-0001", "--resi", "JNE0099"}, out: "Nomor resinya JNE0099."},
		{name: "delivered", args: []string{"set-status", "WBS-0001", "diterima"}, out: "WBS-0001: confirmed · paid · delivered"},
		{name: "completed", args: []string{"set-status", "WBS-0001", "selesai"}, out: "Pesanan WBS-0001 selesai."},
		{name: "completed again", args: []string{"set-status", "WBS-0001", "completed"}, out: "WBS-0001: no change, it is completed · paid · delivered already"},
		{name: "cancel a completed order", args: []string{"set-status", "WBS-0001", "cancelled", "--reason", "x"}, fails: "is completed: it does not change any more"},
		{name: "the history", args: []string{"show", "WBS-0001"}, out: "sari  order new → confirmed"},
		{name: "the states in Indonesian too", args: []string{"show", "WBS-0001"}, out: "completed · paid · delivered (selesai · dibayar · diterima)"},
		{name: "a fulfilment not started", args: []string{"show", "WBS-0002"}, out: "new · cod · - (baru · COD · belum diproses)"},
		{name: "the history says cli", args: []string{"show", "WBS-0001"}, out: "cli  fulfilment - → shipped, resi JNE0099"},
	})
	out, err := runOrders(t, "list", "--json")
	var list []care.Order
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 || list[0].Number != "WBS-0001" || list[0].State != care.OrderCompleted {
		t.Errorf("list --json: %v\n%s", err, out)
	}
	out, err = runOrders(t, "show", "WBS-0002", "--json")
	var one care.Order
	if err != nil || json.Unmarshal([]byte(out), &one) != nil || one.Payment != care.PaymentCOD || one.Total != 45_000 {
		t.Errorf("show --json: %v\n%s", err, out)
	}
	ds, err := s.Next(t.Context(), "test", care.LanesOf(string(care.Telegram)), 20, time.Millisecond)
	if err != nil || len(ds) != 5 {
		t.Errorf("%d messages queued for the customer, %v; want one per change: confirmed, paid, shipped, delivered, completed", len(ds), err)
	}
}
