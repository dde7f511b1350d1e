package outreach

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mitra-care/mitra/internal/backoff"
	"github.com/mitra-care/mitra/internal/care"
)

// Recorder receives what became of each outbound message; the metrics
// package implements it.
type Recorder interface {
	Delivered(o care.Outbound, result string)
}

// Limits are a channel's platform limits, applied to real contacts (the
// simulator has no platform to protect).
type Limits struct {
	// Overall bounds the channel's sends across all chats.
	Overall care.Rate
	// PerChat bounds the sends to one chat.
	PerChat care.Rate
}

// Caps bound the promotions one person receives across all channels.
type Caps struct {
	Max    int
	Window time.Duration
}

// SenderConfig wires a Sender.
type SenderConfig struct {
	Outbox care.Outbox
	// Limiter applies Limits across processes.
	Limiter care.RateLimiter
	// Channels deliver to real contacts, by channel. The sender reads
	// the lanes of these channels only: a channel this process does not
	// run is another process's, and its messages wait for it.
	Channels map[care.Channel]care.Sender
	// Limits are the platform limits per channel.
	Limits map[care.Channel]Limits
	// Simulator delivers to simulated contacts; nil when it is off.
	Simulator care.Sender
	// Gate decides on each message at send time.
	Gate Gate
	// Caps bound promotions per person.
	Caps Caps
	// OptOutLine is the line that ends every promotional message, in
	// the given language (the flows' optout_line).
	OptOutLine func(lang string) string
	// Consumer names this sender in the outbox's consumer group; it must
	// be unique among running processes.
	Consumer string
	// Active reports whether this process sends on a channel now (a
	// WhatsApp number held by another process is not); nil means all of
	// Channels. The lanes of an inactive channel are left to others.
	Active func(care.Channel) bool
	// InFlight is how many messages one loop has under way at once,
	// counting those queued behind an earlier one of their contact
	// (default 400: enough to keep a platform with a 50 ms round trip
	// busy).
	InFlight   int
	Now        func() time.Time
	Logger     *slog.Logger
	Recorder   Recorder
	Pseudonyms care.Pseudonyms
}

// Sender drains the outbox through the gate to the channels. It is the
// only caller of a channel's Send.
type Sender struct {
	cfg SenderConfig

	mu     sync.Mutex
	paused map[care.Channel]time.Time // a channel asked to wait until

	// takes and settles gather the concurrent deliveries' outbox writes
	// into shared round trips.
	takes    *coalescer[care.Delivery, takeResult]
	settles  *coalescer[settlement, error]
	bookings *coalescer[care.Reservation, care.Booking]
}

// takeResult is what Take answered.
type takeResult struct {
	res care.TakeResult
	err error
}

// settlement is an outcome to record for a delivery.
type settlement struct {
	d care.Delivery
	o care.Outcome
}

// NewSender returns a sender; Run starts it.
func NewSender(cfg SenderConfig) *Sender {
	if cfg.InFlight <= 0 {
		cfg.InFlight = 400
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.OptOutLine == nil {
		cfg.OptOutLine = func(string) string { return "" }
	}
	s := &Sender{cfg: cfg, paused: map[care.Channel]time.Time{}}
	s.takes = &coalescer[care.Delivery, takeResult]{run: func(ctx context.Context, ds []care.Delivery) []takeResult {
		res, errs := s.cfg.Outbox.TakeAll(ctx, ds)
		out := make([]takeResult, len(ds))
		for i := range ds {
			out[i] = takeResult{res[i], errs[i]}
		}
		return out
	}}
	if cfg.Limiter != nil {
		s.bookings = &coalescer[care.Reservation, care.Booking]{run: cfg.Limiter.ReserveAll}
	}
	s.settles = &coalescer[settlement, error]{run: func(ctx context.Context, ss []settlement) []error {
		ds, os := make([]care.Delivery, len(ss)), make([]care.Outcome, len(ss))
		for i, x := range ss {
			ds[i], os[i] = x.d, x.o
		}
		return s.cfg.Outbox.SettleAll(ctx, ds, os)
	}}
	return s
}

// promoteEvery is how often held-back messages whose time has come are
// moved to their lanes.
const promoteEvery = time.Second

// Lanes are the outbox lanes this sender reads: replies (and staff
// messages) apart from what the shop starts, of its channels only.
func (s *Sender) Lanes() (replies, shop []care.Lane) {
	var chans []string
	for _, ch := range care.Channels {
		if s.cfg.Channels[ch] != nil && (s.cfg.Active == nil || s.cfg.Active(ch)) {
			chans = append(chans, string(ch))
		}
	}
	if s.cfg.Simulator != nil {
		chans = append(chans, care.SimChannel)
	}
	for _, ch := range chans {
		l := care.LanesOf(ch)
		replies, shop = append(replies, l[0]), append(shop, l[1])
	}
	return replies, shop
}

// Run sends until ctx ends. Replies and messages the shop starts are
// read by loops of their own, so a long promotion never delays an
// answer. Messages to one contact go out in the order they were
// composed; different contacts are served concurrently, without waiting
// for the slowest. Beside them, held-back messages (follow-ups,
// deferrals) return to their lanes when their time comes.
func (s *Sender) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { s.promote(ctx) })
	wg.Go(func() { s.loop(ctx, s.cfg.Consumer+"/reply", func() []care.Lane { r, _ := s.Lanes(); return r }) })
	wg.Go(func() { s.loop(ctx, s.cfg.Consumer+"/shop", func() []care.Lane { _, sh := s.Lanes(); return sh }) })
	wg.Wait()
	return nil
}

// idleWait is how long a loop with no lane to read waits before it
// looks again (a WhatsApp number may come to this process).
const idleWait = 2 * time.Second

// loop reads its lanes (asked again each time: a channel may come and
// go) and hands each delivery to its contact's queue.
func (s *Sender) loop(ctx context.Context, consumer string, lanesNow func() []care.Lane) {
	d := newDispatcher(s.cfg.InFlight, func(x care.Delivery) { s.deliver(ctx, x) })
	defer d.wait()
	b := backoff.New(50*time.Millisecond, 5*time.Second)
	for ctx.Err() == nil {
		room := d.room(ctx)
		if room == 0 {
			break
		}
		lanes := lanesNow()
		if len(lanes) == 0 {
			backoff.Sleep(ctx, idleWait)
			continue
		}
		batch, err := s.cfg.Outbox.Next(ctx, consumer, lanes, room, 2*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			s.cfg.Logger.Warn("reading the outbox failed, retrying", "in", b.Next(), "err", err)
			b.Wait(ctx)
			continue
		}
		b.Reset()
		for _, x := range batch {
			d.submit(x)
		}
	}
}

// promote moves due held-back messages to their lanes until ctx ends.
func (s *Sender) promote(ctx context.Context) {
	t := time.NewTicker(promoteEvery)
	defer t.Stop()
	for {
		for {
			n, err := s.cfg.Outbox.PromoteDue(ctx, s.cfg.Now(), 500)
			if err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("moving due messages to their lanes failed; will retry", "err", err)
			}
			if n < 500 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// waitInline is the longest a rate limit is waited out in place; a
// longer wait defers the message instead of holding its contact's
// queue.
const waitInline = 2 * time.Second

// behindWait is how long a message waits for an earlier one of the same
// contact to go out first.
const behindWait = 500 * time.Millisecond

// deliver takes one message through the gate to its channel. The rule at
// the edge: a message is taken (marked with this sender and the time)
// before the channel is called, and a taken message is never handed out
// again. A crash between taking it and the outcome being recorded
// therefore never sends the message twice: another sender later takes
// it over and settles it (settleAbandoned). A channel that certainly did
// not send it (care.RetryAfterError, care.EUnavailable) gets it back: it
// is deferred, released and sent later.
func (s *Sender) deliver(ctx context.Context, d care.Delivery) {
	now := s.cfg.Now()
	dec := s.cfg.Gate.Decide(d, now)
	switch dec.Verdict {
	case care.Refuse:
		s.settle(ctx, d, care.Outcome{Verdict: care.Refuse, Reason: dec.Reason, At: now}, "refused")
		return
	case care.Defer:
		s.hold(ctx, d, dec.Reason, dec.Until, now)
		return
	}
	ch := s.route(d.Address)
	if ch == nil {
		// The channel stopped running here after the lane was read (a
		// WhatsApp number moved to another process): the entry stays
		// pending and the process that runs the channel claims it.
		s.cfg.Logger.Info("a message of a channel this process no longer runs; left for the one that does", "lane", d.Lane, "message", d.ID)
		return
	}
	if until := s.pausedUntil(d.Address.Channel, now); !until.IsZero() && !d.Address.Simulated() {
		s.hold(ctx, d, "channel asked to wait", until, now)
		return
	}
	capped := d.Class == care.Promotional && s.cfg.Caps.Max > 0
	if capped {
		ok, free, err := s.cfg.Outbox.ReserveCap(ctx, d.Contact, d.ID, s.cfg.Caps.Max, s.cfg.Caps.Window, now)
		if err != nil {
			s.cfg.Logger.Warn("counting a promotion against its cap failed; it will be retried", "message", d.ID, "err", err)
			return // left pending: claimed again later
		}
		if !ok {
			s.hold(ctx, d, fmt.Sprintf("cap of %d promotions per %s reached", s.cfg.Caps.Max, s.cfg.Caps.Window), free, now)
			return
		}
	}
	release := func() {
		if capped {
			if err := s.cfg.Outbox.ReleaseCap(context.WithoutCancel(ctx), d.Contact, d.ID); err != nil {
				s.cfg.Logger.Warn("releasing a cap reservation failed", "message", d.ID, "err", err)
			}
		}
	}
	tr := s.takes.do(ctx, d)
	taken, err := tr.res, tr.err
	switch {
	case errors.Is(err, care.ErrNoConsent):
		release()
		s.settle(ctx, d, care.Outcome{Verdict: care.Refuse, Reason: "no promotions consent (withdrawn while queued)", At: now}, "refused")
		return
	case err != nil:
		release()
		// Not taken: the entry stays pending and is claimed again later.
		s.cfg.Logger.Warn("taking a message failed; it will be retried", "message", d.ID, "err", err)
		return
	}
	switch taken {
	case care.Gone:
		release()
		// Settled already, or never stored: only this entry goes.
		s.settle(ctx, d, care.Outcome{Verdict: care.Refuse, Reason: "gone", At: now, Quiet: true}, "duplicate")
		return
	case care.Behind:
		release()
		s.hold(ctx, d, "", now.Add(behindWait), now)
		return
	case care.Busy:
		release()
		// Another sender is sending it; look again once it should be
		// done: gone then, or abandoned.
		s.hold(ctx, d, "", now.Add(time.Minute), now)
		return
	case care.Abandoned:
		s.settleAbandoned(ctx, d, ch, now, release)
		return
	}
	if !d.Address.Simulated() {
		if wait, err := s.rateWait(ctx, d); err != nil || wait > 0 {
			release()
			if err != nil {
				s.cfg.Logger.Warn("rate limit failed; the message waits a little", "message", d.ID, "err", err)
				wait = time.Second
			}
			s.hold(ctx, d, "rate limit", now.Add(wait), now)
			return
		}
	}
	m := d.Outbound
	if m.Class == care.Promotional {
		if line := s.cfg.OptOutLine(m.Lang); line != "" {
			m.Text += "\n\n" + line
		}
	}
	err = s.send(ctx, ch, m)
	out := care.Outcome{Verdict: care.Allow, Reason: dec.Reason, At: now}
	var ra *care.RetryAfterError
	switch {
	case err == nil:
		out.Sent = true
		s.settle(ctx, d, out, "sent")
	case errors.As(err, &ra):
		release()
		until := s.cfg.Now().Add(ra.After)
		if ra.Channel {
			s.pause(d.Address.Channel, until)
			if s.cfg.Limiter != nil {
				// Every process waits: the flood limit is the bot's.
				if err := s.cfg.Limiter.Hold(context.WithoutCancel(ctx), string(d.Address.Channel), time.Now().Add(ra.After)); err != nil {
					s.cfg.Logger.Warn("holding the channel for every process failed", "channel", d.Address.Channel, "err", err)
				}
			}
		}
		s.hold(ctx, d, "channel asked to wait: "+err.Error(), until, now)
	case care.ErrorCode(err) == care.EUnreachable:
		release()
		s.cfg.Logger.Warn("contact unreachable on this channel", "contact", d.Contact, "channel", d.Address.Channel, "err", err)
		if err := s.cfg.Outbox.MarkUnreachable(context.WithoutCancel(ctx), d.Contact, d.Address.Channel, err.Error()); err != nil {
			s.cfg.Logger.Error("marking a contact unreachable failed", "contact", d.Contact, "err", err)
		}
		out.Reason, out.Error = "contact unreachable", err.Error()
		s.settle(ctx, d, out, "unreachable")
	case care.ErrorCode(err) == care.EUnavailable:
		release()
		s.hold(ctx, d, "channel unavailable: "+err.Error(), s.cfg.Now().Add(time.Minute), now)
	default:
		release()
		s.cfg.Logger.Warn("sending failed", "message", d.ID, "contact", d.Contact, "err", err)
		out.Reason, out.Error = "send failed", err.Error()
		s.settle(ctx, d, out, "failed")
	}
}

// settleAbandoned settles a message whose sender died between taking it
// and recording the outcome; Take has handed it over to this delivery,
// so no other sender decides on it meanwhile. A channel that can tell
// (care.DeliveryChecker) answers from its own record of the sends that
// succeeded: delivered is settled as sent, and not delivered is released
// to go round again, through the gate, and sent once. Any other channel,
// or one that cannot answer, leaves the outcome unknown: settled, never
// sent again.
func (s *Sender) settleAbandoned(ctx context.Context, d care.Delivery, ch care.Sender, now time.Time, release func()) {
	if dc, ok := ch.(care.DeliveryChecker); ok {
		delivered, err := dc.Delivered(ctx, d.Outbound)
		switch {
		case err != nil:
			s.cfg.Logger.Warn("the channel could not say whether a message of a sender that died went out; its outcome stays unknown", "message", d.ID, "err", err)
		case delivered:
			// Sent: the reservation against the cap stands.
			s.settle(ctx, d, care.Outcome{Verdict: care.Allow, Reason: "sent, confirmed after a sender died", Sent: true, At: now}, "sent")
			return
		default:
			release()
			s.hold(ctx, d, "not sent by a sender that died; sending again", now, now)
			return
		}
	}
	release()
	s.settle(ctx, d, care.Outcome{Verdict: care.Allow, Reason: "outcome unknown: the sender that took it stopped mid-send", At: now, Unknown: true}, "unknown")
}

// rateWait books the send against the channel's limits, overall and per
// chat, in one step, and waits for its moment when that is near. It
// returns the wait still left when the moment is far (nothing booked).
func (s *Sender) rateWait(ctx context.Context, d care.Delivery) (time.Duration, error) {
	lim, ok := s.cfg.Limits[d.Address.Channel]
	if !ok || s.cfg.Limiter == nil {
		return 0, nil
	}
	ch := string(d.Address.Channel)
	b := s.bookings.do(ctx, care.Reservation{Limits: []care.Limit{
		{Key: ch, Rate: lim.Overall},
		{Key: ch + ":" + string(d.Contact), Rate: lim.PerChat},
	}, MaxWait: waitInline})
	if b.Err != nil || !b.OK {
		return max(b.Wait, time.Millisecond), b.Err
	}
	if !backoff.Sleep(ctx, b.Wait) {
		return 0, ctx.Err()
	}
	return 0, nil
}

// sendAttempts bounds the tries of a message whose channel said it was
// not delivered and may be tried again soon.
const sendAttempts = 3

// send calls the channel, trying again a few times while it answers
// care.EUnavailable: a channel returns that code only when the platform
// certainly did not accept the message, so trying again cannot send it
// twice.
func (s *Sender) send(ctx context.Context, ch care.Sender, m care.Outbound) error {
	b := backoff.New(100*time.Millisecond, time.Second)
	for attempt := 1; ; attempt++ {
		err := ch.Send(ctx, m)
		if err == nil || care.ErrorCode(err) != care.EUnavailable || attempt == sendAttempts || !b.Wait(ctx) {
			return err
		}
	}
}

func (s *Sender) route(a care.Address) care.Sender {
	if a.Simulated() {
		return s.cfg.Simulator
	}
	return s.cfg.Channels[a.Channel]
}

func (s *Sender) pause(c care.Channel, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.paused[c]) {
		s.paused[c] = until
	}
}

func (s *Sender) pausedUntil(c care.Channel, now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.paused[c]; u.After(now) {
		return u
	}
	return time.Time{}
}

// recordTimeout bounds how long an outcome is retried while Redis is
// away; past it the entry stays pending and another sender handles it.
const recordTimeout = time.Minute

// settle records the outcome, retrying while Redis is away: a message
// already sent must be marked so, or the record would be wrong.
func (s *Sender) settle(ctx context.Context, d care.Delivery, o care.Outcome, result string) {
	s.record(ctx, d, "settle", func(ctx context.Context) error { return s.settles.do(ctx, settlement{d, o}) })
	if s.cfg.Recorder != nil && !o.Quiet {
		s.cfg.Recorder.Delivered(d.Outbound, result)
	}
}

// hold holds the message back until until, with the reason; without a
// reason it only waits its turn and leaves no audit entry.
func (s *Sender) hold(ctx context.Context, d care.Delivery, reason string, until, now time.Time) {
	o := care.Outcome{Verdict: care.Defer, Reason: reason, Until: until, At: now, Quiet: reason == ""}
	s.record(ctx, d, "defer", func(ctx context.Context) error { return s.settles.do(ctx, settlement{d, o}) })
	if s.cfg.Recorder != nil && !o.Quiet {
		s.cfg.Recorder.Delivered(d.Outbound, "deferred")
	}
}

// record runs an outbox write, retrying while Redis is away. It outlives
// a shutdown that begins mid-send.
func (s *Sender) record(ctx context.Context, d care.Delivery, what string, fn func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	b := backoff.New(50*time.Millisecond, 5*time.Second)
	for {
		err := fn(ctx)
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			s.cfg.Logger.Error("outcome not recorded", "what", what, "message", d.ID, "err", err)
			return
		}
		s.cfg.Logger.Warn("recording an outcome failed, retrying", "what", what, "message", d.ID, "err", err)
		b.Wait(ctx)
	}
}
