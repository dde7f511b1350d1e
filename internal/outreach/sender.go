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
	// InFlight is how many steps (lane entries: a conversation step's
	// replies, or one message the shop starts) one loop has under way at
	// once, counting those queued behind an earlier one of their contact
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

	// takes and settles gather the concurrent steps' outbox writes into
	// shared round trips; each request is one step's messages.
	takes    *coalescer[[]care.Delivery, taken]
	settles  *coalescer[[]settlement, []error]
	bookings *coalescer[care.Reservation, care.Booking]
}

// taken is what taking a step's deliveries answered, with the
// deliveries as the take filled them in.
type taken struct {
	ds   []care.Delivery
	res  []care.TakeResult
	errs []error
}

// settlement is an outcome to record for a delivery, and how the
// metrics count it.
type settlement struct {
	d      care.Delivery
	o      care.Outcome
	result string
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
	s.takes = &coalescer[[]care.Delivery, taken]{run: func(ctx context.Context, steps [][]care.Delivery) []taken {
		ds := make([]care.Delivery, 0, total(steps))
		for _, st := range steps {
			ds = append(ds, st...)
		}
		res, errs := s.cfg.Outbox.TakeAll(ctx, ds)
		out := make([]taken, len(steps))
		k := 0
		for i, st := range steps {
			out[i] = taken{ds[k : k+len(st)], res[k : k+len(st)], errs[k : k+len(st)]}
			k += len(st)
		}
		return out
	}}
	if cfg.Limiter != nil {
		s.bookings = &coalescer[care.Reservation, care.Booking]{run: cfg.Limiter.ReserveAll}
	}
	s.settles = &coalescer[[]settlement, []error]{run: func(ctx context.Context, steps [][]settlement) [][]error {
		n := total(steps)
		ds, os := make([]care.Delivery, 0, n), make([]care.Outcome, 0, n)
		for _, st := range steps {
			for _, x := range st {
				ds, os = append(ds, x.d), append(os, x.o)
			}
		}
		errs := s.cfg.Outbox.SettleAll(ctx, ds, os)
		out := make([][]error, len(steps))
		k := 0
		for i, st := range steps {
			out[i] = errs[k : k+len(st)]
			k += len(st)
		}
		return out
	}}
	return s
}

// total is the number of items in steps.
func total[T any](steps [][]T) int {
	n := 0
	for _, st := range steps {
		n += len(st)
	}
	return n
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
	d := newDispatcher(s.cfg.InFlight, func(step []care.Delivery) { s.deliver(ctx, step) })
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
		for _, step := range care.Steps(batch) {
			d.submit(step)
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

// stepSpread is how much later than a step's first message its later
// ones may be booked to go: one a chat's limit holds back longer is
// held back instead, so its booking never holds the channel's overall
// limit for the other chats meanwhile.
const stepSpread = 250 * time.Millisecond

// bookTries bounds the bookings of a step's first send that its chat's
// limit holds back: in place, each after the wait the last one named.
const bookTries = 3

// behindWait is how long a message waits for an earlier one of the same
// contact to go out first.
const behindWait = 500 * time.Millisecond

// deliver takes the messages of one step (one lane entry: a
// conversation step's replies, or one message the shop starts) through
// the gate to their channel, in order. The rule at the edge: a message
// is taken (marked with this sender and the time) before the channel is
// called, and a taken message is never handed out again. A crash between
// taking it and the outcome being recorded therefore never sends the
// message twice: another sender later takes it over and settles it
// (settleAbandoned). A channel that certainly did not send it
// (care.RetryAfterError, care.EUnavailable) gets it back: it is
// deferred, released and sent later. The step's messages are taken,
// booked against the rate limits and settled together: one command
// each for the whole step. A message held back holds back the ones
// after it, which keeps their order.
func (s *Sender) deliver(ctx context.Context, step []care.Delivery) {
	now := s.cfg.Now()
	st := &stepRun{s: s, ctx: ctx, now: now, outcomes: make([]settlement, 0, len(step))}
	defer st.flush()
	tk := s.takes.do(ctx, step)
	ready, reasons := make([]care.Delivery, 0, len(tk.ds)), make([]string, 0, len(tk.ds))
	for i, d := range tk.ds {
		res, err := tk.res[i], tk.errs[i]
		switch {
		case errors.Is(err, care.ErrNoConsent):
			st.settle(d, care.Outcome{Verdict: care.Refuse, Reason: "no promotions consent (withdrawn while queued)", At: now}, "refused")
		case err != nil:
			s.cfg.Logger.Warn("taking a message failed; it will be retried", "message", d.ID, "err", err)
			st.hold(d, "", now.Add(time.Second))
		case res == care.Gone:
			// Settled already, or never stored: only this entry goes.
			st.settle(d, care.Outcome{Verdict: care.Refuse, Reason: "gone", At: now, Quiet: true}, "duplicate")
		case res == care.Behind:
			st.hold(d, "", now.Add(behindWait))
		case res == care.Busy:
			// Another sender is sending it; look again once it should
			// be done: gone then, or abandoned.
			st.hold(d, "", now.Add(time.Minute))
		case res == care.Abandoned:
			st.flush()
			s.settleAbandoned(ctx, d, s.route(d.Address), now)
		case !st.heldUntil.IsZero():
			st.holdBehind(d)
		default:
			if reason, ok := st.admit(d); ok {
				ready, reasons = append(ready, d), append(reasons, reason)
			}
		}
	}
	if len(ready) == 0 {
		return
	}
	waits, booked := s.rateWaits(ctx, ready)
	for i, d := range ready {
		switch {
		case !st.heldUntil.IsZero():
			st.release(d)
			st.holdBehind(d)
		case i >= booked.n:
			st.release(d)
			if booked.err != nil {
				s.cfg.Logger.Warn("rate limit failed; the message waits a little", "message", d.ID, "err", booked.err)
			}
			st.hold(d, "rate limit", s.cfg.Now().Add(booked.wait))
		case !backoff.Sleep(ctx, time.Until(waits[i])):
			st.release(d)
			st.hold(d, "", now)
		default:
			st.send(d, reasons[i])
		}
	}
}

// stepRun is the state of one step's delivery: the outcomes to record
// together at its end, the cap reservations to take back, and the time
// a message was held back until (the ones after it wait as long).
type stepRun struct {
	s         *Sender
	ctx       context.Context
	now       time.Time
	outcomes  []settlement
	capped    map[string]bool
	heldUntil time.Time
}

// admit applies the gate, the channel's state and the person's cap to
// d: ok when it may be taken, with the gate's reason; otherwise its
// outcome is noted.
func (st *stepRun) admit(d care.Delivery) (reason string, ok bool) {
	s, now := st.s, st.now
	dec := s.cfg.Gate.Decide(d, now)
	switch dec.Verdict {
	case care.Refuse:
		st.settle(d, care.Outcome{Verdict: care.Refuse, Reason: dec.Reason, At: now}, "refused")
		return "", false
	case care.Defer:
		st.hold(d, dec.Reason, dec.Until)
		return "", false
	}
	if s.route(d.Address) == nil {
		// The channel stopped running here after the lane was read (a
		// WhatsApp number moved to another process): it goes back to its
		// lane, for the process that runs the channel.
		s.cfg.Logger.Info("a message of a channel this process no longer runs; left for the one that does", "lane", d.Lane, "message", d.ID)
		st.hold(d, "", now.Add(time.Second))
		return "", false
	}
	if until := s.pausedUntil(d.Address.Channel, now); !until.IsZero() && !d.Address.Simulated() {
		st.hold(d, "channel asked to wait", until)
		return "", false
	}
	if d.Class == care.Promotional && s.cfg.Caps.Max > 0 {
		ok, free, err := s.cfg.Outbox.ReserveCap(st.ctx, d.Contact, d.ID, s.cfg.Caps.Max, s.cfg.Caps.Window, now)
		switch {
		case err != nil:
			s.cfg.Logger.Warn("counting a promotion against its cap failed; it will be retried", "message", d.ID, "err", err)
			st.hold(d, "", now.Add(time.Second))
			return "", false
		case !ok:
			st.hold(d, fmt.Sprintf("cap of %d promotions per %s reached", s.cfg.Caps.Max, s.cfg.Caps.Window), free)
			return "", false
		}
		if st.capped == nil {
			st.capped = map[string]bool{}
		}
		st.capped[d.ID] = true
	}
	return dec.Reason, true
}

// send calls d's channel and notes the outcome.
func (st *stepRun) send(d care.Delivery, reason string) {
	s, ctx, now := st.s, st.ctx, st.now
	m := d.Outbound
	if m.Class == care.Promotional {
		if line := s.cfg.OptOutLine(m.Lang); line != "" {
			m.Text += "\n\n" + line
		}
	}
	err := s.send(ctx, s.route(d.Address), m)
	out := care.Outcome{Verdict: care.Allow, Reason: reason, At: now}
	var ra *care.RetryAfterError
	switch {
	case err == nil:
		out.Sent = true
		st.settle(d, out, "sent")
	case errors.As(err, &ra):
		st.release(d)
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
		st.hold(d, "channel asked to wait: "+err.Error(), until)
	case care.ErrorCode(err) == care.EUnreachable:
		st.release(d)
		s.cfg.Logger.Warn("contact unreachable on this channel", "contact", d.Contact, "channel", d.Address.Channel, "err", err)
		if err := s.cfg.Outbox.MarkUnreachable(context.WithoutCancel(ctx), d.Contact, d.Address.Channel, err.Error()); err != nil {
			s.cfg.Logger.Error("marking a contact unreachable failed", "contact", d.Contact, "err", err)
		}
		out.Reason, out.Error = "contact unreachable", err.Error()
		st.settle(d, out, "unreachable")
	case care.ErrorCode(err) == care.EUnavailable:
		st.release(d)
		st.hold(d, "channel unavailable: "+err.Error(), s.cfg.Now().Add(time.Minute))
	default:
		st.release(d)
		s.cfg.Logger.Warn("sending failed", "message", d.ID, "contact", d.Contact, "err", err)
		out.Reason, out.Error = "send failed", err.Error()
		st.settle(d, out, "failed")
	}
}

// release takes back d's reservation against the person's cap: it was
// not sent.
func (st *stepRun) release(d care.Delivery) {
	if !st.capped[d.ID] {
		return
	}
	delete(st.capped, d.ID)
	if err := st.s.cfg.Outbox.ReleaseCap(context.WithoutCancel(st.ctx), d.Contact, d.ID); err != nil {
		st.s.cfg.Logger.Warn("releasing a cap reservation failed", "message", d.ID, "err", err)
	}
}

// settle notes d's outcome, recorded at the step's end.
func (st *stepRun) settle(d care.Delivery, o care.Outcome, result string) {
	st.outcomes = append(st.outcomes, settlement{d, o, result})
}

// hold notes that d is held back until until, with the reason; without
// a reason it only waits its turn and leaves no audit entry. The step's
// later messages wait at least as long.
func (st *stepRun) hold(d care.Delivery, reason string, until time.Time) {
	st.outcomes = append(st.outcomes, settlement{d, care.Outcome{Verdict: care.Defer, Reason: reason, Until: until, At: st.now, Quiet: reason == ""}, "deferred"})
	if until.After(st.heldUntil) || st.heldUntil.IsZero() {
		st.heldUntil = until
	}
}

// holdBehind holds d back behind the step's earlier message that was
// held back, a millisecond after it, so that they return to the lane
// in order.
func (st *stepRun) holdBehind(d care.Delivery) {
	st.hold(d, "", st.heldUntil.Add(time.Millisecond))
}

// flush records the outcomes noted so far, in one round trip.
func (st *stepRun) flush() {
	if len(st.outcomes) > 0 {
		st.s.record(st.ctx, st.outcomes)
		st.outcomes = nil
	}
}

// settleAbandoned settles a message whose sender died between taking it
// and recording the outcome; the take has handed it over to this
// delivery, so no other sender decides on it meanwhile. A channel that
// can tell (care.DeliveryChecker) answers from its own record of the
// sends that succeeded: delivered is settled as sent, and not delivered
// is released to go round again, through the gate, and sent once. Any
// other channel, or one that cannot answer, leaves the outcome unknown:
// settled, never sent again. Its reservation against the person's cap,
// if any, was the dead sender's and stands.
func (s *Sender) settleAbandoned(ctx context.Context, d care.Delivery, ch care.Sender, now time.Time) {
	if dc, ok := ch.(care.DeliveryChecker); ok {
		delivered, err := dc.Delivered(ctx, d.Outbound)
		switch {
		case err != nil:
			s.cfg.Logger.Warn("the channel could not say whether a message of a sender that died went out; its outcome stays unknown", "message", d.ID, "err", err)
		case delivered:
			s.settle(ctx, d, care.Outcome{Verdict: care.Allow, Reason: "sent, confirmed after a sender died", Sent: true, At: now}, "sent")
			return
		default:
			if d.Class == care.Promotional && s.cfg.Caps.Max > 0 {
				// Not sent: its count against the cap is taken back.
				if err := s.cfg.Outbox.ReleaseCap(context.WithoutCancel(ctx), d.Contact, d.ID); err != nil {
					s.cfg.Logger.Warn("releasing a cap reservation failed", "message", d.ID, "err", err)
				}
			}
			s.hold(ctx, d, "not sent by a sender that died; sending again", now, now)
			return
		}
	}
	s.settle(ctx, d, care.Outcome{Verdict: care.Allow, Reason: "outcome unknown: the sender that took it stopped mid-send", At: now, Unknown: true}, "unknown")
}

// booking is how many of a step's messages a rate booking covered,
// and, for the rest, the wait they need or why none could be booked.
type booking struct {
	n    int
	wait time.Duration
	err  error
}

// rateWaits books the sends of a step's messages against their
// channel's limits, overall and per chat, in one step, and returns the
// moment each booked one may go: the first booked.n of ds, the rest
// needing booked.wait (or failing with booked.err). The simulator has no
// limits.
func (s *Sender) rateWaits(ctx context.Context, ds []care.Delivery) ([]time.Time, booking) {
	now := time.Now()
	at := make([]time.Time, len(ds))
	for i := range at {
		at[i] = now
	}
	d := ds[0]
	lim, ok := s.cfg.Limits[d.Address.Channel]
	if d.Address.Simulated() || !ok || s.cfg.Limiter == nil {
		return at, booking{n: len(ds)}
	}
	ch := string(d.Address.Channel)
	r := care.Reservation{Limits: []care.Limit{
		{Key: ch, Rate: lim.Overall},
		{Key: ch + ":" + string(d.Contact), Rate: lim.PerChat},
	}, MaxWait: waitInline, N: len(ds), Spread: stepSpread}
	b := s.bookings.do(ctx, r)
	// A first send the chat's own limit holds back is not booked (see
	// care.Reservation): it waits here for its moment and books then.
	for try := 1; try < bookTries && b.Err == nil && len(b.Waits) == 0 && b.Wait <= waitInline; try++ {
		if !backoff.Sleep(ctx, b.Wait) {
			break
		}
		now = time.Now()
		b = s.bookings.do(ctx, r)
	}
	if b.Err != nil {
		return at, booking{wait: time.Second, err: b.Err}
	}
	for i, w := range b.Waits {
		at[i] = now.Add(w)
	}
	return at, booking{n: len(b.Waits), wait: max(b.Wait, time.Millisecond)}
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

// settle records one outcome at once (settleAbandoned's).
func (s *Sender) settle(ctx context.Context, d care.Delivery, o care.Outcome, result string) {
	s.record(ctx, []settlement{{d, o, result}})
}

// hold holds one message back at once (settleAbandoned's).
func (s *Sender) hold(ctx context.Context, d care.Delivery, reason string, until, now time.Time) {
	s.record(ctx, []settlement{{d, care.Outcome{Verdict: care.Defer, Reason: reason, Until: until, At: now, Quiet: reason == ""}, "deferred"}})
}

// record writes outcomes in one round trip (shared with other steps'),
// retrying while Redis is away, and counts them: a message already
// sent must be marked so, or the record would be wrong. It outlives a
// shutdown that begins mid-send.
func (s *Sender) record(ctx context.Context, outs []settlement) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	b := backoff.New(50*time.Millisecond, 5*time.Second)
	left := outs
	for len(left) > 0 {
		errs := s.settles.do(ctx, left)
		var again []settlement
		var failed error
		for i, err := range errs {
			if err != nil {
				again, failed = append(again, left[i]), err
			}
		}
		if len(again) == 0 {
			break
		}
		if ctx.Err() != nil {
			for i, x := range left {
				if errs[i] != nil {
					s.cfg.Logger.Error("outcome not recorded", "message", x.d.ID, "err", errs[i])
				}
			}
			break
		}
		s.cfg.Logger.Warn("recording outcomes failed, retrying", "messages", len(again), "err", failed)
		b.Wait(ctx)
		left = again
	}
	if s.cfg.Recorder != nil {
		for _, x := range outs {
			if !x.o.Quiet {
				s.cfg.Recorder.Delivered(x.d.Outbound, x.result)
			}
		}
	}
}
