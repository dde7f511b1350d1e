package whatsapp

import (
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// step is one message offered to the pacer, after advancing the clock.
type step struct {
	advance time.Duration
	chat    string
	class   care.Class
	defer_  bool
	wait    time.Duration
	reason  string // in a deferral's reason
}

func TestPacer(t *testing.T) {
	base := DefaultPacing()
	fast := base
	fast.ShopPerMinute, fast.Jitter, fast.DailyCap, fast.WarmupCap = 60, 0, 3, 3
	// 16:58 UTC is 23:58 in Jakarta: the shop's midnight is two minutes
	// away, UTC's seven hours.
	lateEvening := time.Date(2026, 3, 2, 16, 58, 0, 0, time.UTC)

	tests := []struct {
		name  string
		cfg   Pacing
		start time.Time
		rand  float64
		steps []step
	}{
		{
			name: "one message per second in a chat, waited out in place up to 5 s",
			cfg:  base, rand: 0.5,
			steps: []step{
				{chat: "a", class: care.Reply},
				{chat: "a", class: care.Reply, wait: time.Second},
				{chat: "b", class: care.Reply},
				{advance: 300 * time.Millisecond, chat: "a", class: care.Reply, wait: 1700 * time.Millisecond},
				{chat: "a", class: care.Reply, wait: 2700 * time.Millisecond},
				{chat: "a", class: care.Reply, wait: 3700 * time.Millisecond},
				{chat: "a", class: care.Reply, wait: 4700 * time.Millisecond},
				{chat: "a", class: care.Reply, defer_: true, wait: 5700 * time.Millisecond, reason: "one message per 1s in a chat"},
				{advance: 10 * time.Second, chat: "a", class: care.Reply},
			},
		},
		{
			name: "six a minute at most, spaced with jitter",
			cfg:  base, rand: 0.5, // 10 s + 2.5 s jitter
			steps: []step{
				{chat: "a", class: care.Transactional},
				{chat: "b", class: care.Promotional, defer_: true, wait: 12500 * time.Millisecond, reason: "at most 6 messages the shop starts per minute"},
				{advance: 12 * time.Second, chat: "b", class: care.Promotional, defer_: true, wait: 500 * time.Millisecond},
				{chat: "c", class: care.Reply}, // replies are not held by the shop's pace
				{advance: 500 * time.Millisecond, chat: "b", class: care.Promotional},
				{advance: 12500 * time.Millisecond, chat: "c", class: care.Transactional},
			},
		},
		{
			name: "no jitter: exactly six a minute",
			cfg:  base, rand: 0,
			steps: []step{
				{chat: "a", class: care.Promotional},
				{advance: 10 * time.Second, chat: "b", class: care.Promotional},
				{advance: 10 * time.Second, chat: "c", class: care.Promotional},
				{advance: 10 * time.Second, chat: "d", class: care.Promotional},
				{advance: 10 * time.Second, chat: "e", class: care.Promotional},
				{advance: 10 * time.Second, chat: "f", class: care.Promotional},
				{advance: 9 * time.Second, chat: "g", class: care.Promotional, defer_: true, wait: time.Second},
			},
		},
		{
			name: "daily cap resets at midnight in the shop's time zone",
			cfg:  fast, start: lateEvening,
			steps: []step{
				{chat: "a", class: care.Promotional},
				{advance: time.Second, chat: "b", class: care.Transactional},
				{advance: time.Second, chat: "c", class: care.Promotional},
				{advance: time.Second, chat: "d", class: care.Promotional, defer_: true, wait: 2*time.Minute - 3*time.Second, reason: "daily cap of 3"},
				{chat: "d", class: care.Reply},                         // replies are not capped
				{chat: "e", class: care.StaffAlert},                    // nor alerts to staff who linked the chat
				{chat: "e", class: care.StaffAlert, wait: time.Second}, // but they keep the chat's gap
				{advance: 2*time.Minute - 3*time.Second, chat: "d", class: care.Promotional},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := tt.start
			if start.IsZero() {
				start = startTime
			}
			clk := &clock{t: start}
			p := newPacer(tt.cfg, wib, clk.now, func() float64 { return tt.rand })
			for i, s := range tt.steps {
				clk.advance(s.advance)
				v := p.reserve(s.chat, s.class)
				if v.Defer != s.defer_ || v.Wait != s.wait {
					t.Fatalf("step %d (%s %s at +%s): defer=%v wait=%v (%s), want defer=%v wait=%v",
						i, s.class, s.chat, clk.now().Sub(start), v.Defer, v.Wait, v.Reason, s.defer_, s.wait)
				}
				if s.reason != "" && !strings.Contains(v.Reason, s.reason) {
					t.Errorf("step %d: reason %q, want it to say %q", i, v.Reason, s.reason)
				}
			}
		})
	}
}

func TestWarmup(t *testing.T) {
	paired := time.Date(2026, 3, 1, 15, 0, 0, 0, wib)
	tests := []struct {
		day, cap int
	}{
		{1, 20}, {2, 45}, {3, 71}, {4, 97}, {5, 122}, {6, 148}, {7, 174}, {8, 200}, {30, 200},
	}
	for _, tt := range tests {
		// Late in each warm-up day, so the day is counted from pairing,
		// not from the calendar.
		clk := &clock{t: paired.Add(time.Duration(tt.day-1)*24*time.Hour + 23*time.Hour)}
		cfg := DefaultPacing()
		cfg.ShopPerMinute, cfg.Jitter = 60, 0
		p := newPacer(cfg, wib, clk.now, func() float64 { return 0 })
		p.setPairedAt(paired)
		if got, _, _ := p.usage(); got != 0 {
			t.Fatalf("day %d: %d already sent", tt.day, got)
		}
		if _, limit, _ := p.usage(); limit != tt.cap {
			t.Errorf("day %d: cap %d, want %d", tt.day, limit, tt.cap)
		}
		// The cap holds: exactly cap messages go, a second apart; the
		// next one waits for the shop's midnight.
		sent := 0
		for ; sent <= tt.cap; sent++ {
			clk.advance(time.Second)
			v := p.reserve("c"+string(rune('a'+sent%26)), care.Promotional)
			if v.Defer {
				if tt.day <= cfg.WarmupDays && !strings.Contains(v.Reason, "warm-up day") {
					t.Errorf("day %d: reason %q does not mention the warm-up", tt.day, v.Reason)
				}
				break
			}
		}
		if sent != tt.cap {
			t.Errorf("day %d: %d messages went, want %d", tt.day, sent, tt.cap)
		}
	}
}

func TestPacerBanPause(t *testing.T) {
	clk := &clock{t: startTime}
	p := newPacer(DefaultPacing(), wib, clk.now, func() float64 { return 0 })
	p.pause(startTime.Add(2*time.Hour), "temporary ban 101")
	p.pause(startTime.Add(time.Hour), "shorter pause") // never shortens

	v := p.reserve("a", care.Promotional)
	if !v.Defer || v.Wait != 2*time.Hour || !strings.Contains(v.Reason, "temporary ban 101") {
		t.Errorf("during the ban: %+v, want a 2h deferral naming the ban", v)
	}
	if v := p.reserve("b", care.Reply); v.Defer {
		t.Errorf("a reply was paused by the pacer: %+v (the connection holds replies back)", v)
	}
	clk.advance(2 * time.Hour)
	if v := p.reserve("a", care.Promotional); v.Defer {
		t.Errorf("after the ban: %+v", v)
	}
}

// The day's count and a pause survive a restart; a count from another
// day does not.
func TestPacerRestore(t *testing.T) {
	tests := []struct {
		name     string
		state    pacerState
		wantSent int
		paused   bool
	}{
		{"same day", pacerState{Day: "2026-03-02", Sent: 7}, 7, false},
		{"yesterday", pacerState{Day: "2026-03-01", Sent: 7}, 0, false},
		{"ban pause", pacerState{Day: "2026-03-02", PausedUntil: startTime.Add(time.Hour), PauseReason: "ban"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: startTime}
			p := newPacer(DefaultPacing(), wib, clk.now, func() float64 { return 0 })
			p.restore(tt.state)
			sent, _, paused := p.usage()
			if sent != tt.wantSent || paused.After(startTime) != tt.paused {
				t.Errorf("sent %d paused until %v, want %d paused %v", sent, paused, tt.wantSent, tt.paused)
			}
			if got := p.snapshot(); got.Sent != tt.wantSent {
				t.Errorf("snapshot %+v", got)
			}
		})
	}
}

func TestPacerCancel(t *testing.T) {
	clk := &clock{t: startTime}
	cfg := DefaultPacing()
	cfg.DailyCap, cfg.WarmupCap, cfg.Jitter = 1, 1, 0
	p := newPacer(cfg, wib, clk.now, func() float64 { return 0 })
	v := p.reserve("a", care.Transactional)
	if v.Defer {
		t.Fatalf("first: %+v", v)
	}
	p.cancel(v)
	clk.advance(time.Minute)
	if v := p.reserve("a", care.Transactional); v.Defer {
		t.Errorf("after giving the count back: %+v", v)
	}
}

func TestPacingValidate(t *testing.T) {
	if err := DefaultPacing().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	bad := Pacing{ReplyGap: -1, ShopPerMinute: 0, DailyCap: 10, WarmupCap: 20, TypingMin: 2 * time.Second, TypingMax: time.Second}
	err := bad.Validate()
	for _, want := range []string{"negative", "per minute", "warm-up cap", "typing minimum"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to mention %q", err, want)
		}
	}
}
