package outreach

import (
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestGateDecide(t *testing.T) {
	jakarta := mustLoc(t, "Asia/Jakarta")
	// 13:30 UTC is 20:30 WIB, 21:30 WITA, 22:30 WIT.
	now := time.Date(2026, 3, 1, 13, 30, 0, 0, time.UTC)
	wa := care.Address{Channel: care.WhatsApp, ID: "6281234"}
	tg := care.Address{Channel: care.Telegram, ID: "42"}
	granted := map[care.Purpose]care.ConsentState{care.Promotions: {Granted: true, At: now.Add(-48 * time.Hour)}}
	withdrawn := map[care.Purpose]care.ConsentState{
		care.Promotions: {Granted: false, At: now.Add(-time.Hour)},
		care.Orders:     {Granted: false, At: now.Add(-time.Hour)},
	}
	profile := func(a care.Address, tz string, consent map[care.Purpose]care.ConsentState) care.Contact {
		return care.Contact{ID: a.ContactID(), Address: a, TimeZone: tz, Consent: consent, LastInbound: now.Add(-72 * time.Hour)}
	}
	promo := func(p care.Contact) care.Delivery {
		return care.Delivery{Outbound: care.Outbound{Class: care.Promotional, Address: p.Address, Contact: p.ID, Created: now}, Profile: p}
	}
	tests := []struct {
		name   string
		d      care.Delivery
		want   care.Verdict
		reason string
		until  time.Time
	}{
		{"fresh reply", care.Delivery{Outbound: care.Outbound{Class: care.Reply, InReplyTo: "m1", Created: now.Add(-time.Minute)}}, care.Allow, "reply within 24h", time.Time{}},
		{"reply at 24h", care.Delivery{Outbound: care.Outbound{Class: care.Reply, InReplyTo: "m1", Created: now.Add(-ReplyWindow)}}, care.Allow, "reply within 24h", time.Time{}},
		{"stale reply", care.Delivery{Outbound: care.Outbound{Class: care.Reply, InReplyTo: "m1", Created: now.Add(-ReplyWindow - time.Second)}}, care.Refuse, "reply window closed: over 24h since the contact's last message", time.Time{}},
		{"staff reply within a day of the contact's message", care.Delivery{Outbound: care.Outbound{Class: care.Reply, Created: now}, Profile: care.Contact{ID: "tg.1", LastInbound: now.Add(-23 * time.Hour)}}, care.Allow, "reply within 24h", time.Time{}},
		{"staff reply after a day", care.Delivery{Outbound: care.Outbound{Class: care.Reply, Created: now}, Profile: care.Contact{ID: "tg.1", LastInbound: now.Add(-25 * time.Hour)}}, care.Refuse, "reply window closed: over 24h since the contact's last message", time.Time{}},
		{"reply to nobody", care.Delivery{Outbound: care.Outbound{Class: care.Reply, Created: now}}, care.Refuse, "reply to a contact who never wrote", time.Time{}},
		{"unreachable", care.Delivery{Outbound: care.Outbound{Class: care.Reply, InReplyTo: "m1", Created: now}, Profile: care.Contact{Unreachable: "blocked the bot"}}, care.Refuse, "contact unreachable: blocked the bot", time.Time{}},
		{"transactional about an order", care.Delivery{Outbound: care.Outbound{Class: care.Transactional, Order: "o1", Address: tg, Created: now}, Profile: profile(tg, "", nil)}, care.Allow, "about the contact's order", time.Time{}},
		{"transactional about nothing", care.Delivery{Outbound: care.Outbound{Class: care.Transactional, Address: tg, Created: now}, Profile: profile(tg, "", nil)}, care.Refuse, "transactional message about no order", time.Time{}},
		{"transactional after orders withdrawn", care.Delivery{Outbound: care.Outbound{Class: care.Transactional, Order: "o1", Address: tg, Created: now}, Profile: profile(tg, "", withdrawn)}, care.Refuse, "orders consent withdrawn", time.Time{}},
		{"promotion without consent", promo(profile(tg, "", nil)), care.Refuse, "no promotions consent", time.Time{}},
		{"promotion after opt-out", promo(profile(tg, "", withdrawn)), care.Refuse, "no promotions consent", time.Time{}},
		{"promotion to an erased contact", promo(care.Contact{}), care.Refuse, "no contact record (erased or unknown)", time.Time{}},
		{"promotion to a blocked contact", func() care.Delivery {
			p := profile(tg, "", granted)
			p.Blocked = true
			return promo(p)
		}(), care.Refuse, "contact blocked by the shop", time.Time{}},
		{"promotion suppressed by an erasure after the consent", func() care.Delivery {
			d := promo(profile(tg, "", granted))
			d.Suppressed = now.Add(-time.Hour)
			return d
		}(), care.Refuse, "contact erased their data; no consent given since", time.Time{}},
		{"promotion with consent given after an erasure", func() care.Delivery {
			d := promo(profile(tg, "", granted))
			d.Suppressed = now.Add(-72 * time.Hour)
			return d
		}(), care.Allow, "promotions consent", time.Time{}},
		{"promotion at 20:30 WIB", promo(profile(tg, "Asia/Jakarta", granted)), care.Allow, "promotions consent", time.Time{}},
		{"promotion at 21:30 WITA waits for 08:00 WITA", promo(profile(tg, "Asia/Makassar", granted)), care.Defer, "quiet hours 21:00-08:00 in the contact's time",
			time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"promotion at 22:30 WIT waits for 08:00 WIT", promo(profile(tg, "Asia/Jayapura", granted)), care.Defer, "quiet hours 21:00-08:00 in the contact's time",
			time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)},
		{"promotion to a contact without a time zone follows the shop's", promo(profile(tg, "", granted)), care.Allow, "promotions consent", time.Time{}},
		{"promotion to a WhatsApp number that never wrote", promo(care.Contact{ID: wa.ContactID(), Address: wa, Consent: granted}), care.Refuse, "whatsapp number never wrote to the shop", time.Time{}},
		{"unknown class", care.Delivery{Outbound: care.Outbound{Class: "spam", Created: now}}, care.Refuse, "unknown class spam", time.Time{}},
	}
	g := NewGate(GateConfig{Quiet: QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour}, TimeZone: jakarta})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := g.Decide(tt.d, now)
			if d.Verdict != tt.want || d.Reason != tt.reason || !d.Until.Equal(tt.until) {
				t.Errorf("Decide = %s %q until %v, want %s %q until %v", d.Verdict, d.Reason, d.Until, tt.want, tt.reason, tt.until)
			}
		})
	}
}

func TestQuietHours(t *testing.T) {
	jkt := mustLoc(t, "Asia/Jakarta")
	at := func(h, m int) time.Time { return time.Date(2026, 3, 1, h, m, 0, 0, jkt) }
	night := QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour}
	day := QuietHours{Start: 12 * time.Hour, End: 13 * time.Hour}
	tests := []struct {
		name string
		q    QuietHours
		now  time.Time
		want time.Time
	}{
		{"before the night", night, at(20, 59), time.Time{}},
		{"at its start", night, at(21, 0), time.Date(2026, 3, 2, 8, 0, 0, 0, jkt)},
		{"after midnight", night, at(3, 0), at(8, 0)},
		{"at its end", night, at(8, 0), time.Time{}},
		{"a span within a day", day, at(12, 30), at(13, 0)},
		{"outside it", day, at(13, 0), time.Time{}},
		{"off", QuietHours{}, at(23, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.until(tt.now); !got.Equal(tt.want) {
				t.Errorf("until(%v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}
