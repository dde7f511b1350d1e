package care

import (
	"testing"
	"time"
)

func TestStaffHoursNext(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	day := Span{Start: 8 * time.Hour, End: 17 * time.Hour}
	weekdays := StaffHours{Days: [7]Span{time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day,
		time.Saturday: {Start: 9 * time.Hour, End: 12 * time.Hour}}}
	late := StaffHours{Days: [7]Span{time.Wednesday: {Start: 20 * time.Hour, End: 24 * time.Hour}}}
	at := func(d, h, m int) time.Time { return time.Date(2026, 5, d, h, m, 0, 0, jakarta) } // 2026-05-04 is a Monday
	tests := []struct {
		name  string
		hours StaffHours
		t     time.Time
		want  time.Time
	}{
		{"always", StaffHours{}, at(4, 3, 0), at(4, 3, 0)},
		{"on duty", weekdays, at(4, 10, 30), at(4, 10, 30)},
		{"at opening", weekdays, at(4, 8, 0), at(4, 8, 0)},
		{"before opening", weekdays, at(4, 6, 15), at(4, 8, 0)},
		{"at closing", weekdays, at(4, 17, 0), at(5, 8, 0)},
		{"Friday night", weekdays, at(8, 21, 0), at(9, 9, 0)},
		{"Saturday afternoon, Sunday off", weekdays, at(9, 13, 0), at(11, 8, 0)},
		{"until midnight", late, at(6, 23, 59), at(6, 23, 59)},
		{"a week on", late, at(7, 0, 0), at(13, 20, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hours.Next(tt.t); !got.Equal(tt.want) {
				t.Errorf("Next(%s) = %s, want %s", tt.t, got, tt.want)
			}
		})
	}
}

func TestHandoverHold(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	idle := 2 * time.Hour
	tests := []struct {
		name   string
		h      Handover
		until  time.Time
		active bool
	}{
		{"bot", Handover{}, time.Time{}, false},
		{"waiting", Handover{State: StateWaiting, Since: now.Add(-time.Hour), Until: now.Add(time.Hour)}, now.Add(time.Hour), true},
		{"waiting, lapsed", Handover{State: StateWaiting, Until: now}, now, false},
		{"held, idle since taken", Handover{State: StateHeld, Since: now.Add(-3 * time.Hour)}, now.Add(-time.Hour), false},
		{"held, wrote lately", Handover{State: StateHeld, Since: now.Add(-3 * time.Hour), LastStaff: now.Add(-time.Minute)}, now.Add(idle - time.Minute), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.HoldUntil(idle); !got.Equal(tt.until) {
				t.Errorf("HoldUntil = %s, want %s", got, tt.until)
			}
			if got := tt.h.Active(now, idle); got != tt.active {
				t.Errorf("Active = %t, want %t", got, tt.active)
			}
		})
	}
}

func TestReplyAddress(t *testing.T) {
	wa := Address{Channel: WhatsApp, ID: "628111"}
	lid := Address{Channel: WhatsApp, ID: "123@lid"}
	tg := Address{Channel: Telegram, ID: "42"}
	now := time.Now()
	tests := []struct {
		name string
		c    Contact
		want Address
		ok   bool
	}{
		{"no address", Contact{}, Address{}, false},
		{"never wrote", Contact{Addresses: []Address{tg, wa}}, tg, true},
		{"the channel written on last", Contact{Addresses: []Address{wa, lid, tg}, LastInboundOn: map[Channel]time.Time{WhatsApp: now, Telegram: now.Add(-time.Hour)}}, wa, true},
		{"telegram last", Contact{Addresses: []Address{wa, tg}, LastInboundOn: map[Channel]time.Time{WhatsApp: now.Add(-time.Hour), Telegram: now}}, tg, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.c.ReplyAddress()
			if got != tt.want || ok != tt.ok {
				t.Errorf("ReplyAddress = %v, %t; want %v, %t", got, ok, tt.want, tt.ok)
			}
		})
	}
}
