package config

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// parseCap reads "N/<days>d" or "N/<hours>h" in whole days: "2/7d",
// "1/24h". The opt-in question quotes the window in days, so it must be
// whole days.
func parseCap(v string) (int, time.Duration, error) {
	ns, ds, ok := strings.Cut(strings.TrimSpace(v), "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 || n > 1000 {
		return 0, 0, errors.New("want N/<days>d like 2/7d, with N from 1 to 1000")
	}
	days := -1
	if dd, isDays := strings.CutSuffix(ds, "d"); isDays {
		if k, err := strconv.Atoi(dd); err == nil {
			days = k
		}
	} else if d, err := time.ParseDuration(ds); err == nil && d%(24*time.Hour) == 0 {
		days = int(d / (24 * time.Hour))
	}
	if days < 1 || days > 365 {
		return 0, 0, errors.New("want N/<days>d like 2/7d: a window of 1 to 365 whole days")
	}
	return n, time.Duration(days) * 24 * time.Hour, nil
}

// parseQuiet reads "HH:MM-HH:MM" or "off".
func parseQuiet(v string) (time.Duration, time.Duration, error) {
	if strings.EqualFold(v, "off") {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(v, "-")
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if !ok || err1 != nil || err2 != nil || start == end {
		return 0, 0, errors.New("want HH:MM-HH:MM like 21:00-08:00, or off")
	}
	return start, end, nil
}

func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}
