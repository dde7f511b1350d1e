package care

import (
	"fmt"
	"strings"
	"time"
)

// Span is a stretch of one day: offsets from midnight, Start before End,
// End at most 24h (midnight at the day's end). The zero Span is a day
// off.
type Span struct {
	Start, End time.Duration
}

// Off reports whether the span is a day off.
func (s Span) Off() bool { return s.Start >= s.End }

// StaffHours are when people at the shop answer chats: one span per day
// of the week, in the shop's time zone. A conversation handed to staff
// outside them waits for the next opening, and the customer is told when
// that is.
//
// The zero StaffHours (no span on any day) means staff answer at any
// time.
type StaffHours struct {
	// Days holds each weekday's span, indexed by time.Weekday (Sunday
	// first).
	Days [7]Span
}

// Always reports whether staff answer at any time: no day has hours.
func (h StaffHours) Always() bool {
	for _, d := range h.Days {
		if !d.Off() {
			return false
		}
	}
	return true
}

// Next returns the first moment at or after t when staff are on duty:
// t itself while they are. Times are wall-clock times of t's location,
// so the hours hold across a daylight-saving change.
func (h StaffHours) Next(t time.Time) time.Time {
	if h.Always() {
		return t
	}
	y, m, d := t.Date()
	for i := range 8 {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, t.Location())
		s := h.Days[day.Weekday()]
		if s.Off() {
			continue
		}
		start := at(day, s.Start)
		end := at(day, s.End)
		switch {
		case i == 0 && !t.Before(start) && t.Before(end):
			return t
		case !start.Before(t):
			return start
		}
	}
	return t // unreachable: some day has hours
}

// at is the wall-clock time off after midnight of day.
func at(day time.Time, off time.Duration) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, day.Location())
}

// String renders h as MITRA_STAFF_HOURS reads it: "always", or the days
// with their hours ("mon 08:00-17:00; ...; sun off").
func (h StaffHours) String() string {
	if h.Always() {
		return "always"
	}
	parts := make([]string, 0, 7)
	for i := range 7 {
		wd := time.Weekday((i + 1) % 7) // Monday first
		s := h.Days[wd]
		name := strings.ToLower(wd.String()[:3])
		if s.Off() {
			parts = append(parts, name+" off")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s-%s", name, clock(s.Start), clock(s.End)))
	}
	return strings.Join(parts, "; ")
}

// clock renders an offset from midnight as HH:MM.
func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
