package inbound

import (
	"strings"
	"testing"

	"github.com/mitra-care/mitra/internal/care"
)

// TestOrderStock: the eggs' stock (8 kg) counts every customer's
// orders, in the questions and again at YA, and a cancelled order
// gives its part back.
func TestOrderStock(t *testing.T) {
	f := newFixture(t)
	bob := care.Address{Channel: care.WhatsApp, ID: "6289876543210"}
	carol := care.Address{Channel: care.WhatsApp, ID: "6281111111111"}
	f.say(t, alice, "pesan telur 6 kg ambil sendiri, transfer")
	f.say(t, carol, "pesan telur 3 kg ambil sendiri, transfer") // the rekap before alice's YA
	f.say(t, alice, "ya")
	f.say(t, bob, "halo") // a first message is decided before anything is read for it
	if got := f.say(t, bob, "pesan telur 3 kg ambil sendiri, transfer"); !strings.Contains(got, "Stok Telur ayam tinggal 2 kg, Kak. Mau 2 kg saja? YA/TIDAK") {
		t.Errorf("past the stock: the bot said\n%s", got)
	}
	if got := f.say(t, carol, "ya"); !strings.Contains(got, "Stok Telur ayam tinggal 2 kg, Kak.") {
		t.Errorf("YA past the stock: the bot said\n%s", got)
	}
	if os := f.orders(t, carol); len(os) != 0 {
		t.Errorf("carol's orders %+v, want none", os)
	}
	if got := f.say(t, carol, "telurnya 2 kg aja", "ya"); !strings.Contains(got, "Pesanan WBS-0002 sudah kami catat") {
		t.Errorf("the 2 kg left: the bot said\n%s", got)
	}
	if got := f.say(t, bob, "batal", "pesan telur 1 kg ambil sendiri"); !strings.Contains(got, "Maaf, Kak, Telur ayam sedang habis.") {
		t.Errorf("sold out: the bot said\n%s", got)
	}
	if err := f.change(f.orders(t, alice)[0].Number, care.OrderChange{Order: care.OrderCancelled, Reason: "tidak jadi"}); err != nil {
		t.Fatal(err)
	}
	if got := f.say(t, bob, "pesan telur 7 kg ambil sendiri"); !strings.Contains(got, "Stok Telur ayam tinggal 6 kg, Kak.") {
		t.Errorf("after the cancellation: the bot said\n%s", got)
	}
}
