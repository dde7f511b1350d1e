package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

// TestOrdersSetFee sets the fee of an order filed without one, then
// corrects it, told to the customer with how to pay from the shipped
// catalog; what makes no sense is refused with the reason.
func TestOrdersSetFee(t *testing.T) {
	s := cliStore(t)
	id, err := s.Import(t.Context(), care.Address{Channel: care.Telegram, ID: "7001"}, care.Contact{Name: "Dewi"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pickup := range []bool{false, true} {
		o := care.Order{Contact: id, Method: care.MethodTransfer, Lines: []care.OrderLine{{Name: "Tomat", Qty: 1, Unit: "kg", Price: 45_000}}}
		if pickup {
			o.Delivery = care.OrderDelivery{Pickup: true}
		} else {
			o.FeePending, o.Delivery = true, care.OrderDelivery{Recipient: "Dewi", Address: "Jl. Kenanga 2, Magelang"}
		}
		if _, err := s.CreateOrder(t.Context(), o, "WBS"); err != nil {
			t.Fatal(err)
		}
	}
	runOrderSteps(t, []orderStep{
		{name: "show it waits", args: []string{"show", "WBS-0001"}, out: "delivery fee  not known yet: set it (mitra orders set-fee WBS-0001 FEE)"},
		{name: "confirm waits", args: []string{"set-status", "WBS-0001", "confirmed"}, fails: "has no delivery fee yet (the address is in none of the shop's areas): set the fee before it is confirmed"},
		{name: "paid waits", args: []string{"set-payment", "WBS-0001", "paid"}, fails: "set the fee before it is marked paid"},
		{name: "not a number", args: []string{"set-fee", "WBS-0001", "12.000"}, fails: `fee "12.000": want whole rupiah, digits only`},
		{name: "below 0", args: []string{"set-fee", "WBS-0001", "--", "-5"}, fails: "delivery fee -5: want 0 to"},
		{name: "no such order", args: []string{"set-fee", "WBS-0404", "5000"}, fails: "no order WBS-0404 (mitra orders list shows the numbers)"},
		{name: "a pickup", args: []string{"set-fee", "WBS-0002", "5000"}, fails: "is picked up at the shop: it has no delivery fee"},
		{name: "set", args: []string{"set-fee", "wbs-0001", "12000", "--by", "sari"},
			out: "WBS-0001: delivery fee Rp12.000, total Rp57.000\nthe customer is told (through the gate): Ongkir pesanan WBS-0001 Rp12.000, jadi totalnya Rp57.000, Kak.\n" +
				"Silakan bayar Rp57.000 lewat:\n• Transfer BCA 1234567890 a.n. Sari Wulandari"},
		{name: "the history", args: []string{"show", "WBS-0001"}, out: "sari  delivery fee not known → Rp12.000"},
		{name: "confirm now", args: []string{"set-status", "WBS-0001", "confirmed"}, out: "WBS-0001: confirmed · unpaid · -"},
	})
	out, err := runOrders(t, "set-fee", "WBS-0001", "15000", "--json")
	var got struct {
		Order  care.Order
		Notice struct{ ID, Text string }
	}
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.Order.DeliveryFee != 15_000 || got.Order.Total != 60_000 ||
		!strings.HasPrefix(got.Notice.Text, "Ongkir pesanan WBS-0001 kami perbarui jadi Rp15.000, jadi totalnya Rp60.000, Kak.") {
		t.Errorf("set-fee --json: %v\n%s", err, out)
	}
}
