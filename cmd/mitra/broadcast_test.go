package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// runBroadcast runs `mitra broadcast args...` and returns what it
// printed.
func runBroadcast(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return run(t, broadcastCmd(), args...)
}

func TestBroadcastCommands(t *testing.T) {
	s := cliStore(t)
	wrote := time.Now().Add(-time.Hour)
	for i, consent := range []bool{true, true, false} {
		a := care.Address{Channel: care.Telegram, ID: "70" + string(rune('0'+i))}
		id, err := s.Import(t.Context(), a, care.Contact{Name: "Sari"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateContact(t.Context(), id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
			c.LastInbound, c.LastInboundOn = wrote, map[care.Channel]time.Time{care.Telegram: wrote}
			return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: consent, At: wrote, Channel: care.Telegram, Source: care.SourceFlow}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	boughtEggs(t, s, care.Address{Channel: care.Telegram, ID: "700"})

	if _, err := runBroadcast(t, "create", "--name", "x", "--text", "y", "--bought", "telor"); err == nil || !strings.Contains(err.Error(), `did you mean "telur"?`) {
		t.Errorf("--bought telor: %v, want did you mean telur", err)
	}
	out, err := runBroadcast(t, "create", "--name", "Telur", "--text", "y", "--bought", "telur", "--ordered-days", "30", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var eggs struct{ ID care.CampaignID }
	if err := json.Unmarshal([]byte(out), &eggs); err != nil {
		t.Fatalf("create --json printed %q (%v)", out, err)
	}
	if out, err := runBroadcast(t, "preview", string(eggs.ID)); err != nil ||
		!strings.Contains(out, "audience     promotions consent; ordered in the last 30 days; bought telur") || !strings.Contains(out, "recipients   1 (telegram 1)") {
		t.Errorf("preview by orders: %v\n%s", err, out)
	}
	if out, err := runBroadcast(t, "preview", string(eggs.ID), "--json"); err != nil || !strings.Contains(out, `"ordered_days": 30`) || !strings.Contains(out, `"bought": "telur"`) {
		t.Errorf("preview --json by orders: %v\n%s", err, out)
	}
	if out, err := runBroadcast(t, "report", string(eggs.ID)); err != nil || !strings.Contains(out, "audience     promotions consent; ordered in the last 30 days; bought telur") {
		t.Errorf("report by orders: %v\n%s", err, out)
	}
	if _, err := runBroadcast(t, "create", "--name", "x", "--text", "Halo {{contact.phone}}"); err == nil || !strings.Contains(err.Error(), "knows only") {
		t.Errorf("a bad template: %v", err)
	}
	out, err = runBroadcast(t, "create", "--name", "Promo Lebaran", "--text", "Halo {{contact.name|Kak}}!", "--text-en", "Hi!", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var made struct{ ID care.CampaignID }
	if err := json.Unmarshal([]byte(out), &made); err != nil || made.ID.Validate() != nil {
		t.Fatalf("create --json printed %q (%v)", out, err)
	}
	id := string(made.ID)
	steps := []struct {
		name       string
		args       []string
		out, fails string
	}{
		{"start before a preview", []string{"start", id}, "", "preview it first"},
		{"preview", []string{"preview", id, "--csv", filepath.Join(dir, "out.csv")}, "recipients   2 (telegram 2)", ""},
		{"list", []string{"list"}, id + "  draft", ""},
		{"a test to nobody", []string{"test", id, "--to", "telegram:999"}, "", "not a contact"},
		{"a test", []string{"test", id, "--to", "telegram:700", "--wait", "0s"}, "test " + id + "-test-", ""},
		{"start", []string{"start", id}, id + " is running", ""},
		{"status", []string{"status", id, "--once"}, "no process now", ""},
		{"pause", []string{"pause", id}, id + " is paused", ""},
		{"pause again", []string{"pause", id}, "", "only a running or scheduled one pauses"},
		{"resume", []string{"resume", id}, id + " is running", ""},
		{"cancel", []string{"cancel", id}, id + " is cancelled", ""},
		{"report", []string{"report", id, "--csv", filepath.Join(dir, "report.csv")}, "cancelled", ""},
		{"a tag", []string{"tag", "telegram:701", "--add", "VIP"}, ": vip", ""},
		{"a bad id", []string{"status", "c123"}, "", "campaign id"},
	}
	for _, st := range steps {
		out, err := runBroadcast(t, st.args...)
		switch {
		case st.fails != "" && (err == nil || !strings.Contains(err.Error(), st.fails)):
			t.Errorf("%s: %v (%q), want an error with %q", st.name, err, out, st.fails)
		case st.fails == "" && err != nil:
			t.Errorf("%s: %v", st.name, err)
		case !strings.Contains(out, st.out):
			t.Errorf("%s printed %q, want %q", st.name, out, st.out)
		}
	}
	csv, err := os.ReadFile(filepath.Join(dir, "out.csv"))
	if err != nil || !strings.HasPrefix(string(csv), "contact,channel,reason\n") || !strings.Contains(string(csv), ",telegram,withdrawn") {
		t.Errorf("exclusions CSV = %q, %v", csv, err)
	}
	if rep, err := os.ReadFile(filepath.Join(dir, "report.csv")); err != nil || !strings.HasPrefix(string(rep), "contact,channel,status,reason,at,opted_out,replied\n") {
		t.Errorf("report CSV = %q, %v", rep, err)
	}
	out, err = runBroadcast(t, "status", id, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var st campaignStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Campaign.State != care.CampaignCancelled || st.Campaign.Texts["en"] != "Hi!" {
		t.Errorf("status --json = %q (%v)", out, err)
	}
}

// boughtEggs files an order of eggs for the contact of a, today, and
// completes it.
func boughtEggs(t *testing.T, s *redisstore.Store, a care.Address) {
	t.Helper()
	id, ok, err := s.Lookup(t.Context(), a)
	if err != nil || !ok {
		t.Fatalf("contact of %s: %v %v", a, ok, err)
	}
	o, err := s.CreateOrder(t.Context(), care.Order{Contact: id, Method: care.MethodCOD, Delivery: care.OrderDelivery{Pickup: true},
		Lines: []care.OrderLine{{Item: "telur", Name: "Telur", Qty: 1, Unit: "kg", Price: 29_000}}}, "WBS")
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []care.OrderChange{{Order: care.OrderConfirmed}, {Fulfilment: care.FulfilmentPickedUp, Order: care.OrderCompleted}} {
		if _, err := s.UpdateOrder(t.Context(), o.Number, func(o care.Order) (care.Order, error) { return o.Apply(ch, "sari", time.Now()) }); err != nil {
			t.Fatal(err)
		}
	}
}
