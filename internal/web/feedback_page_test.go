package web

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestOwnerFeedback shows the owner the scores of the last 30 days and of
// all time, the comments with their orders and the suggestions, every
// customer's word escaped; staff are refused.
func TestOwnerFeedback(t *testing.T) {
	s := newInboxServer(t)
	s.Server = New(Config{Staff: s.staff, Inbox: s.store, Contacts: s.store, Directory: s.store, Orders: s.store, Feedback: s.store,
		ShopName: "Toko Sari", TimeZone: time.FixedZone("WIB", 7*3600), Now: s.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	ctx := t.Context()
	id := s.customer(t, dewi, "Dewi", "id", "halo")
	const evil = `<script>alert(1)</script> berasnya basah`
	for _, f := range []care.Feedback{
		{Score: 5, Comment: "tempenya enak", At: testNow.Add(-40 * 24 * time.Hour)},
		{Score: 1, Comment: evil, At: testNow.Add(time.Minute)},
		{Score: 4, At: testNow.Add(2 * time.Minute)},
		{},
	} {
		o, err := s.store.CreateOrder(ctx, care.Order{Contact: id, Method: care.MethodTransfer, Lines: []care.OrderLine{{Name: "Tempe", Qty: 2, Unit: "papan", Price: 6000}},
			Delivery: care.OrderDelivery{Pickup: true}}, "WBS")
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range []care.OrderChange{{Order: care.OrderConfirmed}, {Fulfilment: care.FulfilmentPickedUp}} {
			if _, err := s.store.UpdateOrder(ctx, o.Number, func(o care.Order) (care.Order, error) { return o.Apply(ch, "sari", testNow) }); err != nil {
				t.Fatal(err)
			}
		}
		if f.Score > 0 {
			f.Asked = f.At
			if _, err := s.store.UpdateOrder(ctx, o.Number, func(o care.Order) (care.Order, error) { o.Feedback = &f; return o, nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.clock.Add(3 * time.Minute)
	at := s.clock.Now()
	tg := care.Address{Channel: care.Telegram, ID: "7001"}
	rina, err := s.store.Import(ctx, tg, care.Contact{Name: "Rina"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := s.store.Contact(ctx, rina)
	if err != nil {
		t.Fatal(err)
	}
	const idea = `<b>buka</b> lebih pagi`
	if err := s.store.CommitMany(ctx, []care.Commit{{Inbound: care.Inbound{Address: tg, MessageID: "s1", Kind: care.KindText, Text: idea, At: at},
		Session: care.Session{Updated: at}, Contact: c, SessionTTL: time.Hour,
		Events: []care.StaffEvent{{At: at, Action: care.ActionSuggested, By: care.ByCustomer, Reason: idea}}}})[0]; err != nil {
		t.Fatal(err)
	}
	if err := s.store.Suggested(ctx, rina, at); err != nil {
		t.Fatal(err)
	}

	owner, staff := newBrowser(t, s), newBrowser(t, s)
	wantRedirect(t, owner.login("sari", ownerPassword, nil), "/console")
	wantRedirect(t, staff.login("budi", staffPassword, nil), "/console")
	if rec := staff.get("/console/feedback"); rec.Code != 403 || strings.Contains(rec.Body.String(), "basah") {
		t.Fatalf("staff: %d %.300s", rec.Code, rec.Body)
	}
	rec := owner.get("/console/feedback")
	if rec.Code != 200 {
		t.Fatalf("owner: %d %.300s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	recent, all, ok := strings.Cut(body, "Semua")
	if !ok {
		t.Fatalf("no all-time scores:\n%s", body)
	}
	for _, want := range []string{`href="/console/feedback" aria-current="page"`, "30 hari terakhir", "2 pesanan dinilai, rata-rata <strong>2.5</strong>",
		`<progress max="2" value="1">`} {
		if !strings.Contains(recent, want) {
			t.Errorf("the last 30 days lack %q", want)
		}
	}
	for _, want := range []string{"3 pesanan dinilai, rata-rata <strong>3.3</strong>", `<progress max="3" value="1">`, `<progress max="3" value="0">`,
		"WBS-0002</strong> · nilai 1", "&lt;script&gt;alert(1)&lt;/script&gt; berasnya basah", "2 Mar 2026 16.31 WIB",
		"WBS-0001</strong> · nilai 5", "tempenya enak", "&lt;b&gt;buka&lt;/b&gt; lebih pagi", "2 Mar 2026 16.33 WIB",
		`href="/console/contacts/` + string(rina) + `"`} {
		if !strings.Contains(all, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Index(all, "berasnya basah") > strings.Index(all, "tempenya enak") {
		t.Errorf("the comments are not the newest first")
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "<b>buka") {
		t.Errorf("a customer's words reached the page unescaped")
	}
}
