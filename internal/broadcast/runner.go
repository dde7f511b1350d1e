package broadcast

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

// Safety are the limits past which a running campaign pauses itself and
// the owner is told.
type Safety struct {
	// OptOutRate pauses a campaign when more than this share of the
	// people it reached (at least OptOutOf of them counted) withdrew
	// promotions within AfterWindow of their message: 5% of the first
	// 100 by default, so the sixth opt-out among the first hundred
	// pauses it.
	OptOutRate float64
	OptOutOf   int
	// FailureRate pauses a campaign when more than this share of its
	// last 50 delivery attempts failed.
	FailureRate float64
}

// DefaultSafety is 5% opt-outs of at least 100 reached, 20% failures of
// the last 50.
func DefaultSafety() Safety { return Safety{OptOutRate: 0.05, OptOutOf: 100, FailureRate: 0.2} }

// recentOf is how many of the last delivery attempts the store keeps.
const recentOf = 50

// RunnerConfig wires a Runner.
type RunnerConfig struct {
	Service *Service
	// Owner names this process in the campaigns' leases; unique per
	// process.
	Owner string
	// Windows bound, per lane, how many of a campaign's messages are in
	// the outbox at once: the runner adds more as they settle, so a
	// campaign never floods a lane or holds replies' senders. Lanes
	// not named get DefaultWindow.
	Windows map[care.Lane]int
	Safety  Safety
	// Tick is how often the runner looks at its campaigns (default
	// 250 ms); LeaseTTL how long a campaign stays its after its last
	// look (default 30 s).
	Tick     time.Duration
	LeaseTTL time.Duration
	// CheckEvery is how often the opt-outs and replies of a campaign's
	// recent recipients are looked for (default 5 s).
	CheckEvery time.Duration
	// OnPause hears of each campaign the runner paused by itself, after
	// the log line; nil for none. It must return quickly.
	OnPause func(care.Campaign)
}

// DefaultWindow is a lane's window unless configured: enough to keep a
// 100/s channel busy between two looks.
const DefaultWindow = 300

// WindowFor is the window of a lane whose channel sends at rate r: a
// second and a half of sends. The sender books a send at most 2 s
// ahead and holds back any later one, which costs a round through the
// held-back set and an audit entry: a window within that keeps every
// message of the lane bookable at once, and the channel busy between
// two looks of the runner.
func WindowFor(r care.Rate) int {
	if r.Zero() {
		return DefaultWindow
	}
	return min(2000, max(10, int(1.5*float64(r.N)*float64(time.Second)/float64(r.Per))))
}

// Runner feeds running campaigns to the outbox, folds their outcomes,
// watches their safety and finishes them. Every process may run one: a
// campaign is fed by whichever holds its lease, and another takes over
// when that one dies.
type Runner struct {
	cfg RunnerConfig
	svc *Service
	log *slog.Logger

	mu      sync.Mutex
	watched map[care.CampaignID]*watch
}

// watch is what the runner remembers of a campaign between looks.
type watch struct {
	cursor   care.SentTo // the opt-out and reply checks' place
	checked  time.Time   // when they last ran
	progress int         // outcomes at the last change
	still    time.Time   // since when they have not changed
}

// NewRunner returns a runner; Run starts it.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Tick <= 0 {
		cfg.Tick = 250 * time.Millisecond
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 30 * time.Second
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = 5 * time.Second
	}
	if cfg.Safety == (Safety{}) {
		cfg.Safety = DefaultSafety()
	}
	return &Runner{cfg: cfg, svc: cfg.Service, log: cfg.Service.cfg.Logger, watched: map[care.CampaignID]*watch{}}
}

// Run looks after the campaigns until ctx ends, then gives up the
// leases it holds so another process takes over at once.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Tick)
	defer t.Stop()
	b := backoff.New(r.cfg.Tick, 10*time.Second)
	for {
		err := r.Step(ctx)
		if ctx.Err() != nil {
			r.release()
			return nil
		}
		if err != nil {
			r.log.Warn("looking after the broadcasts failed; trying again", "in", b.Next(), "err", err)
			b.Wait(ctx)
			continue
		}
		b.Reset()
		select {
		case <-ctx.Done():
			r.release()
			return nil
		case <-t.C:
		}
	}
}

// release gives up the leases of the campaigns this runner looked
// after.
func (r *Runner) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r.mu.Lock()
	ids := make([]care.CampaignID, 0, len(r.watched))
	for id := range r.watched {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	for _, id := range ids {
		_ = r.svc.cfg.Store.Release(ctx, leaseName(id), r.cfg.Owner)
	}
}

// leaseName is the lease a runner holds while it feeds a campaign.
func leaseName(id care.CampaignID) string { return "broadcast." + string(id) }

// Step looks once at every campaign not finished: it starts the
// scheduled ones whose time came, resumes those whose automatic pause
// ran out, plans, folds outcomes, checks safety, feeds the lanes and
// finishes. Errors of one campaign do not stop the others.
func (r *Runner) Step(ctx context.Context) error {
	ids, err := r.svc.cfg.Store.ActiveCampaigns(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if err := r.step(ctx, id); err != nil && ctx.Err() == nil {
			errs = append(errs, fmt.Errorf("campaign %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// step looks after one campaign.
func (r *Runner) step(ctx context.Context, id care.CampaignID) error {
	st := r.svc.cfg.Store
	c, _, err := st.LoadCampaign(ctx, id)
	if care.ErrorCode(err) == care.ENotFound {
		return st.Retire(ctx, id)
	}
	if err != nil {
		return err
	}
	if c.State == care.CampaignDraft {
		return nil
	}
	ok, err := st.Acquire(ctx, leaseName(id), r.cfg.Owner, r.cfg.LeaseTTL)
	if err != nil || !ok {
		return err
	}
	w := r.watch(id)
	now := r.svc.cfg.Now()
	switch {
	case c.State == care.CampaignScheduled && !c.At.After(now):
		if c, err = r.change(ctx, id, care.CampaignScheduled, func(c *care.Campaign) {
			c.State, c.Started = care.CampaignRunning, now
		}); err != nil {
			return err
		}
	case c.State == care.CampaignPaused && c.Auto && !c.ResumeAt.IsZero() && !c.ResumeAt.After(now):
		r.log.Info("broadcast resumes by itself: the channel may send again", "campaign", id)
		if c, err = r.svc.resume(ctx, id, false); err != nil {
			return err
		}
	}
	if c.State == care.CampaignRunning {
		if err := r.plan(ctx, c); err != nil {
			return err
		}
	}
	if c.State == care.CampaignScheduled {
		return nil
	}
	if err := r.fold(ctx, id); err != nil {
		return err
	}
	if now.Sub(w.checked) >= r.cfg.CheckEvery && !c.Started.IsZero() {
		if err := r.lookAfter(ctx, id, w); err != nil {
			return err
		}
		w.checked = now
	}
	lanes, err := st.CampaignLanes(ctx, id)
	if err != nil {
		return err
	}
	if c.State.Final() {
		// Cancelled: what is queued is refused at the gate; once every
		// outcome is in, nothing more to look after.
		if inFlight(lanes) == 0 {
			r.forget(ctx, id)
			return st.Retire(ctx, id)
		}
		return nil
	}
	if c.State != care.CampaignRunning {
		return nil
	}
	if paused, err := r.checkSafety(ctx, c); err != nil || paused {
		return err
	}
	if err := r.feed(ctx, c, lanes); err != nil {
		return err
	}
	return r.finish(ctx, c, lanes, w, now)
}

// watch returns what the runner remembers of id.
func (r *Runner) watch(id care.CampaignID) *watch {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.watched[id]
	if !ok {
		w = &watch{}
		r.watched[id] = w
	}
	return w
}

// forget lets go of a finished campaign.
func (r *Runner) forget(ctx context.Context, id care.CampaignID) {
	r.mu.Lock()
	delete(r.watched, id)
	r.mu.Unlock()
	_ = r.svc.cfg.Store.Release(ctx, leaseName(id), r.cfg.Owner)
}

// change moves a campaign from state from with fn.
func (r *Runner) change(ctx context.Context, id care.CampaignID, from care.CampaignState, fn func(*care.Campaign)) (care.Campaign, error) {
	return r.svc.cfg.Store.ChangeCampaign(ctx, id, func(c care.Campaign) (care.Campaign, error) {
		if c.State != from {
			return c, care.Errorf(care.EConflict, "campaign %s is %s now", id, c.State)
		}
		fn(&c)
		c.Updated = r.svc.cfg.Now()
		return c, nil
	})
}

// Plan makes a running campaign's plan now, unless it is made: what a
// runner does first when it finds the campaign started. The bench
// times it.
func (r *Runner) Plan(ctx context.Context, id care.CampaignID) error {
	c, _, err := r.svc.cfg.Store.LoadCampaign(ctx, id)
	if err != nil {
		return err
	}
	if c.State != care.CampaignRunning {
		return care.Errorf(care.EConflict, "campaign %s is %s; only a running one is planned", id, c.State)
	}
	return r.plan(ctx, c)
}

// plan streams the audience once into the lanes' waiting lists, unless
// that was done. A runner that dies mid-plan leaves it for the next to
// do again: adding a recipient twice changes nothing.
func (r *Runner) plan(ctx context.Context, c care.Campaign) error {
	st := r.svc.cfg.Store
	done, err := st.Planned(ctx, c.ID)
	if err != nil || done {
		return err
	}
	pl := r.svc.cfg.Planner
	start := time.Now()
	renewed := start
	t := care.PlanTotals{Excluded: map[care.Exclusion]int{}}
	now := r.svc.cfg.Now()
	buyers, err := ordered(ctx, st, c.Audience, now)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	err = st.ScanProspects(ctx, pl.cfg.Caps.Window, func(ps []care.Prospect) error {
		var rs []care.Planned
		for _, p := range ps {
			if !inAudience(p.Contact, c.Audience, buyers, now) {
				t.Outside++
				continue
			}
			placed := pl.place(p, c.Audience.Channel, now)
			if placed.excl != "" {
				t.Excluded[placed.excl]++
				continue
			}
			rs = append(rs, care.Planned{Contact: p.ID, Lane: placed.lane, Order: placed.order})
		}
		t.Planned += len(rs)
		if time.Since(renewed) > r.cfg.LeaseTTL/3 {
			renewed = time.Now()
			if ok, err := st.Acquire(ctx, leaseName(c.ID), r.cfg.Owner, r.cfg.LeaseTTL); err != nil || !ok {
				return cmpErr(err, care.Errorf(care.EConflict, "another process took campaign %s over", c.ID))
			}
		}
		return st.AddPlanned(ctx, c.ID, rs)
	})
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if err := st.FinishPlan(ctx, c.ID, t); err != nil {
		return err
	}
	r.log.Info("broadcast planned", "campaign", c.ID, "recipients", t.Planned, "outside", t.Outside, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// cmpErr is err, or other when err is nil.
func cmpErr(err, other error) error {
	if err != nil {
		return err
	}
	return other
}

// foldBatch is how many audit entries one fold reads; foldRounds bounds
// the folds of one look.
const (
	foldBatch  = 1000
	foldRounds = 50
)

// fold records the campaign's outcomes from the audit, up to the end.
func (r *Runner) fold(ctx context.Context, id care.CampaignID) error {
	for range foldRounds {
		n, err := r.svc.cfg.Store.FoldOutcomes(ctx, id, foldBatch)
		if errors.Is(err, care.ErrConflict) {
			return nil // another runner folded meanwhile: the next look reads on
		}
		if err != nil || n < foldBatch {
			return err
		}
	}
	return nil
}

// window is how many of a campaign's messages may be in lane at once.
func (r *Runner) window(l care.Lane) int {
	if n, ok := r.cfg.Windows[l]; ok && n > 0 {
		return n
	}
	return DefaultWindow
}

// feedBatch bounds one lane's batch in one look.
const feedBatch = 1000

// feed tops each lane up to its window with the next recipients: each
// one's message is composed from their profile now, and one whom the
// plan's rules leave out now (they withdrew meanwhile) is recorded as
// refused instead.
func (r *Runner) feed(ctx context.Context, c care.Campaign, lanes map[care.Lane]care.LaneProgress) error {
	st := r.svc.cfg.Store
	pl := r.svc.cfg.Planner
	for lane, p := range lanes {
		room := min(r.window(lane)-p.InFlight, feedBatch)
		if p.Waiting == 0 || room <= 0 {
			continue
		}
		ids, err := st.NextPlanned(ctx, c.ID, lane, room)
		if err != nil {
			return err
		}
		ps, ok, err := st.Prospects(ctx, ids, pl.cfg.Caps.Window)
		if err != nil {
			return err
		}
		now := r.svc.cfg.Now()
		var ms []care.Outbound
		var us []care.RecipientUpdate
		for i, id := range ids {
			if !ok[i] {
				us = append(us, care.RecipientUpdate{Contact: id, From: lane, Lane: lane, Status: care.RecipientRefused, Reason: "contact gone (erased or merged)"})
				continue
			}
			placed := pl.place(ps[i], c.Audience.Channel, now)
			if placed.excl != "" {
				us = append(us, care.RecipientUpdate{Contact: id, From: lane, Lane: lane, Status: care.RecipientRefused, Reason: string(placed.excl)})
				continue
			}
			ms = append(ms, message(c, ps[i].Contact, placed.addr, r.svc.cfg.Shop, now))
		}
		errs := st.EnqueueCampaign(ctx, c.ID, ms)
		var retry error
		for i, m := range ms {
			u := care.RecipientUpdate{Contact: m.Contact, From: lane, Lane: care.LaneOf(m.Address, m.Class), Status: care.RecipientQueued}
			switch care.ErrorCode(errs[i]) {
			case "":
			case care.ENotFound:
				u.Status, u.Reason = care.RecipientRefused, "contact gone (erased or merged)"
			case care.EInvalid:
				u.Status, u.Reason = care.RecipientRefused, "address no longer the contact's"
			default:
				retry = errs[i] // left waiting: the next look tries again
				continue
			}
			us = append(us, u)
		}
		if err := st.RecordRecipients(ctx, c.ID, us); err != nil {
			return err
		}
		if retry != nil {
			return retry
		}
	}
	return nil
}

// inFlight counts the messages in flight in every lane.
func inFlight(lanes map[care.Lane]care.LaneProgress) int {
	n := 0
	for _, p := range lanes {
		n += p.InFlight
	}
	return n
}

// stuckAfter is how long a campaign with nothing left to feed waits for
// its last outcomes before it looks for messages that left the outbox
// without one (their person erased their data meanwhile).
const stuckAfter = 2 * time.Minute

// finish marks the campaign done once the plan is whole, nobody waits
// and every message has an outcome.
func (r *Runner) finish(ctx context.Context, c care.Campaign, lanes map[care.Lane]care.LaneProgress, w *watch, now time.Time) error {
	st := r.svc.cfg.Store
	for _, p := range lanes {
		if p.Waiting > 0 {
			return nil
		}
	}
	if n := inFlight(lanes); n > 0 {
		if n != w.progress {
			w.progress, w.still = n, now
			return nil
		}
		if now.Sub(w.still) < stuckAfter {
			return nil
		}
		w.still = now
		gone, err := st.Reconcile(ctx, c.ID, stuckAfter)
		if err != nil || gone == 0 {
			return err
		}
		r.log.Info("broadcast messages left the outbox without an outcome", "campaign", c.ID, "count", gone)
		return nil
	}
	if _, err := r.change(ctx, c.ID, care.CampaignRunning, func(c *care.Campaign) {
		c.State, c.Finished = care.CampaignDone, now
	}); err != nil {
		return err
	}
	_, t, err := st.LoadCampaign(ctx, c.ID)
	if err != nil {
		return err
	}
	r.log.Info("broadcast done", "campaign", c.ID, "sent", t.Sent, "refused", t.Refused, "failed", t.Failed, "unknown", t.Unknown)
	r.forget(ctx, c.ID)
	return st.Retire(ctx, c.ID)
}

// lookAfter looks at the profiles of the recipients sent to within
// AfterWindow for opt-outs and replies since their message, a few pages
// a look, going round.
func (r *Runner) lookAfter(ctx context.Context, id care.CampaignID, w *watch) error {
	st := r.svc.cfg.Store
	since := r.svc.cfg.Now().Add(-AfterWindow)
	for range 5 {
		sent, err := st.SentSince(ctx, id, since, w.cursor, reportPage)
		if err != nil {
			return err
		}
		if len(sent) == 0 {
			w.cursor = care.SentTo{}
			return nil
		}
		ids := make([]care.ContactID, len(sent))
		for i, s := range sent {
			ids[i] = s.Contact
		}
		ps, ok, err := st.Prospects(ctx, ids, 0)
		if err != nil {
			return err
		}
		var es []care.AfterEvent
		for i, s := range sent {
			if !ok[i] {
				continue
			}
			out, reply := after(ps[i].Contact, s.At)
			if !out.IsZero() {
				es = append(es, care.AfterEvent{Contact: s.Contact, OptOut: true, At: out})
			}
			if !reply.IsZero() {
				es = append(es, care.AfterEvent{Contact: s.Contact, At: reply})
			}
		}
		if err := st.RecordAfter(ctx, id, es); err != nil {
			return err
		}
		w.cursor = sent[len(sent)-1]
		if len(sent) < reportPage {
			w.cursor = care.SentTo{}
			return nil
		}
	}
	return nil
}

// checkSafety pauses a running campaign whose opt-outs or failures are
// over the limits, and tells the owner; it reports whether it paused.
func (r *Runner) checkSafety(ctx context.Context, c care.Campaign) (bool, error) {
	st := r.svc.cfg.Store
	_, t, err := st.LoadCampaign(ctx, c.ID)
	if err != nil {
		return false, err
	}
	s := r.cfg.Safety
	why := ""
	reached, out := t.Sent-c.Baseline.Sent, t.OptedOut-c.Baseline.OptedOut
	if s.OptOutRate > 0 && float64(out) > s.OptOutRate*float64(max(reached, s.OptOutOf)) {
		why = fmt.Sprintf("safety: %d of %d people reached withdrew promotions within 24 hours (over %g%% of at least %d)", out, reached, 100*s.OptOutRate, s.OptOutOf)
	}
	if why == "" && s.FailureRate > 0 {
		failed, of, err := st.RecentFailures(ctx, c.ID)
		if err != nil {
			return false, err
		}
		if float64(failed) > s.FailureRate*recentOf {
			why = fmt.Sprintf("safety: %d of the last %d messages failed (over %g%% of %d)", failed, of, 100*s.FailureRate, recentOf)
		}
	}
	if why == "" {
		return false, nil
	}
	paused, err := r.svc.pause(ctx, c.ID, why, true, time.Time{})
	if care.ErrorCode(err) == care.EConflict {
		return true, nil // paused or cancelled meanwhile
	}
	if err != nil {
		return false, err
	}
	r.log.Warn("BROADCAST PAUSED for the shop's owner: check the report, then resume or cancel", "campaign", c.ID, "name", c.Name, "reason", why)
	if r.cfg.OnPause != nil {
		r.cfg.OnPause(paused)
	}
	return true, nil
}
