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
	wrote := func(ago time.Duration) care.Contact {
		return care.Contact{ID: "ctg00000000000001", Addresses: []care.Address{tg}, LastInbound: now.Add(-ago)}
	}
	profile := func(a care.Address, tz string, consent map[care.Purpose]care.ConsentState) care.Contact {
		p := care.Contact{ID: care.ContactID("c" + string(a.Channel)[:1] + "000000000000001"), Addresses: []care.Address{a}, TimeZone: tz, Consent: consent, LastInbound: now.Add(-72 * time.Hour)}
		p.LastInboundOn = map[care.Channel]time.Time{a.Channel: p.LastInbound}
		return p
	}
	to := func(p care.Contact, m care.Outbound) care.Delivery {
		m.Contact, m.Created = p.ID, now.Add(-time.Minute)
		if m.Address.ID == "" && len(p.Addresses) > 0 {
			m.Address = p.Addresses[0]
		}
		return care.Delivery{Outbound: m, Profile: p}
	}
	reply := func(p care.Contact) care.Delivery {
		return to(p, care.Outbound{Class: care.Reply, Origin: care.OriginFlow})
	}
	promo := func(p care.Contact) care.Delivery {
		return to(p, care.Outbound{Class: care.Promotional})
	}
	tests := []struct {
		name   string
		d      care.Delivery
		want   care.Verdict
		reason string
		until  time.Time
	}{
		{"fresh reply", reply(wrote(time.Minute)), care.Allow, "reply within 24h", time.Time{}},
		{"reply at 24h", reply(wrote(ReplyWindow)), care.Allow, "reply within 24h", time.Time{}},
		{"stale reply", reply(wrote(ReplyWindow + time.Second)), care.Refuse, "reply window closed: over 24h since the contact's last message", time.Time{}},
		{"a reply's own date is no excuse", func() care.Delivery {
			d := reply(wrote(25 * time.Hour))
			d.Created, d.InReplyTo = now, "m1"
			return d
		}(), care.Refuse, "reply window closed: over 24h since the contact's last message", time.Time{}},
		{"reply to nobody", reply(care.Contact{ID: "ctg00000000000001", Addresses: []care.Address{tg}}), care.Refuse, "reply to a contact who never wrote", time.Time{}},
		{"reply to an unknown contact", to(care.Contact{}, care.Outbound{Class: care.Reply, Address: tg}), care.Refuse, "no contact record (erased or unknown)", time.Time{}},
		{"to an address that is not the contact's", func() care.Delivery {
			d := reply(wrote(time.Minute))
			d.Address = wa
			return d
		}(), care.Refuse, "address is not the contact's", time.Time{}},
		{"flow message composed before a person took over", func() care.Delivery {
			p := wrote(time.Minute)
			p.HeldSince = now.Add(-30 * time.Second)
			return reply(p)
		}(), care.Refuse, "composed before a person took the conversation over", time.Time{}},
		{"staff message after the takeover", func() care.Delivery {
			p := wrote(time.Minute)
			p.HeldSince = now.Add(-30 * time.Second)
			return to(p, care.Outbound{Class: care.Reply, Origin: care.OriginStaff})
		}(), care.Allow, "reply within 24h", time.Time{}},
		{"unreachable on this channel", func() care.Delivery {
			p := wrote(time.Minute)
			p.Unreachable = map[care.Channel]string{care.Telegram: "blocked the bot"}
			return reply(p)
		}(), care.Refuse, "contact unreachable: blocked the bot", time.Time{}},
		{"erasure confirmation to the erasing contact", func() care.Delivery {
			p := wrote(time.Minute)
			p.Erasing = now
			return to(p, care.Outbound{Class: care.Reply, Origin: care.OriginErasure})
		}(), care.Allow, "reply within 24h", time.Time{}},
		{"anything else to an erasing contact", func() care.Delivery {
			p := wrote(time.Minute)
			p.Erasing = now
			return reply(p)
		}(), care.Refuse, "contact erasing their data", time.Time{}},
		{"transactional about an order", to(profile(tg, "", nil), care.Outbound{Class: care.Transactional, Order: "o1"}), care.Allow, "about the contact's order", time.Time{}},
		{"transactional about nothing", to(profile(tg, "", nil), care.Outbound{Class: care.Transactional}), care.Refuse, "transactional message about no order", time.Time{}},
		{"transactional after orders withdrawn", to(profile(tg, "", withdrawn), care.Outbound{Class: care.Transactional, Order: "o1"}), care.Refuse, "orders consent withdrawn", time.Time{}},
		{"promotion without consent", promo(profile(tg, "", nil)), care.Refuse, "no promotions consent", time.Time{}},
		{"promotion after opt-out", promo(profile(tg, "", withdrawn)), care.Refuse, "no promotions consent", time.Time{}},
		{"promotion to an erased contact", to(care.Contact{}, care.Outbound{Class: care.Promotional, Address: tg}), care.Refuse, "no contact record (erased or unknown)", time.Time{}},
		{"promotion to a blocked contact", func() care.Delivery {
			p := profile(tg, "", granted)
			p.Blocked = true
			return promo(p)
		}(), care.Refuse, "contact blocked by the shop", time.Time{}},
		{"promotion suppressed by an erasure after the consent", func() care.Delivery {
			p := profile(tg, "", granted)
			p.Suppressed = now.Add(-time.Hour)
			return promo(p)
		}(), care.Refuse, "contact erased their data; no consent given since", time.Time{}},
		{"promotion with consent given after an erasure", func() care.Delivery {
			p := profile(tg, "", granted)
			p.Suppressed = now.Add(-72 * time.Hour)
			return promo(p)
		}(), care.Allow, "promotions consent", time.Time{}},
		{"promotion at 20:30 WIB", promo(profile(tg, "Asia/Jakarta", granted)), care.Allow, "promotions consent", time.Time{}},
		{"promotion at 21:30 WITA waits for 08:00 WITA", promo(profile(tg, "Asia/Makassar", granted)), care.Defer, "quiet hours 21:00-08:00 in the contact's time",
			time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"promotion at 22:30 WIT waits for 08:00 WIT", promo(profile(tg, "Asia/Jayapura", granted)), care.Defer, "quiet hours 21:00-08:00 in the contact's time",
			time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)},
		{"promotion to a contact without a time zone follows the shop's", promo(profile(tg, "", granted)), care.Allow, "promotions consent", time.Time{}},
		{"promotion to a WhatsApp number that never wrote there", func() care.Delivery {
			p := profile(tg, "", granted)
			p.Addresses = append(p.Addresses, wa)
			d := promo(p)
			d.Address = wa
			return d
		}(), care.Refuse, "whatsapp number never wrote to the shop", time.Time{}},
		{"unknown class", to(wrote(time.Minute), care.Outbound{Class: "spam"}), care.Refuse, "unknown class spam", time.Time{}},
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

// TestGateStaffAlert: a message to a staff chat goes only where the
// store says the chat is linked to the account it names, or as the
// answer to what the chat sent the staff desk lately; never by what it
// says of itself, and never to a customer's address, whatever its
// profile allows.
func TestGateStaffAlert(t *testing.T) {
	now := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC) // in anyone's quiet hours
	rina := care.Address{Channel: care.Telegram, ID: "777"}
	customer := care.Contact{ID: "ctg00000000000001", Addresses: []care.Address{rina}, LastInbound: now.Add(-time.Minute),
		Consent: map[care.Purpose]care.ConsentState{care.Promotions: {Granted: true, At: now.Add(-time.Hour)}}}
	alert := func(staff, inReplyTo string, st care.StaffChatState) care.Delivery {
		return care.Delivery{Outbound: care.Outbound{ID: "a1", Contact: "cbox0000000000001", Address: rina, Class: care.StaffAlert,
			Origin: care.OriginSystem, Staff: staff, InReplyTo: inReplyTo, Created: now.Add(-time.Minute)}, StaffChat: st}
	}
	tests := []struct {
		name   string
		d      care.Delivery
		want   care.Verdict
		reason string
	}{
		{"to the chat linked to the account named", alert("Rina", "", care.StaffChatState{Account: "rina"}), care.Allow, "to the staff member's linked chat"},
		{"an answer to the linked chat", alert("Rina", "m9", care.StaffChatState{Account: "Rina"}), care.Allow, "to the staff member's linked chat"},
		{"to a chat linked to another account", alert("Rina", "", care.StaffChatState{Account: "budi"}), care.Refuse, "staff chat linked to another account"},
		{"to an address that is not a linked staff address", alert("Rina", "", care.StaffChatState{}), care.Refuse, "not a linked staff address"},
		{"naming no account", alert("", "", care.StaffChatState{Account: "rina"}), care.Refuse, "staff chat linked to another account"},
		{"to a customer's address, whatever the profile allows", func() care.Delivery {
			d := alert("Rina", "", care.StaffChatState{})
			d.Contact, d.Profile = customer.ID, customer
			return d
		}(), care.Refuse, "not a linked staff address"},
		{"the answer to a wrong code", alert("", "m1", care.StaffChatState{Heard: now.Add(-time.Minute)}), care.Allow, "answer to the staff chat's message"},
		{"an answer an hour late", alert("", "m1", care.StaffChatState{Heard: now.Add(-care.StaffChatWindow - time.Second)}), care.Refuse, "not a linked staff address"},
		{"an answer to a message the desk never had", alert("", "m1", care.StaffChatState{}), care.Refuse, "not a linked staff address"},
	}
	g := NewGate(GateConfig{Quiet: QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := g.Decide(tt.d, now)
			if d.Verdict != tt.want || d.Reason != tt.reason || !d.Until.IsZero() {
				t.Errorf("Decide = %s %q until %v, want %s %q", d.Verdict, d.Reason, d.Until, tt.want, tt.reason)
			}
		})
	}
}
