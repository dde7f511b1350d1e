// Package inbound is the inbound pipeline: it takes a message from a
// channel, runs the pure flow engine on the contact's session, and stores
// the new session and the replies together. It never sends anything: the
// replies go to the outbox, which only the outreach sender reads.
//
// Messages of one conversation are processed in order and different
// conversations in parallel, by a fixed set of workers: a conversation is
// always handled by the same worker (chosen by a hash of its contact id),
// so no goroutine waits on an idle conversation.
package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/mitra-care/mitra/internal/care"
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
)

// Config tunes the runtime.
type Config struct {
	// Workers is how many conversations are processed at once.
	Workers int
	// Queue is how many messages may wait for each worker.
	Queue int
	// Lang is the language of contacts who have not picked one.
	Lang string
	// SessionTTL is how long an idle session is kept.
	SessionTTL time.Duration
	// StaffHold is how long a person holds a conversation after the bot
	// hands it over, unless the contact asks for the menu again.
	StaffHold time.Duration
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
	// Now is the clock; time.Now when nil.
	Now      func() time.Time
	Logger   *slog.Logger
	Recorder Recorder
}

// DefaultDeepLinks are the start payloads Mitra knows: "promo", from the
// opt-in links, asks the opt-in question.
var DefaultDeepLinks = map[string]string{"promo": "optin"}

var _ care.Handler = (*Runtime)(nil)

// Runtime processes inbound messages.
type Runtime struct {
	cfg    Config
	flows  *flow.Set
	store  care.ConversationStore
	queues []chan job
	wg     sync.WaitGroup
	stop   chan struct{}
	exited chan struct{} // closed once every worker returned
	once   sync.Once
}

type job struct {
	ctx  context.Context
	in   care.Inbound
	done chan error
}

// New starts the workers. Close stops them.
func New(cfg Config, flows *flow.Set, store care.ConversationStore) *Runtime {
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 64
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
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.UTC
	}
	if cfg.DeepLinks == nil {
		cfg.DeepLinks = DefaultDeepLinks
	}
	r := &Runtime{cfg: cfg, flows: flows, store: store, stop: make(chan struct{}), exited: make(chan struct{})}
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

// Close stops the workers after the messages already queued.
func (r *Runtime) Close() {
	r.once.Do(func() { close(r.stop) })
	r.wg.Wait()
}

// ErrClosed is returned by Handle after Close.
var ErrClosed = errors.New("runtime closed")

// Handle processes one inbound message and returns once its effect (new
// session, replies) is stored, or it was found to be a duplicate. A
// channel acknowledges the platform only when Handle returns nil. An
// error with code care.EInvalid means retrying will not help; any other
// error means the message was not stored and should be redelivered.
func (r *Runtime) Handle(ctx context.Context, in care.Inbound) error {
	if err := in.Validate(); err != nil {
		if r.cfg.Recorder != nil {
			r.cfg.Recorder.Processed(OutcomeInvalid, 0)
		}
		return fmt.Errorf("inbound message: %w", err)
	}
	j := job{ctx: ctx, in: in, done: make(chan error, 1)}
	q := r.queues[shard(in.Address.ContactID(), len(r.queues))]
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
		// The worker still finishes the job; the caller redelivers and
		// de-duplication drops the repeat.
		return unavailable(ctx.Err())
	}
}

func unavailable(err error) error {
	return fmt.Errorf("%w: %w", care.Errorf(care.EUnavailable, "message not stored yet, deliver it again"), err)
}

func shard(id care.ContactID, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
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
			batch = append(batch[:0], j)
		fill:
			for len(batch) < maxBatch {
				select {
				case j := <-q:
					batch = append(batch, j)
				default:
					break fill
				}
			}
			r.processBatch(batch)
		case <-r.stop:
			// Finish what is queued so no caller waits forever.
			for {
				select {
				case j := <-q:
					r.processBatch([]job{j})
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
		seen := make(map[care.ContactID]bool, len(jobs))
		for _, j := range jobs {
			id := j.in.Address.ContactID()
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
	for i, j := range jobs {
		ins[i] = j.in
		if r.cfg.Recorder != nil {
			r.cfg.Recorder.Received(j.in)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	errs := r.attempt(ctx, ins)
	for i, j := range jobs {
		outcome, err := settled(errs[i])
		if outcome == "" {
			outcome, err = r.retry(j.ctx, j.in)
		}
		if r.cfg.Recorder != nil {
			r.cfg.Recorder.Processed(outcome, time.Since(start))
		}
		j.done <- err
	}
}

// settled maps the error of an attempt to an outcome, or "" when the
// message must be tried again.
func settled(err error) (string, error) {
	switch {
	case err == nil:
		return OutcomeStored, nil
	case errors.Is(err, care.ErrDuplicate):
		return OutcomeDuplicate, nil
	}
	return "", err
}

// maxConflicts bounds how often a message is re-run after another
// process changed the same session meanwhile.
const maxConflicts = 20

// retry stores one message, retrying while Redis is away until ctx ends.
func (r *Runtime) retry(ctx context.Context, in care.Inbound) (string, error) {
	backoff := 20 * time.Millisecond
	conflicts := 0
	for {
		err := r.attempt(ctx, []care.Inbound{in})[0]
		if outcome, err := settled(err); outcome != "" {
			return outcome, err
		}
		if errors.Is(err, care.ErrConflict) {
			conflicts++
			if conflicts < maxConflicts {
				continue
			}
		}
		if ctx.Err() != nil {
			return OutcomeFailed, unavailable(err)
		}
		r.cfg.Logger.Warn("storing message failed, retrying", "contact", in.Address.ContactID(), "message", in.MessageID, "in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return OutcomeFailed, unavailable(err)
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// attempt is one attempt for messages of different contacts: load them
// all, step each, commit them all. It returns one error per message.
func (r *Runtime) attempt(ctx context.Context, ins []care.Inbound) []error {
	errs := make([]error, len(ins))
	refs := make([]care.MessageRef, len(ins))
	for i, in := range ins {
		refs[i] = care.MessageRef{Contact: in.Address.ContactID(), MessageID: in.MessageID}
	}
	convs, err := r.store.LoadMany(ctx, refs)
	if err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("load %s: %w", refs[i].Contact, err)
		}
		return errs
	}
	records := make([]*care.Records, len(ins))
	for i, in := range ins {
		// MY DATA shows the ledger and transcript: one more round trip,
		// for this rare message only.
		if k, _ := flow.Keyword(in.Text); k == flow.KeywordMyData && in.Kind == care.KindText && !convs[i].Seen {
			rec, err := r.store.Records(ctx, refs[i].Contact)
			if err != nil {
				errs[i] = fmt.Errorf("records of %s: %w", refs[i].Contact, err)
				continue
			}
			records[i] = &rec
		}
	}
	now := r.cfg.Now()
	commits := make([]care.Commit, 0, len(ins))
	idx := make([]int, 0, len(ins))
	for i, in := range ins {
		if errs[i] != nil {
			continue
		}
		if convs[i].Seen {
			errs[i] = care.ErrDuplicate
			continue
		}
		commits = append(commits, r.decide(convs[i], in, now, records[i]))
		idx = append(idx, i)
	}
	for k, err := range r.store.CommitMany(ctx, commits) {
		errs[idx[k]] = err
	}
	return errs
}

// outboundID derives the ids of the replies to one inbound message from
// the contact and the platform's message id, so re-running the same
// message yields the same ids and the outbox can send each once.
func outboundID(id care.ContactID, messageID string) string {
	sum := sha256.Sum256([]byte(string(id) + "\x00" + messageID))
	return "r" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10])
}
