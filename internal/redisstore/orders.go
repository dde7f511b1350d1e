package redisstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// Orders are records, kept like the profile: each is a field of its
// customer's hash (<p>:{c:<id>}:orders, order id → "<version>|<JSON>"),
// so a change and the message that tells the customer are one script.
// The directory's keys ({d}) point at them:
//
//   - <p>:{d}:orders:seq counts the shop's orders (the numbers);
//   - <p>:{d}:orders:num maps a number to its order id, and
//     <p>:{d}:orders:where an order id to its customer ("-": the books);
//   - <p>:{d}:orders:<status> (one per state of the three kinds) and
//     <p>:{d}:orders:all are sorted sets of order ids by their last
//     change, for staff's lists. Like the inbox's indexes (see
//     inboxKeys) they only say where to look: a member is added before
//     the write that needs it, every reader checks it against the
//     record, and one the record no longer backs is tidied away.
//   - <p>:{d}:orders:books keeps the orders of customers who erased
//     their data, without anything that says who they were.
//   - <p>:{d}:orders:booked holds what the orders not cancelled book
//     of each pre-order item and each item whose stock is counted
//     (see orders_stock.go), and <p>:{d}:orders:booked_by each such
//     order's part of it.
const keyOrders = "orders"

var _ care.OrderBook = (*Store)(nil)

// maxOrderList bounds one list of orders.
const maxOrderList = 500

// booksMark is where an order kept for the books alone is "held".
const booksMark = "-"

// The steps the order records add to the durable jobs.
const (
	StepEraseOrders JobStep = "erase: keep the orders for the books, without the person"
	StepMergeOrders JobStep = "merge: move the orders to the person"
)

// ordersKey is one of the directory's order keys: <p>:{d}:orders:<part>.
func (s *Store) ordersKey(part string) string { return s.prefix + ":{d}:orders:" + part }

// orderAt is where an order's record is: its customer's hash, or the
// books (contact "").
type orderAt struct {
	id      care.OrderID
	contact care.ContactID
}

// recordKey is the hash that holds the order.
func (s *Store) recordKey(at orderAt) string {
	if at.contact == "" {
		return s.ordersKey("books")
	}
	return s.key(at.contact, keyOrders)
}

// locateScript finds an order by its number or its id.
//
//	KEYS: numbers, where; ARGV: 1 the number or id, 2 "num" or "id"
//
// It returns {order id, where} or nil.
var locateScript = redis.NewScript(`
local id = ARGV[1]
if ARGV[2] == 'num' then
  id = redis.call('HGET', KEYS[1], ARGV[1])
  if not id then return false end
end
local at = redis.call('HGET', KEYS[2], id)
if not at then return false end
return {id, at}
`)

// locate finds the order of ref, a number as typed or an order id.
func (s *Store) locate(ctx context.Context, ref string) (orderAt, error) {
	key, kind := care.CleanOrderNumber(ref), "num"
	if id := care.OrderID(strings.TrimSpace(ref)); id.Validate() == nil {
		key, kind = string(id), "id"
	}
	if key == "" {
		return orderAt{}, care.Errorf(care.ENotFound, "no order: give its number (like WBS-0142)")
	}
	v, err := locateScript.Run(ctx, s.client, []string{s.ordersKey("num"), s.ordersKey("where")}, key, kind).StringSlice()
	if errors.Is(err, redis.Nil) {
		return orderAt{}, care.Errorf(care.ENotFound, "no order %s", clipRef(key))
	}
	if err != nil {
		return orderAt{}, fmt.Errorf("find order %s: %w", clipRef(key), unavailable(err))
	}
	at := orderAt{id: care.OrderID(v[0])}
	if v[1] != booksMark {
		at.contact = care.ContactID(v[1])
	}
	return at, nil
}

// clipRef shortens an order reference someone typed for a message.
func clipRef(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// decodeOrder reads a stored order.
func decodeOrder(raw string) (care.Order, error) {
	var o care.Order
	v, err := decodeVersioned(raw, &o)
	if err != nil {
		return care.Order{}, fmt.Errorf("decode order: %w", err)
	}
	o.Version = v
	return o, nil
}

// orderStatuses are the indexes an order belongs in: one per state it
// has (a fulfilment not started has none).
func orderStatuses(o care.Order) []string {
	out := []string{string(o.State), string(o.Payment)}
	if o.Fulfilment != "" {
		out = append(out, string(o.Fulfilment))
	}
	return out
}

// hasStatus reports whether o is in status ("": any).
func hasStatus(o care.Order, status string) bool {
	return status == "" || slices.Contains(orderStatuses(o), status)
}

// orderScript writes an order over the version read and stores the
// message that tells the customer, at once.
//
//	KEYS: 1 the hash holding the order, 2 the customer's outbound
//	      bodies (the same hash for the books)
//	ARGV: 1 order id, 2 version read (0: a new order), 3 the order's
//	      JSON, 4 TTL ms of the hash (0: none), 5 message id or "",
//	      6 its JSON
//
// It returns the order's new version, or -1 when it moved on (or went).
var orderScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local v = 0
if cur then v = tonumber(string.sub(cur, 1, string.find(cur, '|', 1, true) - 1)) end
if v ~= tonumber(ARGV[2]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], (v + 1) .. '|' .. ARGV[3])
if ARGV[4] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSETNX', KEYS[2], ARGV[5], ARGV[6]) end
return v + 1
`)

// keepNewerScript stores a copy of an order unless the hash holds that
// version or a later one: a merge or an erasure run again, or after an
// update of the copy, changes nothing.
//
//	KEYS: the hash; ARGV: order id, version, the order's JSON
var keepNewerScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and tonumber(string.sub(cur, 1, string.find(cur, '|', 1, true) - 1)) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
return 1
`)

// orderWrite is one write of an order.
type orderWrite struct {
	at     orderAt
	read   int64 // the version read; 0 for a new order
	order  care.Order
	notice *care.Outbound
	ttl    time.Duration
}

// writeOrder writes w in one round trip: the index members the order
// needs (and for a new one its number and place), the notice's lane
// entry, then the script. It returns the new version, or ErrConflict.
func (s *Store) writeOrder(ctx context.Context, w orderWrite) (int64, error) {
	o := w.order
	b, err := json.Marshal(o)
	if err != nil {
		return 0, fmt.Errorf("encode order: %w", err)
	}
	args := []any{string(o.ID), w.read, b, w.ttl.Milliseconds(), "", ""}
	pipe := s.client.Pipeline()
	if w.read == 0 {
		pipe.HSet(ctx, s.ordersKey("num"), o.Number, string(o.ID))
		pipe.HSet(ctx, s.ordersKey("where"), string(o.ID), cmp.Or(string(w.at.contact), booksMark))
	}
	at := redis.Z{Score: score(o.Updated), Member: string(o.ID)}
	pipe.ZAdd(ctx, s.ordersKey("all"), at)
	for _, st := range orderStatuses(o) {
		pipe.ZAdd(ctx, s.ordersKey(st), at)
	}
	var refs []queued
	bodies := s.recordKey(w.at)
	if m := w.notice; m != nil {
		mb, err := json.Marshal(m)
		if err != nil {
			return 0, fmt.Errorf("encode message: %w", err)
		}
		args[4], args[5] = m.ID, mb
		refs = s.queueRefs(ctx, pipe, []care.Outbound{*m})
		bodies = s.key(w.at.contact, keyOutbound)
	}
	keys := []string{s.recordKey(w.at), bodies}
	res := orderScript.EvalSha(ctx, pipe, keys, args...)
	_, _ = pipe.Exec(ctx)
	if redis.HasErrorPrefix(res.Err(), "NOSCRIPT") {
		res = s.runAll(ctx, []scriptCall{{orderScript, keys, args}})[0]
	}
	v, err := res.Int64()
	if err != nil || v < 0 {
		s.dropRefs(ctx, refsOf(refs))
	}
	if err != nil {
		return 0, fmt.Errorf("write order %s: %w", o.Number, unavailable(err))
	}
	if v < 0 {
		return 0, care.ErrConflict
	}
	if err := s.book(ctx, o); err != nil {
		return 0, err
	}
	return v, nil
}

// CreateOrder files a new order of a live contact; see care.OrderBook.
func (s *Store) CreateOrder(ctx context.Context, o care.Order, prefix string) (care.Order, error) {
	if err := care.CheckOrderPrefix(prefix); err != nil {
		return care.Order{}, err
	}
	o, err := o.Prepare()
	if err != nil {
		return care.Order{}, fmt.Errorf("new order: %w", err)
	}
	c, ok, err := s.Contact(ctx, o.Contact)
	if err != nil {
		return care.Order{}, unavailable(err)
	}
	if !ok || !c.Live() {
		return care.Order{}, care.Errorf(care.ENotFound, "new order: contact %s not found (erased, being erased or never seen)", o.Contact)
	}
	o.Contact = c.ID
	if o.ID == "" {
		o.ID = care.NewOrderID()
	} else if err := o.ID.Validate(); err != nil {
		return care.Order{}, fmt.Errorf("new order: %w", err)
	}
	if err := s.reserve(ctx, o); err != nil {
		return care.Order{}, err
	}
	n, err := s.client.Incr(ctx, s.ordersKey("seq")).Result()
	if err != nil {
		return care.Order{}, errors.Join(fmt.Errorf("number a new order: %w", unavailable(err)), s.unreserve(ctx, o))
	}
	now := s.now()
	o.Number, o.Created, o.Updated = care.OrderNumber(prefix, n), now, now
	v, err := s.writeOrder(ctx, orderWrite{at: orderAt{id: o.ID, contact: c.ID}, order: o, ttl: profileTTL(c)})
	if err != nil {
		return care.Order{}, errors.Join(err, s.unreserve(ctx, o))
	}
	o.Version = v
	return o, nil
}

// Order returns the order of a number or id; see care.OrderBook.
func (s *Store) Order(ctx context.Context, ref string) (care.Order, error) {
	at, err := s.locate(ctx, ref)
	if err != nil {
		return care.Order{}, err
	}
	raw, err := s.client.HGet(ctx, s.recordKey(at), string(at.id)).Result()
	if errors.Is(err, redis.Nil) {
		return care.Order{}, care.Errorf(care.ENotFound, "no order %s", clipRef(strings.TrimSpace(ref)))
	}
	if err != nil {
		return care.Order{}, fmt.Errorf("read order %s: %w", at.id, unavailable(err))
	}
	return decodeOrder(raw)
}

// ListOrders returns orders from the index of q.Status (every order's
// when none), the last changed first, each as its record says now; a
// contact's come from their own records. See care.OrderBook.
func (s *Store) ListOrders(ctx context.Context, q care.OrderQuery) ([]care.Order, error) {
	if q.Limit <= 0 || q.Limit > maxOrderList {
		return nil, care.Errorf(care.EInvalid, "list of %d orders: want 1 to %d", q.Limit, maxOrderList)
	}
	status := ""
	if q.Status != "" {
		var err error
		if status, err = care.ParseOrderStatus(q.Status); err != nil {
			return nil, err
		}
	}
	if q.Contact != "" {
		all, err := s.ContactOrders(ctx, q.Contact)
		if err != nil {
			return nil, err
		}
		all = slices.DeleteFunc(all, func(o care.Order) bool { return !hasStatus(o, status) })
		slices.SortStableFunc(all, func(a, b care.Order) int { return b.Updated.Compare(a.Updated) })
		return all[:min(len(all), q.Limit)], nil
	}
	key := s.ordersKey(cmp.Or(status, "all"))
	// Read past the limit: members the records no longer back are
	// skipped.
	zs, err := s.client.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key, Start: 0, Stop: int64(2*q.Limit + 10), Rev: true}).Result()
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", unavailable(err))
	}
	out := make([]care.Order, 0, min(q.Limit, len(zs)))
	if len(zs) == 0 {
		return out, nil
	}
	ids := make([]string, len(zs))
	for i, z := range zs {
		ids[i], _ = z.Member.(string)
	}
	where, err := s.client.HMGet(ctx, s.ordersKey("where"), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", unavailable(err))
	}
	pipe := s.client.Pipeline()
	cmds := make([]*redis.StringCmd, len(zs))
	for i, w := range where {
		if w, ok := w.(string); ok {
			at := orderAt{id: care.OrderID(ids[i])}
			if w != booksMark {
				at.contact = care.ContactID(w)
			}
			cmds[i] = pipe.HGet(ctx, s.recordKey(at), ids[i])
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("list orders: %w", unavailable(err))
	}
	var stale []redis.Z
	for i, c := range cmds {
		var o care.Order
		var err error = redis.Nil // no place on record
		if c != nil {
			var raw string
			if raw, err = c.Result(); err == nil {
				o, err = decodeOrder(raw)
			}
		}
		if err != nil || !hasStatus(o, status) {
			stale = append(stale, zs[i])
			continue
		}
		if len(out) < q.Limit {
			out = append(out, o)
		}
	}
	if err := s.dropStale(ctx, key, stale, s.now().Add(-indexGrace)); err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return out, nil
}

// ContactOrders returns every order of a contact, oldest first; see
// care.OrderBook.
func (s *Store) ContactOrders(ctx context.Context, id care.ContactID) ([]care.Order, error) {
	c, ok, err := s.Contact(ctx, id)
	if err != nil {
		return nil, unavailable(err)
	}
	if !ok {
		return []care.Order{}, nil
	}
	raws, err := s.client.HGetAll(ctx, s.key(c.ID, keyOrders)).Result()
	if err != nil {
		return nil, fmt.Errorf("orders of %s: %w", c.ID, unavailable(err))
	}
	out := make([]care.Order, 0, len(raws))
	for oid, raw := range raws {
		o, err := decodeOrder(raw)
		if err != nil {
			return nil, fmt.Errorf("order %s of %s: %w", oid, c.ID, err)
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b care.Order) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Number, b.Number))
	})
	return out, nil
}

// readOrder reads the order at at and, when it has a customer, their
// profile, in one round trip; ok is false when the order is gone.
func (s *Store) readOrder(ctx context.Context, at orderAt) (o care.Order, c care.Contact, ok bool, err error) {
	pipe := s.client.Pipeline()
	rec := pipe.HGet(ctx, s.recordKey(at), string(at.id))
	var prof *redis.StringCmd
	if at.contact != "" {
		prof = pipe.Get(ctx, s.key(at.contact, keyProfile))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return o, c, false, fmt.Errorf("read order %s: %w", at.id, unavailable(err))
	}
	raw, err := rec.Result()
	if errors.Is(err, redis.Nil) {
		return o, c, false, nil
	}
	if err != nil {
		return o, c, false, fmt.Errorf("read order %s: %w", at.id, err)
	}
	if o, err = decodeOrder(raw); err != nil {
		return o, c, false, fmt.Errorf("order %s: %w", at.id, err)
	}
	if prof != nil {
		if p, err := prof.Result(); err == nil {
			// A profile that does not decode counts as none: the
			// order changes, and nobody is told.
			c, _ = decodeProfile(p)
		}
	}
	return o, c, true, nil
}

// UpdateOrder changes an order over the version read and queues the
// notice of what changed in the same script; see care.OrderBook. The
// indexes of the states the order left are tidied afterwards (readers
// check them anyway).
func (s *Store) UpdateOrder(ctx context.Context, ref string, fn func(care.Order) (care.Order, error)) (care.OrderUpdate, error) {
	return s.updateOrder(ctx, ref, fn, nil)
}

// updateOrder is UpdateOrder whose notice is tell's text of the order
// as changed, in the customer's language, when tell is not nil.
func (s *Store) updateOrder(ctx context.Context, ref string, fn func(care.Order) (care.Order, error), tell func(o care.Order, lang string) string) (care.OrderUpdate, error) {
	var gone orderAt
	for range maxUpdateTries {
		at, err := s.locate(ctx, ref)
		if err != nil {
			return care.OrderUpdate{}, err
		}
		cur, c, ok, err := s.readOrder(ctx, at)
		if err != nil {
			return care.OrderUpdate{}, err
		}
		if !ok && at == gone {
			return care.OrderUpdate{}, care.Errorf(care.ENotFound, "no order %s (its record is gone)", clipRef(ref))
		}
		if !ok {
			gone = at // moved (a merge, an erasure) since it was located?
			continue
		}
		next, err := fn(cur)
		if err != nil {
			return care.OrderUpdate{}, err
		}
		if next, err = s.nextOrder(cur, next); err != nil {
			return care.OrderUpdate{}, fmt.Errorf("update order %s: %w", cur.Number, err)
		}
		if sameOrder(cur, next) {
			// What it books may not have been kept after the last write.
			return care.OrderUpdate{Order: cur}, s.book(ctx, cur)
		}
		w := orderWrite{at: at, read: cur.Version, order: next, ttl: profileTTL(c)}
		if c.Live() && c.ID == at.contact {
			text := next.Notice(cur, c.Lang)
			if tell != nil {
				text = tell(next, c.Lang)
			}
			if w.notice, err = orderNotice(cur, next, c, text, s.now()); err != nil {
				return care.OrderUpdate{}, err
			}
		}
		v, err := s.writeOrder(ctx, w)
		if errors.Is(err, care.ErrConflict) {
			continue
		}
		if err != nil {
			return care.OrderUpdate{}, err
		}
		next.Version = v
		if err := s.leftStatuses(ctx, cur, next); err != nil {
			return care.OrderUpdate{Order: next, Notice: w.notice}, err
		}
		return care.OrderUpdate{Order: next, Notice: w.notice}, nil
	}
	return care.OrderUpdate{}, fmt.Errorf("update order %s: %w", clipRef(ref), care.ErrConflict)
}

// nextOrder is fn's next version of cur as it may be written: what
// never changes kept, the content tidied, and every state change a
// recorded transition.
func (s *Store) nextOrder(cur, next care.Order) (care.Order, error) {
	next.ID, next.Number, next.Contact, next.Created, next.Erased, next.Version = cur.ID, cur.Number, cur.Contact, cur.Created, cur.Erased, cur.Version
	next.Updated = cur.Updated
	tidy, err := next.Tidy()
	if err != nil {
		return care.Order{}, err
	}
	if err := tidy.Follows(cur); err != nil {
		return care.Order{}, err
	}
	if !sameOrder(cur, tidy) {
		tidy.Updated = s.now()
		if !tidy.Updated.After(cur.Updated) {
			// Two changes within a clock tick: the index keeps them in
			// order.
			tidy.Updated = cur.Updated.Add(time.Millisecond)
		}
	}
	return tidy, nil
}

// sameOrder reports whether next changes nothing of cur.
func sameOrder(cur, next care.Order) bool {
	a, errA := json.Marshal(cur)
	b, errB := json.Marshal(next)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// orderNotice is the message text that tells customer c of the change
// from cur to next (class Transactional, about the order, on the
// channel they wrote on last), or nil when there is nothing to tell or
// nowhere to tell it. Its id names the version it tells of, so a change
// retried queues it once.
func orderNotice(cur, next care.Order, c care.Contact, text string, now time.Time) (*care.Outbound, error) {
	a, ok := c.ReplyAddress()
	if text == "" || !ok {
		return nil, nil
	}
	m := care.Outbound{ID: string(next.ID) + "/" + strconv.FormatInt(cur.Version+1, 10), Contact: c.ID, Address: a,
		Class: care.Transactional, Text: text, Lang: c.Lang, Order: next.Number, Created: now, Origin: care.OriginSystem, Seq: seqOf(now, 0)}
	if err := validOutbound(m); err != nil {
		return nil, fmt.Errorf("notice of order %s: %w", next.Number, err)
	}
	return &m, nil
}

// leftStatuses takes the order out of the indexes of the states it left,
// where its member is still the one cur's write added.
func (s *Store) leftStatuses(ctx context.Context, cur, next care.Order) error {
	pipe := s.client.Pipeline()
	n := 0
	for _, st := range orderStatuses(cur) {
		if !slices.Contains(orderStatuses(next), st) {
			// Rare: the whole script, so a Redis that forgot it runs it.
			dropStaleScript.Eval(ctx, pipe, []string{s.ordersKey(st)}, int64(math.MaxInt64), string(cur.ID), cur.Updated.UnixMilli())
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("order %s changed, but its old lists were not tidied: %w", cur.Number, unavailable(err))
	}
	return nil
}

// AttachProof keeps a proof of payment with the order; see
// care.OrderBook.
func (s *Store) AttachProof(ctx context.Context, ref, proof, by string) (care.OrderUpdate, error) {
	return s.UpdateOrder(ctx, ref, func(o care.Order) (care.Order, error) { return o.AttachProof(proof, by, s.now()) })
}

// copyOrders stores the orders of hash from, each changed by fn, under
// hash into where it holds no later version, and points each id at
// where. A merge and an erasure use it before the contact's keys go:
// run again, it changes nothing.
func (s *Store) copyOrders(ctx context.Context, from, into, where string, fn func(care.Order) care.Order) error {
	raws, err := s.client.HGetAll(ctx, from).Result()
	if err != nil {
		return fmt.Errorf("read orders %s: %w", from, err)
	}
	if len(raws) == 0 {
		return nil
	}
	var calls []scriptCall
	var ids []string
	for oid, raw := range raws {
		o, err := decodeOrder(raw)
		if err != nil {
			return fmt.Errorf("order %s in %s: %w", oid, from, err)
		}
		o = fn(o)
		b, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("encode order %s: %w", oid, err)
		}
		calls = append(calls, scriptCall{keepNewerScript, []string{into}, []any{oid, o.Version, b}})
		ids = append(ids, oid, where)
	}
	for _, c := range s.runAll(ctx, calls) {
		if err := c.Err(); err != nil {
			return fmt.Errorf("copy orders to %s: %w", into, err)
		}
	}
	if err := s.client.HSet(ctx, s.ordersKey("where"), toAny(ids)...).Err(); err != nil {
		return fmt.Errorf("point orders at %s: %w", into, err)
	}
	return nil
}

// bookOrders keeps the orders of a contact being erased in the books,
// anonymous (care.Order.Anonymous): the shop's bookkeeping stays, and
// nothing in it names the person. The contact's own copies go with its
// keys.
func (s *Store) bookOrders(ctx context.Context, id care.ContactID) error {
	now := s.now()
	return s.copyOrders(ctx, s.key(id, keyOrders), s.ordersKey("books"), booksMark, func(o care.Order) care.Order { return o.Anonymous(now) })
}

// moveOrders gives the orders of contact from, merged into into, to
// into.
func (s *Store) moveOrders(ctx context.Context, from, into care.ContactID) error {
	return s.copyOrders(ctx, s.key(from, keyOrders), s.key(into, keyOrders), string(into), func(o care.Order) care.Order {
		o.Contact = into
		return o
	})
}
