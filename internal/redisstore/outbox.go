package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// senders is the consumer group that reads the outbox.
const senders = "senders"

// auditLen caps the audit stream; older outcomes are trimmed away.
const auditLen = 100_000

// Next returns up to max deliveries for consumer in queue order: first
// those another consumer read but left unsettled longer than the claim
// timeout, then new ones, waiting up to block for any when there are none
// to reclaim. References whose message is gone (settled, or never stored)
// are acknowledged and skipped.
func (s *Store) Next(ctx context.Context, consumer string, max int, block time.Duration) ([]care.Delivery, error) {
	if consumer == "" || max < 1 {
		return nil, care.Errorf(care.EInvalid, "outbox: want a consumer name and max ≥ 1 (got %q, %d)", consumer, max)
	}
	refs, err := s.readRefs(ctx, consumer, max, block)
	if redis.HasErrorPrefix(err, "NOGROUP") {
		// First use, or Redis lost its data: make the group and try again.
		if err := s.createGroup(ctx); err != nil {
			return nil, err
		}
		refs, err = s.readRefs(ctx, consumer, max, block)
	}
	if err != nil {
		return nil, fmt.Errorf("read outbox as %s: %w", consumer, err)
	}
	if len(refs) == 0 {
		return nil, nil
	}
	return s.bodies(ctx, refs)
}

// readRefs claims stale references, then reads new ones.
func (s *Store) readRefs(ctx context.Context, consumer string, max int, block time.Duration) ([]redis.XMessage, error) {
	refs, _, err := s.client.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: s.outbox, Group: senders, Consumer: consumer,
		MinIdle: s.claimTimeout, Start: "0-0", Count: int64(max),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("claim stale entries: %w", err)
	}
	if len(refs) == max {
		return refs, nil
	}
	wait := block
	if len(refs) > 0 || block <= 0 {
		wait = -1 // no BLOCK argument: answer at once
	}
	streams, err := s.client.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: senders, Consumer: consumer, Streams: []string{s.outbox, ">"},
		Count: int64(max - len(refs)), Block: wait,
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read new entries: %w", err)
	}
	for _, st := range streams {
		refs = append(refs, st.Messages...)
	}
	return refs, nil
}

// createGroup creates the senders group, reading the queue from its
// start so references queued before any sender ran are not missed.
func (s *Store) createGroup(ctx context.Context) error {
	err := s.client.XGroupCreateMkStream(ctx, s.outbox, senders, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s: %w", senders, s.outbox, err)
	}
	return nil
}

// bodies fetches the message of each reference in one pipeline, and
// acknowledges (and deletes) in one more the references without one.
func (s *Store) bodies(ctx context.Context, refs []redis.XMessage) ([]care.Delivery, error) {
	pipe := s.client.Pipeline()
	gets := make([]*redis.StringCmd, len(refs))
	for i, r := range refs {
		c, _ := r.Values["c"].(string)
		m, _ := r.Values["m"].(string)
		if c == "" || m == "" {
			continue // malformed: acknowledged below
		}
		gets[i] = pipe.HGet(ctx, s.key(care.ContactID(c), keyOutbound), m)
	}
	_, _ = pipe.Exec(ctx)
	var out []care.Delivery
	var dead []string
	for i, g := range gets {
		if g == nil || errors.Is(g.Err(), redis.Nil) {
			dead = append(dead, refs[i].ID)
			continue
		}
		b, err := g.Bytes()
		if err != nil {
			return nil, fmt.Errorf("read outbound message of entry %s: %w", refs[i].ID, err)
		}
		d := care.Delivery{Ref: refs[i].ID}
		if err := json.Unmarshal(b, &d.Outbound); err != nil {
			return nil, fmt.Errorf("decode outbound message of entry %s: %w", refs[i].ID, err)
		}
		out = append(out, d)
	}
	if len(dead) > 0 {
		if err := s.release(ctx, dead); err != nil {
			return nil, fmt.Errorf("skip entries without a message: %w", err)
		}
	}
	return out, nil
}

// release acknowledges queue entries and deletes them: an acknowledged
// entry is never read again, and the queue is never trimmed otherwise.
func (s *Store) release(ctx context.Context, ids []string) error {
	pipe := s.client.Pipeline()
	pipe.XAck(ctx, s.outbox, senders, ids...)
	pipe.XDel(ctx, s.outbox, ids...)
	_, err := pipe.Exec(ctx)
	return err
}

// takeScript marks a message taken unless it is gone or already taken.
//
//	KEYS: outbound bodies, taken markers; ARGV: message id, now ms
var takeScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
`)

// Take claims d for sending, atomically: false when the message was
// settled or another worker took it.
func (s *Store) Take(ctx context.Context, d care.Delivery) (bool, error) {
	if err := validDelivery(d); err != nil {
		return false, fmt.Errorf("take: %w", err)
	}
	keys := []string{s.key(d.Contact, keyOutbound), s.key(d.Contact, keyTaken)}
	n, err := takeScript.Run(ctx, s.client, keys, d.ID, s.now().UnixMilli()).Int64()
	if err != nil {
		return false, fmt.Errorf("take message %s of %s: %w", d.ID, d.Contact, err)
	}
	return n == 1, nil
}

// Settle records the outcome in the audit stream, releases the message
// and its queue entry, in one round trip. Settling again does no harm
// but records the outcome again.
func (s *Store) Settle(ctx context.Context, d care.Delivery, o care.Outcome) error {
	if err := validDelivery(d); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	at := o.At
	if at.IsZero() {
		at = s.now()
	}
	pipe := s.client.Pipeline()
	// The body goes first: a Take running between the two deletions finds
	// no body and refuses, so it cannot leave a marker behind.
	pipe.HDel(ctx, s.key(d.Contact, keyOutbound), d.ID)
	pipe.HDel(ctx, s.key(d.Contact, keyTaken), d.ID)
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.audit, MaxLen: auditLen, Approx: true, Values: []string{
		"m", d.ID, "c", string(d.Contact), "class", string(d.Class),
		"verdict", string(o.Verdict), "reason", o.Reason, "sent", strconv.FormatBool(o.Sent),
		"error", o.Error, "at", at.UTC().Format(time.RFC3339Nano),
	}})
	if d.Ref != "" {
		pipe.XAck(ctx, s.outbox, senders, d.Ref)
		pipe.XDel(ctx, s.outbox, d.Ref)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("settle message %s of %s: %w", d.ID, d.Contact, err)
	}
	return nil
}

// validDelivery refuses a delivery that cannot name its keys.
func validDelivery(d care.Delivery) error {
	if d.ID == "" {
		return care.Errorf(care.EInvalid, "delivery without message id")
	}
	if _, err := d.Contact.Address(); err != nil {
		return err
	}
	return nil
}

// Recover queues again every stored outbound message that has no entry
// in the queue, and returns how many. An entry can be lost only on Redis
// Cluster, when the node holding the queue fails apart from the node
// holding the message. Run it at start-up and every few minutes. It
// scans the whole keyspace, on every master.
//
// A message committed or settled while it runs may be queued twice; the
// second entry is harmless (Take refuses it, or Next skips it).
func (s *Store) Recover(ctx context.Context) (int, error) {
	type ref struct {
		c care.ContactID
		m string
	}
	// Messages first, then the queue: a commit seen here has had its
	// entry added by the time the queue is read.
	var mu sync.Mutex
	stored := map[ref]string{} // the message's JSON
	err := s.eachMaster(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		return scanKeys(ctx, c, globEscape(s.prefix)+":{c:*}:"+keyOutbound, "hash", func(keys []string) error {
			pipe := c.Pipeline()
			cmds := make([]*redis.MapStringStringCmd, len(keys))
			for i, k := range keys {
				cmds[i] = pipe.HGetAll(ctx, k)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return fmt.Errorf("list queued messages: %w", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for i, k := range keys {
				if id, ok := s.contactOf(k); ok {
					for m, body := range cmds[i].Val() {
						stored[ref{id, m}] = body
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("recover outbox: %w", err)
	}
	if len(stored) == 0 {
		return 0, nil
	}
	start := "-"
	for {
		page, err := s.client.XRangeN(ctx, s.outbox, start, "+", 1000).Result()
		if err != nil {
			return 0, fmt.Errorf("recover outbox: read queue: %w", err)
		}
		for _, e := range page {
			c, _ := e.Values["c"].(string)
			m, _ := e.Values["m"].(string)
			delete(stored, ref{care.ContactID(c), m})
		}
		if len(page) < 1000 {
			break
		}
		start = "(" + page[len(page)-1].ID
	}
	// Queue the lost messages of each contact in the order they were made.
	lost := make([]care.Outbound, 0, len(stored))
	for r, body := range stored {
		var meta struct {
			Created time.Time `json:"created"`
		}
		// For the order only: a body that does not decode is Next's to report.
		_ = json.Unmarshal([]byte(body), &meta)
		lost = append(lost, care.Outbound{ID: r.m, Contact: r.c, Created: meta.Created})
	}
	slices.SortFunc(lost, func(a, b care.Outbound) int {
		return cmp.Or(cmp.Compare(a.Contact, b.Contact), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	if len(lost) == 0 {
		return 0, nil
	}
	pipe := s.client.Pipeline()
	for _, m := range lost {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.outbox, Values: []string{"c", string(m.Contact), "m", m.ID}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("recover outbox: queue %d messages: %w", len(lost), err)
	}
	return len(lost), nil
}
