// Package inbound is the inbound pipeline: it takes a message from a
// channel, runs the pure flow engine on the contact's session, and stores
// the new session and the replies together. It never sends anything: the
// replies go to the outbox, which only the outreach sender reads.
//
// Messages of one conversation are processed in order and different
// conversations in parallel, by a fixed set of workers: an address is
// always handled by the same worker (chosen by a hash of it), so no
// goroutine waits on an idle conversation.
package inbound

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mitra-care/mitra/internal/backoff"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
)

// Recorder receives the runtime's measurements; the metrics package
// implements it.
type Recorder interface {
	Received(in care.Inbound)
	Processed(outcome string, d time.Duration)
}

// Outcomes of processing one message, as recorded.
const (
	OutcomeStored    = "stored"
	OutcomeDuplicate = "duplicate"
	OutcomeInvalid   = "invalid"
	OutcomeFailed    = "failed"
	// OutcomePoison is a message that could not be processed after a
	// few attempts (a record that does not decode, a script Redis
	// refuses): it is dead-lettered with the reason and acknowledged, so
	// it never blocks a worker or a channel's polling.
	OutcomePoison = "dead_lettered"
)

// Store is what the runtime needs of the records: conversations, the
// hand-overs that run out, staff chats and their alerts, and a place for
// messages it cannot process.
type Store interface {
	care.Conversations
	care.Handovers
	care.StaffChats
	care.StaffAlerts
	// Conversations lists conversations of the inbox (care.Inbox's):
	// the alerts read who waits.
	Conversations(ctx context.Context, view care.InboxView, limit int) ([]care.InboxEntry, error)
	// Takeover makes staff the holder (care.Inbox's): a claim from a
	// staff chat.
	Takeover(ctx context.Context, id care.ContactID, staff string) (care.Contact, error)
	// Contact returns a contact's profile (care.Contacts'): who won a
	// claim that lost.
	Contact(ctx context.Context, id care.ContactID) (care.Contact, bool, error)
	// DeadLetterInbound keeps an inbound message that cannot be
	// processed, with why.
	DeadLetterInbound(ctx context.Context, id care.ContactID, in care.Inbound, reason string) error
	// The order book: orders placed in the chat, MY DATA's list, a
	// photo of a payment, the orders to ask about and their feedback.
	care.OrderBook
	// UpdateOrderTelling is UpdateOrder whose notice to the customer
	// is tell's text: the reminder of a pre-order's balance.
	UpdateOrderTelling(ctx context.Context, ref string, fn func(care.Order) (care.Order, error), tell func(o care.Order, lang string) string) (care.OrderUpdate, error)
	// Suggested indexes a customer's suggestion (care.Suggestions').
	Suggested(ctx context.Context, contact care.ContactID, at time.Time) error
	// LoadWithBooked is LoadMany and Booked in one round trip: what a
	// batch needs when the catalog limits some items.
	LoadWithBooked(ctx context.Context, refs []care.MessageRef) ([]care.Conversation, map[string]float64, error)
}

// Config tunes the runtime.
type Config struct {
	// Workers is how many conversations are processed at once (default
	// 16): each takes every message waiting for it into one batch, one
	// round trip to load and one to commit, so fewer workers make larger
	// batches, and 16 keep two cores busy with half the round trips of
	// 64.
	Workers int
	// Queue is how many messages may wait for each worker (default 256).
	Queue int
	// Lang is the language of contacts who have not picked one.
	Lang string
	// SessionTTL is how long an idle session is kept.
	SessionTTL time.Duration
	// StaffHold is how long a conversation handed to staff waits for
	// someone to take it, from when staff are next on duty, before the
	// bot answers again (the contact's MENU brings it back sooner).
	StaffHold time.Duration
	// StaffHours are when staff answer, in TimeZone (the zero value:
	// always): the customer is told when to expect an answer.
	StaffHours care.StaffHours
	// StaffIdle is how long a person may hold a conversation without
	// writing before it goes back to the bot.
	StaffIdle time.Duration
	// Transcript is how long the conversation's texts are kept for the
	// contact's MY DATA and for staff; 0 keeps none.
	Transcript time.Duration
	// PromoMax and PromoDays are the cap on promotions the opt-in
	// question announces ({{mitra.promo_max}}, {{mitra.promo_days}}).
	PromoMax, PromoDays int
	// TimeZone is the shop's, for dates shown to contacts without one.
	TimeZone *time.Location
	// DeepLinks maps a link's start payload to the flow it starts
	// (DefaultDeepLinks when nil); any other payload greets.
	DeepLinks map[string]string
	// ErasureGrace is how long an erasure waits for its confirmation to
	// go out before the sweeper deletes the rest (default a minute).
	ErasureGrace time.Duration
	// AlertOwner is how long a conversation may wait unclaimed after
	// staff were alerted before the owners are; 0 never.
	AlertOwner time.Duration
	// AlertGather is how long the alert about a conversation that
	// starts waiting waits for others to list with it; 0 alerts about
	// each at once.
	AlertGather time.Duration
	// PublicURL starts the console links the bot gives staff; "" leaves
	// them paths.
	PublicURL string
	// PelunasanBefore is how long before the day a pre-order is ready
	// a customer who paid its down payment is reminded of the balance
	// (SweepBalances); 0 never.
	PelunasanBefore time.Duration
	// FeedbackDelay is how long after an order is delivered or picked
	// up its customer is asked how it was; 0 never.
	FeedbackDelay time.Duration
	// QuietStart and QuietEnd bound the quiet hours (offsets from
	// midnight in the contact's time; equal: none), when nobody is asked
	// for feedback.
	QuietStart, QuietEnd time.Duration
	// Catalog is what the shop sells, for orders placed in the chat:
	// the catalog the flows were loaded with (Options); nil when the
	// shop takes no orders by chat.
	Catalog *catalog.Catalog
	// Pseudonyms name people in the logs.
	Pseudonyms care.Pseudonyms
	// Now is the clock; time.Now when nil.
	Now      func() time.Time
	Logger   *slog.Logger
	Recorder Recorder
}

// DefaultDeepLinks are the start payloads Mitra knows: "promo", from the
// opt-in links, asks the opt-in question.
var DefaultDeepLinks = map[string]string{"promo": "optin"}

var _ care.Handler = (*Runtime)(nil)

// Runtime processes inbound messages. A Runtime is one shop's flows and
// catalog over the workers they share: Reload makes another and swaps
// it in, and each batch of messages runs on the one current when it
// starts, so a step in flight finishes on the flows it began with.
type Runtime struct {
	cfg    Config
	flows  *flow.Set
	orders *orderDesk
	// prefix starts the shop's order numbers (care.OrderPrefix).
	prefix string
	store  Store
	*pool
}

// pool is what every Runtime of one New shares: the workers and the
// Runtime they process the next messages with.
type pool struct {
	current atomic.Pointer[Runtime]
	ids     *idCache
	queues  []chan job
	wg      sync.WaitGroup
	stop    chan struct{}
	exited  chan struct{} // closed once every worker returned
	once    sync.Once
}

type job struct {
	ctx  context.Context
	in   care.Inbound
	done chan error
	// state is queued, started or cancelled: a caller whose deadline
	// passes while the job is still queued cancels it, so nothing is
	// stored after it was told so.
	state *atomic.Int32
}

// The states of a job.
const (
	jobQueued int32 = iota
	jobStarted
	jobCancelled
)

// New starts the workers. Close stops them.
func New(cfg Config, flows *flow.Set, store Store) *Runtime {
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StaffHold <= 0 {
		cfg.StaffHold = 4 * time.Hour
	}
	if cfg.StaffIdle <= 0 {
		cfg.StaffIdle = 2 * time.Hour
	}
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.UTC
	}
	if cfg.DeepLinks == nil {
		cfg.DeepLinks = DefaultDeepLinks
	}
	if cfg.ErasureGrace <= 0 {
		cfg.ErasureGrace = time.Minute
	}
	r := &Runtime{store: store, pool: &pool{ids: newIDCache(idCacheSize), stop: make(chan struct{}), exited: make(chan struct{})}}
	r.shop(cfg, flows)
	r.current.Store(r)
	r.queues = make([]chan job, cfg.Workers)
	for i := range r.queues {
		r.queues[i] = make(chan job, cfg.Queue)
		r.wg.Add(1)
		go r.work(r.queues[i])
	}
	go func() {
		r.wg.Wait()
		close(r.exited)
	}()
	return r
}

// shop sets the flows and catalog (cfg.Catalog) r runs.
func (r *Runtime) shop(cfg Config, flows *flow.Set) {
	r.cfg, r.flows, r.orders, r.prefix = cfg, flows, newOrderDesk(cfg.Catalog), care.OrderPrefix(flows.ShopName())
}

// Reload makes the next messages run on flows and cat (nil: no orders
// by chat), loaded together like New's; the messages being processed
// finish on the flows they started with.
func (r *Runtime) Reload(flows *flow.Set, cat *catalog.Catalog) {
	next := &Runtime{store: r.store, pool: r.pool}
	cfg := r.cfg
	cfg.Catalog = cat
	next.shop(cfg, flows)
	r.current.Store(next)
}

// Current is the Runtime on the flows loaded last. The sweeps and
// Resume run on the flows of the Runtime they are called on: call them
// on Current.
func (r *Runtime) Current() *Runtime { return r.current.Load() }

// Flows is the flow set r runs.
func (r *Runtime) Flows() *flow.Set { return r.flows }

// Close stops the workers after the messages already queued.
func (r *Runtime) Close() {
	r.once.Do(func() { close(r.stop) })
	r.wg.Wait()
}

// ErrClosed is returned by Handle after Close.
var ErrClosed = errors.New("runtime closed")

// Handle processes one inbound message and returns once its effect (new
// session, replies) is stored, or it was found to be a duplicate or
// dead-lettered. A channel acknowledges the platform only when Handle
// returns nil. An error with code care.EInvalid means retrying will not
// help; any other error means the message was not stored and should be
// delivered again. A deadline on ctx bounds the store itself: a step
// that would reach Redis after it is refused there, so an error at the
// deadline means nothing was stored.
func (r *Runtime) Handle(ctx context.Context, in care.Inbound) error {
	if err := in.Validate(); err != nil {
		if r.cfg.Recorder != nil {
			r.cfg.Recorder.Processed(OutcomeInvalid, 0)
		}
		return fmt.Errorf("inbound message: %w", err)
	}
	j := job{ctx: ctx, in: in, done: make(chan error, 1), state: new(atomic.Int32)}
	q := r.queues[shard(in.Address, len(r.queues))]
	select {
	case <-r.stop:
		return ErrClosed
	default:
	}
	select {
	case q <- j:
	case <-ctx.Done():
		return unavailable(ctx.Err())
	case <-r.stop:
		return ErrClosed
	}
	select {
	case err := <-j.done:
		return err
	case <-r.exited:
		// Close raced the enqueue and the worker is gone: the message
		// may not have been processed; the caller delivers it again.
		select {
		case err := <-j.done:
			return err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobQueued, jobCancelled) {
			return unavailable(ctx.Err()) // never started: nothing stored
		}
		// Started: its commit carries ctx's deadline and Redis refuses
		// it past that, so the answer is the worker's, and comes soon.
		return <-j.done
	}
}

func unavailable(err error) error {
	return fmt.Errorf("%w: %w", care.Errorf(care.EUnavailable, "message not stored yet, deliver it again"), err)
}

// shard picks the worker of an address: one address's messages are
// always processed by the same worker, in order.
func shard(a care.Address, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(a.Channel))
	_, _ = h.Write([]byte(a.ID))
	return int(h.Sum32() % uint32(n))
}

// maxBatch bounds how many queued messages a worker takes at once.
const maxBatch = 64

// work runs one worker. It takes every message already waiting in its
// queue (up to maxBatch) and stores them together: one round trip loads
// all their conversations and one more commits them, so under load the
// round trips are shared and at rest a message costs the same two.
func (r *Runtime) work(q chan job) {
	defer r.wg.Done()
	batch := make([]job, 0, maxBatch)
	for {
		select {
		case j := <-q:
			batch = batch[:0]
			if j.state.CompareAndSwap(jobQueued, jobStarted) {
				batch = append(batch, j)
			}
		fill:
			for len(batch) < maxBatch {
				select {
				case j := <-q:
					if j.state.CompareAndSwap(jobQueued, jobStarted) {
						batch = append(batch, j)
					}
				default:
					break fill
				}
			}
			r.Current().processBatch(batch)
		case <-r.stop:
			// Finish what is queued so no caller waits forever.
			for {
				select {
				case j := <-q:
					if j.state.CompareAndSwap(jobQueued, jobStarted) {
						r.Current().processBatch([]job{j})
					}
				default:
					return
				}
			}
		}
	}
}

// batchTimeout bounds the shared round trips of a batch; a message whose
// batch failed is then retried alone, under its caller's context.
const batchTimeout = 5 * time.Second

// processBatch processes jobs in order of arrival. A contact's messages
// must be stored one after the other, so each round takes at most one
// message per contact and leaves the rest to the next round.
func (r *Runtime) processBatch(jobs []job) {
	for len(jobs) > 0 {
		var round, later []job
		seen := make(map[care.Address]bool, len(jobs))
		for _, j := range jobs {
			id := j.in.Address
			if seen[id] {
				later = append(later, j)
				continue
			}
			seen[id] = true
			round = append(round, j)
		}
		r.processRound(round)
		jobs = later
	}
}

// processRound stores messages of different contacts in two shared round
// trips. Whatever the shared attempt could not settle (a conflict, Redis
// away) is retried one message at a time with backoff.
func (r *Runtime) processRound(jobs []job) {
	start := time.Now()
	ins := make([]care.Inbound, len(jobs))
	deadlines := make([]time.Time, len(jobs))
	for i, j := range jobs {
		ins[i] = j.in
		deadlines[i], _ = j.ctx.Deadline()
		if r.cfg.Recorder != nil {
			r.cfg.Recorder.Received(j.in)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	errs := r.attempt(ctx, ins, deadlines)
	for i, j := range jobs {
		outcome, err := r.settled(errs[i])
		if outcome == "" {
			outcome, err = r.retry(j.ctx, j.in, deadlines[i])
		}
		if r.cfg.Recorder != nil {
			r.cfg.Recorder.Processed(outcome, time.Since(start))
		}
		j.done <- err
	}
}

// errPoison marks a message that was dead-lettered: it is settled.
var errPoison = errors.New("message dead-lettered")

// settled maps the error of an attempt to an outcome, or "" when the
// message must be tried again.
func (r *Runtime) settled(err error) (string, error) {
	switch {
	case err == nil:
		return OutcomeStored, nil
	case errors.Is(err, care.ErrDuplicate):
		return OutcomeDuplicate, nil
	case errors.Is(err, errPoison):
		return OutcomePoison, nil
	}
	return "", err
}

// maxConflicts bounds how often a message is re-run after another
// process changed the same session meanwhile; maxFailures how often one
// whose processing fails for another reason than Redis being away is
// tried before it is dead-lettered.
const (
	maxConflicts = 20
	maxFailures  = 3
)

// retry stores one message, retrying while Redis is away until ctx
// ends. A message that keeps failing otherwise is dead-lettered.
func (r *Runtime) retry(ctx context.Context, in care.Inbound, deadline time.Time) (string, error) {
	b := backoff.New(20*time.Millisecond, 2*time.Second)
	conflicts, failures := 0, 0
	for {
		err := r.attempt(ctx, []care.Inbound{in}, []time.Time{deadline})[0]
		if outcome, err := r.settled(err); outcome != "" {
			return outcome, err
		}
		switch {
		case errors.Is(err, care.ErrLate):
			return OutcomeFailed, unavailable(err)
		case errors.Is(err, care.ErrConflict):
			if conflicts++; conflicts < maxConflicts {
				continue
			}
		case care.ErrorCode(err) != care.EUnavailable:
			if failures++; failures >= maxFailures {
				return r.poison(ctx, in, err)
			}
		}
		if ctx.Err() != nil {
			return OutcomeFailed, unavailable(err)
		}
		r.cfg.Logger.Warn("storing message failed, retrying", "from", r.cfg.Pseudonyms.Of(in.Address), "in", b.Next(), "err", err)
		if !b.Wait(ctx) {
			return OutcomeFailed, unavailable(err)
		}
	}
}

// poison dead-letters a message that cannot be processed, so it stops
// holding its worker and its channel's acknowledgement.
func (r *Runtime) poison(ctx context.Context, in care.Inbound, cause error) (string, error) {
	id, _ := r.ids.get(in.Address)
	if err := r.store.DeadLetterInbound(ctx, id, in, cause.Error()); err != nil {
		return OutcomeFailed, unavailable(fmt.Errorf("dead-letter a message that cannot be processed: %w", err))
	}
	r.cfg.Logger.Error("MESSAGE DEAD-LETTERED: it cannot be processed", "from", r.cfg.Pseudonyms.Of(in.Address), "err", cause)
	return OutcomePoison, nil
}

// attempt is one attempt for messages of different contacts: resolve
// their addresses, load them all, step each, commit them all. It
// returns one error per message. A LINK code, and any message from a
// staff member's linked chat, goes to the staff desk instead: it never
// gets a contact, a session or a flow's answer.
func (r *Runtime) attempt(ctx context.Context, ins []care.Inbound, deadlines []time.Time) []error {
	errs := make([]error, len(ins))
	desk := make([]bool, len(ins))
	staff := make([]string, len(ins)) // the account a staff chat is linked to
	for i, in := range ins {
		_, desk[i] = linkCode(in)
	}
	// deskOf sends the staff chats that resolving or loading revealed to
	// the desk.
	deskOf := func(i int, account string) {
		if account != "" {
			desk[i], staff[i] = true, account
			r.ids.forget(ins[i].Address, ins[i].Alias)
		}
	}
	ids, fresh, err := r.resolve(ctx, ins, nil, desk)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i, f := range fresh {
		deskOf(i, f.StaffChat)
	}
	convs, booked, err := r.load(ctx, ins, ids, fresh, desk)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	// A contact whose erasure is under way keeps nothing new: the
	// address gets a new contact. One merged away sends us to the person.
	// (fresh[i].Contact is set when the index was asked this attempt.)
	var again []int
	replace := map[int]care.ContactID{}
	for i, c := range convs {
		deskOf(i, c.StaffChat)
		switch {
		case desk[i]:
		case c.Broken != nil:
			errs[i] = c.Broken
		case c.Contact.ID != "" && !c.Contact.Erasing.IsZero():
			replace[i] = ids[i]
			again = append(again, i)
		case c.Contact.MergedInto != "", c.Contact.ID == "" && !fresh[i].New && fresh[i].Contact == "":
			// Merged away, or a remembered contact with no profile (its
			// records were lost): ask the index again.
			r.ids.forget(ins[i].Address, ins[i].Alias)
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		sub := make([]care.Inbound, len(again))
		rep := make([]care.ContactID, len(again))
		for k, i := range again {
			sub[k], rep[k] = ins[i], replace[i]
		}
		ids2, fresh2, err := r.resolve(ctx, sub, rep, nil)
		if err == nil {
			var convs2 []care.Conversation
			var booked2 map[string]float64
			convs2, booked2, err = r.load(ctx, sub, ids2, fresh2, nil)
			if booked2 != nil {
				booked = booked2
			}
			for k, i := range again {
				if err == nil {
					ids[i], fresh[i], convs[i] = ids2[k], fresh2[k], convs2[k]
					deskOf(i, cmp.Or(fresh2[k].StaffChat, convs2[k].StaffChat))
				}
			}
		}
		if err != nil {
			for _, i := range again {
				errs[i] = err
			}
		}
	}
	for i, in := range ins {
		if desk[i] && errs[i] == nil {
			errs[i] = r.desk(ctx, in, staff[i])
		}
	}
	extra := make([]reads, len(ins))
	for i, in := range ins {
		if desk[i] || errs[i] != nil || convs[i].Seen || convs[i].Contact.ID == "" {
			continue
		}
		if extra[i], errs[i] = r.read(ctx, ids[i], convs[i], in, booked); errs[i] == nil {
			errs[i] = r.attachProof(ctx, in, &extra[i])
		}
	}
	now := r.cfg.Now()
	commits := make([]care.Commit, 0, len(ins))
	idx := make([]int, 0, len(ins))
	for i, in := range ins {
		if desk[i] || errs[i] != nil {
			continue
		}
		if convs[i].Seen {
			errs[i] = care.ErrDuplicate
			continue
		}
		c, after := r.decide(ids[i], fresh[i], convs[i], in, now, extra[i])
		c.Deadline = deadlines[i]
		if err := r.settle(ctx, &c, after, now); err != nil {
			errs[i] = err
			continue
		}
		if err := r.schedule(ctx, c, fresh[i], now); err != nil {
			errs[i] = err
			continue
		}
		commits = append(commits, c)
		idx = append(idx, i)
	}
	for k, err := range r.store.CommitMany(ctx, commits) {
		errs[idx[k]] = err
		if errors.Is(err, care.ErrConflict) {
			// The profile may have moved on because of a merge: look the
			// address up again.
			r.ids.forget(ins[idx[k]].Address, ins[idx[k]].Alias)
		}
	}
	return errs
}

// schedule records the durable jobs a step needs before it is
// committed: the erasure it starts, the merge its alias revealed.
func (r *Runtime) schedule(ctx context.Context, c care.Commit, res care.Resolution, now time.Time) error {
	if c.Erase {
		if err := r.store.Schedule(ctx, care.Job{Kind: care.JobErase, Contact: c.Contact.ID, Due: now.Add(r.cfg.ErasureGrace)}); err != nil {
			return fmt.Errorf("schedule erasure: %w", err)
		}
	}
	if res.Other != "" {
		if err := r.store.Schedule(ctx, care.Job{Kind: care.JobMerge, From: res.Other, Contact: c.Contact.ID, Due: now}); err != nil {
			return fmt.Errorf("schedule merge: %w", err)
		}
	}
	return nil
}

// resolve finds the contact of each message's address: from the cache,
// else from the store in one round trip for all. replace, when given,
// names per message a contact being erased, whose address gets a new
// contact; skip, when given, the messages not to resolve (the staff
// desk's). fresh tells, per message, what the store said (New: nothing
// to load; Other: a merge is due; StaffChat: a staff member's chat, no
// contact's).
func (r *Runtime) resolve(ctx context.Context, ins []care.Inbound, replace []care.ContactID, skip []bool) ([]care.ContactID, []care.Resolution, error) {
	ids := make([]care.ContactID, len(ins))
	fresh := make([]care.Resolution, len(ins))
	var reqs []care.ResolveRequest
	var idx []int
	for i, in := range ins {
		if skip != nil && skip[i] {
			continue
		}
		if replace == nil {
			if id, ok := r.ids.lookup(in.Address, in.Alias); ok {
				ids[i] = id
				continue
			}
		}
		req := care.ResolveRequest{Address: in.Address, Alias: in.Alias, CheckStaff: true}
		if replace != nil {
			req.Replace = replace[i]
		}
		reqs = append(reqs, req)
		idx = append(idx, i)
	}
	if len(reqs) == 0 {
		return ids, fresh, nil
	}
	res, err := r.store.Resolve(ctx, reqs)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve addresses: %w", err)
	}
	for k, i := range idx {
		ids[i], fresh[i] = res[k].Contact, res[k]
		if res[k].StaffChat != "" {
			continue // no contact's: nothing to remember
		}
		r.ids.put(ins[i].Address, res[k].Contact)
		if ins[i].Alias.ID != "" && res[k].Other == "" {
			r.ids.put(ins[i].Alias, res[k].Contact)
		}
	}
	return ids, fresh, nil
}

// load reads the conversations of the contacts that exist; a contact
// made just now has nothing to read, a staff chat no conversation. It
// also asks, for an address the cache knew, whether it became a staff
// member's chat since (Conversation.StaffChat), and, when the catalog
// limits some items, what orders book of them, in the same round trip.
func (r *Runtime) load(ctx context.Context, ins []care.Inbound, ids []care.ContactID, fresh []care.Resolution, skip []bool) ([]care.Conversation, map[string]float64, error) {
	convs := make([]care.Conversation, len(ins))
	var refs []care.MessageRef
	var idx []int
	for i, in := range ins {
		if fresh[i].New || fresh[i].StaffChat != "" || skip != nil && skip[i] {
			continue
		}
		ref := care.MessageRef{Contact: ids[i], MessageID: in.MessageID}
		if fresh[i].Contact == "" {
			ref.Address, ref.Alias = in.Address, in.Alias
		}
		refs = append(refs, ref)
		idx = append(idx, i)
	}
	if len(refs) == 0 {
		return convs, nil, nil
	}
	var loaded []care.Conversation
	var booked map[string]float64
	var err error
	if r.orders.limited {
		// The catalog's limits are kept first: what is booked is
		// counted against them.
		if err := r.keepLimits(ctx); err != nil {
			return nil, nil, err
		}
		loaded, booked, err = r.store.LoadWithBooked(ctx, refs)
	} else {
		loaded, err = r.store.LoadMany(ctx, refs)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load conversations: %w", err)
	}
	for k, i := range idx {
		convs[i] = loaded[k]
	}
	return convs, booked, nil
}

// outboundID derives the ids of the replies to one inbound message from
// the contact and the platform's message id, so re-running the same
// message yields the same ids and the outbox can send each once.
func outboundID(id care.ContactID, messageID string) string {
	sum := sha256.Sum256([]byte(string(id) + "\x00" + messageID))
	return "r" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10])
}
