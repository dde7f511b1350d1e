// Package redisstore keeps Mitra's conversations, outbox and simulator
// inbox in Redis. It is the only package that speaks to Redis (besides
// the test helpers), so the rest of Mitra depends on the interfaces of
// package care, not on a Redis client.
//
// Every key of one contact carries the hash tag {c:<contact id>}, so the
// Lua scripts that change a contact atomically work on Redis Cluster too;
// The README's "Data in Redis" describes the schema.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// Store implements care.Conversations, care.Contacts, care.Outbox,
// care.Inbox, care.Handovers, care.RateLimiter, care.Leaser and
// care.SimInbox over one Redis (standalone or cluster). It is safe for
// concurrent use.
type Store struct {
	client       redis.UniversalClient
	prefix       string
	index        string // address → contact id (hash)
	suppressed   string // salted hashes of erased addresses → when (hash)
	later        string // lane entries held back until a time (sorted set)
	jobs         string // durable jobs (erasures, merges) by due time (sorted set)
	dead         string // messages that could not be sent, with why
	audit        string // the outcome of every delivery
	inbox        inboxKeys
	staffAudit   string        // what staff did, and the bot returning conversations
	transcript   time.Duration // how long staff replies stay in the transcript
	saltMu       sync.Mutex
	saltVal      []byte
	claimTimeout time.Duration
	takeTimeout  time.Duration
	reclaimMu    sync.Mutex
	reclaimed    map[string]time.Time // consumer → when it last reclaimed
	groups       map[care.Lane]bool   // lanes whose senders group exists
	now          func() time.Time
	trips        atomic.Int64
}

var (
	_ care.Conversations = (*Store)(nil)
	_ care.Contacts      = (*Store)(nil)
	_ care.Outbox        = (*Store)(nil)
	_ care.SimInbox      = (*Store)(nil)
	_ care.Inbox         = (*Store)(nil)
	_ care.Handovers     = (*Store)(nil)
)

// DefaultClaimTimeout is how long a delivery may stay unsettled before
// another consumer claims it: long enough for a slow platform API, short
// enough that a crashed sender delays its messages by about a minute.
const DefaultClaimTimeout = time.Minute

// DefaultTakeTimeout is how long a sender may hold a message it took
// before another sender decides it died mid-send and takes it over: a
// channel that can tell says whether it went out; otherwise its outcome
// is unknown, and the message is settled so, never sent again. It must
// outlast any send: the channel is asked only once the dead sender's
// send can no longer land.
const DefaultTakeTimeout = 5 * time.Minute

// Option changes a Store made by New.
type Option func(*Store)

// WithClaimTimeout sets how long a delivery read by a consumer may stay
// unsettled before Next hands it to another consumer (default
// DefaultClaimTimeout). Tests shorten it to see a dead consumer's work
// taken over without waiting a minute.
func WithClaimTimeout(d time.Duration) Option {
	return func(s *Store) { s.claimTimeout = d }
}

// WithTakeTimeout sets how long a taken message may stay unsettled
// before it counts as abandoned (default DefaultTakeTimeout).
func WithTakeTimeout(d time.Duration) Option {
	return func(s *Store) { s.takeTimeout = d }
}

// WithTranscript sets how long staff replies are kept in the contact's
// transcript, as the runtime keeps the conversation's steps
// (MITRA_TRANSCRIPT_DAYS); 0, the default, keeps none.
func WithTranscript(d time.Duration) Option {
	return func(s *Store) { s.transcript = d }
}

// WithClock sets the store's clock (time.Now by default), for tests that
// move time.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// New returns a store keeping its keys under prefix (e.g. "mitra"; it must
// not contain braces, which would break the hash tags). It installs a hook
// on client that counts round trips, for RoundTrips.
func New(client redis.UniversalClient, prefix string, opts ...Option) *Store {
	s := &Store{
		client:     client,
		prefix:     prefix,
		index:      prefix + ":{d}:addr",
		suppressed: prefix + ":{d}:suppressed",
		later:      prefix + ":{o}:later",
		jobs:       prefix + ":{o}:jobs",
		dead:       prefix + ":{o}:dead",
		audit:      prefix + ":{o}:audit",
		inbox: inboxKeys{
			waiting: prefix + ":{d}:inbox:waiting",
			held:    prefix + ":{d}:inbox:held",
			recent:  prefix + ":{d}:inbox:recent",
		},
		staffAudit:   prefix + ":{o}:staffaudit",
		claimTimeout: DefaultClaimTimeout,
		takeTimeout:  DefaultTakeTimeout,
		reclaimed:    map[string]time.Time{},
		groups:       map[care.Lane]bool{},
		now:          time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	client.AddHook(tripCounter{&s.trips})
	return s
}

// RoundTrips is how many times the client has waited for Redis since New:
// one per command sent alone, one per pipeline. `mitra bench` divides it
// by the messages processed, the figure that bounds throughput.
func (s *Store) RoundTrips() int64 { return s.trips.Load() }

// Ping checks that Redis answers, for start-up and the readiness probe.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// MemoryUsage reports the bytes Redis spends (MEMORY USAGE) on the
// contact's session key and on everything that stays while the contact
// is idle: session, profile, recent message ids, consent ledger,
// transcript, cap, and the contact's share of the address index (queued
// messages leave once sent) — the figures `mitra bench` prints to size a
// Redis.
func (s *Store) MemoryUsage(ctx context.Context, id care.ContactID) (session int64, total int64, err error) {
	if err := id.Validate(); err != nil {
		return 0, 0, fmt.Errorf("memory usage: %w", err)
	}
	kinds := []string{keySession, keyProfile, keyInbound, keyLedger, keyTranscript, keyCap}
	pipe := s.client.Pipeline()
	cmds := make([]*redis.IntCmd, len(kinds))
	for i, k := range kinds {
		cmds[i] = pipe.MemoryUsage(ctx, s.key(id, k))
	}
	index := pipe.MemoryUsage(ctx, s.index)
	entries := pipe.HLen(ctx, s.index)
	prof := pipe.Get(ctx, s.key(id, keyProfile))
	_, _ = pipe.Exec(ctx)
	if c, err := decodeProfile(prof.Val()); err == nil && entries.Val() > 0 {
		// The index is one hash for everyone: each address's share.
		total += index.Val() * int64(len(c.Addresses)) / entries.Val()
	}
	for i, c := range cmds {
		n, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return 0, 0, fmt.Errorf("memory usage of %s: %w", s.key(id, kinds[i]), err)
		}
		if kinds[i] == keySession {
			session = n
		}
		total += n
	}
	return session, total, nil
}

// Purge deletes every key under the store's prefix, on every master of a
// cluster. `mitra bench` uses it to leave a shared Redis as it found it.
func (s *Store) Purge(ctx context.Context) error {
	err := s.eachMaster(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		return scanKeys(ctx, c, globEscape(s.prefix)+":*", "", func(keys []string) error {
			// One UNLINK per key: a cluster refuses one command on keys
			// of different slots, even on the same node.
			pipe := c.Pipeline()
			for _, k := range keys {
				pipe.Unlink(ctx, k)
			}
			_, err := pipe.Exec(ctx)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("purge %s:*: %w", s.prefix, err)
	}
	return nil
}

// Key kinds: the last part of a contact's keys.
const (
	keySession  = "s"
	keyProfile  = "p"
	keyInbound  = "in"
	keyOutbound = "o"
	keyTaken    = "t"
	// keyCap counts the promotions the person received in the cap's
	// window (sorted set).
	keyCap = "cap"
	// keyLedger is the consent ledger, a stream only ever appended to.
	keyLedger = "consent"
	// keyTranscript is the recent conversation, a stream trimmed to the
	// retention.
	keyTranscript = "log"
	// keyEvents are who did what to the conversation (hand-overs,
	// take-overs, replies), a capped list.
	keyEvents = "ev"
	// keyNotes are staff's private notes, a capped list.
	keyNotes = "notes"
)

// key is the name of one of the contact's keys: <prefix>:{c:<id>}:<kind>.
// The braces make Redis Cluster place all of a contact's keys in one
// slot.
func (s *Store) key(id care.ContactID, kind string) string {
	return s.prefix + ":{c:" + string(id) + "}:" + kind
}

// contactOf recovers the contact id from the name of one of its keys.
func (s *Store) contactOf(key string) (care.ContactID, bool) {
	rest, ok := strings.CutPrefix(key, s.prefix+":{c:")
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "}:")
	return care.ContactID(id), ok
}

// eachMaster calls fn with the client itself, or with each master of a
// cluster in parallel: SCAN sees only the keys of the node it runs on.
func (s *Store) eachMaster(ctx context.Context, fn func(context.Context, redis.UniversalClient) error) error {
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return fn(ctx, c) })
	}
	return fn(ctx, s.client)
}

// scanKeys calls fn with each batch of keys matching pattern (and of
// type typ, unless empty) that SCAN returns.
func scanKeys(ctx context.Context, c redis.UniversalClient, pattern, typ string, fn func([]string) error) error {
	var cursor uint64
	for {
		keys, next, err := c.ScanType(ctx, cursor, pattern, 1000, typ).Result()
		if err != nil {
			return fmt.Errorf("scan %s: %w", pattern, err)
		}
		if len(keys) > 0 {
			if err := fn(keys); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// globEscape makes s match itself in a SCAN pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tripCounter is a go-redis hook counting round trips.
type tripCounter struct{ n *atomic.Int64 }

// DialHook leaves dialing alone: a dial is not a round trip we chose.
func (h tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook counts a command sent alone.

func (h tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook counts a pipeline once, however many commands.
func (h tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// unavailable marks an error that is not Redis's own answer (a
// connection refused or dropped, a timeout) as care.EUnavailable: the
// caller tries again later, and the runtime never dead-letters a message
// because Redis was away. An error Redis answered (a script error, a
// wrong type) is left as it is.
func unavailable(err error) error {
	var answered redis.Error
	if err == nil || errors.As(err, &answered) {
		return err
	}
	return fmt.Errorf("%w: %w", care.Errorf(care.EUnavailable, "redis unavailable"), err)
}

// firstErr returns the first error among cmds other than redis.Nil (a
// missing key, which callers expect).
func firstErr(cmds ...redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

// scriptCall is one call of a script: its keys and arguments.
type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
}

// runAll makes the calls in one pipeline, by digest, in order. The calls
// Redis refused because it forgot their script (a restart, a failover)
// did nothing: their scripts are loaded and they run again, in order.
func (s *Store) runAll(ctx context.Context, calls []scriptCall) []*redis.Cmd {
	cmds := make([]*redis.Cmd, len(calls))
	if len(calls) == 0 {
		return cmds
	}
	pipe := s.client.Pipeline()
	for i, c := range calls {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	var again []int
	loaded := map[*redis.Script]bool{}
	for i, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			if !loaded[calls[i].script] {
				if err := calls[i].script.Load(ctx, s.client).Err(); err != nil {
					return cmds
				}
				loaded[calls[i].script] = true
			}
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		pipe := s.client.Pipeline()
		for _, i := range again {
			cmds[i] = calls[i].script.EvalSha(ctx, pipe, calls[i].keys, calls[i].args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	return cmds
}

// evalPipelined runs script n times in one pipeline, with the keys and
// arguments args gives for each (see runAll).
func (s *Store) evalPipelined(ctx context.Context, script *redis.Script, n int, args func(i int) ([]string, []any)) []*redis.Cmd {
	calls := make([]scriptCall, n)
	for i := range n {
		keys, argv := args(i)
		calls[i] = scriptCall{script, keys, argv}
	}
	return s.runAll(ctx, calls)
}
