package inbound

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/flow"
	"github.com/mitra-care/mitra/internal/outreach"
)

var jakarta = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		panic(err)
	}
	return loc
}()

// shopHours are a shop's staff hours: Monday to Saturday 08:00-17:00 in
// Jakarta, Sunday off.
func shopHours(cfg *Config) {
	day := care.Span{Start: 8 * time.Hour, End: 17 * time.Hour}
	cfg.TimeZone = jakarta
	cfg.StaffHours = care.StaffHours{Days: [7]care.Span{time.Monday: day, time.Tuesday: day, time.Wednesday: day,
		time.Thursday: day, time.Friday: day, time.Saturday: day}}
}

// handover is the contact's handover as stored.
func (f *fixture) handover(t *testing.T, a care.Address) care.Handover {
	t.Helper()
	c, ok, err := f.store.Contact(context.Background(), f.id(t, a))
	if err != nil || !ok {
		t.Fatalf("contact of %s: %v, %v", a, ok, err)
	}
	return c.Handover
}

// takeover has staff take over the conversation of the contact at a,
// and returns the contact's id.
func (f *fixture) takeover(t *testing.T, a care.Address, staff string) care.ContactID {
	t.Helper()
	id := f.id(t, a)
	if _, err := f.store.Takeover(context.Background(), id, staff); err != nil {
		t.Fatal(err)
	}
	return id
}

// staffHold is the shop's staff_hold text in Indonesian.
func (f *fixture) staffHold() string {
	return f.rt.staffText(flow.TextStaffHold, care.Session{}, f.rt.env(care.Contact{}, care.Session{}, reads{}, f.now), f.now)
}

func TestStaffETA(t *testing.T) {
	f := newFixture(t, shopHours)
	at := func(d, h, m int) time.Time { return time.Date(2026, 5, d, h, m, 0, 0, jakarta) } // 4 May 2026 is a Monday
	tests := []struct {
		name string
		lang string
		now  time.Time
		want string
	}{
		{"on duty", "id", at(4, 10, 0), "biasanya dalam beberapa menit"},
		{"on duty, English", "en", at(4, 10, 0), "usually within a few minutes"},
		{"early morning", "id", at(4, 6, 30), "hari ini mulai pukul 08.00"},
		{"evening", "id", at(4, 18, 0), "besok mulai pukul 08.00"},
		{"evening, English", "en", at(4, 18, 0), "tomorrow from 08:00"},
		{"Saturday evening, Sunday off", "id", at(9, 17, 0), "hari Senin mulai pukul 08.00"},
		{"Saturday evening, English", "en", at(9, 17, 30), "on Monday from 08:00"},
		{"a language without its words speaks the shop's", "jv", at(4, 18, 0), "besok mulai pukul 08.00"},
		{"in the shop's time, whatever the clock's zone", "id", at(4, 18, 0).UTC(), "besok mulai pukul 08.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.rt.staffETA(tt.lang, tt.now); got != tt.want {
				t.Errorf("staffETA(%s, %s) = %q, want %q", tt.lang, tt.now, got, tt.want)
			}
		})
	}
	if got := f.rt.mitraValues(care.Contact{}, care.Session{Lang: "en"}, reads{}, at(4, 10, 0))[mitraStaffETA]; got != "usually within a few minutes" {
		t.Errorf("{{mitra.staff_eta}} = %q", got)
	}
}

// TestEscalationSaysWhenStaffAnswer: whatever hands the conversation
// over, the customer hears staff_hold last, and it waits for staff
// StaffHold from when they are next on duty.
func TestEscalationSaysWhenStaffAnswer(t *testing.T) {
	tests := []struct {
		name      string
		start     time.Time // the clock before the first message
		msgs      []string
		wantUntil time.Time
	}{
		{"menu, on duty", time.Date(2026, 5, 4, 10, 0, 0, 0, jakarta), []string{"halo", "4"}, time.Date(2026, 5, 4, 14, 2, 0, 0, jakarta)},
		{"a person, in the evening", time.Date(2026, 5, 4, 19, 0, 0, 0, jakarta), []string{"halo", "bisa ngobrol sama admin?"}, time.Date(2026, 5, 5, 12, 0, 0, 0, jakarta)},
		{"not understood twice, on Sunday", time.Date(2026, 5, 10, 10, 0, 0, 0, jakarta), []string{"halo", "qwerty zxcv", "asdf ghjk", "ya"}, time.Date(2026, 5, 11, 12, 0, 0, 0, jakarta)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, shopHours)
			f.now = tt.start
			got := f.say(t, alice, tt.msgs...)
			if !strings.HasSuffix(got, f.staffHold()+"\n") {
				t.Errorf("the hand-over said\n%s\nwant staff_hold last", got)
			}
			h := f.handover(t, alice)
			if h.State != care.StateWaiting || !h.Since.Equal(f.now) || !h.Until.Equal(tt.wantUntil) || h.Reason == "" {
				t.Errorf("handover %+v, want waiting since %s until %s", h, f.now, tt.wantUntil)
			}
			es, err := f.store.Conversations(context.Background(), care.InboxWaiting, 10)
			if err != nil || len(es) != 1 || es[0].Contact != f.id(t, alice) {
				t.Errorf("waiting list %+v, %v", es, err)
			}
		})
	}
}

// TestReminderOnce: a customer who writes while waiting hears nothing,
// except once after a quiet quarter of an hour since the bot's last
// word about staff or the staff's last message.
func TestReminderOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.say(t, alice, "halo", "4") // handed over at 09:02
	hold := f.rt.staffText(flow.TextStaffReminder, care.Session{}, f.rt.env(care.Contact{}, care.Session{}, reads{}, f.now.Add(16*time.Minute)), f.now.Add(16*time.Minute)) + "\n"
	steps := []struct {
		wait time.Duration // before the message (say adds a minute)
		msg  string
		want string
	}{
		{0, "ada orang?", ""},
		{15 * time.Minute, "halo??", hold}, // 09:19, 17 minutes on
		{0, "?", ""},
		{0, "kok diam", ""},
	}
	for _, s := range steps {
		f.now = f.now.Add(s.wait)
		if got := f.say(t, alice, s.msg); got != s.want {
			t.Fatalf("at %s %q answered %q, want %q", f.now.Format("15:04"), s.msg, got, s.want)
		}
	}
	f.now = f.now.Add(3 * time.Minute) // 09:24
	id := f.takeover(t, alice, "rina")
	if _, err := f.store.Reply(ctx, id, "rina", "Halo Kak, ada yang bisa dibantu?"); err != nil {
		t.Fatal(err)
	}
	if out := f.drain(t); len(out) != 1 || out[0].Staff != "rina" {
		t.Fatalf("queued %+v, want rina's reply", out)
	}
	if got := f.say(t, alice, "mau pesan telur"); got != "" { // 09:25
		t.Errorf("the bot answered %q while rina holds the chat", got)
	}
	f.now = f.now.Add(15 * time.Minute)
	if got := f.say(t, alice, "halo kak?"); got != hold { // 09:41, 17 minutes after rina
		t.Errorf("after a quiet quarter the bot said %q, want one reminder", got)
	}
	h := f.handover(t, alice)
	if h.State != care.StateHeld || h.Holder != "rina" || h.FirstWords != "ada orang?" || !h.Reminded.Equal(f.now) {
		t.Errorf("handover %+v", h)
	}
}

// TestShopPhoneHolds: a message from the shop's own phone makes the
// phone the holder; the customer is not answered by the bot meanwhile.
func TestShopPhoneHolds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.say(t, alice, "halo", "4")
	f.now = f.now.Add(time.Minute)
	if err := f.rt.Handle(ctx, care.Inbound{Address: alice, MessageID: "p1", Kind: care.KindStaff}); err != nil {
		t.Fatal(err)
	}
	if got := f.say(t, alice, "oke bu"); got != "" {
		t.Errorf("the bot said %q while the shop's phone holds the chat", got)
	}
	h := f.handover(t, alice)
	if h.State != care.StateHeld || h.Holder != care.ShopPhone || h.LastStaff.IsZero() {
		t.Errorf("handover %+v, want held by the shop's phone", h)
	}
	es, err := f.store.Conversations(ctx, care.InboxHeld, 10)
	if err != nil || len(es) != 1 || es[0].Holder != care.ShopPhone {
		t.Errorf("held list %+v, %v", es, err)
	}
	tl, err := f.store.Timeline(ctx, f.id(t, alice), "rina")
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range tl.Events {
		acts = append(acts, string(e.Action)+" by "+e.By)
	}
	if want := []string{"handed_over by the bot", "took_over by " + care.ShopPhone}; !slices.Equal(acts, want) {
		t.Errorf("events %q, want %q", acts, want)
	}
	// A person at the console may take it from the phone.
	if _, err := f.store.Takeover(ctx, f.id(t, alice), "rina"); err != nil {
		t.Errorf("take over from the phone: %v", err)
	}
}

// TestPrivacyKeywordsDuringHold: the privacy keywords and HELP are
// answered while staff have the conversation, which stays theirs.
func TestPrivacyKeywordsDuringHold(t *testing.T) {
	for _, tt := range []struct{ msg, want string }{
		{"STOP", "tidak akan mengirim promo lagi"},
		{"data saya", "Ini semua data yang Warung Bu Sari simpan"},
		{"hapus data", "Hapus semua data Kakak"},
		{"bantuan", "Staf kami akan membalas di sini"}, // and no menu that would get no answer
	} {
		t.Run(tt.msg, func(t *testing.T) {
			f := newFixture(t)
			f.say(t, alice, "halo", "4")
			if got := f.say(t, alice, tt.msg); !strings.Contains(got, tt.want) {
				t.Errorf("%q during the hold answered %q, want %q", tt.msg, got, tt.want)
			}
			if h := f.handover(t, alice); h.State != care.StateWaiting {
				t.Errorf("after %q the handover is %+v, want still waiting", tt.msg, h)
			}
		})
	}
}

// TestBackToTheBot covers every way a conversation comes back: the
// customer's MENU, a hold that ran out before the sweep, the sweep, and
// staff handing it back with a flow to start.
func TestBackToTheBot(t *testing.T) {
	ctx := context.Background()
	t.Run("MENU", func(t *testing.T) {
		f := newFixture(t)
		f.say(t, alice, "halo", "4")
		if got := f.say(t, alice, "menu"); !strings.Contains(got, "Ada yang bisa kami bantu, Kak?") {
			t.Fatalf("MENU answered %q", got)
		}
		if h := f.handover(t, alice); h.State != care.StateBot {
			t.Errorf("handover %+v", h)
		}
		if es, _ := f.store.Conversations(ctx, care.InboxWaiting, 10); len(es) != 0 {
			t.Errorf("still waiting: %+v", es)
		}
	})
	t.Run("the hold ran out before the sweep", func(t *testing.T) {
		f := newFixture(t)
		f.say(t, alice, "halo", "4")
		f.now = f.now.Add(5 * time.Hour)
		if got := f.say(t, alice, "halo?"); !strings.Contains(got, "Ada yang bisa kami bantu, Kak?") {
			t.Errorf("after the hold the bot said %q, want it to answer", got)
		}
		if h := f.handover(t, alice); h.State != care.StateBot {
			t.Errorf("handover %+v", h)
		}
	})
	t.Run("the sweep returns an idle hold", func(t *testing.T) {
		f := newFixture(t)
		f.say(t, alice, "halo", "4", "saya mau pesan")
		f.takeover(t, alice, "rina")
		f.now = f.now.Add(time.Hour)
		if n, err := f.rt.SweepHandovers(ctx); n != 0 || err != nil {
			t.Fatalf("an hour on SweepHandovers = %d, %v; want none", n, err)
		}
		f.now = f.now.Add(time.Hour)
		if n, err := f.rt.SweepHandovers(ctx); n != 1 || err != nil {
			t.Fatalf("two hours on SweepHandovers = %d, %v; want the idle hold", n, err)
		}
		h := f.handover(t, alice)
		if h.State != care.StateBot || h.Resume != nil {
			t.Errorf("handover %+v, want the bot's, nothing owed", h)
		}
		if got := texts(f.drain(t)); !strings.Contains(got, "membalas lagi") { // staff_back
			t.Errorf("the bot said %q, want staff_back", got)
		}
		if got := f.say(t, alice, "halo?"); !strings.Contains(got, "Ada yang bisa kami bantu, Kak?") {
			t.Errorf("after the return the bot said %q", got)
		}
	})
	t.Run("staff hand back with a flow", func(t *testing.T) {
		f := newFixture(t)
		f.say(t, alice, "halo", "4")
		id := f.takeover(t, alice, "rina")
		f.now = f.now.Add(time.Minute)
		if _, err := f.store.Handback(ctx, id, "rina", "menu"); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the console and a sweep both resume: said once
			if err := f.rt.Resume(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		out := f.drain(t)
		if len(out) != 2 || !strings.Contains(out[0].Text, "membalas lagi") || !strings.Contains(out[1].Text, "Ada yang bisa kami bantu, Kak?") ||
			out[1].Origin != care.OriginFlow || out[1].InReplyTo != "" {
			t.Fatalf("after the hand-back the bot queued %+v, want staff_back and the menu, once", out)
		}
		if h := f.handover(t, alice); h.State != care.StateBot || h.Resume != nil {
			t.Errorf("handover %+v", h)
		}
		// The menu waits for its answer.
		if got := f.say(t, alice, "2"); !strings.Contains(got, "Kami buka") {
			t.Errorf("the menu's answer got %q", got)
		}
	})
	t.Run("the customer writes before the bot resumed", func(t *testing.T) {
		f := newFixture(t)
		f.say(t, alice, "halo", "4")
		id := f.takeover(t, alice, "rina")
		if _, err := f.store.Handback(ctx, id, "rina", "menu"); err != nil {
			t.Fatal(err)
		}
		if got := f.say(t, alice, "halo?"); !strings.Contains(got, "Ada yang bisa kami bantu, Kak?") {
			t.Errorf("the bot said %q", got)
		}
		if err := f.rt.Resume(ctx, id); err != nil {
			t.Fatal(err)
		}
		if got := texts(f.drain(t)); got != "" {
			t.Errorf("a resume after the customer's message said %q", got)
		}
	})
}

// TestTakeoverStopsQueuedFlowMessages: a flow's reply still queued when
// a person takes the conversation over in the console is not sent.
func TestTakeoverStopsQueuedFlowMessages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.rt.Handle(ctx, text(alice, "m1", "halo")); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Second)
	f.takeover(t, alice, "rina")
	gate := outreach.NewGate(outreach.GateConfig{})
	out := f.drain(t)
	if len(out) == 0 {
		t.Fatal("no reply queued")
	}
	for _, d := range out {
		if got := gate.Decide(d, f.now); got.Verdict != care.Refuse || !strings.Contains(got.Reason, "before a person took the conversation over") {
			t.Errorf("the gate says %+v to %q", got, d.Text)
		}
	}
}

// TestEarlierVersionHold: a session stored by an earlier version that
// holds the bot back counts as waiting for staff.
func TestEarlierVersionHold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.say(t, alice, "halo")
	id := f.id(t, alice)
	conv, err := f.store.Load(ctx, id, "x")
	if err != nil {
		t.Fatal(err)
	}
	sess := conv.Session
	sess.StaffUntil = f.now.Add(time.Hour)
	if err := f.store.Commit(ctx, care.Commit{Inbound: care.Inbound{Address: alice, MessageID: "old"}, Session: sess, Contact: conv.Contact, SessionTTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if got := f.say(t, alice, "halo?"); got != "" {
		t.Errorf("the bot said %q during an earlier version's hold", got)
	}
	if h := f.handover(t, alice); h.State != care.StateWaiting || !h.Until.Equal(sess.StaffUntil) {
		t.Errorf("handover %+v, want waiting until %s", h, sess.StaffUntil)
	}
	conv, _ = f.store.Load(ctx, id, "x")
	if !conv.Session.StaffUntil.IsZero() {
		t.Errorf("the session still holds the bot back itself: %+v", conv.Session)
	}
}
