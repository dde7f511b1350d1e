package redisstore

import (
	"context"
	"encoding/json"
	"errors"
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
	MaxOutbound = 20
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
	for _, r := range refs {
		if _, err := r.Contact.Address(); err != nil {
			return nil, fmt.Errorf("load conversation: %w", err)
		}
	}
	type cmds struct {
		sess, prof *redis.StringCmd
		seen       *redis.FloatCmd
	}
	pipe := s.client.Pipeline()
	all := make([]cmds, len(refs))
	for i, r := range refs {
		all[i] = cmds{
			sess: pipe.Get(ctx, s.key(r.Contact, keySession)),
			prof: pipe.Get(ctx, s.key(r.Contact, keyProfile)),
			seen: pipe.ZScore(ctx, s.key(r.Contact, keyInbound), r.MessageID),
		}
	}
	_, _ = pipe.Exec(ctx)
	convs := make([]care.Conversation, len(refs))
	for i, c := range all {
		id := refs[i].Contact
		if err := firstErr(c.sess, c.prof, c.seen); err != nil {
			return nil, fmt.Errorf("load conversation %s: %w", id, err)
		}
		conv := &convs[i]
		if v, err := c.sess.Result(); err == nil {
			if conv.Session, err = decodeSession(v); err != nil {
				return nil, fmt.Errorf("load session %s: %w", id, err)
			}
		}
		if v, err := c.prof.Bytes(); err == nil {
			if err := json.Unmarshal(v, &conv.Contact); err != nil {
				return nil, fmt.Errorf("load profile %s: %w", id, err)
			}
		}
		conv.Seen = c.seen.Err() == nil
	}
	return convs, nil
}

// encodeSession and decodeSession give the session key's value,
// "<version>|<JSON>": a plain string takes half the memory of a hash
// holding the same two fields (168 against 328 bytes, MEMORY USAGE).
func encodeSession(version int64, sess care.Session) (string, error) {
	b, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(version, 10) + "|" + string(b), nil
}

func decodeSession(v string) (care.Session, error) {
	ver, data, ok := strings.Cut(v, "|")
	if !ok {
		return care.Session{}, errors.New("stored session has no version")
	}
	var sess care.Session
	n, err := strconv.ParseInt(ver, 10, 64)
	if err != nil {
		return care.Session{}, fmt.Errorf("stored session version: %w", err)
	}
	if err := json.Unmarshal([]byte(data), &sess); err != nil {
		return care.Session{}, err
	}
	sess.Version = n
	return sess, nil
}

// commitScript stores one processed message, or refuses it, atomically.
//
//	KEYS: session, profile, inbound ids, outbound bodies, consent ledger,
//	      transcript, taken markers, simulator inbox
//	ARGV: 1 message id, 2 expected version, 3 session JSON, 4 session TTL
//	      ms (0: none), 5 profile JSON, 6 now ms, 7 forget-before ms,
//	      8 -(keep+1), 9 inbound TTL ms, 10 "erase" or "store",
//	      11 transcript TTL ms (0: none), 12 transcript min id,
//	      13 transcript entry, 14 count of consent events, then the
//	      events' JSON, then outbound id and JSON pairs
//
// It returns 1 when stored, 0 for a duplicate, -1 for a version conflict.
// An erasure deletes every key of the contact but the processed ids (no
// personal data, and they keep a redelivered message from starting a new
// conversation), then queues the confirmation.
var commitScript = redis.NewScript(`
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then v = tonumber(string.sub(cur, 1, string.find(cur, '|', 1, true) - 1)) end
if v ~= tonumber(ARGV[2]) then return -1 end
local nev = tonumber(ARGV[14])
if ARGV[10] == 'erase' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8])
else
  local val = tostring(v + 1) .. '|' .. ARGV[3]
  if ARGV[4] ~= '0' then
    redis.call('SET', KEYS[1], val, 'PX', ARGV[4])
  else
    redis.call('SET', KEYS[1], val)
  end
  redis.call('SET', KEYS[2], ARGV[5])
  for i = 15, 14 + nev do
    redis.call('XADD', KEYS[5], '*', 'e', ARGV[i])
  end
  if ARGV[11] ~= '0' then
    redis.call('XADD', KEYS[6], 'MINID', '~', ARGV[12], '*', 'e', ARGV[13])
    redis.call('XTRIM', KEYS[6], 'MAXLEN', '~', 1000)
    redis.call('PEXPIRE', KEYS[6], ARGV[11])
  end
end
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[7])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, ARGV[8])
redis.call('PEXPIRE', KEYS[3], ARGV[9])
for i = 15 + nev, #ARGV, 2 do
  redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
end
return 1
`)

// A transcript entry's "e" field is one step: the kind of the contact's
// message, its text and the replies, separated by unit and record
// separators (control characters that cleaned texts never hold). Plain
// joins keep this off the hot path's allocations, unlike JSON.
const (
	unitSep   = "\x1f"
	recordSep = "\x1e"
)

func encodeTranscript(in care.Inbound, out []care.Outbound) string {
	var b strings.Builder
	text := in.Text
	if in.Kind == care.KindChoice {
		text = in.Choice
	}
	n := len(in.Kind) + len(text) + 2
	for _, m := range out {
		n += len(m.Text) + 1
	}
	b.Grow(n)
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

func decodeTranscript(v string) (kind care.Kind, text string, out []string) {
	parts := strings.SplitN(v, unitSep, 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	if parts[2] != "" {
		out = strings.Split(parts[2], recordSep)
	}
	return care.Kind(parts[0]), parts[1], out
}

// Commit stores one step; see CommitMany.
func (s *Store) Commit(ctx context.Context, c care.Commit) error {
	return s.CommitMany(ctx, []care.Commit{c})[0]
}

// CommitMany stores steps of different contacts in one round trip: per
// step, the commit script on the contact's keys and, in the same
// pipeline, one reference per outbound message on the shared queue. The
// references go out even when a script refuses its step; one whose
// message was not stored is skipped by Next, and CommitMany deletes them
// at once in that case to keep the queue clean. It returns one error per
// step: nil, ErrDuplicate, ErrConflict or why it failed.
func (s *Store) CommitMany(ctx context.Context, commits []care.Commit) []error {
	errs := make([]error, len(commits))
	var batch []pendingCommit
	for i, c := range commits {
		id := c.Inbound.Address.ContactID()
		if err := validateCommit(id, c); err != nil {
			errs[i] = fmt.Errorf("commit message %s: %w", c.Inbound.MessageID, err)
			continue
		}
		args, err := s.commitArgs(c)
		if err != nil {
			errs[i] = fmt.Errorf("commit %s message %s: %w", id, c.Inbound.MessageID, err)
			continue
		}
		batch = append(batch, pendingCommit{i: i, c: c, id: id, args: args, keys: s.commitKeys(id)})
	}
	s.commitPipeline(ctx, batch, false)
	var again []pendingCommit
	for _, p := range batch {
		if redis.HasErrorPrefix(p.err, "NOSCRIPT") {
			// Redis restarted or failed over and forgot the script: send
			// it whole, which also caches it for the next commits.
			s.dropRefs(ctx, p.refs)
			again = append(again, pendingCommit{i: p.i, c: p.c, id: p.id, args: p.args, keys: p.keys})
			continue
		}
		errs[p.i] = s.commitResult(ctx, p)
	}
	s.commitPipeline(ctx, again, true)
	for _, p := range again {
		errs[p.i] = s.commitResult(ctx, p)
	}
	for _, list := range [][]pendingCommit{batch, again} {
		for _, p := range list {
			if p.c.Erase && errs[p.i] == nil {
				errs[p.i] = s.finishErasure(ctx, p.id, p.c.Contact.PersonID(), p.c.Outbound)
			}
		}
	}
	return errs
}

// pendingCommit is one step of a CommitMany on its way through the
// pipeline, with what Redis answered.
type pendingCommit struct {
	i    int // index in the caller's slice
	c    care.Commit
	id   care.ContactID
	keys []string
	args []any
	res  int64
	refs []string
	err  error
}

// commitResult turns the script's answer into the step's error.
func (s *Store) commitResult(ctx context.Context, p pendingCommit) error {
	if p.err != nil {
		return fmt.Errorf("commit %s message %s: %w", p.id, p.c.Inbound.MessageID, p.err)
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
	}
	return fmt.Errorf("commit %s message %s: commit script returned %d", p.id, p.c.Inbound.MessageID, p.res)
}

// validateCommit refuses a commit that is malformed or too big. Every
// outbound message must be to the committing contact: its body is stored
// in the contact's keys, in the same atomic step.
func validateCommit(id care.ContactID, c care.Commit) error {
	if err := c.Inbound.Address.Validate(); err != nil {
		return err
	}
	if c.Inbound.MessageID == "" {
		return care.Errorf(care.EInvalid, "inbound message id is empty")
	}
	if c.Contact.ID != id {
		return care.Errorf(care.EInvalid, "contact %q is not the sender %q", c.Contact.ID, id)
	}
	if c.SessionTTL < 0 {
		return care.Errorf(care.EInvalid, "negative session TTL %s", c.SessionTTL)
	}
	if len(c.Outbound) > MaxOutbound {
		return care.Errorf(care.EInvalid, "%d outbound messages; at most %d per inbound message", len(c.Outbound), MaxOutbound)
	}
	for _, m := range c.Outbound {
		switch {
		case m.ID == "":
			return care.Errorf(care.EInvalid, "outbound message without id")
		case m.Contact != id:
			return care.Errorf(care.EInvalid, "outbound message %s is to %q, not to the sender %q", m.ID, m.Contact, id)
		case len(m.Text) > MaxOutboundText:
			return care.Errorf(care.EInvalid, "outbound message %s: text of %d bytes; at most %d", m.ID, len(m.Text), MaxOutboundText)
		}
	}
	return nil
}

// commitKeys are KEYS of commitScript.
func (s *Store) commitKeys(id care.ContactID) []string {
	return []string{s.key(id, keySession), s.key(id, keyProfile), s.key(id, keyInbound), s.key(id, keyOutbound),
		s.key(id, keyLedger), s.key(id, keyTranscript), s.key(id, keyTaken), s.key(id, keySim)}
}

// commitArgs encodes ARGV of commitScript.
func (s *Store) commitArgs(c care.Commit) ([]any, error) {
	sess, err := json.Marshal(c.Session)
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	prof, err := json.Marshal(c.Contact)
	if err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	ttl := c.SessionTTL.Milliseconds()
	if ttl == 0 && c.SessionTTL > 0 {
		ttl = 1
	}
	now := s.now()
	mode := "store"
	if c.Erase {
		mode = "erase"
	}
	tr := ""
	if c.Transcript > 0 {
		tr = encodeTranscript(c.Inbound, c.Outbound)
	}
	args := make([]any, 0, 14+len(c.Consent)+2*len(c.Outbound))
	args = append(args, c.Inbound.MessageID, c.Session.Version, sess, ttl, prof,
		now.UnixMilli(), now.Add(-inboundWindow).UnixMilli(), -(inboundKeep + 1), inboundWindow.Milliseconds(),
		mode, c.Transcript.Milliseconds(), now.Add(-c.Transcript).UnixMilli(), tr, len(c.Consent))
	for _, e := range c.Consent {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode consent event: %w", err)
		}
		args = append(args, b)
	}
	for _, m := range c.Outbound {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode outbound message %s: %w", m.ID, err)
		}
		args = append(args, m.ID, b)
	}
	return args, nil
}

// commitPipeline sends the commit script of every step (by digest, or
// whole when eval is set) and their queue references in one pipeline,
// and fills in each step's answer, the ids of the references that were
// added, and the script's error, else the pipeline's.
func (s *Store) commitPipeline(ctx context.Context, batch []pendingCommit, eval bool) {
	if len(batch) == 0 {
		return
	}
	pipe := s.client.Pipeline()
	scripts := make([]*redis.Cmd, len(batch))
	adds := make([][]*redis.StringCmd, len(batch))
	for k, p := range batch {
		if eval {
			scripts[k] = commitScript.Eval(ctx, pipe, p.keys, p.args...)
		} else {
			scripts[k] = commitScript.EvalSha(ctx, pipe, p.keys, p.args...)
		}
		for _, m := range p.c.Outbound {
			if m.NotBefore.After(m.Created) {
				pipe.ZAdd(ctx, s.later, redis.Z{Score: float64(m.NotBefore.UnixMilli()), Member: laterMember(p.id, m.ID)})
				continue
			}
			adds[k] = append(adds[k], pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.outbox, Values: []string{"c", string(p.id), "m", m.ID}}))
		}
	}
	_, err := pipe.Exec(ctx)
	for k := range batch {
		p := &batch[k]
		for _, a := range adds[k] {
			if a.Err() == nil {
				p.refs = append(p.refs, a.Val())
			}
		}
		p.res, p.err = scripts[k].Int64()
		if p.err == nil && err != nil && firstErr(toCmders(adds[k])...) != nil {
			p.err = err
		}
	}
}

func toCmders(cmds []*redis.StringCmd) []redis.Cmder {
	out := make([]redis.Cmder, len(cmds))
	for i, c := range cmds {
		out[i] = c
	}
	return out
}

// dropRefs deletes queue references whose message was not stored. It is
// best effort: a reference left behind is skipped by Next, so a failure
// here is not worth failing the commit over.
func (s *Store) dropRefs(ctx context.Context, refs []string) {
	if len(refs) > 0 {
		_ = s.client.XDel(ctx, s.outbox, refs...).Err()
	}
}
