package inbound

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mitra-care/mitra/flows"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
)

// quotaFixture is a fixture whose lapis legit pre-order makes 5 cakes,
// up to 5 an order.
func quotaFixture(t *testing.T) *fixture {
	t.Helper()
	b, err := fs.ReadFile(flows.FS, "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(strings.Replace(string(b), "    max: 3\n    preorder:", "    max: 5\n    preorder:", 1), "quota: 30", "quota: 5", 1)
	cat, err := catalog.Load(fstest.MapFS{"catalog.yaml": {Data: []byte(text)}})
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := cat.Item("lapis_legit"); it.Preorder == nil || it.Preorder.Quota != 5 || it.Max != 5 {
		t.Fatalf("lapis legit %+v", it)
	}
	set, err := flow.Load(flows.FS, Options(cat))
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	f := newFixture(t, func(c *Config) { c.Catalog = cat; cfg = *c })
	f.rt = New(cfg, set, f.store)
	t.Cleanup(f.rt.Close)
	return f
}

// TestOrderPreorderQuota: a pre-order's quota counts every customer's
// orders, the rekap says what is left, and a cancelled order frees
// its part.
func TestOrderPreorderQuota(t *testing.T) {
	f := quotaFixture(t)
	bob := care.Address{Channel: care.WhatsApp, ID: "6289876543210"}
	rekap := f.say(t, alice, "pesan lapis legit 4 loyang ambil sendiri, transfer")
	if !strings.Contains(rekap, "Kue lapis legit: sisa 1 loyang, siap 24 Des") {
		t.Errorf("rekap:\n%s", rekap)
	}
	f.say(t, alice, "ya")
	os := f.orders(t, alice)
	if len(os) != 1 || len(os[0].Lines) != 1 || !os[0].Lines[0].Preorder {
		t.Fatalf("alice's orders %+v", os)
	}
	booked, err := f.store.Booked(context.Background())
	if err != nil || len(booked) != 1 || booked["lapis_legit"] != 4 {
		t.Errorf("booked %v, %v; want lapis_legit 4", booked, err)
	}
	// A customer's very first message is decided before anything is read
	// for them: placing the order checks the quota again.
	carol := care.Address{Channel: care.WhatsApp, ID: "6281111111111"}
	f.say(t, carol, "pesan lapis legit 2 loyang ambil sendiri, transfer")
	if got := f.say(t, carol, "ya"); !strings.Contains(got, "Kuota PO Kue lapis legit tinggal 1 loyang, Kak.") {
		t.Errorf("placed past the quota: the bot said\n%s", got)
	}
	if os := f.orders(t, carol); len(os) != 0 {
		t.Errorf("carol's orders %+v, want none", os)
	}

	f.say(t, bob, "halo")
	if got := f.say(t, bob, "pesan lapis legit 2 loyang ambil sendiri, transfer"); !strings.Contains(got, "Kuota PO Kue lapis legit tinggal 1 loyang, Kak.") {
		t.Errorf("past the quota: the bot said\n%s", got)
	}
	f.say(t, bob, "batal")

	if err := f.change(os[0].Number, care.OrderChange{Order: care.OrderCancelled, Reason: "salah pesan"}); err != nil {
		t.Fatal(err)
	}
	if booked, err := f.store.Booked(context.Background()); err != nil || len(booked) != 0 {
		t.Errorf("booked after the cancellation %v, %v; want none", booked, err)
	}
	if got := f.say(t, bob, "pesan lapis legit 2 loyang ambil sendiri, transfer"); !strings.Contains(got, "Kue lapis legit: sisa 3 loyang, siap 24 Des") {
		t.Errorf("after the cancellation: the bot said\n%s", got)
	}
}
