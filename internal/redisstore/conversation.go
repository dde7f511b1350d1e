package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// Bounds of one Commit, so a runaway flow cannot fill Redis or the queue.
const (
	// MaxOutbound is the most messages one inbound message may queue.
	MaxOutbound = 40
	// MaxOutboundText is the longest outbound text, in bytes.
	MaxOutboundText = 16 << 10
)

// How long a processed message id is remembered, and how many per
// contact. A platform that redelivers a message does so within hours; a
// duplicate arriving later than this is processed again.
const (
	inboundWindow = 7 * 24 * time.Hour
	inboundKeep   = 256
)

// Load reads the contact's session and profile and whether messageID was
// already processed, in one round trip. A contact never seen has a zero
// Session (Version 0) and a zero Contact.
func (s *Store) Load(ctx context.Context, id care.ContactID, messageID string) (care.Conversation, error) {
	convs, err := s.LoadMany(ctx, []care.MessageRef{{Contact: id, MessageID: messageID}})
	if err != nil {
		return care.Conversation{}, err
	}
	return convs[0], nil
}

// LoadMany is Load for several messages in one round trip, so a runtime
// worker with many conversations waiting pays one round trip for all.
func (s *Store) LoadMany(ctx context.Context, refs []care.MessageRef) ([]care.Conversation, error) {
	convs, _, err := s.load(ctx, refs, false)
	return convs, err
}

// LoadWithBooked is LoadMany, and what orders book of the shop's
// limited items (Booked), in the same round trip. See care.OrderBook.
func (s *Store) LoadWithBooked(ctx context.Context, refs []care.MessageRef) ([]care.Conversation, map[string]float64, error) {
	return s.load(ctx, refs, true)
}

// load reads the conversations of refs, and what is booked when booked
// is set, in one pipeline.
func (s *Store) load(ctx context.Context, refs []care.MessageRef, booked bool) ([]care.Conversation, map[string]float64, error) {
	for _, r := range refs {
		if err := r.Contact.Validate(); err != nil {
			return nil, nil, fmt.Errorf("load conversation: %w", err)
		}
	}
	// Two plain commands a conversation (the session and the profile in
	// one MGET: they share the contact's slot), cheaper for Redis than a
	// script that makes the same calls. A third asks whether the chat
	// became a staff member's since the runtime learnt its contact.
	type cmds struct {
		records *redis.SliceCmd
		seen    *redis.FloatCmd
		staff   *redis.SliceCmd
	}
	pipe := s.client.Pipeline()
	all := make([]cmds, len(refs))
	for i, r := range refs {
		all[i] = cmds{
			records: pipe.MGet(ctx, s.key(r.Contact, keySession), s.key(r.Contact, keyProfile)),
			seen:    pipe.ZScore(ctx, s.key(r.Contact, keyInbound), r.MessageID),
		}
		if r.Address.ID != "" {
			all[i].staff = pipe.HMGet(ctx, s.staffChatsKey(), r.Address.String(), r.Alias.String())
		}
	}
	var held func() (map[string]float64, error)
	if booked {
		held = s.bookedIn(ctx, pipe)
	}
	_, _ = pipe.Exec(ctx)
	convs := make([]care.Conversation, len(refs))
	for i, c := range all {
		id := refs[i].Contact
		if err := firstErr(c.records, c.seen); err != nil {
			return nil, nil, fmt.Errorf("load conversation %s: %w", id, unavailable(err))
		}
		records := c.records.Val()
		if len(records) != 2 {
			return nil, nil, fmt.Errorf("load conversation %s: MGET answered %d values for 2 keys", id, len(records))
		}
		conv := &convs[i]
		if c.staff != nil {
			links, err := c.staff.Result()
			if err != nil {
				return nil, nil, fmt.Errorf("load conversation %s: %w", id, unavailable(err))
			}
			for _, l := range links {
				if raw, ok := l.(string); ok && conv.StaffChat == "" {
					conv.StaffChat = linkedAccount(raw)
				}
			}
		}
		// A record that does not decode is this conversation's problem
		// alone: the runtime dead-letters the message, the batch goes on.
		var err error
		if raw, ok := records[0].(string); ok {
			if conv.Session, err = decodeSession(raw); err != nil {
				conv.Broken = fmt.Errorf("session of %s does not decode: %w", id, err)
			}
		}
		if raw, ok := records[1].(string); ok {
			if conv.Contact, err = decodeProfile(raw); err != nil {
				conv.Broken = fmt.Errorf("profile of %s does not decode: %w", id, err)
			}
		}
		conv.Seen = c.seen.Err() == nil
	}
	if held == nil {
		return convs, nil, nil
	}
	b, err := held()
	if err != nil {
		return nil, nil, err
	}
	return convs, b, nil
}

func decodeSession(v string) (care.Session, error) {
	var sess care.Session
	n, err := decodeVersioned(v, &sess)
	if err != nil {
		return care.Session{}, err
	}
	sess.Version = n
	return sess, nil
}

// commitScript stores one processed message, or refuses it, atomically.
// After a header of checks, its arguments are a list of effects, each a
// kind and the arguments of that kind (see commitEffects), applied in
// order: a new kind of effect (an order) adds a branch, not positions.
//
//	KEYS: 1 session, 2 profile, 3 inbound ids, 4 outbound bodies,
//	      5 consent ledger, 6 transcript, 7 events
//	ARGV: 1 message id, 2 session version read, 3 profile version read,
//	      4 the step's deadline in unix ms by Redis's clock (0: none),
//	      then the effects
//
// It returns 1 when stored, 0 for a duplicate, -1 when the session or
// the profile moved on since they were read (a staff action, a link or
// another process's step landed meanwhile), -2 when Redis runs it after
// the deadline (its caller was told nothing was stored: Redis was
// paused or slow, and the script must not store it late).
var commitScript = redis.NewScript(`
if ARGV[4] ~= '0' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[4]) then return -2 end
end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
local function ver(k)
  local cur = redis.call('GET', k)
  if not cur then return 0 end
  return tonumber(string.sub(cur, 1, string.find(cur, '|', 1, true) - 1))
end
local sv, pv = ver(KEYS[1]), ver(KEYS[2])
if sv ~= tonumber(ARGV[2]) or pv ~= tonumber(ARGV[3]) then return -1 end
local function set(k, v, ttl)
  if ttl ~= '0' then redis.call('SET', k, v, 'PX', ttl) else redis.call('SET', k, v) end
end
local i = 5
while i <= #ARGV do
  local kind = ARGV[i]
  if kind == 'session' then -- JSON, TTL ms
    set(KEYS[1], (sv + 1) .. '|' .. ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  elseif kind == 'profile' then -- JSON, TTL ms
    set(KEYS[2], (pv + 1) .. '|' .. ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  elseif kind == 'consent' then -- event JSON, ledger TTL ms
    redis.call('XADD', KEYS[5], '*', 'e', ARGV[i + 1])
    if ARGV[i + 2] ~= '0' then redis.call('PEXPIRE', KEYS[5], ARGV[i + 2]) end
    i = i + 3
  elseif kind == 'transcript' then -- entry, TTL ms, oldest ms kept
    local n = redis.call('RPUSH', KEYS[6], ARGV[i + 1])
    if n > 1000 then redis.call('LTRIM', KEYS[6], -1000, -1) end
    if n % 8 == 1 then -- old steps go every few steps: each costs a look
      local oldest = tonumber(ARGV[i + 3])
      local head = redis.call('LINDEX', KEYS[6], 0)
      while head and tonumber(string.sub(head, 1, string.find(head, '\31', 1, true) - 1)) < oldest do
        redis.call('LPOP', KEYS[6])
        head = redis.call('LINDEX', KEYS[6], 0)
      end
    end
    redis.call('PEXPIRE', KEYS[6], ARGV[i + 2])
    i = i + 4
  elseif kind == 'event' then -- event JSON, TTL ms
    redis.call('RPUSH', KEYS[7], ARGV[i + 1])
    redis.call('LTRIM', KEYS[7], -200, -1)
    if ARGV[i + 2] ~= '0' then redis.call('PEXPIRE', KEYS[7], ARGV[i + 2]) end
    i = i + 3
  elseif kind == 'forget' then -- the erasure: the conversation goes now
    redis.call('DEL', KEYS[1], KEYS[5], KEYS[6], KEYS[7])
    i = i + 1
  elseif kind == 'seen' then -- now ms, forget-before ms, -(keep+1), TTL ms
    redis.call('ZADD', KEYS[3], ARGV[i + 1], ARGV[1])
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[i + 2])
    if redis.call('ZCARD', KEYS[3]) > -tonumber(ARGV[i + 3]) - 1 then
      redis.call('ZREMRANGEBYRANK', KEYS[3], 0, ARGV[i + 3])
    end
    redis.call('PEXPIRE', KEYS[3], ARGV[i + 4])
    i = i + 5
  elseif kind == 'message' then -- id, JSON
    redis.call('HSET', KEYS[4], ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  else
    return redis.error_reply('commit: unknown effect ' .. tostring(kind))
  end
end
return 1
`)

// A transcript entry is one step: when (unix ms), the kind of the
// contact's message, its text and the replies, separated by unit and
// record separators (control characters that cleaned texts never hold).
// Plain joins keep this off the hot path's allocations, unlike JSON, and
// a capped list of them costs a fraction of a stream's memory. What
// staff write is an entry of kind staff whose text is who wrote it and
// whose replies are their words.
const (
	unitSep   = "\x1f"
	recordSep = "\x1e"
)

func encodeTranscript(at time.Time, in care.Inbound, out []care.Outbound) string {
	var b strings.Builder
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	text := in.Text
	switch in.Kind {
	case care.KindChoice:
		text = cmp.Or(in.Text, in.Choice) // the label tapped, else its id
	case care.KindStaff:
		// The shop's phone wrote: its words, when the channel gives
		// them, are the shop's.
		if in.Text != "" {
			out = append([]care.Outbound{{Text: in.Text}}, out...)
		}
		text = care.ShopPhone
	}
	n := len(ms) + len(in.Kind) + len(text) + 3
	for _, m := range out {
		n += len(m.Text) + 1
	}
	b.Grow(n)
	b.WriteString(ms)
	b.WriteString(unitSep)
	b.WriteString(string(in.Kind))
	b.WriteString(unitSep)
	b.WriteString(text)
	b.WriteString(unitSep)
	for i, m := range out {
		if i > 0 {
			b.WriteString(recordSep)
		}
		b.WriteString(m.Text)
	}
	return b.String()
}

func decodeTranscript(v string) (at time.Time, kind care.Kind, text string, out []string) {
	parts := strings.SplitN(v, unitSep, 4)
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	ms, _ := strconv.ParseInt(parts[0], 10, 64)
	if parts[3] != "" {
		out = strings.Split(parts[3], recordSep)
	}
	return time.UnixMilli(ms), care.Kind(parts[1]), parts[2], out
}

// Commit stores one step; see CommitMany.
func (s *Store) Commit(ctx context.Context, c care.Commit) error {
	return s.CommitMany(ctx, []care.Commit{c})[0]
}

// CommitMany stores steps of different contacts in one round trip: per
// step, one entry per outbound message on its lane, then the commit
// script on the contact's keys. The entries go first, on the same
// connection, so no stored message is ever without its entry (an entry
// read before its message is stored is retried; see Next). When a
// script refuses its step, CommitMany deletes its entries again. It
// returns one error per step: nil, ErrDuplicate, ErrConflict or why it
// failed.
func (s *Store) CommitMany(ctx context.Context, commits []care.Commit) []error {
	errs := make([]error, len(commits))
	batch := make([]pendingCommit, 0, len(commits))
	now := s.now()
	for i, c := range commits {
		id := c.Contact.ID
		if err := validateCommit(c); err != nil {
			errs[i] = fmt.Errorf("commit message %s: %w", c.Inbound.MessageID, err)
			continue
		}
		for k := range c.Outbound {
			c.Outbound[k].Seq = seqOf(c.Outbound[k].Created, k)
		}
		at := c.Session.Updated // the step's clock
		if at.IsZero() {
			at = now
		}
		list := !c.Erase && (at.Sub(c.Session.Listed) >= listEvery || c.Session.Listed.After(at))
		if list {
			c.Session.Listed = at
		}
		args, err := s.commitArgs(c)
		if err != nil {
			errs[i] = fmt.Errorf("commit %s message %s: %w", id, c.Inbound.MessageID, err)
			continue
		}
		batch = append(batch, pendingCommit{i: i, c: c, id: id, args: args, keys: s.commitKeys(id), list: list})
	}
	s.commitPipeline(ctx, batch, false)
	var again []pendingCommit
	for _, p := range batch {
		if redis.HasErrorPrefix(p.err, "NOSCRIPT") {
			// Redis restarted or failed over and forgot the script: send
			// it whole, which also caches it for the next commits.
			s.dropRefs(ctx, p.refs)
			again = append(again, pendingCommit{i: p.i, c: p.c, id: p.id, args: p.args, keys: p.keys, list: p.list})
			continue
		}
		errs[p.i] = s.commitResult(ctx, p)
	}
	s.commitPipeline(ctx, again, true)
	for _, p := range again {
		errs[p.i] = s.commitResult(ctx, p)
	}
	return errs
}

// seqOf orders a contact's messages: the time they were composed, then
// their place among the messages composed together.
func seqOf(created time.Time, i int) int64 {
	return created.UnixMilli()*100 + int64(i%100)
}

// pendingCommit is one step of a CommitMany on its way through the
// pipeline, with what Redis answered.
type pendingCommit struct {
	i    int // index in the caller's slice
	c    care.Commit
	id   care.ContactID
	keys []string
	args []any
	// list moves the conversation to the top of the recent index.
	list bool
	res  int64
	refs []laneRef
	err  error
}

// listEvery is how often a conversation's steps move it to the top of
// the inbox's recent index: a customer who sends "halo", "kak", "mau
// tanya" in a row moves it once (one command less a message), and the
// list is never more than this behind.
const listEvery = 10 * time.Second

// commitResult turns the script's answer into the step's error.
func (s *Store) commitResult(ctx context.Context, p pendingCommit) error {
	if p.err != nil {
		s.dropRefs(ctx, p.refs)
		return fmt.Errorf("commit %s message %s: %w", p.id, p.c.Inbound.MessageID, unavailable(p.err))
	}
	switch p.res {
	case 1:
		return nil
	case 0:
		s.dropRefs(ctx, p.refs)
		return fmt.Errorf("commit %s message %s: %w", p.id, p.c.Inbound.MessageID, care.ErrDuplicate)
	case -1:
		s.dropRefs(ctx, p.refs)
		return fmt.Errorf("commit %s message %s: %w", p.id, p.c.Inbound.MessageID, care.ErrConflict)
	case -2:
		s.dropRefs(ctx, p.refs)
		return fmt.Errorf("commit %s message %s: %w", p.id, p.c.Inbound.MessageID, care.ErrLate)
	}
	return fmt.Errorf("commit %s message %s: commit script returned %d", p.id, p.c.Inbound.MessageID, p.res)
}

// validateCommit refuses a commit that is malformed or too big. Every
// outbound message must be to the committing contact, at one of its
// addresses: its body is stored in the contact's keys, in the same
// atomic step.
func validateCommit(c care.Commit) error {
	if err := c.Inbound.Address.Validate(); err != nil {
		return err
	}
	if err := c.Contact.ID.Validate(); err != nil {
		return err
	}
	if c.Inbound.MessageID == "" {
		return care.Errorf(care.EInvalid, "inbound message id is empty")
	}
	if c.SessionTTL < 0 {
		return care.Errorf(care.EInvalid, "negative session TTL %s", c.SessionTTL)
	}
	if len(c.Outbound) > MaxOutbound {
		return care.Errorf(care.EInvalid, "%d outbound messages; at most %d per inbound message", len(c.Outbound), MaxOutbound)
	}
	for _, m := range c.Outbound {
		switch {
		case m.ID == "" || strings.ContainsAny(m.ID, " \t\n"+idSep):
			return care.Errorf(care.EInvalid, "outbound message id %q: want a non-empty id without spaces or commas", m.ID)
		case m.Contact != c.Contact.ID:
			return care.Errorf(care.EInvalid, "outbound message %s is to %q, not to the sender %q", m.ID, m.Contact, c.Contact.ID)
		case !c.Contact.Has(m.Address):
			return care.Errorf(care.EInvalid, "outbound message %s is to an address that is not the contact's", m.ID)
		case len(m.Text) > MaxOutboundText:
			return care.Errorf(care.EInvalid, "outbound message %s: text of %d bytes; at most %d", m.ID, len(m.Text), MaxOutboundText)
		}
	}
	return nil
}

// commitKeys are KEYS of commitScript.
func (s *Store) commitKeys(id care.ContactID) []string {
	return []string{s.key(id, keySession), s.key(id, keyProfile), s.key(id, keyInbound), s.key(id, keyOutbound),
		s.key(id, keyLedger), s.key(id, keyTranscript), s.key(id, keyEvents)}
}

// commitArgs encodes ARGV of commitScript: the checks, then the
// step's effects.
func (s *Store) commitArgs(c care.Commit) ([]any, error) {
	effects, err := s.commitEffects(c)
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, 4+len(effects))
	args = append(args, c.Inbound.MessageID, c.Session.Version, c.Contact.Version, fence(c.Deadline))
	return append(args, effects...), nil
}

// commitEffects lists what a step changes, in the order commitScript
// applies it, each effect a kind and its arguments.
func (s *Store) commitEffects(c care.Commit) ([]any, error) {
	now := s.now()
	keep := profileTTL(c.Contact).Milliseconds()
	var out []any
	if c.Erase {
		out = append(out, "forget")
	} else {
		sess, err := json.Marshal(c.Session)
		if err != nil {
			return nil, fmt.Errorf("encode session: %w", err)
		}
		ttl := c.SessionTTL.Milliseconds()
		if ttl == 0 && c.SessionTTL > 0 {
			ttl = 1
		}
		out = append(out, "session", sess, ttl)
		for _, e := range c.Consent {
			b, err := json.Marshal(e)
			if err != nil {
				return nil, fmt.Errorf("encode consent event: %w", err)
			}
			out = append(out, "consent", b, keep)
		}
		if c.Transcript > 0 {
			out = append(out, "transcript", encodeTranscript(now, c.Inbound, c.Outbound), c.Transcript.Milliseconds(), now.Add(-c.Transcript).UnixMilli())
		}
		for _, e := range c.Events {
			b, err := json.Marshal(e)
			if err != nil {
				return nil, fmt.Errorf("encode event: %w", err)
			}
			out = append(out, "event", b, keep)
		}
	}
	prof, err := json.Marshal(c.Contact)
	if err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	out = append(out, "profile", prof, keep,
		"seen", now.UnixMilli(), now.Add(-inboundWindow).UnixMilli(), -(inboundKeep + 1), inboundWindow.Milliseconds())
	for _, m := range c.Outbound {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode outbound message %s: %w", m.ID, err)
		}
		out = append(out, "message", m.ID, b)
	}
	return out, nil
}

// fenceMargin is how long before its caller's deadline a step must
// reach Redis: it covers the trip back and the clocks of the two hosts
// differing a little.
const fenceMargin = time.Second

// fence is the latest time, in unix ms by Redis's clock, a step with
// this deadline may still be stored; 0 for none.
func fence(deadline time.Time) int64 {
	if deadline.IsZero() {
		return 0
	}
	return max(deadline.Add(-fenceMargin).UnixMilli(), 1)
}

// profileTTL is how long a contact's profile and ledger live: for ever,
// but a simulated contact (every address the simulator's) is forgotten
// like its simulator inbox, a week after its last message.
func profileTTL(c care.Contact) time.Duration {
	for _, a := range c.Addresses {
		if !a.Simulated() {
			return 0
		}
	}
	if len(c.Addresses) == 0 {
		return 0
	}
	return simTTL
}

// commitPipeline sends, in one pipeline, each step's lane entries and
// inbox index entries, then its commit script (by digest, or whole when
// eval is set), and fills in each step's answer, its entries and the
// script's error, else the pipeline's. The index entries go first, like
// the lane entries: an index may point at a step that was refused, and
// readers check it against the profile, but never misses one stored.
func (s *Store) commitPipeline(ctx context.Context, batch []pendingCommit, eval bool) {
	if len(batch) == 0 {
		return
	}
	pipe := s.client.Pipeline()
	scripts := make([]*redis.Cmd, len(batch))
	adds := make([][]queued, len(batch))
	now := s.now()
	for k, p := range batch {
		adds[k] = s.queueRefs(ctx, pipe, p.c.Outbound)
		if !p.c.Erase {
			s.indexAdds(ctx, pipe, p.c.Contact, now, p.list)
		}
		if eval {
			scripts[k] = commitScript.Eval(ctx, pipe, p.keys, p.args...)
		} else {
			scripts[k] = commitScript.EvalSha(ctx, pipe, p.keys, p.args...)
		}
	}
	_, _ = pipe.Exec(ctx)
	for k := range batch {
		p := &batch[k]
		p.refs = refsOf(adds[k])
		p.res, p.err = scripts[k].Int64()
	}
}
