package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

func newStore(t *testing.T) *redisstore.Store {
	t.Helper()
	client, prefix := redistest.Client(t)
	return redisstore.New(client, prefix)
}

func wa(id string) care.Address { return care.Address{Channel: care.WhatsApp, ID: id} }

// grantPromotions records the person's own YA to promotions, as the
// opt-in flow does.
func grantPromotions(t *testing.T, s *redisstore.Store, id care.ContactID, at time.Time) {
	t.Helper()
	_, err := s.UpdateContact(t.Context(), id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: true, At: at, Channel: care.WhatsApp,
			Source: care.SourceFlow, MessageID: "yes-1", Text: "YA", Question: "Mau promo?", Version: "v1"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// startErasure commits the person's HAPUS DATA confirmation with its
// job, as the runtime does: a sweep finishes it once due.
func startErasure(t *testing.T, s *redisstore.Store, a care.Address, due time.Time) care.ContactID {
	t.Helper()
	ctx := t.Context()
	id, ok, err := s.Lookup(ctx, a)
	if err != nil || !ok {
		t.Fatalf("lookup %s: %v, %v", a, ok, err)
	}
	c, _, err := s.Contact(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Schedule(ctx, care.Job{Kind: care.JobErase, Contact: id, Due: due}); err != nil {
		t.Fatal(err)
	}
	c.Erasing = time.Now()
	err = s.Commit(ctx, care.Commit{Inbound: care.Inbound{Address: a, MessageID: "erase-" + a.ID, Kind: care.KindText, Text: "YA", At: time.Now()},
		Contact: c, Erase: true, SessionTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestImport imports a spreadsheet over a shop's records: no consent is
// granted by it, a person who erased their data stays erased, one who
// is erasing is left alone, and the rows of one person become one
// contact with the tags of each.
func TestImport(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	known, erased, erasing := wa("6281100000001"), wa("6281100000002"), wa("6281100000003")
	knownID, err := s.Import(ctx, known, care.Contact{Name: "Budi"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []care.Address{erased, erasing} {
		id, err := s.Import(ctx, a, care.Contact{Name: "before"})
		if err != nil {
			t.Fatal(err)
		}
		grantPromotions(t, s, id, time.Now().Add(-time.Hour))
	}
	erasedID := startErasure(t, s, erased, time.Now())
	if n, err := s.Sweep(ctx, nil); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want the erasure done", n, err)
	}
	erasingID := startErasure(t, s, erasing, time.Now().Add(time.Hour))

	file := "\uFEFFchannel;id;name;person;tags;consent\r\n" +
		"whatsapp;0811-0000-0001;Budi Santoso;;langganan;yes\r\n" + // known: updated
		"whatsapp;+62 811 0000 0002;Ani;;;yes\r\n" + // erased before: new, suppressed
		"whatsapp;(0811) 0000-0003;Citra;;;yes\r\n" + // erasing now: skipped
		"whatsapp;0811 0000 0004;Dewi;dewi;vip;yes\r\n" + // new
		"telegram;5550004;;dewi;pasar|vip;yes\r\n" + // merged: Dewi's Telegram
		"whatsapp;62 811 0000 0004;;;;yes\r\n" + // merged: Dewi's number again
		"telegram;@eko;Eko;;;yes\r\n" // skipped: not a chat id
	f, err := ReadCSV(strings.NewReader(file), opts)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Import(ctx, s, f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if sum.New != 2 || sum.Known != 1 || sum.Merged != 2 || sum.Erased != 1 {
		t.Errorf("summary %+v: want 2 new, 1 known, 2 merged, 1 erased before", sum)
	}
	var out bytes.Buffer
	sum.Print(&out)
	for _, want := range []string{
		"imported 5 rows: 2 new contacts, 1 contact already known (updated), 2 rows merged into the contact of an earlier row",
		"skipped 2 rows:\n  line 4: the person asked to erase their data and the erasure is under way: not imported\n  line 8: telegram id \"@eko\" is not a chat id",
		`warning: column "consent" ignored: an import never grants consent`,
		"1 address was erased before at the person's request: each is a new contact",
		"consent untouched",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}

	contactOf := func(a care.Address) care.Contact {
		t.Helper()
		id, ok, err := s.Lookup(ctx, a)
		if err != nil || !ok {
			t.Fatalf("lookup %s: %v, %v", a, ok, err)
		}
		c, ok, err := s.Contact(ctx, id)
		if err != nil || !ok {
			t.Fatalf("contact %s: %v, %v", id, ok, err)
		}
		return c
	}
	// No row granted consent, whatever its consent column said.
	for _, a := range []care.Address{known, erased, wa("6281100000004"), {Channel: care.Telegram, ID: "5550004"}} {
		c := contactOf(a)
		if c.Consents(care.Promotions) || len(c.Consent) > 0 {
			t.Errorf("%s: consent %v after the import, want none", a, c.Consent)
		}
		if ledger, err := s.Ledger(ctx, c.ID); err != nil || len(ledger) > 0 {
			t.Errorf("%s: ledger %v, %v; want it empty", a, ledger, err)
		}
	}
	if c := contactOf(known); c.ID != knownID || c.Name != "Budi Santoso" || !slices.Equal(c.Tags, []string{"langganan"}) {
		t.Errorf("the known contact is %+v, want %s updated with name and tag", c, knownID)
	}
	// The erased person stays erased: a new contact, suppressed since
	// the erasure, nothing of the old one back.
	ani := contactOf(erased)
	if ani.ID == erasedID || ani.Suppressed.IsZero() || ani.Name != "Ani" {
		t.Errorf("the erased person came back as %+v, want a new contact marked suppressed", ani)
	}
	if _, ok, _ := s.Contact(ctx, erasedID); ok {
		t.Errorf("the erased contact %s has a profile again", erasedID)
	}
	// The one erasing now is left to the erasure.
	if id, _, _ := s.Lookup(ctx, erasing); id != erasingID {
		t.Errorf("the erasing address is filed under %s, want %s", id, erasingID)
	}
	if c, _, _ := s.Contact(ctx, erasingID); c.Live() || c.Name == "Citra" {
		t.Errorf("the erasing contact became %+v", c)
	}
	// Dewi's rows are one contact with the tags of both.
	dewi := contactOf(wa("6281100000004"))
	if tg := contactOf(care.Address{Channel: care.Telegram, ID: "5550004"}); tg.ID != dewi.ID {
		t.Errorf("Dewi's Telegram is %s, her WhatsApp %s: want one contact", tg.ID, dewi.ID)
	}
	if !slices.Equal(dewi.Tags, []string{"vip", "pasar"}) || dewi.Name != "Dewi" {
		t.Errorf("Dewi is %+v, want her name and tags vip, pasar", dewi)
	}

	// Importing again changes nothing but what the file says.
	if sum, err := Import(ctx, s, f); err != nil || sum.New != 0 || sum.Known != 3 || sum.Merged != 2 {
		t.Errorf("import again: %+v, %v; want 3 known and 2 merged", sum, err)
	}
	if c := contactOf(wa("6281100000004")); !slices.Equal(c.Tags, []string{"vip", "pasar"}) {
		t.Errorf("tags after importing again: %v", c.Tags)
	}
}

// TestExport writes the shop's contacts as a spreadsheet and as a
// listing.
func TestExport(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	f, err := ReadCSV(strings.NewReader("channel,id,name,person,tags,lang,timezone\n"+
		"whatsapp,081234567891,Sari,sari,vip,id,WITA\n"+
		"telegram,5550001,,sari,pasar,,\n"+
		"whatsapp,081234567892,\"=HYPERLINK(\"\"x\"\")\",,,,\n"), opts)
	if err != nil || len(f.Skipped) > 0 {
		t.Fatal(err, f.Skipped)
	}
	if _, err := Import(ctx, s, f); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(ctx, nil); err != nil {
		t.Fatal(err)
	}
	sariID, _, _ := s.Lookup(ctx, wa("6281234567891"))
	granted := time.Date(2026, 3, 1, 2, 3, 4, 0, time.UTC)
	grantPromotions(t, s, sariID, granted)
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}

	var b bytes.Buffer
	w, err := NewCSVWriter(&b, jakarta)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EachContact(ctx, w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "\uFEFFid,name,whatsapp,telegram,lang,timezone,tags,orders,orders_changed,promotions,promotions_changed,first_seen,last_message\n") {
		t.Errorf("export starts %.80q, want a byte-order mark and the header", b.String())
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d rows, want the header and two contacts:\n%s", len(recs), b.String())
	}
	slices.SortFunc(recs[1:], func(a, b []string) int { return strings.Compare(a[1], b[1]) })
	sari, formula := recs[2], recs[1]
	want := []string{string(sariID), "Sari", "6281234567891", "5550001", "id", "Asia/Makassar", "vip; pasar",
		"not withdrawn", "", "granted", "2026-03-01T09:03:04+07:00"}
	if !slices.Equal(sari[:len(want)], want) || sari[11] == "" || sari[12] != "" {
		t.Errorf("Sari's row %q, want %q, first seen and no last message", sari, want)
	}
	if formula[1] != `'=HYPERLINK("x")` || formula[9] != "not given" {
		t.Errorf("row %q: want the name kept from being a formula, promotions not given", formula)
	}

	var list bytes.Buffer
	if err := s.EachContact(ctx, func(c care.Contact) error { return PrintListed(&list, c, jakarta) }); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(list.String(), "\n"); got != 2 {
		t.Errorf("listing has %d lines, want 2:\n%s", got, list.String())
	}
	for _, want := range []string{string(sariID) + " (Sari)  whatsapp:6281234567891  telegram:5550001  lang id  tags vip, pasar  orders not withdrawn  promotions granted 2026-03-01  first seen 20"} {
		if !strings.Contains(list.String(), want) {
			t.Errorf("listing lacks %q:\n%s", want, list.String())
		}
	}

	stop := errors.New("stop")
	if err := s.EachContact(ctx, func(care.Contact) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("EachContact = %v, want the callback's error", err)
	}
}
