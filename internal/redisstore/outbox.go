package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// senders is the consumer group that reads the outbox.
const senders = "senders"

// auditLen caps the audit stream; older outcomes are trimmed away.
const auditLen = 100_000

// deadLen caps the dead letters.
const deadLen = 10_000

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
	return s.bodies(ctx, consumer, refs)
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

// bodies fetches, in one pipeline, the message of each reference with
// its contact's profile and suppression, and acknowledges (and deletes)
// in one more the references without a message.
func (s *Store) bodies(ctx context.Context, consumer string, refs []redis.XMessage) ([]care.Delivery, error) {
	salt, err := s.salt(ctx)
	if err != nil {
		return nil, err
	}
	type cmds struct {
		body, prof, supp *redis.StringCmd
	}
	pipe := s.client.Pipeline()
	all := make([]*cmds, len(refs))
	for i, r := range refs {
		c, _ := r.Values["c"].(string)
		m, _ := r.Values["m"].(string)
		id := care.ContactID(c)
		addr, err := id.Address()
		if err != nil || m == "" {
			continue // malformed: acknowledged below
		}
		all[i] = &cmds{
			body: pipe.HGet(ctx, s.key(id, keyOutbound), m),
			prof: pipe.Get(ctx, s.key(id, keyProfile)),
			supp: pipe.HGet(ctx, s.suppressed, fingerprint(salt, addr)),
		}
	}
	_, _ = pipe.Exec(ctx)
	var out []care.Delivery
	var dead []string
	var undecodable []redis.XMessage
	for i, c := range all {
		if c == nil || errors.Is(c.body.Err(), redis.Nil) {
			dead = append(dead, refs[i].ID)
			continue
		}
		if err := firstErr(c.body, c.prof, c.supp); err != nil {
			return nil, fmt.Errorf("read outbound message of entry %s: %w", refs[i].ID, err)
		}
		d := care.Delivery{Ref: refs[i].ID, Consumer: consumer}
		if err := json.Unmarshal([]byte(c.body.Val()), &d.Outbound); err != nil {
			// One broken record must not hold the batch: it goes to the
			// dead letters as it is, and the rest is sent.
			undecodable = append(undecodable, redis.XMessage{ID: refs[i].ID, Values: map[string]any{"body": c.body.Val(), "error": err.Error()}})
			continue
		}
		if b, err := c.prof.Bytes(); err == nil {
			// A profile that does not decode counts as none: the gate
			// then refuses all but replies.
			_ = json.Unmarshal(b, &d.Profile)
		}
		if ms, err := c.supp.Int64(); err == nil {
			d.Suppressed = time.UnixMilli(ms)
		}
		out = append(out, d)
	}
	for _, u := range undecodable {
		vals := []string{"ref", u.ID, "reason", "undecodable message", "error", u.Values["error"].(string),
			"at", s.now().UTC().Format(time.RFC3339Nano), "body", u.Values["body"].(string)}
		if err := s.client.XAdd(ctx, &redis.XAddArgs{Stream: s.dead, MaxLen: deadLen, Approx: true, Values: vals}).Err(); err != nil {
			return nil, fmt.Errorf("dead-letter entry %s: %w", u.ID, err)
		}
		dead = append(dead, u.ID)
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

// takeScript marks a message taken, with the delivery's token, unless
// it is gone or already taken (by anyone: a message is taken once). For a
// promotion it first checks, in the same atomic step, that the profile
// still grants promotions: a STOP committed after the sender read the
// profile must still win.
//
//	KEYS: outbound bodies, taken markers, profile
//	ARGV: message id, token, "promo" or ""
//
// It returns 1 when taken, 0 when gone or taken by another entry, -1
// when the promotions consent is no longer there.
var takeScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[3] == 'promo' then
  local raw = redis.call('GET', KEYS[3])
  if not raw then return -1 end
  local ok, p = pcall(cjson.decode, raw)
  if not ok or type(p.consent) ~= 'table' or type(p.consent.promotions) ~= 'table' or p.consent.promotions.granted ~= true then
    return -1
  end
end
return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
`)

// Take claims d for sending under its queue entry's id, atomically:
// false when the message was settled or another entry took it. For a
// promotion it returns care.ErrNoConsent when the contact withdrew since
// the delivery was read.
func (s *Store) Take(ctx context.Context, d care.Delivery) (bool, error) {
	if err := validDelivery(d); err != nil {
		return false, fmt.Errorf("take: %w", err)
	}
	promo := ""
	if d.Class == care.Promotional {
		promo = "promo"
	}
	keys := []string{s.key(d.Contact, keyOutbound), s.key(d.Contact, keyTaken), s.key(d.Contact, keyProfile)}
	n, err := takeScript.Run(ctx, s.client, keys, d.ID, token(d), promo).Int64()
	if err != nil {
		return false, fmt.Errorf("take message %s of %s: %w", d.ID, d.Contact, err)
	}
	if n < 0 {
		return false, care.ErrNoConsent
	}
	return n == 1, nil
}

// token names a delivery's claim on its message: the consumer and the
// queue entry, so that an entry another consumer reclaims after a crash
// does not count as the claim of the one that crashed.
func token(d care.Delivery) string {
	return d.Consumer + "/" + d.Ref
}

// releaseScript ends a delivery's claim on its message. With ARGV[3]
// "settle" it also deletes the body — unless another entry holds the
// message (a duplicate entry being settled while the real one sends).
//
//	KEYS: outbound bodies, taken markers; ARGV: message id, token, mode
var releaseScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if cur and cur ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[3] == 'settle' then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
`)

// Settle records the outcome in the audit stream (and the dead letters
// when it failed), releases the message and its queue entry, in one
// round trip. A delivery whose message another entry holds releases only
// its own entry. Settling again does no harm but records the outcome
// again.
func (s *Store) Settle(ctx context.Context, d care.Delivery, o care.Outcome) error {
	if err := validDelivery(d); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	at := o.At
	if at.IsZero() {
		at = s.now()
	}
	// The release goes first, alone (a script run outside a pipeline
	// survives Redis forgetting it): the body and marker go, unless
	// another entry holds the message.
	if err := releaseScript.Run(ctx, s.client, []string{s.key(d.Contact, keyOutbound), s.key(d.Contact, keyTaken)}, d.ID, token(d), "settle").Err(); err != nil {
		return fmt.Errorf("settle message %s of %s: %w", d.ID, d.Contact, err)
	}
	pipe := s.client.Pipeline()
	s.audited(ctx, pipe, d, o, at)
	if o.Error != "" {
		body, err := json.Marshal(d.Outbound)
		if err != nil {
			return fmt.Errorf("settle message %s: %w", d.ID, err)
		}
		vals := []string{"m", d.ID, "c", string(d.Contact), "class", string(d.Class), "reason", o.Reason,
			"error", o.Error, "at", at.UTC().Format(time.RFC3339Nano), "body", string(body)}
		if d.Origin == care.OriginErasure {
			vals = []string{"m", d.ID, "class", string(d.Class), "reason", o.Reason, "error", o.Error, "at", at.UTC().Format(time.RFC3339Nano)}
		}
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.dead, MaxLen: deadLen, Approx: true, Values: vals})
	}
	if d.Ref != "" {
		pipe.XAck(ctx, s.outbox, senders, d.Ref)
		pipe.XDel(ctx, s.outbox, d.Ref)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("settle message %s of %s: %w", d.ID, d.Contact, err)
	}
	return nil
}

// audited adds the audit entry of an outcome to pipe.
func (s *Store) audited(ctx context.Context, pipe redis.Pipeliner, d care.Delivery, o care.Outcome, at time.Time) {
	who := []string{"c", string(d.Contact)}
	if d.Origin == care.OriginErasure {
		who = nil // the contact is erased: the audit keeps no trace of who
	}
	vals := append(who, "m", d.ID, "class", string(d.Class), "origin", string(d.Origin),
		"verdict", string(o.Verdict), "reason", o.Reason, "sent", strconv.FormatBool(o.Sent),
		"error", o.Error, "at", at.UTC().Format(time.RFC3339Nano))
	if d.Campaign != "" {
		vals = append(vals, "campaign", d.Campaign)
	}
	if !o.Until.IsZero() {
		vals = append(vals, "until", o.Until.UTC().Format(time.RFC3339Nano))
	}
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.audit, MaxLen: auditLen, Approx: true, Values: vals})
}

// Defer records the outcome and holds the message back until o.Until:
// the delivery's own claim is released (the channel did not send it),
// then the reference moves from the queue to the held-back set. The set
// is written before the entry is acknowledged, so a crash in between
// leaves the reference in both, and the queue's copy is deferred again
// or skipped.
func (s *Store) Defer(ctx context.Context, d care.Delivery, o care.Outcome) error {
	if err := validDelivery(d); err != nil {
		return fmt.Errorf("defer: %w", err)
	}
	if o.Until.IsZero() {
		return care.Errorf(care.EInvalid, "defer message %s: no time to try again", d.ID)
	}
	at := o.At
	if at.IsZero() {
		at = s.now()
	}
	if err := releaseScript.Run(ctx, s.client, []string{s.key(d.Contact, keyOutbound), s.key(d.Contact, keyTaken)}, d.ID, token(d), "defer").Err(); err != nil {
		return fmt.Errorf("defer message %s of %s: %w", d.ID, d.Contact, err)
	}
	pipe := s.client.Pipeline()
	pipe.ZAdd(ctx, s.later, redis.Z{Score: float64(o.Until.UnixMilli()), Member: laterMember(d.Contact, d.ID)})
	s.audited(ctx, pipe, d, o, at)
	if d.Ref != "" {
		pipe.XAck(ctx, s.outbox, senders, d.Ref)
		pipe.XDel(ctx, s.outbox, d.Ref)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("defer message %s of %s: %w", d.ID, d.Contact, err)
	}
	return nil
}

// laterMember is a held-back set member: "<contact id> <message id>"
// (contact ids have no spaces).
func laterMember(id care.ContactID, messageID string) string {
	return string(id) + " " + messageID
}

// promoteScript moves due members of the held-back set to the queue.
//
//	KEYS: held-back set, queue; ARGV: now ms, max
var promoteScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, m in ipairs(due) do
  local sp = string.find(m, ' ', 1, true)
  if sp then
    redis.call('XADD', KEYS[2], '*', 'c', string.sub(m, 1, sp - 1), 'm', string.sub(m, sp + 1))
  end
  redis.call('ZREM', KEYS[1], m)
end
return #due
`)

// PromoteDue moves up to max held-back messages whose time has come to
// the queue, atomically (both keys share the {o} hash tag).
func (s *Store) PromoteDue(ctx context.Context, now time.Time, max int) (int, error) {
	n, err := promoteScript.Run(ctx, s.client, []string{s.later, s.outbox}, now.UnixMilli(), max).Int()
	if err != nil {
		return 0, fmt.Errorf("promote due messages: %w", err)
	}
	return n, nil
}

// Enqueue stores each message's body under its contact and queues a
// reference, or holds it back until NotBefore. Bodies are written first:
// a crash before the reference leaves a body that Recover queues.
func (s *Store) Enqueue(ctx context.Context, ms []care.Outbound) error {
	for _, m := range ms {
		if err := validOutbound(m); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
	}
	pipe := s.client.Pipeline()
	for _, m := range ms {
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("enqueue message %s: %w", m.ID, err)
		}
		pipe.HSet(ctx, s.key(m.Contact, keyOutbound), m.ID, b)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(ms), err)
	}
	pipe = s.client.Pipeline()
	for _, m := range ms {
		if m.NotBefore.After(m.Created) {
			pipe.ZAdd(ctx, s.later, redis.Z{Score: float64(m.NotBefore.UnixMilli()), Member: laterMember(m.Contact, m.ID)})
			continue
		}
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.outbox, Values: []string{"c", string(m.Contact), "m", m.ID}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(ms), err)
	}
	return nil
}

// validOutbound refuses a message that is malformed or too big.
func validOutbound(m care.Outbound) error {
	switch {
	case m.ID == "" || strings.ContainsAny(m.ID, " \t\n"):
		return care.Errorf(care.EInvalid, "outbound message id %q: want a non-empty id without spaces", m.ID)
	case m.Contact != m.Address.ContactID():
		return care.Errorf(care.EInvalid, "outbound message %s: contact %q is not the address %s", m.ID, m.Contact, m.Address)
	case len(m.Text) > MaxOutboundText:
		return care.Errorf(care.EInvalid, "outbound message %s: text of %d bytes; at most %d", m.ID, len(m.Text), MaxOutboundText)
	case m.Text == "":
		return care.Errorf(care.EInvalid, "outbound message %s: empty text", m.ID)
	}
	switch m.Class {
	case care.Reply, care.Transactional, care.Promotional:
	default:
		return care.Errorf(care.EInvalid, "outbound message %s: unknown class %q", m.ID, m.Class)
	}
	return m.Address.Validate()
}

// capScript counts a message against a person's cap.
//
//	KEYS: the person's cap set; ARGV: window start ms, max, now ms,
//	message id, window ms
//
// It returns -1 when counted (or counted before), else the score (ms)
// of the oldest message in the window.
var capScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return -1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2])
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return -1
`)

// capKey is the cap set of a person: its own hash tag, since a person's
// contacts may sit in different slots.
func (s *Store) capKey(person string) string { return s.prefix + ":{cap:" + person + "}" }

// ReserveCap counts messageID against the person's cap of max messages
// per window, atomically across processes.
func (s *Store) ReserveCap(ctx context.Context, person, messageID string, max int, window time.Duration, now time.Time) (bool, time.Time, error) {
	if person == "" || strings.ContainsAny(person, "{}") {
		return false, time.Time{}, care.Errorf(care.EInvalid, "cap: bad person %q", person)
	}
	oldest, err := capScript.Run(ctx, s.client, []string{s.capKey(person)},
		now.Add(-window).UnixMilli(), max, now.UnixMilli(), messageID, window.Milliseconds()).Int64()
	if err != nil {
		return false, time.Time{}, fmt.Errorf("reserve cap of %s: %w", person, err)
	}
	if oldest < 0 {
		return true, time.Time{}, nil
	}
	return false, time.UnixMilli(oldest).Add(window), nil
}

// ReleaseCap takes back the reservation of a message that was not sent.
func (s *Store) ReleaseCap(ctx context.Context, person, messageID string) error {
	if err := s.client.ZRem(ctx, s.capKey(person), messageID).Err(); err != nil {
		return fmt.Errorf("release cap of %s: %w", person, err)
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
	held, err := s.client.ZRange(ctx, s.later, 0, -1).Result()
	if err != nil {
		return 0, fmt.Errorf("recover outbox: read held-back messages: %w", err)
	}
	for _, h := range held {
		c, m, _ := strings.Cut(h, " ")
		delete(stored, ref{care.ContactID(c), m})
	}
	// Queue the lost messages of each contact in the order they were made.
	lost := make([]care.Outbound, 0, len(stored))
	for r, body := range stored {
		var meta struct {
			Created   time.Time `json:"created"`
			NotBefore time.Time `json:"not_before"`
		}
		// For the order only: a body that does not decode is Next's to report.
		_ = json.Unmarshal([]byte(body), &meta)
		lost = append(lost, care.Outbound{ID: r.m, Contact: r.c, Created: meta.Created, NotBefore: meta.NotBefore})
	}
	slices.SortFunc(lost, func(a, b care.Outbound) int {
		return cmp.Or(cmp.Compare(a.Contact, b.Contact), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	if len(lost) == 0 {
		return 0, nil
	}
	pipe := s.client.Pipeline()
	for _, m := range lost {
		if m.NotBefore.After(s.now()) {
			pipe.ZAdd(ctx, s.later, redis.Z{Score: float64(m.NotBefore.UnixMilli()), Member: laterMember(m.Contact, m.ID)})
			continue
		}
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.outbox, Values: []string{"c", string(m.Contact), "m", m.ID}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("recover outbox: queue %d messages: %w", len(lost), err)
	}
	return len(lost), nil
}

// DeadLetter is a message that could not be sent, with why.
type DeadLetter struct {
	care.Outbound
	Reason string
	Error  string
	At     time.Time
}

// DeadLetters returns up to n of the newest dead letters, oldest first.
func (s *Store) DeadLetters(ctx context.Context, n int) ([]DeadLetter, error) {
	entries, err := s.client.XRevRangeN(ctx, s.dead, "+", "-", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	slices.Reverse(entries)
	out := make([]DeadLetter, 0, len(entries))
	for _, e := range entries {
		str := func(k string) string { v, _ := e.Values[k].(string); return v }
		d := DeadLetter{Reason: str("reason"), Error: str("error")}
		d.At, _ = time.Parse(time.RFC3339Nano, str("at"))
		if err := json.Unmarshal([]byte(str("body")), &d.Outbound); err != nil {
			return nil, fmt.Errorf("dead letter %s: %w", e.ID, err)
		}
		out = append(out, d)
	}
	return out, nil
}
