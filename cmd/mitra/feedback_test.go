package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// runFeedback runs `mitra feedback args...` and returns what it printed.
func runFeedback(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return run(t, feedbackCmd(), args...)
}

func TestFeedbackCommand(t *testing.T) {
	t.Setenv("MITRA_TIMEZONE", "Asia/Jakarta")
	at := time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC) // 10:00 in Jakarta
	s := cliStore(t, redisstore.WithClock(func() time.Time { return at }))
	ctx := t.Context()
	if out, err := runFeedback(t); err != nil || out != "no scores yet\n\nno suggestions yet\n" {
		t.Fatalf("with nothing: %q, %v", out, err)
	}
	tg := care.Address{Channel: care.Telegram, ID: "7001"}
	id, err := s.Import(ctx, tg, care.Contact{Name: "Dewi"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []care.Feedback{{Score: 5, Comment: "tempenya enak"}, {Score: 4}, {Score: 1, Comment: "berasnya\nbasah"}, {}} {
		o, err := s.CreateOrder(ctx, care.Order{Contact: id, Method: care.MethodTransfer, Lines: []care.OrderLine{{Name: "Tempe", Qty: 2, Unit: "papan", Price: 6000}},
			Delivery: care.OrderDelivery{Pickup: true}}, "WBS")
		if err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Minute)
		for _, ch := range []care.OrderChange{{Order: care.OrderConfirmed}, {Fulfilment: care.FulfilmentPickedUp}} {
			if _, err := s.UpdateOrder(ctx, o.Number, func(o care.Order) (care.Order, error) { return o.Apply(ch, "sari", at) }); err != nil {
				t.Fatal(err)
			}
		}
		if f.Score > 0 {
			f.Asked, f.At = at, at
			if _, err := s.UpdateOrder(ctx, o.Number, func(o care.Order) (care.Order, error) { o.Feedback = &f; return o, nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, _, err := s.Contact(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CommitMany(ctx, []care.Commit{{Inbound: care.Inbound{Address: tg, MessageID: "s1", Kind: care.KindText, Text: "buka lebih pagi", At: at},
		Session: care.Session{Updated: at}, Contact: c, SessionTTL: time.Hour,
		Events: []care.StaffEvent{{At: at, Action: care.ActionSuggested, By: care.ByCustomer, Reason: "buka lebih pagi"}}}})[0]; err != nil {
		t.Fatal(err)
	}
	if err := s.Suggested(ctx, id, at); err != nil {
		t.Fatal(err)
	}
	out, err := runFeedback(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"3 orders scored, average 3.3 / 5\n  5 ★★★★★    1  ██████████\n  4 ★★★★     1  ██████████\n  3 ★★★      0  \n  2 ★★       0  \n  1 ★        1  ██████████\n",
		"comments:\n  2026-05-04 10:03  WBS-0003  1  berasnya basah\n  2026-05-04 10:01  WBS-0001  5  tempenya enak\n",
		"suggestions:\n  2026-05-04 10:04  " + string(id) + "  buka lebih pagi\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("mitra feedback lacks %q:\n%s", want, out)
		}
	}
	out, err = runFeedback(t, "--json", "-n", "1")
	if err != nil {
		t.Fatal(err)
	}
	var rep feedbackReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if rep.Scored != 3 || rep.Scores["5"] != 1 || rep.Scores["1"] != 1 || len(rep.Comments) != 1 || rep.Comments[0].Order != "WBS-0003" ||
		len(rep.Suggestions) != 1 || rep.Suggestions[0].Text != "buka lebih pagi" {
		t.Errorf("json: %+v", rep)
	}
	if _, err := runFeedback(t, "-n", "0"); err == nil || !strings.Contains(err.Error(), "want 1 to 1000") {
		t.Errorf("-n 0: %v", err)
	}
}
