package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// senders is the consumer group that reads every lane.
const senders = "senders"

// auditLen caps the audit stream; older outcomes are trimmed away.
const auditLen = 100_000

// deadLen caps the dead letters.
const deadLen = 10_000

// allLanes are every lane of the outbox, in a fixed order (the held-back
// set's script gets their keys in it).
var allLanes = func() []care.Lane {
	var out []care.Lane
	for _, ch := range []string{string(care.WhatsApp), string(care.Telegram), care.SimChannel} {
		out = append(out, care.LanesOf(ch)...)
	}
	return out
}()

// laneKey is the stream of a lane: <prefix>:{o}:q:<lane>. Every lane
// shares the {o} hash tag with the held-back set, so one script moves
// entries between them.
func (s *Store) laneKey(l care.Lane) string { return s.prefix + ":{o}:q:" + string(l) }

// validLane refuses a lane Mitra does not have.
func validLane(l care.Lane) error {
	for _, x := range allLanes {
		if x == l {
			return nil
		}
	}
	return care.Errorf(care.EInvalid, "unknown outbox lane %q", l)
}

// laneRef is where a message's reference went: an entry of a lane, or a
// member of the held-back set.
type laneRef struct {
	lane   care.Lane
	id     string // the stream entry id; "" for a held-back member
	member string // the held-back set's member
}

// queued is a reference on its way through a pipeline.
type queued struct {
	lane   care.Lane
	add    *redis.StringCmd // XADD
	member string           // ZADD to the held-back set instead
}

// queueRefs adds to pipe the references of messages: one lane entry for
// the messages of one contact that go to one lane at once (a
// conversation step's replies: "m" lists their ids, joined by idSep, in
// the order they go out; "q" is the first one's sequence number and
// "k" is "p" for promotions), or, for a message held back until
// NotBefore, a member of the held-back set of its own. One entry a step
// rather than one a message: the sender then takes, books and settles
// the step's messages together, one command each.
func (s *Store) queueRefs(ctx context.Context, pipe redis.Pipeliner, ms []care.Outbound) []queued {
	out := make([]queued, 0, len(ms))
	type group struct {
		lane    care.Lane
		contact care.ContactID
		promo   bool
		seq     int64
		ids     []string
	}
	var groups []group
	for _, m := range ms {
		lane := care.LaneOf(m.Address, m.Class)
		if m.NotBefore.After(m.Created) {
			member := laterMember(lane, m.Contact, m.ID)
			pipe.ZAdd(ctx, s.later, redis.Z{Score: float64(m.NotBefore.UnixMilli()), Member: member})
			out = append(out, queued{lane: lane, member: member})
			continue
		}
		promo := m.Class == care.Promotional
		k := slices.IndexFunc(groups, func(g group) bool { return g.lane == lane && g.contact == m.Contact && g.promo == promo })
		if k < 0 {
			groups = append(groups, group{lane: lane, contact: m.Contact, promo: promo, seq: m.Seq})
			k = len(groups) - 1
		}
		groups[k].ids = append(groups[k].ids, m.ID)
	}
	for _, g := range groups {
		vals := []string{"c", string(g.contact), "m", strings.Join(g.ids, idSep), "q", strconv.FormatInt(g.seq, 10)}
		if g.promo {
			vals = append(vals, "k", "p")
		}
		out = append(out, queued{lane: g.lane, add: pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.laneKey(g.lane), Values: vals})})
	}
	return out
}

// idSep joins the message ids of one lane entry; message ids never hold
// it (validOutbound).
const idSep = ","

// refsOf lists the references a pipeline added.
func refsOf(qs []queued) []laneRef {
	var out []laneRef
	for _, q := range qs {
		switch {
		case q.add == nil:
			out = append(out, laneRef{lane: q.lane, member: q.member})
		case q.add.Err() == nil:
			out = append(out, laneRef{lane: q.lane, id: q.add.Val()})
		}
	}
	return out
}

// dropRefs deletes references whose message was not stored. It is best
// effort: a reference left behind finds no message and is skipped.
func (s *Store) dropRefs(ctx context.Context, refs []laneRef) {
	if len(refs) == 0 {
		return
	}
	pipe := s.client.Pipeline()
	for _, r := range refs {
		if r.id != "" {
			pipe.XDel(ctx, s.laneKey(r.lane), r.id)
		} else {
			pipe.ZRem(ctx, s.later, r.member)
		}
	}
	_, _ = pipe.Exec(ctx)
}

// laterMember is a held-back set member: "<lane> <contact id> <message
// ids>" (none of them holds spaces; several ids are an entry's, joined
// by idSep), and " 1" after a reference that was read once before its
// messages were stored.
func laterMember(l care.Lane, id care.ContactID, messageID string) string {
	return string(l) + " " + string(id) + " " + messageID
}

// reclaimEvery is how often a consumer looks for entries that dead
// consumers left unsettled; reading new entries costs nothing extra.
const reclaimEvery = 10 * time.Second

// Next returns the deliveries of up to max entries of lanes for
// consumer, in lane order: every reclaimEvery first those another
// consumer read but left unsettled longer than the claim timeout, then
// new ones, waiting up to block for any. A lane's consumer group is
// made on first use. The deliveries name their messages; TakeAll reads
// them.
func (s *Store) Next(ctx context.Context, consumer string, lanes []care.Lane, max int, block time.Duration) ([]care.Delivery, error) {
	if consumer == "" || max < 1 || len(lanes) == 0 {
		return nil, care.Errorf(care.EInvalid, "outbox: want a consumer name, lanes and max ≥ 1 (got %q, %v, %d)", consumer, lanes, max)
	}
	var fresh []care.Lane
	for _, l := range lanes {
		if err := validLane(l); err != nil {
			return nil, err
		}
		if !s.grouped(l) {
			fresh = append(fresh, l)
		}
	}
	if err := s.createGroups(ctx, fresh); err != nil {
		return nil, err
	}
	refs, err := s.readRefs(ctx, consumer, lanes, max, block)
	if redis.HasErrorPrefix(err, "NOGROUP") {
		// Redis lost its data: make the groups again, try again.
		if err := s.createGroups(ctx, lanes); err != nil {
			return nil, err
		}
		refs, err = s.readRefs(ctx, consumer, lanes, max, block)
	}
	if err != nil {
		return nil, fmt.Errorf("read outbox as %s: %w", consumer, err)
	}
	if len(refs) == 0 {
		return nil, nil
	}
	return s.deliveries(ctx, consumer, refs)
}

// entry is a lane entry read by a consumer.
type entry struct {
	lane care.Lane
	redis.XMessage
}

// readRefs claims stale entries (every reclaimEvery), then reads new
// ones. Entries claimed before a lane fails are returned, not dropped:
// claimed, they are this consumer's.
func (s *Store) readRefs(ctx context.Context, consumer string, lanes []care.Lane, max int, block time.Duration) ([]entry, error) {
	var refs []entry
	if s.reclaimDue(consumer) {
		for _, l := range lanes {
			msgs, _, err := s.client.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: s.laneKey(l), Group: senders, Consumer: consumer,
				MinIdle: s.claimTimeout, Start: "0-0", Count: int64(max),
			}).Result()
			if err != nil {
				if len(refs) > 0 {
					return refs, nil // the claimed ones first; the rest next time
				}
				return nil, fmt.Errorf("claim stale entries of %s: %w", l, err)
			}
			for _, m := range msgs {
				refs = append(refs, entry{l, m})
			}
		}
		s.reclaimDone(consumer)
	}
	if len(refs) >= max {
		return refs, nil
	}
	wait := block
	if len(refs) > 0 || block <= 0 {
		wait = -1 // no BLOCK argument: answer at once
	}
	streams := make([]string, 0, 2*len(lanes))
	for _, l := range lanes {
		streams = append(streams, s.laneKey(l))
	}
	for range lanes {
		streams = append(streams, ">")
	}
	res, err := s.client.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: senders, Consumer: consumer, Streams: streams,
		Count: int64(max - len(refs)), Block: wait,
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read new entries: %w", err)
	}
	for _, st := range res {
		l := care.Lane(strings.TrimPrefix(st.Stream, s.prefix+":{o}:q:"))
		for _, m := range st.Messages {
			refs = append(refs, entry{l, m})
		}
	}
	return refs, nil
}

// reclaimDue reports whether consumer should look for stale entries now.
func (s *Store) reclaimDue(consumer string) bool {
	s.reclaimMu.Lock()
	defer s.reclaimMu.Unlock()
	last, ok := s.reclaimed[consumer]
	return !ok || s.now().Sub(last) >= min(reclaimEvery, s.claimTimeout/2)
}

// reclaimDone records that consumer looked for stale entries in every
// lane.
func (s *Store) reclaimDone(consumer string) {
	s.reclaimMu.Lock()
	defer s.reclaimMu.Unlock()
	s.reclaimed[consumer] = s.now()
}

// grouped reports whether this process made (or found) the senders
// group of l.
func (s *Store) grouped(l care.Lane) bool {
	s.reclaimMu.Lock()
	defer s.reclaimMu.Unlock()
	return s.groups[l]
}

// createGroups makes (once per process, and again when Redis lost it)
// the senders group on each lane, reading it from
// its start so entries queued before any sender ran are not missed.
func (s *Store) createGroups(ctx context.Context, lanes []care.Lane) error {
	for _, l := range lanes {
		err := s.client.XGroupCreateMkStream(ctx, s.laneKey(l), senders, "0").Err()
		if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
			return fmt.Errorf("create consumer group %s on %s: %w", senders, s.laneKey(l), err)
		}
		s.reclaimMu.Lock()
		s.groups[l] = true
		s.reclaimMu.Unlock()
	}
	return nil
}

// earlyRetry is how young an entry whose messages are not stored yet
// must be to be tried once more: the entry goes out just before the
// messages, so a sender can read it in between.
const earlyRetry = 10 * time.Second

// deliveries names the messages of each entry, in order, sharing its
// Ref (the sender delivers them as one step), and releases the entries
// that name none. The messages themselves are read by TakeAll.
func (s *Store) deliveries(ctx context.Context, consumer string, refs []entry) ([]care.Delivery, error) {
	out := make([]care.Delivery, 0, 2*len(refs)) // a step has a reply or two
	var gone []entry
	for _, r := range refs {
		c, _ := r.Values["c"].(string)
		m, _ := r.Values["m"].(string)
		id := care.ContactID(c)
		ids := strings.Split(m, idSep)
		if id.Validate() != nil || m == "" || slices.Contains(ids, "") {
			gone = append(gone, r) // malformed: released below
			continue
		}
		_, again := r.Values["n"]
		d := care.Delivery{Lane: r.lane, Ref: r.ID, Consumer: consumer, Again: again}
		d.Contact, d.Seq = id, -1 // -1: not named by the entry (one the held-back set moved here)
		if q, ok := r.Values["q"].(string); ok {
			d.Seq, _ = strconv.ParseInt(q, 10, 64)
			if k, _ := r.Values["k"].(string); k == "p" {
				d.Class = care.Promotional
			}
		}
		for _, m := range ids {
			d.ID = m
			out = append(out, d)
		}
	}
	if len(gone) > 0 {
		if err := s.release(ctx, gone, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// release acknowledges and deletes lane entries that need no settling,
// and adds held-back members (member → unix ms).
func (s *Store) release(ctx context.Context, gone []entry, later map[string]float64) error {
	pipe := s.client.Pipeline()
	for m, at := range later {
		pipe.ZAdd(ctx, s.later, redis.Z{Score: at, Member: m})
	}
	for _, g := range gone {
		pipe.XAck(ctx, s.laneKey(g.lane), senders, g.ID)
		pipe.XDel(ctx, s.laneKey(g.lane), g.ID)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("release entries without a message: %w", err)
	}
	return nil
}

// entryTime is when a stream entry was added, from its id.
func entryTime(id string) time.Time {
	ms, _, _ := strings.Cut(id, "-")
	n, _ := strconv.ParseInt(ms, 10, 64)
	return time.UnixMilli(n)
}

// deadLetter records a message that cannot even be read.
func (s *Store) deadLetter(ctx context.Context, e entry, id care.ContactID, messageID, body, why string) error {
	vals := []string{"ref", e.ID, "c", string(id), "m", messageID, "reason", "undecodable message", "error", why,
		"at", s.now().UTC().Format(time.RFC3339Nano), "body", body}
	if err := s.client.XAdd(ctx, &redis.XAddArgs{Stream: s.dead, MaxLen: deadLen, Approx: true, Values: vals}).Err(); err != nil {
		return fmt.Errorf("dead-letter entry %s: %w", e.ID, err)
	}
	return nil
}

// promoteScript moves due members of the held-back set to their lanes.
//
//	KEYS: held-back set, then the stream of each lane in allLanes
//	ARGV: now ms, max, then the name of each lane in allLanes
var promoteScript = redis.NewScript(`
local lanes = {}
for i = 3, #ARGV do lanes[ARGV[i]] = KEYS[i - 1] end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, m in ipairs(due) do
  local lane, c, id, again = string.match(m, '^(%S+) (%S+) (%S+) ?(%S*)$')
  if lane and lanes[lane] then
    if again ~= '' then
      redis.call('XADD', lanes[lane], '*', 'c', c, 'm', id, 'n', again)
    else
      redis.call('XADD', lanes[lane], '*', 'c', c, 'm', id)
    end
  end
  redis.call('ZREM', KEYS[1], m)
end
return #due
`)

// PromoteDue moves up to max held-back messages whose time has come to
// their lanes, atomically (all share the {o} hash tag).
func (s *Store) PromoteDue(ctx context.Context, now time.Time, max int) (int, error) {
	keys := []string{s.later}
	args := []any{now.UnixMilli(), max}
	for _, l := range allLanes {
		keys = append(keys, s.laneKey(l))
		args = append(args, string(l))
	}
	n, err := promoteScript.Run(ctx, s.client, keys, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("promote due messages: %w", err)
	}
	return n, nil
}

// LaneStats is how much waits in one lane.
type LaneStats struct {
	Lane care.Lane
	// Waiting counts entries no sender has read; Pending those read but
	// not settled yet.
	Waiting, Pending int64
}

// Lanes reports what waits in every lane and in the held-back set, for
// /metrics: a lane of a channel no process runs grows here, visibly,
// instead of being refused.
func (s *Store) Lanes(ctx context.Context) (lanes []LaneStats, held int64, err error) {
	pipe := s.client.Pipeline()
	groups := make([]*redis.XInfoGroupsCmd, len(allLanes))
	lens := make([]*redis.IntCmd, len(allLanes))
	for i, l := range allLanes {
		lens[i] = pipe.XLen(ctx, s.laneKey(l))
		groups[i] = pipe.XInfoGroups(ctx, s.laneKey(l))
	}
	card := pipe.ZCard(ctx, s.later)
	_, _ = pipe.Exec(ctx)
	for i, l := range allLanes {
		st := LaneStats{Lane: l}
		n, err := lens[i].Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, 0, fmt.Errorf("lane %s: %w", l, err)
		}
		st.Waiting = n
		if gs, err := groups[i].Result(); err == nil {
			for _, g := range gs {
				if g.Name == senders {
					st.Pending = g.Pending
					st.Waiting = max(0, n-g.Pending)
				}
			}
		}
		lanes = append(lanes, st)
	}
	if held, err = card.Result(); err != nil {
		return nil, 0, fmt.Errorf("held-back messages: %w", err)
	}
	return lanes, held, nil
}
