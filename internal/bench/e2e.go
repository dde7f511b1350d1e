package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/outreach"
)

// stub stands in for Telegram: it takes every message at once and
// notes when it arrived.
type stub struct {
	sent  atomic.Int64
	last  atomic.Int64 // unix ns of the latest arrival
	track atomic.Pointer[tracker]

	mu       sync.Mutex
	record   bool
	arrivals []arrival
}

// arrival is one message reaching the stub.
type arrival struct {
	at      int64 // unix ns
	contact care.ContactID
}

var _ care.Sender = (*stub)(nil)

func (s *stub) Send(_ context.Context, m care.Outbound) error {
	now := time.Now().UnixNano()
	s.sent.Add(1)
	for {
		last := s.last.Load()
		if now <= last || s.last.CompareAndSwap(last, now) {
			break
		}
	}
	if t := s.track.Load(); t != nil {
		t.arrived(m.InReplyTo, now)
	}
	s.mu.Lock()
	if s.record {
		s.arrivals = append(s.arrivals, arrival{at: now, contact: m.Contact})
	}
	s.mu.Unlock()
	return nil
}

// recording starts or stops noting each arrival, and returns those
// noted so far.
func (s *stub) recording(on bool) []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.arrivals
	s.record, s.arrivals = on, nil
	return out
}

// tracker follows the messages of one run: when each was handed to the
// runtime, when it was stored, when its first reply reached the stub.
// Message n has the id <tag><n>.
type tracker struct {
	tag    string
	start  []atomic.Int64
	stored []atomic.Int64
	first  []atomic.Int64
	conv   []atomic.Int32
	// notify wakes conversation i when the first reply to one of its
	// messages arrives.
	notify []chan struct{}
	next   atomic.Int64
}

func newTracker(tag string, messages, conversations int) *tracker {
	t := &tracker{tag: tag, start: make([]atomic.Int64, messages), stored: make([]atomic.Int64, messages),
		first: make([]atomic.Int64, messages), conv: make([]atomic.Int32, messages), notify: make([]chan struct{}, conversations)}
	for i := range t.notify {
		t.notify[i] = make(chan struct{}, 1)
	}
	return t
}

func (t *tracker) arrived(inReplyTo string, at int64) {
	rest, ok := strings.CutPrefix(inReplyTo, t.tag)
	if !ok {
		return
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || n >= len(t.first) {
		return
	}
	if t.first[n].CompareAndSwap(0, at) {
		select {
		case t.notify[t.conv[n].Load()] <- struct{}{}:
		default:
		}
	}
}

// send hands message n, the turn-th of conversation i at a, to the
// runtime.
func (t *tracker) send(ctx context.Context, r *run, n, i, turn int, a care.Address) error {
	in := script[turn%len(script)]
	in.Address = a
	in.MessageID = t.tag + strconv.Itoa(n)
	t.conv[n].Store(int32(i))
	now := time.Now()
	in.At = now
	t.start[n].Store(now.UnixNano())
	err := r.rt.Handle(ctx, in)
	t.stored[n].Store(time.Now().UnixNano())
	return err
}

// waitReply waits for the first reply to message n of conversation i.
func (t *tracker) waitReply(ctx context.Context, n, i int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for t.first[n].Load() == 0 {
		select {
		case <-t.notify[i]:
		case <-deadline.C:
			return t.first[n].Load() != 0
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// latencies are the times from handed to first reply of messages
// [0, n), and how many got no reply.
func (t *tracker) latencies(n int) (toFirst, toStored []time.Duration, unanswered int) {
	for k := range n {
		s, f := t.start[k].Load(), t.first[k].Load()
		if f == 0 {
			unanswered++
			continue
		}
		toFirst = append(toFirst, time.Duration(f-s))
		toStored = append(toStored, time.Duration(t.stored[k].Load()-s))
	}
	return toFirst, toStored, unanswered
}

// outcomes counts what the sender recorded of each reply.
type outcomes struct {
	mu    sync.Mutex
	by    map[string]int64
	final atomic.Int64 // every outcome but a deferral
}

func (o *outcomes) Delivered(_ care.Outbound, result string) {
	o.mu.Lock()
	if o.by == nil {
		o.by = map[string]int64{}
	}
	o.by[result]++
	o.mu.Unlock()
	if result != "deferred" {
		o.final.Add(1)
	}
}

func (o *outcomes) snapshot() map[string]int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]int64, len(o.by))
	for k, v := range o.by {
		out[k] = v
	}
	return out
}

// e2e is the whole path's parts: the stub channel and what the sender
// recorded.
type e2e struct {
	stub *stub
	out  *outcomes
}

// startSender runs the real sender with the stub as Telegram under
// limits, until the returned stop is called (which waits for it to
// end: up to the 2 s its read blocks).
func (r *run) startSender(e *e2e, limits outreach.Limits) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	s := outreach.NewSender(outreach.SenderConfig{
		Outbox:   r.store.Store,
		Limiter:  r.store.Store,
		Channels: map[care.Channel]care.Sender{care.Telegram: e.stub},
		Limits:   map[care.Channel]outreach.Limits{care.Telegram: limits},
		Gate: outreach.NewGate(outreach.GateConfig{
			Quiet:    outreach.QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour},
			TimeZone: time.FixedZone("WIB", 7*3600),
		}),
		Caps:     outreach.Caps{Max: 2, Window: 7 * 24 * time.Hour},
		Consumer: "bench-" + randomHex(),
		Logger:   r.log,
		Recorder: e.out,
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// settled waits until every reply queued since queued0 was settled
// (sent, refused or failed) since final0.
func (r *run) settled(ctx context.Context, e *e2e, queued0, final0 int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		want, got := r.store.queued.Load()-queued0, e.out.final.Load()-final0
		if got >= want {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("whole path: only %d of %d replies settled after %s: %w", got, want, timeout, errTimeout)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// once lets each of n conversations send one message.
func once(n int) func(i int) bool {
	sent := make([]bool, n)
	return func(i int) bool {
		if sent[i] {
			return false
		}
		sent[i] = true
		return true
	}
}

// telegramAddress is the chat of the i-th whole-path conversation.
func telegramAddress(i int) care.Address {
	return care.Address{Channel: care.Telegram, ID: strconv.Itoa(7_000_000_000 + i)}
}

// replyTimeout is how long a conversation waits for an answer before it
// counts the message unanswered and goes on.
const replyTimeout = 10 * time.Second

// closedLoop has each conversation send a message, wait for its first
// reply, and go on while more says so. It returns how many messages
// were sent.
func (r *run) closedLoop(ctx context.Context, t *tracker, convs []care.Address, turns []int, more func(i int) bool) (int, error) {
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for i, a := range convs {
		wg.Go(func() {
			for more(i) {
				n := int(t.next.Add(1)) - 1
				if n >= len(t.start) {
					return
				}
				err := t.send(ctx, r, n, i, turns[i], a)
				turns[i]++
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				t.waitReply(ctx, n, i, replyTimeout)
			}
		})
	}
	wg.Wait()
	return min(int(t.next.Load()), len(t.start)), firstErr
}

// wholePath measures inbound to a channel stub through the sender, the
// gate, the limits and the audit.
func (r *run) wholePath(ctx context.Context) error {
	opts := r.opts
	e := &e2e{stub: &stub{}, out: &outcomes{}}
	convs := make([]care.Address, opts.Conversations)
	for i := range convs {
		convs[i] = telegramAddress(i)
	}
	turns := make([]int, len(convs))
	stop := r.startSender(e, outreach.Limits{Overall: opts.E2EOverall, PerChat: opts.E2EPerChat})
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	fmt.Fprintf(r.progress, "whole path: warming up %d Telegram conversations\n", len(convs))
	warm := newTracker("w", len(convs), len(convs))
	e.stub.track.Store(warm)
	q0, f0 := r.store.queued.Load(), e.out.final.Load()
	// Each conversation sends one message.
	if _, err := r.closedLoop(ctx, warm, convs, turns, once(len(convs))); err != nil {
		return err
	}
	if err := r.settled(ctx, e, q0, f0, 30*time.Second); err != nil {
		return err
	}

	if r.phases["e2e"] {
		if err := r.e2eRuns(ctx, e, convs, turns); err != nil {
			return err
		}
	}
	stop()
	stopped = true

	if r.phases["e2e"] {
		if err := r.contactBytes(ctx); err != nil {
			return err
		}
	}
	if r.phases["limits"] {
		if err := r.limits(ctx, e, convs, turns); err != nil {
			return err
		}
	}
	return nil
}

// e2eRuns are the whole path's throughput, a lone message, the fresh
// contacts whose bytes are measured later, and the latency at a steady
// rate.
func (r *run) e2eRuns(ctx context.Context, e *e2e, convs []care.Address, turns []int) error {
	opts := r.opts
	fmt.Fprintf(r.progress, "whole path: %d messages as fast as possible, to replies at the channel\n", opts.E2EMessages)
	t := newTracker("t", opts.E2EMessages, len(convs))
	e.stub.track.Store(t)
	q0, f0, sent0 := r.store.queued.Load(), e.out.final.Load(), e.stub.sent.Load()
	out0 := e.out.snapshot()
	cmds0, trips0 := r.counter.snapshot(), r.store.RoundTrips()
	srv0, cpu0 := readServerStats(ctx, r.mon), processCPU()
	var left atomic.Int64
	left.Store(int64(opts.E2EMessages))
	start := time.Now()
	n, err := r.closedLoop(ctx, t, convs, turns, func(int) bool { return left.Add(-1) >= 0 })
	if err != nil {
		return err
	}
	if err := r.settled(ctx, e, q0, f0, 60*time.Second); err != nil {
		return err
	}
	end := time.Unix(0, e.stub.last.Load())
	cmds, trips := r.counter.snapshot().since(cmds0), r.store.RoundTrips()-trips0
	srv, cpu := readServerStats(ctx, r.mon).since(srv0), processCPU()-cpu0
	res := &r.res
	res.E2EMessages = n
	res.E2EMsgsPerSec = math.Round(float64(n) / end.Sub(start).Seconds())
	res.RepliesPerMsg = round2(float64(e.stub.sent.Load()-sent0) / float64(n))
	res.RedisCmdsPerMsg, res.RedisCmdsByName = cmds.perMsg(n)
	res.RoundTripsE2EPerMsg = round2(float64(trips) / float64(n))
	res.RedisCallsPerMsg = round2(float64(srv.totalCalls()) / float64(n))
	res.RedisCallsByName = perMsgMap(srv.calls, n)
	res.RedisUsecByName = perMsgMap(srv.usec, n)
	res.RedisCPUusPerMsg = round2(float64(srv.cpuUs) / float64(n))
	res.GoCPUusPerMsg = round2(float64(cpu) / float64(n))
	_, _, unanswered := t.latencies(n)
	res.E2EUnanswered += unanswered
	res.Outcomes = map[string]int64{}
	for k, v := range e.out.snapshot() {
		if d := v - out0[k]; d != 0 {
			res.Outcomes[k] = d
		}
	}

	// One message, nothing else going on.
	lone := newTracker("l", 1, len(convs))
	e.stub.track.Store(lone)
	time.Sleep(50 * time.Millisecond)
	q0, f0, sent0 = r.store.queued.Load(), e.out.final.Load(), e.stub.sent.Load()
	cmds0, trips0 = r.counter.snapshot(), r.store.RoundTrips()
	if err := lone.send(ctx, r, 0, 0, turns[0], convs[0]); err != nil {
		return err
	}
	turns[0]++
	lone.waitReply(ctx, 0, 0, replyTimeout)
	if err := r.settled(ctx, e, q0, f0, replyTimeout); err != nil {
		return err
	}
	res.Lone = LoneResult{
		Ms:         float64(time.Duration(lone.first[0].Load()-lone.start[0].Load()).Microseconds()) / 1000,
		Cmds:       r.counter.snapshot().since(cmds0).total,
		RoundTrips: r.store.RoundTrips() - trips0,
		Replies:    e.stub.sent.Load() - sent0,
	}

	// Fresh contacts, one message each; their bytes are measured once
	// they are idle.
	fmt.Fprintf(r.progress, "whole path: %d new contacts send one message each\n", opts.Samples)
	fresh := make([]care.Address, opts.Samples)
	for i := range fresh {
		fresh[i] = care.Address{Channel: care.Telegram, ID: strconv.Itoa(7_100_000_000 + i)}
	}
	ft := newTracker("f", len(fresh), len(fresh))
	e.stub.track.Store(ft)
	q0, f0 = r.store.queued.Load(), e.out.final.Load()
	if _, err := r.closedLoop(ctx, ft, fresh, make([]int, len(fresh)), once(len(fresh))); err != nil {
		return err
	}
	if err := r.settled(ctx, e, q0, f0, 30*time.Second); err != nil {
		return err
	}
	r.fresh = fresh

	fmt.Fprintf(r.progress, "whole path: %d messages/s for %s, to the first reply at the channel\n", opts.E2ERate, opts.E2EPaced)
	total := int(float64(opts.E2ERate) * opts.E2EPaced.Seconds())
	p := newTracker("p", total, len(convs))
	e.stub.track.Store(p)
	q0, f0 = r.store.queued.Load(), e.out.final.Load()
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(opts.E2ERate)
	start = time.Now()
	for k := range total {
		due := start.Add(time.Duration(k) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		i := k % len(convs)
		turn := turns[i]
		turns[i]++
		wg.Go(func() {
			if err := p.send(ctx, r, k, i, turn, convs[i]); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	if err := r.settled(ctx, e, q0, f0, 30*time.Second); err != nil {
		return err
	}
	toFirst, toStored, unanswered := p.latencies(total)
	res.E2EUnanswered += unanswered
	res.E2EP50ms, res.E2EP99ms = percentile(toFirst, 0.50), percentile(toFirst, 0.99)
	res.E2EQueuedP99ms = percentile(toStored, 0.99)
	return nil
}

// limits runs conversations against strict limits and checks, at the
// channel, every one-second window: over all chats and per chat.
func (r *run) limits(ctx context.Context, e *e2e, convs []care.Address, turns []int) error {
	opts := r.opts
	lim := outreach.Limits{Overall: opts.LimitOverall, PerChat: opts.LimitPerChat}
	convs = convs[:min(len(convs), opts.LimitConversations)]
	fmt.Fprintf(r.progress, "rate limits: %d conversations for %s at %s overall, %s per chat\n",
		len(convs), opts.LimitFor, RateString(lim.Overall), RateString(lim.PerChat))
	stop := r.startSender(e, lim)
	defer stop()
	size := 200_000
	if !lim.Overall.Zero() {
		size = len(convs) + int(float64(lim.Overall.N)/lim.Overall.Per.Seconds()*opts.LimitFor.Seconds()*1.5) + 1000
	}
	t := newTracker("r", size, len(convs))
	e.stub.track.Store(t)
	e.stub.recording(true)
	q0, f0 := r.store.queued.Load(), e.out.final.Load()
	def0 := e.out.snapshot()["deferred"]
	until := time.Now().Add(opts.LimitFor)
	if _, err := r.closedLoop(ctx, t, convs, turns, func(int) bool { return time.Now().Before(until) }); err != nil {
		return err
	}
	// What is still queued goes out at the limits' pace, a deferral at
	// the next second.
	drain := 10*time.Second + time.Duration(float64(time.Second)*float64(len(convs)*8)/math.Max(1, float64(lim.Overall.N)/lim.Overall.Per.Seconds()))
	if err := r.settled(ctx, e, q0, f0, drain); err != nil {
		return err
	}
	got := e.stub.recording(false)
	rr := RateResult{Overall: RateString(lim.Overall), PerChat: RateString(lim.PerChat), Sends: len(got), Ran: true,
		Deferred: e.out.snapshot()["deferred"] - def0}
	all := make([]int64, len(got))
	byChat := map[care.ContactID][]int64{}
	for i, a := range got {
		all[i] = a.at
		byChat[a.contact] = append(byChat[a.contact], a.at)
	}
	rr.MaxOverall = maxInWindow(all, time.Second)
	for _, ts := range byChat {
		rr.MaxPerChat = max(rr.MaxPerChat, maxInWindow(ts, time.Second))
	}
	rr.OK = within(rr.MaxOverall, lim.Overall) && within(rr.MaxPerChat, lim.PerChat)
	r.res.RateLimits = rr
	return nil
}

// within reports whether n sends in one second keep to r.
func within(n int, r care.Rate) bool {
	if r.Zero() {
		return true
	}
	return float64(n) <= float64(r.N)*float64(time.Second)/float64(r.Per)
}

// maxInWindow is the most times of ts (unix ns) in any window of w,
// where a window starts at one of them.
func maxInWindow(ts []int64, w time.Duration) int {
	s := slices.Clone(ts)
	slices.Sort(s)
	best, j := 0, 0
	for i := range s {
		for j < len(s) && s[j] < s[i]+int64(w) {
			j++
		}
		best = max(best, j-i)
	}
	return best
}
