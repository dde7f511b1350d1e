package broadcast

import (
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/outreach"
)

// The planner predicts the gate: whoever it places, the gate lets
// through (or holds for the quiet hours); whoever it leaves out, the
// gate refuses on every address, except for the cap, which the gate
// holds for and a campaign does not wait for.
func TestPlaceAgreesWithTheGate(t *testing.T) {
	jkt, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC) // 10:00 WIB
	night := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	quiet := outreach.QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour}
	pl := NewPlanner(PlanConfig{Quiet: quiet, TimeZone: jkt, Caps: outreach.Caps{Max: 2, Window: 7 * 24 * time.Hour}})
	gate := outreach.NewGate(outreach.GateConfig{Quiet: quiet, TimeZone: jkt})
	wa := care.Address{Channel: care.WhatsApp, ID: "6281234567890"}
	lid := care.Address{Channel: care.WhatsApp, ID: "lid-123456789"}
	tg := care.Address{Channel: care.Telegram, ID: "42"}
	yes := map[care.Purpose]care.ConsentState{care.Promotions: {Granted: true, At: now.Add(-48 * time.Hour)}}
	person := func(fn func(*care.Contact), as ...care.Address) care.Prospect {
		c := care.Contact{ID: "cabcdefghijklmnop", Addresses: as, Consent: yes, LastInbound: now.Add(-time.Hour),
			LastInboundOn: map[care.Channel]time.Time{}}
		for _, a := range as {
			c.LastInboundOn[a.Channel] = now.Add(-time.Hour)
		}
		if fn != nil {
			fn(&c)
		}
		return care.Prospect{Contact: c}
	}
	tests := []struct {
		name string
		p    care.Prospect
		at   time.Time
		only care.Channel
		excl care.Exclusion
		to   care.Address
	}{
		{"telegram", person(nil, tg), now, "", "", tg},
		{"whatsapp, by number before LID", person(nil, lid, wa), now, "", "", wa},
		{"the channel written on last", person(func(c *care.Contact) { c.LastInboundOn[care.WhatsApp] = now.Add(-time.Minute) }, tg, wa), now, "", "", wa},
		{"the channel asked for", person(func(c *care.Contact) { c.LastInboundOn[care.WhatsApp] = now.Add(-time.Minute) }, tg, wa), now, care.Telegram, "", tg},
		{"quiet hours: held, not left out", person(nil, tg), night, "", "", tg},
		{"never asked", person(func(c *care.Contact) { c.Consent = nil }, tg), now, "", care.ExclNoConsent, care.Address{}},
		{"withdrew", person(func(c *care.Contact) {
			c.Consent = map[care.Purpose]care.ConsentState{care.Promotions: {At: now.Add(-time.Hour)}}
		}, tg), now, "", care.ExclWithdrawn, care.Address{}},
		{"blocked by the shop", person(func(c *care.Contact) { c.Blocked = true }, tg), now, "", care.ExclBlocked, care.Address{}},
		{"erased before, no yes since", person(func(c *care.Contact) { c.Suppressed = now.Add(-time.Hour) }, tg), now, "", care.ExclSuppressed, care.Address{}},
		{"erasing", person(func(c *care.Contact) { c.Erasing = now }, tg), now, "", care.ExclErasing, care.Address{}},
		{"blocked the bot", person(func(c *care.Contact) { c.Unreachable = map[care.Channel]string{care.Telegram: "blocked"} }, tg), now, "", care.ExclUnreachable, care.Address{}},
		{"whatsapp never wrote", person(func(c *care.Contact) { c.LastInboundOn = nil }, wa), now, "", care.ExclNeverWrote, care.Address{}},
		{"whatsapp never wrote, telegram did", person(func(c *care.Contact) { delete(c.LastInboundOn, care.WhatsApp) }, wa, tg), now, "", "", tg},
		{"over the cap", func() care.Prospect { p := person(nil, tg); p.Capped = 2; return p }(), now, "", care.ExclOverCap, care.Address{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pl.place(tt.p, tt.only, tt.at)
			if got.excl != tt.excl || tt.excl == "" && got.addr != tt.to {
				t.Fatalf("place = %+v, want %q to %v", got, tt.excl, tt.to)
			}
			for _, a := range tt.p.Addresses {
				if tt.only != "" && a.Channel != tt.only {
					continue
				}
				d := care.Delivery{Outbound: care.Outbound{ID: "m", Contact: tt.p.ID, Address: a, Class: care.Promotional, Created: tt.at},
					Profile: tt.p.Contact}
				dec := gate.Decide(d, tt.at)
				switch {
				case tt.excl == care.ExclOverCap:
				case tt.excl != "" && dec.Verdict != care.Refuse:
					t.Errorf("the gate says %s (%s) to %v of a contact the plan leaves out", dec.Verdict, dec.Reason, a)
				case tt.excl == "" && a == tt.to && dec.Verdict == care.Refuse:
					t.Errorf("the gate refuses the planned address: %s", dec.Reason)
				case tt.excl == "" && a == tt.to && (dec.Verdict == care.Defer) != !got.quiet.IsZero():
					t.Errorf("the gate says %s, the plan quiet until %s", dec.Verdict, got.quiet)
				}
			}
		})
	}
}

func TestWhatsAppSchedule(t *testing.T) {
	jkt, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h, m, s int) time.Time { return time.Date(2026, 3, d, h, m, s, 0, jkt) }
	tests := []struct {
		name      string
		cfg       PlanConfig
		n         int
		start     time.Time
		firstDay  int
		last      time.Time
		days      int
		laterPace int
	}{
		{"a few, at once", PlanConfig{WhatsAppPerMinute: 6, WhatsAppDailyCap: 200}, 10, at(2, 10, 0, 0), 10, at(2, 10, 1, 30), 1, 0},
		{"the daily cap spreads them over days", PlanConfig{WhatsAppPerMinute: 6, WhatsAppDailyCap: 200,
			Quiet: outreach.QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour}}, 500, at(2, 10, 0, 0), 200, at(4, 8, 16, 30), 3, 300},
		{"started late, the quiet hours move them to the morning", PlanConfig{WhatsAppPerMinute: 6, WhatsAppDailyCap: 200,
			Quiet: outreach.QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour}}, 60, at(2, 20, 55, 0), 30, at(3, 8, 4, 50), 2, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.TimeZone = jkt
			pl := NewPlanner(tt.cfg)
			first, last := pl.whatsappSchedule(tt.n, tt.start)
			if first != tt.firstDay || !last.Equal(tt.last) {
				t.Errorf("schedule = %d on the first day, last at %s; want %d, %s", first, last, tt.firstDay, tt.last)
			}
			tl := &tally{p: care.Preview{Recipients: tt.n}, perLane: map[care.Lane]int{"whatsapp.shop": tt.n}}
			pl.estimate(tl, tt.start)
			if tl.p.Days != tt.days || tl.p.Later[care.LaterPacing] != tt.laterPace || tl.p.Now != tt.n-tt.laterPace {
				t.Errorf("preview = %+v, want %d days, %d later for pacing", tl.p, tt.days, tt.laterPace)
			}
		})
	}
}
