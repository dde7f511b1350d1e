package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// weekdays maps the day names MITRA_STAFF_HOURS accepts to their day.
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// parseStaffHours reads MITRA_STAFF_HOURS: "always", or parts separated
// by ";", each optional days and then HH:MM-HH:MM or "off":
//
//	08:00-20:00                          every day
//	mon-sat 08:00-17:00; sun off         Monday to Saturday
//	08:00-20:00; fri 08:00-11:00; sun off every day, then the exceptions
//
// Days are mon..sun (or full English names), a range "mon-fri" (which
// may wrap: "sat-mon") or a list "sat,sun". A later part overrides an
// earlier one for its days; a day no part names is a day off. A span
// ends after it starts, at 24:00 at the latest.
func parseStaffHours(v string) (care.StaffHours, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "always") {
		return care.StaffHours{}, nil
	}
	var h care.StaffHours
	for part := range strings.SplitSeq(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Fields(part)
		days := [7]bool{true, true, true, true, true, true, true}
		if len(fields) == 2 {
			var err error
			if days, err = parseDays(fields[0]); err != nil {
				return care.StaffHours{}, fmt.Errorf("%q: %w", part, err)
			}
			fields = fields[1:]
		}
		if len(fields) != 1 {
			return care.StaffHours{}, fmt.Errorf("%q: want [days] HH:MM-HH:MM or [days] off, like mon-sat 08:00-17:00", part)
		}
		span, err := parseSpan(fields[0])
		if err != nil {
			return care.StaffHours{}, fmt.Errorf("%q: %w", part, err)
		}
		for d, on := range days {
			if on {
				h.Days[d] = span
			}
		}
	}
	if h.Always() {
		return care.StaffHours{}, errors.New("staff are never on duty: give hours for at least one day, or always")
	}
	return h, nil
}

// parseDays reads "mon", "mon-fri", "sat-mon" or "sat,sun".
func parseDays(s string) ([7]bool, error) {
	var out [7]bool
	for item := range strings.SplitSeq(strings.ToLower(s), ",") {
		a, b, isRange := strings.Cut(item, "-")
		from, ok1 := weekdays[a]
		to, ok2 := from, true
		if isRange {
			to, ok2 = weekdays[b]
		}
		if !ok1 || !ok2 {
			return out, fmt.Errorf("unknown day %q: use mon, tue, wed, thu, fri, sat, sun, a range mon-fri or a list sat,sun", item)
		}
		for d := from; ; d = (d + 1) % 7 {
			out[d] = true
			if d == to {
				break
			}
		}
	}
	return out, nil
}

// parseSpan reads "HH:MM-HH:MM" (the end may be 24:00) or "off".
func parseSpan(s string) (care.Span, error) {
	if strings.EqualFold(s, "off") {
		return care.Span{}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if b == "24:00" {
		end, err2 = 24*time.Hour, nil
	}
	if !ok || err1 != nil || err2 != nil {
		return care.Span{}, fmt.Errorf("%q: want HH:MM-HH:MM like 08:00-17:00, or off", s)
	}
	if start >= end {
		return care.Span{}, fmt.Errorf("%q: the hours must end after they start on the same day (24:00 for midnight)", s)
	}
	return care.Span{Start: start, End: end}, nil
}

// everyDay is staff hours of span on every day of the week.
func everyDay(span care.Span) care.StaffHours {
	var h care.StaffHours
	for d := range h.Days {
		h.Days[d] = span
	}
	return h
}

// checkPublicURL reports why u cannot start the links staff open from
// their alerts: it must be an absolute http or https URL with a host,
// and nothing a link could not be appended to (a query, a fragment) or
// should not carry (a password).
func checkPublicURL(u string) error {
	p, err := url.Parse(u)
	switch {
	case err != nil || p.Host == "" || p.Scheme != "https" && p.Scheme != "http":
		return errors.New("want an http or https URL like https://toko.example")
	case p.User != nil, p.RawQuery != "", p.Fragment != "", strings.HasSuffix(u, "#"), strings.HasSuffix(u, "?"):
		return errors.New("want no user, query or fragment: the base the console's paths are appended to")
	}
	return nil
}
