package whatsapp

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Pacing keeps the shop's number from looking like a spammer's. WhatsApp
// bans numbers of unofficial clients that send fast, in bursts, or a lot
// from a freshly linked device; these limits sit well under what gets
// numbers banned. They live in the adapter, not in Redis, because a
// WhatsApp number is exactly one live connection: the process holding it
// sees every message it sends.
//
// The zero Pacing means DefaultPacing.
type Pacing struct {
	// ReplyGap is the least time between two messages in one chat, of
	// any class. A person cannot type two answers within a second.
	ReplyGap time.Duration
	// ShopPerMinute bounds the messages the shop starts (transactional
	// and promotional) over the whole number. They are spaced evenly, a
	// minute / ShopPerMinute apart, never sent in a burst.
	ShopPerMinute int
	// Jitter adds a random 0 to Jitter to each of those spaces, so the
	// number never ticks like a machine.
	Jitter time.Duration
	// DailyCap bounds the messages the shop starts per day, counted from
	// midnight in the shop's time zone. Replies are not counted: they
	// answer someone who wrote first.
	DailyCap int
	// WarmupCap is the daily cap on the first day after pairing. It rises
	// evenly over WarmupDays to DailyCap: a new device that starts
	// messaging hundreds of people is the pattern bans are made for.
	WarmupCap  int
	WarmupDays int
	// TypingPerChar, TypingMin and TypingMax set how long "typing…"
	// shows before a message: TypingPerChar per character, within
	// [TypingMin, TypingMax].
	TypingPerChar time.Duration
	TypingMin     time.Duration
	TypingMax     time.Duration
}

// DefaultPacing is the pacing used unless configured: one message per
// second in a chat; at most 6 shop-started messages a minute, each gap
// 0–5 s longer at random; 200 a day, 20 on the first day after pairing,
// rising to 200 on day 8; typing shown 30 ms per character, 0.5–3 s.
func DefaultPacing() Pacing {
	return Pacing{
		ReplyGap:      time.Second,
		ShopPerMinute: 6,
		Jitter:        5 * time.Second,
		DailyCap:      200,
		WarmupCap:     20,
		WarmupDays:    7,
		TypingPerChar: 30 * time.Millisecond,
		TypingMin:     500 * time.Millisecond,
		TypingMax:     3 * time.Second,
	}
}

// Validate reports every setting that cannot work, for the configuration
// layer to show at start.
func (p Pacing) Validate() error {
	var errs []error
	if p.ReplyGap < 0 || p.Jitter < 0 || p.TypingPerChar < 0 || p.TypingMin < 0 || p.TypingMax < 0 {
		errs = append(errs, errors.New("whatsapp pacing: durations must not be negative"))
	}
	if p.ShopPerMinute < 1 || p.ShopPerMinute > 60 {
		errs = append(errs, fmt.Errorf("whatsapp pacing: %d shop-started messages per minute: want 1 to 60", p.ShopPerMinute))
	}
	if p.DailyCap < 1 {
		errs = append(errs, fmt.Errorf("whatsapp pacing: daily cap %d: want at least 1", p.DailyCap))
	}
	if p.WarmupCap < 1 || p.WarmupCap > p.DailyCap {
		errs = append(errs, fmt.Errorf("whatsapp pacing: warm-up cap %d: want 1 to the daily cap (%d)", p.WarmupCap, p.DailyCap))
	}
	if p.WarmupDays < 0 {
		errs = append(errs, fmt.Errorf("whatsapp pacing: %d warm-up days: want 0 or more", p.WarmupDays))
	}
	if p.TypingMin > p.TypingMax {
		errs = append(errs, errors.New("whatsapp pacing: typing minimum is above the maximum"))
	}
	return errors.Join(errs...)
}

// typing is how long "typing…" shows before text.
func (p Pacing) typing(text string) time.Duration {
	d := time.Duration(len([]rune(text))) * p.TypingPerChar
	return min(max(d, p.TypingMin), p.TypingMax)
}

// maxInlineWait is the longest a Send waits in place for its chat's gap.
// Longer waits go back to the sender as a RetryAfterError.
const maxInlineWait = 5 * time.Second

// pacer applies Pacing. It is pure: the clock and the randomness are
// injected, and nothing here does I/O.
type pacer struct {
	cfg  Pacing
	loc  *time.Location
	now  func() time.Time
	rand func() float64 // in [0, 1)

	mu       sync.Mutex
	pairedAt time.Time
	chatNext map[string]time.Time // earliest next send per chat
	shopNext time.Time            // earliest next shop-started send
	day      string               // the shop's local date the count is for
	sent     int                  // shop-started messages sent that day
	paused   time.Time            // shop-started sends wait until then
	why      string               // why they are paused
}

func newPacer(cfg Pacing, loc *time.Location, now func() time.Time, rand func() float64) *pacer {
	return &pacer{cfg: cfg, loc: loc, now: now, rand: rand, chatNext: map[string]time.Time{}}
}

// verdict is the pacer's answer for one message.
type verdict struct {
	// Defer means the message may not go yet: nothing was reserved and
	// the caller comes back after Wait.
	Defer  bool
	Wait   time.Duration
	Reason string
	// When not deferred, the message's slot is reserved and it goes
	// after Wait (at most maxInlineWait).
	shop bool
	day  string
}

// reserve decides whether a message of class to chat may go, and if so
// reserves its slot: the chat's gap, and for shop-started messages the
// number's spacing and one from the day's cap.
func (p *pacer) reserve(chat string, class care.Class) verdict {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.rollDay(now)
	// Replies answer someone who wrote, and alerts go to staff who
	// linked their chat to get them: only what the shop starts is paced
	// as such.
	shop := class.ShopStarted()
	if shop {
		if now.Before(p.paused) {
			return verdict{Defer: true, Wait: p.paused.Sub(now), Reason: fmt.Sprintf("whatsapp pacing: messages the shop starts are paused until %s (%s)", p.paused.In(p.loc).Format(time.DateTime), p.why)}
		}
		if limit, day := p.capAt(now); p.sent >= limit {
			reason := fmt.Sprintf("whatsapp pacing: daily cap of %d messages the shop starts reached", limit)
			if day > 0 {
				reason += fmt.Sprintf(" (warm-up day %d of %d)", day, p.cfg.WarmupDays)
			}
			return verdict{Defer: true, Wait: p.nextMidnight(now).Sub(now), Reason: reason}
		}
		if now.Before(p.shopNext) {
			return verdict{Defer: true, Wait: p.shopNext.Sub(now), Reason: fmt.Sprintf("whatsapp pacing: at most %d messages the shop starts per minute", p.cfg.ShopPerMinute)}
		}
	}
	at := now
	if next := p.chatNext[chat]; next.After(at) {
		at = next
	}
	wait := at.Sub(now)
	if wait > maxInlineWait {
		return verdict{Defer: true, Wait: wait, Reason: fmt.Sprintf("whatsapp pacing: one message per %s in a chat", p.cfg.ReplyGap)}
	}
	p.prune(now)
	p.chatNext[chat] = at.Add(p.cfg.ReplyGap)
	if shop {
		p.sent++
		gap := time.Minute/time.Duration(p.cfg.ShopPerMinute) + time.Duration(p.rand()*float64(p.cfg.Jitter))
		p.shopNext = at.Add(gap)
	}
	return verdict{Wait: wait, shop: shop, day: p.day}
}

// cancel gives back the day's count of a reserved message that did not
// go out. The spacing stays: being slower than needed is harmless.
func (p *pacer) cancel(v verdict) {
	if v.Defer || !v.shop {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.day == v.day && p.sent > 0 {
		p.sent--
	}
}

// forget drops what the pacer knows of chat: erasure.
func (p *pacer) forget(chat string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.chatNext, chat)
}

// pause holds every shop-started message until until.
func (p *pacer) pause(until time.Time, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.paused) {
		p.paused, p.why = until, why
	}
}

// setPairedAt starts the warm-up at t; the zero time means no warm-up.
func (p *pacer) setPairedAt(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pairedAt = t
}

// rollDay starts a new count at midnight in the shop's time zone.
func (p *pacer) rollDay(now time.Time) {
	if day := now.In(p.loc).Format(time.DateOnly); day != p.day {
		p.day, p.sent = day, 0
	}
}

// capAt is the daily cap at now and the warm-up day it comes from (0 once
// the warm-up is over). Day 1 is the first 24 hours after pairing.
func (p *pacer) capAt(now time.Time) (limit, day int) {
	if p.pairedAt.IsZero() || p.cfg.WarmupDays == 0 {
		return p.cfg.DailyCap, 0
	}
	day = max(int(now.Sub(p.pairedAt)/(24*time.Hour))+1, 1)
	if day > p.cfg.WarmupDays {
		return p.cfg.DailyCap, 0
	}
	return p.cfg.WarmupCap + (p.cfg.DailyCap-p.cfg.WarmupCap)*(day-1)/p.cfg.WarmupDays, day
}

func (p *pacer) nextMidnight(now time.Time) time.Time {
	l := now.In(p.loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, p.loc)
}

// prune forgets chats whose gap has passed, so the map stays as small as
// the set of chats active in the last second or so.
func (p *pacer) prune(now time.Time) {
	if len(p.chatNext) < 1024 {
		return
	}
	for chat, next := range p.chatNext {
		if !next.After(now) {
			delete(p.chatNext, chat)
		}
	}
}

// pacerState is the part of the pacer that must survive a restart, or a
// crash loop would reset the daily cap and lift a ban pause.
type pacerState struct {
	Day         string    `json:"day"`
	Sent        int       `json:"sent"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	PauseReason string    `json:"pause_reason,omitempty"`
}

func (p *pacer) snapshot() pacerState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return pacerState{Day: p.day, Sent: p.sent, PausedUntil: p.paused, PauseReason: p.why}
}

func (p *pacer) restore(s pacerState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rollDay(p.now())
	if s.Day == p.day {
		p.sent = max(p.sent, s.Sent)
	}
	if s.PausedUntil.After(p.paused) {
		p.paused, p.why = s.PausedUntil, s.PauseReason
	}
}

// usage reports the day's count and cap, for the status page.
func (p *pacer) usage() (sent, limit int, paused time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.rollDay(now)
	limit, _ = p.capAt(now)
	return p.sent, limit, p.paused
}
