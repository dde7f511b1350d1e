package redisstore

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/outreach"
)

// shopPrefix numbers the tests' orders: Warung Bu Sari's.
var shopPrefix = care.OrderPrefix("Warung Bu Sari")

// customer has a person write from a once, as the runtime commits it
// (nothing queued), and returns their contact.
func customer(t *testing.T, s *Store, a care.Address, name, lang string) care.ContactID {
	t.Helper()
	id := resolve(t, s, care.ResolveRequest{Address: a}).Contact
	at := s.now()
	mustCommit(t, s, care.Commit{
		Inbound: care.Inbound{Address: a, MessageID: "m-" + a.ID, Kind: care.KindText, Text: "mau pesan", At: at},
		Session: care.Session{Lang: lang, Updated: at},
		Contact: care.Contact{ID: id, Addresses: []care.Address{a}, Name: name, Lang: lang, FirstSeen: at, LastInbound: at,
			LastInboundOn: map[care.Channel]time.Time{a.Channel: at}},
		SessionTTL: time.Hour,
	})
	return id
}

// newOrder files an order of Rp45.000 (two lines and the delivery fee)
// for id, delivered to an address.
func newOrder(t *testing.T, s *Store, id care.ContactID, method care.PaymentMethod) care.Order {
	t.Helper()
	o, err := s.CreateOrder(ctx, care.Order{Contact: id, Method: method, DeliveryFee: 10_000,
		Lines:    []care.OrderLine{{Item: "tomat", Name: "Tomat", Qty: 1.5, Unit: "kg", Price: 10_000}, {Name: "Cabai", Qty: 2, Unit: "ons", Price: 10_000}},
		Delivery: care.OrderDelivery{Recipient: "Alice Wonder", Phone: "0812-9999-0000", Address: "Jl. Rahasia No. 7", Area: "Bogor Tengah"},
		Note:     "pagar hijau dekat masjid"}, shopPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// change applies ch to the order of ref, made by rina.
func change(t *testing.T, s *Store, ref string, ch care.OrderChange) (care.OrderUpdate, error) {
	t.Helper()
	return s.UpdateOrder(ctx, ref, func(o care.Order) (care.Order, error) { return o.Apply(ch, "rina", s.now()) })
}

// mustChange is change that must succeed.
func mustChange(t *testing.T, s *Store, ref string, ch care.OrderChange) care.OrderUpdate {
	t.Helper()
	u, err := change(t, s, ref, ch)
	if err != nil {
		t.Fatalf("change %s %+v: %v", ref, ch, err)
	}
	return u
}

func TestOrderRecords(t *testing.T) {
	now := t0
	s, client := newStore(t, WithClock(func() time.Time { return now }))
	id := customer(t, s, alice, "Alice", "id")
	first := newOrder(t, s, id, care.MethodTransfer)
	now = now.Add(time.Minute)
	second := newOrder(t, s, id, care.MethodCOD)
	if first.Number != "WBS-0001" || second.Number != "WBS-0002" || first.ID.Validate() != nil || first.Version != 1 {
		t.Fatalf("numbers %s, %s (id %s, version %d); want WBS-0001 and WBS-0002", first.Number, second.Number, first.ID, first.Version)
	}
	if first.Subtotal != 35_000 || first.Total != 45_000 || first.State != care.OrderNew || first.Payment != care.PaymentUnpaid ||
		second.Payment != care.PaymentCOD || first.Contact != id || !first.Created.Equal(t0) || !first.Updated.Equal(t0) {
		t.Errorf("first order %+v, second's payment %s", first, second.Payment)
	}
	for _, ref := range []string{"WBS-0001", " #wbs-0001", string(first.ID)} {
		got, err := s.Order(ctx, ref)
		if err != nil || got.ID != first.ID || got.Version != 1 || got.Delivery.Address != "Jl. Rahasia No. 7" {
			t.Errorf("Order(%q) = %+v, %v; want the first order", ref, got, err)
		}
	}
	for _, ref := range []string{"WBS-0003", "", "oaaaaaaaaaaaaaaaa"} {
		if _, err := s.Order(ctx, ref); care.ErrorCode(err) != care.ENotFound {
			t.Errorf("Order(%q) error %v; want not found", ref, err)
		}
	}
	if _, err := s.CreateOrder(ctx, care.Order{Contact: idOf(care.Address{Channel: care.Telegram, ID: "1"}), Method: care.MethodCOD,
		Lines: []care.OrderLine{{Name: "Tomat", Qty: 1, Price: 1}}}, shopPrefix); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("an order of nobody: %v; want not found", err)
	}
	if _, err := s.CreateOrder(ctx, first, "wbs"); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("a lower-case prefix: %v; want invalid", err)
	}
	if _, err := s.CreateOrder(ctx, care.Order{Contact: id, Method: care.MethodQRIS}, shopPrefix); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("an order without lines: %v; want invalid", err)
	}
	mine, err := s.ContactOrders(ctx, id)
	if err != nil || len(mine) != 2 || mine[0].Number != "WBS-0001" || mine[1].Number != "WBS-0002" {
		t.Errorf("ContactOrders = %v, %v; want both, oldest first", mine, err)
	}
	if none, err := s.ContactOrders(ctx, idOf(care.Address{Channel: care.Telegram, ID: "1"})); err != nil || len(none) != 0 {
		t.Errorf("ContactOrders of nobody = %v, %v", none, err)
	}
	tests := []struct {
		q    care.OrderQuery
		want []string
	}{
		{care.OrderQuery{Limit: 10}, []string{"WBS-0002", "WBS-0001"}},
		{care.OrderQuery{Limit: 1}, []string{"WBS-0002"}},
		{care.OrderQuery{Status: "baru", Limit: 10}, []string{"WBS-0002", "WBS-0001"}},
		{care.OrderQuery{Status: "unpaid", Limit: 10}, []string{"WBS-0001"}},
		{care.OrderQuery{Status: "cod", Limit: 10}, []string{"WBS-0002"}},
		{care.OrderQuery{Status: "shipped", Limit: 10}, nil},
		{care.OrderQuery{Status: "cod", Contact: id, Limit: 10}, []string{"WBS-0002"}},
		{care.OrderQuery{Contact: id, Limit: 1}, []string{"WBS-0002"}},
	}
	for _, tt := range tests {
		got, err := s.ListOrders(ctx, tt.q)
		if err != nil || !slices.Equal(numbers(got), tt.want) {
			t.Errorf("ListOrders(%+v) = %v, %v; want %v", tt.q, numbers(got), err, tt.want)
		}
	}
	for _, q := range []care.OrderQuery{{Limit: 0}, {Limit: 501}, {Status: "lunas", Limit: 1}} {
		if _, err := s.ListOrders(ctx, q); care.ErrorCode(err) != care.EInvalid {
			t.Errorf("ListOrders(%+v) error %v; want invalid", q, err)
		}
	}
	// The keys the README names.
	p := s.prefix
	if n, _ := client.Get(ctx, p+":{d}:orders:seq").Int(); n != 2 {
		t.Errorf("the counter is %d, want 2", n)
	}
	if v := client.HGet(ctx, p+":{d}:orders:num", "WBS-0002").Val(); v != string(second.ID) {
		t.Errorf("number lookup %q", v)
	}
	if v := client.HGet(ctx, p+":{d}:orders:where", string(second.ID)).Val(); v != string(id) {
		t.Errorf("where lookup %q", v)
	}
	if v := client.HGet(ctx, p+":{c:"+string(id)+"}:orders", string(first.ID)).Val(); !strings.HasPrefix(v, "1|{") {
		t.Errorf("the record is %.40q, want version 1 and JSON", v)
	}
	if n := client.ZCard(ctx, p+":{d}:orders:new").Val(); n != 2 {
		t.Errorf("%d orders in the index of new ones, want 2", n)
	}
}

// numbers are the orders' numbers.
func numbers(os []care.Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Number)
	}
	return out
}

// TestOrderChangeTellsTheCustomer: each change of state queues exactly
// one message, of class transactional, in the customer's language,
// which the gate lets through; a refused change changes nothing and
// tells nobody.
func TestOrderChangeTellsTheCustomer(t *testing.T) {
	s, _ := newStore(t)
	id := customer(t, s, alice, "Alice", "id")
	bob := care.Address{Channel: care.Telegram, ID: "777"}
	bobID := customer(t, s, bob, "Bob", "en")
	o := newOrder(t, s, id, care.MethodTransfer)
	en := newOrder(t, s, bobID, care.MethodTransfer)
	if ds := mustNext(t, s, "w", 10); len(ds) != 0 {
		t.Fatalf("a new order queued %q; want nothing", texts(ds))
	}
	gate := outreach.NewGate(outreach.GateConfig{})
	steps := []struct {
		name string
		ref  string
		ch   care.OrderChange
		// want is the one message queued ("" none), error a refusal.
		want, error string
		lane        care.Lane
	}{
		{name: "confirmed", ref: o.Number, ch: care.OrderChange{Order: care.OrderConfirmed},
			want: "Pesanan WBS-0001 sudah kami konfirmasi, Kak. Totalnya Rp45.000.", lane: "whatsapp.shop"},
		{name: "shipped before it is paid for: allowed, the shop decides", ref: o.Number, ch: care.OrderChange{Fulfilment: care.FulfilmentShipped, Resi: "JNE0012345"},
			want: "Pesanan WBS-0001 sudah dikirim, Kak! Nomor resinya JNE0012345.", lane: "whatsapp.shop"},
		{name: "completed unpaid: refused", ref: o.Number, ch: care.OrderChange{Fulfilment: care.FulfilmentDelivered, Order: care.OrderCompleted},
			error: "cannot be completed: it is not paid (payment unpaid)"},
		{name: "the same again: nothing", ref: o.Number, ch: care.OrderChange{Fulfilment: care.FulfilmentShipped, Resi: "JNE0012345"}},
		{name: "paid, delivered, completed", ref: o.Number, ch: care.OrderChange{Payment: care.PaymentPaid, Fulfilment: care.FulfilmentDelivered, Order: care.OrderCompleted},
			want: "Pembayaran pesanan WBS-0001 sudah kami terima. Terima kasih, Kak!\nPesanan WBS-0001 sudah sampai. Semoga suka, Kak!\n" +
				"Pesanan WBS-0001 selesai. Terima kasih sudah belanja, Kak! 🙏", lane: "whatsapp.shop"},
		{name: "a completed order does not go back", ref: o.Number, ch: care.OrderChange{Order: care.OrderNew},
			error: "is completed: it does not change any more"},
		{name: "in English", ref: en.Number, ch: care.OrderChange{Order: care.OrderCancelled, Reason: "out of stock"},
			want: "Your order WBS-0002 has been cancelled. Reason: out of stock.", lane: "telegram.shop"},
		{name: "a cancelled order cannot ship", ref: en.Number, ch: care.OrderChange{Fulfilment: care.FulfilmentShipped, Resi: "X1"},
			error: "is cancelled: it cannot be shipped"},
	}
	for _, st := range steps {
		before, err := s.Order(ctx, st.ref)
		if err != nil {
			t.Fatal(err)
		}
		u, err := change(t, s, st.ref, st.ch)
		if st.error != "" {
			after, _ := s.Order(ctx, st.ref)
			if care.ErrorCode(err) != care.EConflict || !strings.Contains(err.Error(), st.error) || after.Version != before.Version {
				t.Errorf("%s: error %v (version %d → %d); want a conflict with %q, nothing written", st.name, err, before.Version, after.Version, st.error)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		ds := mustNext(t, s, "w", 10)
		if st.want == "" {
			if len(ds) != 0 || (err == nil && u.Notice != nil) {
				t.Errorf("%s: queued %q; want nothing", st.name, texts(ds))
			}
			continue
		}
		if len(ds) != 1 {
			t.Fatalf("%s: queued %q; want one message", st.name, texts(ds))
		}
		d := ds[0]
		if d.Text != st.want || d.Class != care.Transactional || d.Order != st.ref || d.Origin != care.OriginSystem || d.Lane != st.lane ||
			u.Notice == nil || u.Notice.ID != d.ID || d.ID != string(u.Order.ID)+"/"+fmt.Sprint(u.Order.Version) {
			t.Errorf("%s: queued %+v (notice %+v)\nwant %q", st.name, d.Outbound, u.Notice, st.want)
		}
		if v := gate.Decide(d, s.now()); v.Verdict != care.Allow || v.Reason != "about the contact's order" {
			t.Errorf("%s: the gate says %+v; want it through", st.name, v)
		}
		if err := s.Settle(ctx, d, care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
			t.Fatal(err)
		}
	}
	done, err := s.Order(ctx, o.Number)
	if err != nil || done.State != care.OrderCompleted || done.Resi != "JNE0012345" || len(done.History) != 5 || done.History[4].By != "rina" {
		t.Errorf("the order at the end: %+v, %v", done, err)
	}

	// A customer who withdrew the orders consent: the change is made
	// and its message queued, and the gate refuses it.
	third := newOrder(t, s, id, care.MethodTransfer)
	if _, err := s.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		return c, []care.ConsentEvent{{Purpose: care.Orders, Granted: false, At: s.now(), Channel: care.WhatsApp, Source: care.SourceKeyword}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	mustChange(t, s, third.Number, care.OrderChange{Order: care.OrderConfirmed})
	ds := mustNext(t, s, "w", 10)
	if len(ds) != 1 || gate.Decide(ds[0], s.now()).Reason != "orders consent withdrawn" {
		t.Errorf("without consent: %q, %+v", texts(ds), ds)
	}
}

// TestOrderProof: a proof makes an unpaid order await confirmation and
// tells the customer it came.
func TestOrderProof(t *testing.T) {
	s, _ := newStore(t)
	o := newOrder(t, s, customer(t, s, alice, "Alice", "id"), care.MethodQRIS)
	u, err := s.AttachProof(ctx, o.Number, "media/wa/3EB0C7A1.jpg", care.ByCustomer)
	if err != nil || u.Order.Payment != care.PaymentAwaiting || u.Order.Proof != "media/wa/3EB0C7A1.jpg" || u.Notice == nil ||
		u.Notice.Text != "Bukti bayar pesanan WBS-0001 sudah kami terima, Kak. Kami cek dulu ya." {
		t.Fatalf("AttachProof = %+v, %v", u, err)
	}
	if _, err := s.AttachProof(ctx, o.Number, "", "rina"); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("an empty proof: %v", err)
	}
	if _, err := change(t, s, o.Number, care.OrderChange{Payment: care.PaymentUnpaid}); care.ErrorCode(err) != care.EConflict {
		t.Errorf("back to unpaid without a reason: %v", err)
	}
	u = mustChange(t, s, o.Number, care.OrderChange{Payment: care.PaymentUnpaid, Reason: "nominal kurang"})
	if u.Notice == nil || !strings.HasSuffix(u.Notice.Text, "Alasannya: nominal kurang.") {
		t.Errorf("the notice of a proof refused: %+v", u.Notice)
	}
}

// TestUpdateOrderRules: UpdateOrder writes over the version read, keeps
// what never changes, and refuses a state changed around the
// transitions.
func TestUpdateOrderRules(t *testing.T) {
	s, _ := newStore(t)
	id := customer(t, s, alice, "Alice", "id")
	o := newOrder(t, s, id, care.MethodTransfer)
	if _, err := s.UpdateOrder(ctx, o.Number, func(o care.Order) (care.Order, error) {
		o.State = care.OrderCompleted
		return o, nil
	}); care.ErrorCode(err) != care.EInvalid || !strings.Contains(err.Error(), "without a recorded transition") {
		t.Errorf("a state set by hand: %v", err)
	}
	// A fee set by hand is refused: it is a change in the history.
	if _, err := s.UpdateOrder(ctx, o.Number, func(o care.Order) (care.Order, error) {
		o.DeliveryFee = 15_000
		return o, nil
	}); care.ErrorCode(err) != care.EInvalid || !strings.Contains(err.Error(), "without a recorded transition") {
		t.Errorf("a fee set by hand: %v", err)
	}
	// The shop sets the delivery fee; the number, customer and creation
	// stay, the total follows, and the customer is told.
	u, err := s.UpdateOrder(ctx, o.Number, func(o care.Order) (care.Order, error) {
		o, err := o.SetFee(15_000, "sari", s.now())
		o.Number, o.Contact, o.Created, o.Total = "X-1", "", time.Time{}, 1
		return o, err
	})
	if err != nil || u.Order.Total != 50_000 || u.Order.Number != o.Number || u.Order.Contact != id || !u.Order.Created.Equal(o.Created) ||
		u.Order.Version != 2 || u.Notice == nil || !strings.Contains(u.Notice.Text, "jadi totalnya Rp50.000") {
		t.Errorf("a new delivery fee: %+v, %v", u, err)
	}
	if u, err := s.UpdateOrder(ctx, o.Number, func(o care.Order) (care.Order, error) { return o, nil }); err != nil || u.Order.Version != 2 {
		t.Errorf("no change: %+v, %v; want nothing written", u.Order, err)
	}
	if _, err := s.UpdateOrder(ctx, "WBS-0999", func(o care.Order) (care.Order, error) { return o, nil }); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("an unknown number: %v", err)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateOrder(ctx, o.Number, func(care.Order) (care.Order, error) { return care.Order{}, boom }); !errors.Is(err, boom) {
		t.Errorf("fn's error: %v", err)
	}

	// Changes at once: each over the version it read, none lost, each
	// told once.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	changes := []func(care.Order) (care.Order, error){
		func(o care.Order) (care.Order, error) {
			return o.Apply(care.OrderChange{Order: care.OrderConfirmed}, "rina", s.now())
		},
		func(o care.Order) (care.Order, error) {
			return o.Apply(care.OrderChange{Payment: care.PaymentPaid}, "budi", s.now())
		},
		func(o care.Order) (care.Order, error) { o.Note = "tanpa sambal"; return o, nil },
	}
	for i, fn := range changes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.UpdateOrder(ctx, o.Number, fn)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, err := s.Order(ctx, o.Number)
	if err != nil || got.State != care.OrderConfirmed || got.Payment != care.PaymentPaid || got.Note != "tanpa sambal" || got.Version != 5 {
		t.Errorf("after changes at once: %+v, %v", got, err)
	}
	if ds := mustNext(t, s, "w", 10); len(ds) != 3 {
		t.Errorf("queued %q; want the fee, the confirmation and the payment", texts(ds))
	}
}

// TestOrderIndexes: the lists follow the records: an order leaves the
// list of a state it left, and a member no record backs is skipped and,
// once old, tidied away.
func TestOrderIndexes(t *testing.T) {
	now := t0
	var mu sync.Mutex
	s, client := newStore(t, WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
	o := newOrder(t, s, customer(t, s, alice, "Alice", "id"), care.MethodTransfer)
	mustChange(t, s, o.Number, care.OrderChange{Order: care.OrderConfirmed, Payment: care.PaymentPaid})
	for status, want := range map[string]int{"new": 0, "unpaid": 0, "confirmed": 1, "paid": 1} {
		if n := client.ZCard(ctx, s.ordersKey(status)).Val(); n != int64(want) {
			t.Errorf("%d orders in the index of %s, want %d", n, status, want)
		}
	}
	// A member left behind (a writer that died, a record gone) and one
	// just added for a write on its way.
	client.ZAdd(ctx, s.ordersKey("new"), redis.Z{Score: score(now.Add(-2 * indexGrace)), Member: string(o.ID)})
	client.ZAdd(ctx, s.ordersKey("new"), redis.Z{Score: score(now), Member: "oaaaaaaaaaaaaaaaa"})
	if got, err := s.ListOrders(ctx, care.OrderQuery{Status: "new", Limit: 10}); err != nil || len(got) != 0 {
		t.Errorf("new orders: %v, %v; want none", numbers(got), err)
	}
	if ms := client.ZRange(ctx, s.ordersKey("new"), 0, -1).Val(); !slices.Equal(ms, []string{"oaaaaaaaaaaaaaaaa"}) {
		t.Errorf("the index of new orders holds %v; want only the fresh member", ms)
	}
	if got, err := s.ListOrders(ctx, care.OrderQuery{Status: "dibayar", Limit: 10}); err != nil || !slices.Equal(numbers(got), []string{o.Number}) {
		t.Errorf("paid orders: %v, %v", numbers(got), err)
	}
}

// bookedOrder gives alice an order with everything that names her (a
// recipient, phone, address, note, proof, resi and a reason), then has
// her erase her data, and returns the order.
func bookedOrder(t *testing.T, s *Store) care.Order {
	t.Helper()
	id := customer(t, s, alice, "Alice", "id")
	o := newOrder(t, s, id, care.MethodTransfer)
	mustChange(t, s, o.Number, care.OrderChange{Order: care.OrderConfirmed})
	if _, err := s.AttachProof(ctx, o.Number, "media/wa/alice-proof.jpg", care.ByCustomer); err != nil {
		t.Fatal(err)
	}
	mustChange(t, s, o.Number, care.OrderChange{Payment: care.PaymentPaid, Fulfilment: care.FulfilmentShipped, Resi: "JNE-ALICE-77", Reason: "Alice minta cepat"})
	erase := care.Commit{
		Inbound:  care.Inbound{Address: alice, MessageID: "m-erase", Kind: care.KindText, Text: "YA", At: s.now()},
		Session:  care.Session{Version: 1, Updated: s.now()},
		Contact:  care.Contact{ID: id, Version: 1, Addresses: []care.Address{alice}, LastInbound: s.now(), Erasing: s.now()},
		Erase:    true,
		Outbound: []care.Outbound{{ID: "r-confirmation", Contact: id, Address: alice, Class: care.Reply, Text: "Data Anda sudah dihapus.", Created: s.now(), Origin: care.OriginErasure}},
	}
	if err := s.Schedule(ctx, care.Job{Kind: care.JobErase, Contact: id, Due: s.now()}); err != nil {
		t.Fatal(err)
	}
	erase.Contact.Version = mustProfileVersion(t, s, id)
	mustCommit(t, s, erase)
	got, err := s.Order(ctx, o.Number)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// mustProfileVersion is the version of the contact's profile now.
func mustProfileVersion(t *testing.T, s *Store, id care.ContactID) int64 {
	t.Helper()
	c, ok, err := s.Contact(ctx, id)
	if err != nil || !ok {
		t.Fatalf("contact %s: %v, %v", id, ok, err)
	}
	return c.Version
}

// checkBooked checks that after alice's erasure no key name or value
// holds anything that names her, nor her contact id (but the audits',
// which name contacts by id alone), and that the order is in the books.
func checkBooked(t *testing.T, s *Store, client redis.UniversalClient, o care.Order) {
	t.Helper()
	noTrace(t, s, client)
	secrets := []string{alice.ID, "Alice", "Jl. Rahasia", "0812-9999-0000", "pagar hijau", "alice-proof", "JNE-ALICE", "minta cepat"}
	for _, k := range client.Keys(ctx, s.prefix+"*").Val() {
		v := fmt.Sprint(client.HGetAll(ctx, k).Val(), client.Get(ctx, k).Val(), client.ZRange(ctx, k, 0, -1).Val())
		for _, secret := range secrets {
			if strings.Contains(v, secret) {
				t.Errorf("%s still holds %q: %.300s", k, secret, v)
			}
		}
		if k != s.audit && k != s.staffAudit && strings.Contains(v, string(o.Contact)) {
			t.Errorf("%s still names the contact %s: %.300s", k, o.Contact, v)
		}
	}
	books, err := s.Order(ctx, o.Number)
	if err != nil {
		t.Fatal(err)
	}
	if books.Contact != "" || books.Erased.IsZero() || books.Total != o.Total || books.Subtotal != o.Subtotal || len(books.Lines) != 2 ||
		books.Lines[0].Name != "Tomat" || !books.Created.Equal(o.Created) || books.Payment != care.PaymentPaid || books.Delivery.Area != "Bogor Tengah" ||
		len(books.History) != len(o.History) || books.Version != o.Version {
		t.Errorf("the books keep %+v\nof %+v", books, o)
	}
	if raw := client.HGet(ctx, s.prefix+":{d}:orders:books", string(o.ID)).Val(); raw == "" {
		t.Errorf("no record in the books")
	}
	if got, err := s.ListOrders(ctx, care.OrderQuery{Status: "shipped", Limit: 10}); err != nil || !slices.Equal(numbers(got), []string{o.Number}) {
		t.Errorf("shipped orders after the erasure: %v, %v", numbers(got), err)
	}
}

func TestErasureKeepsTheBooks(t *testing.T) {
	s, client := newStore(t)
	o := bookedOrder(t, s)
	if n, err := s.Sweep(ctx, nil); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
	checkBooked(t, s, client, o)
	// The books still follow the rules, and tell nobody.
	mustNext(t, s, "w", 10) // the erasure's confirmation
	u, err := change(t, s, o.Number, care.OrderChange{Order: care.OrderCancelled, Reason: "tidak bisa dikirim"})
	if err != nil || u.Notice != nil || u.Order.State != care.OrderCancelled || u.Order.Contact != "" {
		t.Errorf("cancelling a booked order: %+v, %v", u, err)
	}
	if ds := mustNext(t, s, "w", 10); len(ds) != 0 {
		t.Errorf("queued %q for nobody", texts(ds))
	}
}

// TestErasureOfOrdersSurvivesACrash stops the erasure at the orders'
// step and at the next, and runs it again.
func TestErasureOfOrdersSurvivesACrash(t *testing.T) {
	for _, crash := range []JobStep{StepEraseOrders, StepEraseKeys} {
		t.Run(string(crash), func(t *testing.T) {
			now := time.Now()
			var mu sync.Mutex
			s, client := newStore(t, WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
			o := bookedOrder(t, s)
			died := errors.New("process died")
			if _, err := s.sweep(ctx, nil, func(step JobStep) error {
				if step == crash {
					return died
				}
				return nil
			}); !errors.Is(err, died) {
				t.Fatalf("the erasure did not stop at %s: %v", crash, err)
			}
			mu.Lock()
			now = now.Add(2 * jobLease)
			mu.Unlock()
			if n, err := s.Sweep(ctx, nil); n != 1 || err != nil {
				t.Fatalf("restart: Sweep = %d, %v", n, err)
			}
			checkBooked(t, s, client, o)
		})
	}
}

// TestMergeMovesOrders: the orders of two contacts found to be one
// person are the person's, however often the merge runs.
func TestMergeMovesOrders(t *testing.T) {
	for _, crash := range []JobStep{"", StepMergeOrders, StepMergeStub} {
		t.Run(cmp.Or(string(crash), "no crash"), func(t *testing.T) {
			now := time.Now()
			var mu sync.Mutex
			s, _ := newStore(t, WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
			wa := person(t, s, phone, true, t0)
			tg := person(t, s, tgID, false, t0.Add(time.Minute))
			first := newOrder(t, s, wa, care.MethodCOD)
			second := newOrder(t, s, tg, care.MethodTransfer)
			if _, err := s.Link(ctx, phone, tgID); err != nil {
				t.Fatal(err)
			}
			died := errors.New("process died")
			if _, err := s.sweep(ctx, nil, func(step JobStep) error {
				if step == crash {
					return died
				}
				return nil
			}); crash != "" && !errors.Is(err, died) {
				t.Fatalf("the merge did not stop at %s: %v", crash, err)
			}
			mu.Lock()
			now = now.Add(2 * jobLease)
			mu.Unlock()
			if _, err := s.Sweep(ctx, nil); err != nil {
				t.Fatal(err)
			}
			got, err := s.ContactOrders(ctx, tg) // followed to the person
			if err != nil || !slices.Equal(numbers(got), []string{first.Number, second.Number}) || got[1].Contact != wa {
				t.Fatalf("the person's orders: %+v, %v", got, err)
			}
			mustNext(t, s, "w", 10) // the messages merged
			u := mustChange(t, s, second.Number, care.OrderChange{Order: care.OrderConfirmed})
			if u.Order.Contact != wa || u.Notice == nil || u.Notice.Contact != wa {
				t.Errorf("a moved order's change: %+v", u)
			}
		})
	}
}

// TestOrderBooked: what orders hold of the pre-order items counts
// every customer's, an update that changes nothing books nothing again,
// and a cancelled order frees its part.
func TestOrderBooked(t *testing.T) {
	s, _ := newStore(t)
	place := func(id care.ContactID, qty float64) care.Order {
		t.Helper()
		o, err := s.CreateOrder(ctx, care.Order{Contact: id, Method: care.MethodTransfer, Delivery: care.OrderDelivery{Pickup: true, Recipient: "Alice"},
			Lines: []care.OrderLine{{Item: "lapis", Name: "Lapis legit", Qty: qty, Unit: "loyang", Price: 350_000, Preorder: true},
				{Item: "tomat", Name: "Tomat", Qty: 1, Unit: "kg", Price: 10_000}}}, shopPrefix)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	want := func(lapis float64) {
		t.Helper()
		got, err := s.Booked(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if lapis == 0 && len(got) != 0 || lapis != 0 && (len(got) != 1 || got["lapis"] != lapis) {
			t.Errorf("booked %v, want lapis %v", got, lapis)
		}
	}
	want(0)
	first := place(customer(t, s, alice, "Alice", "id"), 4)
	second := place(customer(t, s, care.Address{Channel: care.WhatsApp, ID: "6289876543210"}, "Bob", "id"), 0.5)
	want(4.5)
	mustChange(t, s, first.Number, care.OrderChange{Order: care.OrderConfirmed})
	if _, err := s.UpdateOrder(ctx, first.Number, func(o care.Order) (care.Order, error) { return o, nil }); err != nil {
		t.Fatal(err)
	}
	want(4.5)
	mustChange(t, s, first.Number, care.OrderChange{Order: care.OrderCancelled, Reason: "salah pesan"})
	want(0.5)
	mustChange(t, s, second.Number, care.OrderChange{Order: care.OrderCancelled, Reason: "salah pesan"})
	want(0)
}
