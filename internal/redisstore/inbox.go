package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// The inbox's indexes are sorted sets of contact ids under the
// directory's hash tag: the profile's Handover is the truth, and they
// only say where to look.
//
//   - A member is added before the profile write that needs it (the
//     commit pipeline adds it ahead of the commit script, a staff action
//     ahead of its own script), so a process dying between the two
//     leaves a member too many, never one too few.
//   - Every reader checks each member against the profile and shows
//     only what the profile says. A member the profile no longer backs
//     is removed, but only when its score is still the one read and older
//     than indexGrace: one a writer has just added, for a step still on
//     its way, has a new score and stays.
//   - Scores are the time of the change that added the member, so a
//     member is always added with a fresh score.
type inboxKeys struct {
	waiting string // handed to staff, nobody took them: by Handover.Since (ms)
	held    string // held: by the holder's last activity (ms)
	recent  string // every conversation: by its last step (ms), the newest recentKeep
}

// indexGrace is how old a member must be before a reader that finds it
// unbacked removes it: far longer than a step takes from its index
// entry to its commit script (the step's deadline bounds it).
const indexGrace = time.Minute

// recentKeep bounds the index of recent conversations.
const recentKeep = 5000

// Bounds of a contact's staff records.
const (
	// eventsKeep is how many events a contact keeps, notesKeep how many
	// notes (the scripts say 200 too).
	eventsKeep = 200
	notesKeep  = 200
	// staffAuditLen caps the staff audit, like the delivery audit.
	staffAuditLen = 100_000
)

// score is t as an index score, in unix ms.
func score(t time.Time) float64 { return float64(t.UnixMilli()) }

// indexAdds adds to pipe the index members the profile c needs: recent
// (when recent is set), and its state's.
func (s *Store) indexAdds(ctx context.Context, pipe redis.Pipeliner, c care.Contact, now time.Time, recent bool) {
	id := string(c.ID)
	if recent {
		pipe.ZAdd(ctx, s.inbox.recent, redis.Z{Score: score(now), Member: id})
	}
	switch h := c.Handover; h.State {
	case care.StateWaiting:
		pipe.ZAdd(ctx, s.inbox.waiting, redis.Z{Score: score(h.Since), Member: id})
	case care.StateHeld:
		pipe.ZAdd(ctx, s.inbox.held, redis.Z{Score: score(h.LastActivity()), Member: id})
	}
}

// dropStaleScript removes index members a reader found unbacked by
// their profile, only where a member still has the score it was read
// with and that score is older than the cutoff.
//
//	KEYS: the index; ARGV: cutoff ms, then member and score pairs
var dropStaleScript = redis.NewScript(`
local n = 0
for i = 2, #ARGV, 2 do
  local cur = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if cur and tonumber(cur) == tonumber(ARGV[i + 1]) and tonumber(cur) < tonumber(ARGV[1]) then
    n = n + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return n
`)

// dropStale removes members of key whose score is still the one in
// stale and older than cutoff.
func (s *Store) dropStale(ctx context.Context, key string, stale []redis.Z, cutoff time.Time) error {
	if len(stale) == 0 {
		return nil
	}
	args := []any{cutoff.UnixMilli()}
	for _, z := range stale {
		args = append(args, z.Member, int64(z.Score))
	}
	if err := dropStaleScript.Run(ctx, s.client, []string{key}, args...).Err(); err != nil {
		return fmt.Errorf("tidy %s: %w", key, err)
	}
	return nil
}

// backs reports whether profile c (ok: it exists) backs a member of
// the view's index.
func backs(c care.Contact, ok bool, view care.InboxView) bool {
	if !ok || !c.Live() {
		return false
	}
	switch view {
	case care.InboxWaiting:
		return c.Handover.State == care.StateWaiting
	case care.InboxHeld:
		return c.Handover.State == care.StateHeld
	}
	return true
}

// profiles reads the profiles of members, in one round trip; ok[i] is
// false for one that is gone or does not decode.
func (s *Store) profiles(ctx context.Context, members []redis.Z) ([]care.Contact, []bool, error) {
	out := make([]care.Contact, len(members))
	ok := make([]bool, len(members))
	if len(members) == 0 {
		return out, ok, nil
	}
	pipe := s.client.Pipeline()
	cmds := make([]*redis.StringCmd, len(members))
	for i, z := range members {
		id, _ := z.Member.(string)
		cmds[i] = pipe.Get(ctx, s.key(care.ContactID(id), keyProfile))
	}
	_, _ = pipe.Exec(ctx)
	for i, c := range cmds {
		raw, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read profiles: %w", unavailable(err))
		}
		if p, err := decodeProfile(raw); err == nil {
			out[i], ok[i] = p, true
		}
	}
	return out, ok, nil
}

// maxInboxList bounds one list of the inbox.
const maxInboxList = 500

// Conversations lists up to limit conversations of a view from its
// index, each as its profile says now: waiting, the longest waiting
// first; held, the longest without a word from their holder first;
// all, the most recent first. Members the profiles no longer back are
// skipped and tidied away. See care.Inbox.
func (s *Store) Conversations(ctx context.Context, view care.InboxView, limit int) ([]care.InboxEntry, error) {
	if limit <= 0 || limit > maxInboxList {
		return nil, care.Errorf(care.EInvalid, "list of %d conversations: want 1 to %d", limit, maxInboxList)
	}
	var key string
	rev := false
	switch view {
	case care.InboxWaiting:
		key = s.inbox.waiting
	case care.InboxHeld:
		key = s.inbox.held
	case care.InboxAll:
		key, rev = s.inbox.recent, true
	default:
		return nil, care.Errorf(care.EInvalid, "unknown list %q: want waiting, held or all", view)
	}
	// Read past limit: unbacked members are skipped.
	zs, err := s.client.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key, Start: 0, Stop: 2*limit + 10, Rev: rev}).Result()
	if err != nil {
		return nil, fmt.Errorf("list %s conversations: %w", view, unavailable(err))
	}
	cs, ok, err := s.profiles(ctx, zs)
	if err != nil {
		return nil, fmt.Errorf("list %s conversations: %w", view, err)
	}
	out := make([]care.InboxEntry, 0, min(limit, len(zs)))
	var stale []redis.Z
	for i, c := range cs {
		if !backs(c, ok[i], view) {
			stale = append(stale, zs[i])
			continue
		}
		if len(out) < limit {
			out = append(out, entryOf(c))
		}
	}
	if err := s.dropStale(ctx, key, stale, s.now().Add(-indexGrace)); err != nil {
		return nil, fmt.Errorf("list %s conversations: %w", view, err)
	}
	return out, nil
}

// entryOf is a profile as a line of the inbox.
func entryOf(c care.Contact) care.InboxEntry {
	h := c.Handover
	e := care.InboxEntry{Contact: c.ID, Name: c.Name, State: stateOf(h.State), Holder: h.Holder, Since: h.Since,
		Reason: h.Reason, FirstWords: h.FirstWords, LastInbound: c.LastInbound, LastStaff: h.LastStaff,
		Alerted: h.Alerted, OwnerAlerted: h.OwnerAlerted}
	for _, a := range c.Addresses {
		if !slices.Contains(e.Channels, a.Channel) {
			e.Channels = append(e.Channels, a.Channel)
		}
	}
	return e
}

// stateOf is a state, the bot's for a profile never handed over.
func stateOf(st care.HandoverState) care.HandoverState {
	if st == "" {
		return care.StateBot
	}
	return st
}

// staffChange is what a staff action (or the bot returning a
// conversation) writes, at once, over the profile version it read.
type staffChange struct {
	profile *care.Contact // the new profile; nil leaves it as it is
	event   *care.StaffEvent
	note    *care.Note
	reply   *care.Outbound
	// keepIndex leaves the inbox's indexes as they are: a mark that
	// changes neither the state nor the conversation's last step.
	keepIndex bool
}

func (ch staffChange) empty() bool {
	return ch.profile == nil && ch.event == nil && ch.note == nil && ch.reply == nil
}

// staffScript writes a staff action over the profile version read.
//
//	KEYS: 1 profile, 2 events, 3 notes, 4 outbound bodies, 5 transcript
//	ARGV: 1 version read, 2 profile JSON or "" (left as it is), 3 TTL ms
//	      of profile, events and notes (0: none), 4 event JSON or "",
//	      5 note JSON or "", 6 message id or "", 7 its JSON, 8 transcript
//	      entry or "", 9 its TTL ms
//
// It returns the profile's version after the write, or -1 when it moved
// on since it was read (or is gone).
var staffScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return -1 end
local v = tonumber(string.sub(cur, 1, string.find(cur, '|', 1, true) - 1))
if v ~= tonumber(ARGV[1]) then return -1 end
local ttl = ARGV[3]
if ARGV[2] ~= '' then
  v = v + 1
  if ttl ~= '0' then redis.call('SET', KEYS[1], v .. '|' .. ARGV[2], 'PX', ttl)
  else redis.call('SET', KEYS[1], v .. '|' .. ARGV[2]) end
end
local function push(k, e, keep)
  redis.call('RPUSH', k, e)
  redis.call('LTRIM', k, -keep, -1)
  if ttl ~= '0' then redis.call('PEXPIRE', k, ttl) end
end
if ARGV[4] ~= '' then push(KEYS[2], ARGV[4], 200) end
if ARGV[5] ~= '' then push(KEYS[3], ARGV[5], 200) end
if ARGV[6] ~= '' then redis.call('HSETNX', KEYS[4], ARGV[6], ARGV[7]) end
if ARGV[8] ~= '' then
  redis.call('RPUSH', KEYS[5], ARGV[8])
  redis.call('LTRIM', KEYS[5], -1000, -1)
  redis.call('PEXPIRE', KEYS[5], ARGV[9])
end
return v
`)

// act runs an action on a live contact: fn decides from the profile as
// it is now, and its change is written only over that version; when the
// profile moved on meanwhile, fn decides again. It returns the profile
// as written (as read, when the change leaves it) and the change.
func (s *Store) act(ctx context.Context, id care.ContactID, fn func(c care.Contact) (staffChange, error)) (care.Contact, staffChange, error) {
	for range maxUpdateTries {
		cur, ok, err := s.Contact(ctx, id)
		if err != nil {
			return care.Contact{}, staffChange{}, unavailable(err)
		}
		if !ok || !cur.Live() {
			return care.Contact{}, staffChange{}, care.Errorf(care.ENotFound, "contact %s: not found (erased, being erased or never seen)", id)
		}
		ch, err := fn(cur)
		if err != nil || ch.empty() {
			return cur, ch, err
		}
		v, err := s.writeStaff(ctx, cur, ch)
		if errors.Is(err, care.ErrConflict) {
			continue
		}
		if err != nil {
			return care.Contact{}, staffChange{}, err
		}
		if ch.profile == nil {
			return cur, ch, nil
		}
		next := *ch.profile
		next.Version = v
		return next, ch, nil
	}
	return care.Contact{}, staffChange{}, fmt.Errorf("contact %s: %w", id, care.ErrConflict)
}

// writeStaff writes ch over cur's version, in one round trip: the index
// members the new profile needs and the reply's lane entry first, then
// the script. It returns the profile's new version, or ErrConflict.
func (s *Store) writeStaff(ctx context.Context, cur care.Contact, ch staffChange) (int64, error) {
	now := s.now()
	keep := profileTTL(cur).Milliseconds()
	args := []any{cur.Version, "", keep, "", "", "", "", "", s.transcript.Milliseconds()}
	enc := func(i int, v any) error {
		b, err := json.Marshal(v)
		args[i] = b
		return err
	}
	if ch.profile != nil {
		if err := enc(1, ch.profile); err != nil {
			return 0, fmt.Errorf("encode profile: %w", err)
		}
	}
	if ch.event != nil {
		if err := enc(3, ch.event); err != nil {
			return 0, fmt.Errorf("encode event: %w", err)
		}
	}
	if ch.note != nil {
		if err := enc(4, ch.note); err != nil {
			return 0, fmt.Errorf("encode note: %w", err)
		}
	}
	pipe := s.client.Pipeline()
	var refs []queued
	if m := ch.reply; m != nil {
		args[5] = m.ID
		if err := enc(6, m); err != nil {
			return 0, fmt.Errorf("encode message: %w", err)
		}
		if s.transcript > 0 {
			args[7] = encodeStaffWords(m.Created, m.Staff, m.Text)
		}
		refs = s.queueRefs(ctx, pipe, []care.Outbound{*m})
	}
	if ch.profile != nil && !ch.keepIndex {
		s.indexAdds(ctx, pipe, *ch.profile, now, true)
	}
	id := cur.ID
	keys := []string{s.key(id, keyProfile), s.key(id, keyEvents), s.key(id, keyNotes), s.key(id, keyOutbound), s.key(id, keyTranscript)}
	call := []scriptCall{{staffScript, keys, args}}
	res := staffScript.EvalSha(ctx, pipe, keys, args...)
	_, _ = pipe.Exec(ctx)
	if redis.HasErrorPrefix(res.Err(), "NOSCRIPT") {
		res = s.runAll(ctx, call)[0]
	}
	v, err := res.Int64()
	if err != nil || v < 0 {
		s.dropRefs(ctx, refsOf(refs))
	}
	if err != nil {
		return 0, fmt.Errorf("write staff action on %s: %w", id, unavailable(err))
	}
	if v < 0 {
		return 0, care.ErrConflict
	}
	return v, nil
}

// encodeStaffWords is the transcript entry of what a staff member wrote
// (see encodeTranscript).
func encodeStaffWords(at time.Time, by, text string) string {
	return strconv.FormatInt(at.UnixMilli(), 10) + unitSep + string(care.KindStaff) + unitSep + by + unitSep + text
}

// settled records a done action in the staff audit and takes the
// contact out of the index of the state it left (readers check the
// profile anyway). was is the handover before the action. The action is
// stored whatever it returns: a process dying before it loses the
// audit entry, never the action or the contact's own event.
func (s *Store) settled(ctx context.Context, e care.StaffEvent, c care.Contact, was care.Handover) error {
	pipe := s.client.Pipeline()
	s.auditStaff(ctx, pipe, e)
	id := string(c.ID)
	// Rare: the whole script, not its digest, so a Redis that forgot it
	// runs it too.
	if was.State == care.StateWaiting && c.Handover.State != care.StateWaiting {
		dropStaleScript.Eval(ctx, pipe, []string{s.inbox.waiting}, int64(math.MaxInt64), id, was.Since.UnixMilli())
	}
	if was.State == care.StateHeld && c.Handover.State != care.StateHeld {
		dropStaleScript.Eval(ctx, pipe, []string{s.inbox.held}, int64(math.MaxInt64), id, was.LastActivity().UnixMilli())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("%s done, but not audited: %w", e.Action, unavailable(err))
	}
	return nil
}

// auditStaff adds e to the staff audit: the contact by its id, never a
// text.
func (s *Store) auditStaff(ctx context.Context, pipe redis.Pipeliner, e care.StaffEvent) {
	vals := []string{"action", string(e.Action), "by", e.By, "c", string(e.Contact), "at", e.At.UTC().Format(time.RFC3339Nano)}
	if e.Reason != "" {
		vals = append(vals, "reason", e.Reason)
	}
	if e.Message != "" {
		vals = append(vals, "m", e.Message)
	}
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.staffAudit, MaxLen: staffAuditLen, Approx: true, Values: vals})
}

// validStaff refuses an action that names no valid staff account.
func validStaff(staff string) error {
	if _, err := care.StaffKey(staff); err != nil {
		return fmt.Errorf("staff %q: %w", staff, err)
	}
	return nil
}

// holds reports whether staff is the holder of h.
func holds(h care.Handover, staff string) bool {
	return h.State == care.StateHeld && strings.EqualFold(h.Holder, staff)
}

// heldByAnother is the error for staff acting on a conversation another
// person holds, or nil.
func heldByAnother(h care.Handover, staff string) error {
	if h.State == care.StateHeld && h.Holder != care.ShopPhone && !strings.EqualFold(h.Holder, staff) {
		return care.Errorf(care.EConflict, "%s holds this", h.Holder)
	}
	return nil
}

// Takeover makes staff the holder; see care.Inbox. A take-over by the
// holder changes nothing.
func (s *Store) Takeover(ctx context.Context, id care.ContactID, staff string) (care.Contact, error) {
	if err := validStaff(staff); err != nil {
		return care.Contact{}, fmt.Errorf("take over: %w", err)
	}
	return s.moveHandover(ctx, id, staff, care.ActionTookOver, "take over", func(c care.Contact, now time.Time) (care.Contact, bool) {
		h := c.Handover
		if holds(h, staff) {
			return c, false
		}
		// The flows' messages not sent yet are not sent (the gate
		// compares them with HeldSince).
		c.HeldSince = now
		c.Handover = care.Handover{State: care.StateHeld, Holder: staff, Since: now, Reason: h.Reason, FirstWords: h.FirstWords}
		return c, true
	})
}

// moveHandover changes who answers the conversation for staff: a
// take-over or a hand-back (action; doing names it in errors). It is
// refused while another person holds the conversation. next returns the
// profile after the change, or false where the conversation is already
// as asked, which writes nothing and returns the contact as it is.
func (s *Store) moveHandover(ctx context.Context, id care.ContactID, staff string, action care.StaffAction, doing string, next func(c care.Contact, now time.Time) (care.Contact, bool)) (care.Contact, error) {
	now := s.now()
	var was care.Handover
	c, ch, err := s.act(ctx, id, func(c care.Contact) (staffChange, error) {
		was = c.Handover
		if err := heldByAnother(was, staff); err != nil {
			return staffChange{}, err
		}
		n, ok := next(c, now)
		if !ok {
			return staffChange{}, nil
		}
		return staffChange{profile: &n, event: &care.StaffEvent{At: now, Action: action, By: staff}}, nil
	})
	if err != nil {
		return care.Contact{}, fmt.Errorf("%s %s: %w", doing, id, err)
	}
	if ch.event != nil {
		if err := s.settled(ctx, withContact(*ch.event, c.ID), c, was); err != nil {
			return c, err
		}
	}
	return c, nil
}

// withContact is e naming the contact, for the staff audit.
func withContact(e care.StaffEvent, id care.ContactID) care.StaffEvent {
	e.Contact = id
	return e
}

// maxFlowName bounds the flow a hand-back starts.
const maxFlowName = 64

// Handback gives the conversation back to the bot and records what the
// bot owes the customer (Handover.Resume), which the runtime's Resume
// says; see care.Inbox. A conversation the bot answers already is left
// as it is.
func (s *Store) Handback(ctx context.Context, id care.ContactID, staff, startFlow string) (care.Contact, error) {
	if err := validStaff(staff); err != nil {
		return care.Contact{}, fmt.Errorf("hand back: %w", err)
	}
	if len(startFlow) > maxFlowName || strings.ContainsFunc(startFlow, func(r rune) bool { return r <= ' ' || r == '/' }) {
		return care.Contact{}, care.Errorf(care.EInvalid, "hand back: %q is not a flow name", startFlow)
	}
	return s.moveHandover(ctx, id, staff, care.ActionHandedBack, "hand back", func(c care.Contact, now time.Time) (care.Contact, bool) {
		if stateOf(c.Handover.State) == care.StateBot {
			return c, false
		}
		c.Handover = care.Handover{State: care.StateBot, Resume: &care.Resume{At: now, Notice: true, Flow: startFlow}}
		return c, true
	})
}

// staffText checks and cleans what staff wrote: not empty, at most
// care.MaxText characters.
func staffText(text string) (string, error) {
	if n := utf8.RuneCountInString(strings.TrimSpace(text)); n > care.MaxText {
		return "", care.Errorf(care.EInvalid, "text of %d characters; at most %d", n, care.MaxText)
	}
	clean, _ := care.CleanText(text, care.MaxText)
	if clean == "" {
		return "", care.Errorf(care.EInvalid, "empty text")
	}
	return clean, nil
}

// Reply queues a staff reply; see care.Inbox. The holder check, the
// message, its transcript entry, the event and the holder's last
// activity are written at once, over the profile version read.
func (s *Store) Reply(ctx context.Context, id care.ContactID, staff, text string) (care.Outbound, error) {
	if err := validStaff(staff); err != nil {
		return care.Outbound{}, fmt.Errorf("reply: %w", err)
	}
	text, err := staffText(text)
	if err != nil {
		return care.Outbound{}, fmt.Errorf("reply: %w", err)
	}
	now := s.now()
	msgID := staffMessageID()
	var m care.Outbound
	c, _, err := s.act(ctx, id, func(c care.Contact) (staffChange, error) {
		h := c.Handover
		if err := heldByAnother(h, staff); err != nil {
			return staffChange{}, err
		}
		if !holds(h, staff) {
			return staffChange{}, care.Errorf(care.EInvalid, "take the conversation over before replying")
		}
		switch {
		case c.LastInbound.IsZero():
			return staffChange{}, care.Errorf(care.EInvalid, "the contact never wrote to the shop")
		case now.Sub(c.LastInbound) > care.ReplyWindow:
			return staffChange{}, care.Errorf(care.EInvalid, "reply window closed: over 24h since the contact's last message (%s); WhatsApp allows replies only within 24 hours",
				c.LastInbound.UTC().Format(time.RFC3339))
		}
		a, ok := c.ReplyAddress()
		if !ok {
			return staffChange{}, care.Errorf(care.EUnreachable, "the contact has no address")
		}
		if why := c.Unreachable[a.Channel]; why != "" {
			return staffChange{}, care.Errorf(care.EUnreachable, "contact unreachable on %s: %s", a.Channel, why)
		}
		m = care.Outbound{ID: msgID, Contact: c.ID, Address: a, Class: care.Reply, Text: text, Lang: c.Lang,
			Created: now, Origin: care.OriginStaff, Staff: staff, Seq: seqOf(now, 0)}
		if err := validOutbound(m); err != nil {
			return staffChange{}, err
		}
		next := c
		next.Handover.LastStaff = now
		return staffChange{profile: &next, reply: &m,
			event: &care.StaffEvent{At: now, Action: care.ActionReplied, By: staff, Message: msgID}}, nil
	})
	if err != nil {
		return care.Outbound{}, fmt.Errorf("reply to %s: %w", id, err)
	}
	if err := s.settled(ctx, care.StaffEvent{At: now, Contact: c.ID, Action: care.ActionReplied, By: staff, Message: msgID}, c, c.Handover); err != nil {
		return m, err
	}
	return m, nil
}

// staffMessageID is a new id for a staff reply: "s" and 16 random
// letters.
func staffMessageID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "s" + strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// Note keeps a private note on the contact; see care.Inbox.
func (s *Store) Note(ctx context.Context, id care.ContactID, staff, text string) (care.Note, error) {
	if err := validStaff(staff); err != nil {
		return care.Note{}, fmt.Errorf("note: %w", err)
	}
	text, err := staffText(text)
	if err != nil {
		return care.Note{}, fmt.Errorf("note: %w", err)
	}
	n := care.Note{At: s.now(), By: staff, Text: text}
	c, _, err := s.act(ctx, id, func(care.Contact) (staffChange, error) { return staffChange{note: &n}, nil })
	if err != nil {
		return care.Note{}, fmt.Errorf("note on %s: %w", id, err)
	}
	if err := s.settled(ctx, care.StaffEvent{At: n.At, Contact: c.ID, Action: care.ActionNoted, By: staff}, c, c.Handover); err != nil {
		return n, err
	}
	return n, nil
}

// Timeline returns the contact's transcript, notes and events, and
// records the view in the staff audit, in one round trip; see
// care.Inbox. A merged contact is followed to the person.
func (s *Store) Timeline(ctx context.Context, id care.ContactID, staff string) (care.Timeline, error) {
	if err := validStaff(staff); err != nil {
		return care.Timeline{}, fmt.Errorf("timeline: %w", err)
	}
	return s.timeline(ctx, id, staff)
}

// timeline reads the contact's transcript, notes and events in one round
// trip, following a merged contact to the person. A viewer, when not
// empty, is recorded in the staff audit in the same round trip, and the
// read fails when that record does.
func (s *Store) timeline(ctx context.Context, id care.ContactID, viewer string) (care.Timeline, error) {
	c, ok, err := s.Contact(ctx, id)
	if err != nil {
		return care.Timeline{}, unavailable(err)
	}
	if !ok || !c.Live() {
		return care.Timeline{}, care.Errorf(care.ENotFound, "contact %s: not found (erased, being erased or never seen)", id)
	}
	pipe := s.client.Pipeline()
	log := pipe.LRange(ctx, s.key(c.ID, keyTranscript), 0, -1)
	notes := pipe.LRange(ctx, s.key(c.ID, keyNotes), 0, -1)
	events := pipe.LRange(ctx, s.key(c.ID, keyEvents), 0, -1)
	if viewer != "" {
		s.auditStaff(ctx, pipe, care.StaffEvent{At: s.now(), Contact: c.ID, Action: care.ActionViewed, By: viewer})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return care.Timeline{}, fmt.Errorf("timeline of %s: %w", c.ID, unavailable(err))
	}
	t := care.Timeline{Contact: c, Transcript: transcriptEntries(log.Val())}
	if t.Notes, err = decodeList[care.Note](notes.Val()); err != nil {
		return care.Timeline{}, fmt.Errorf("notes of %s: %w", c.ID, err)
	}
	if t.Events, err = decodeList[care.StaffEvent](events.Val()); err != nil {
		return care.Timeline{}, fmt.Errorf("events of %s: %w", c.ID, err)
	}
	return t, nil
}

// decodeList decodes a list of JSON values.
func decodeList[T any](raws []string) ([]T, error) {
	out := make([]T, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal([]byte(raw), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StaffAudit returns up to n of the newest entries of the staff audit,
// oldest first; see care.Inbox.
func (s *Store) StaffAudit(ctx context.Context, n int) ([]care.StaffEvent, error) {
	entries, err := s.client.XRevRangeN(ctx, s.staffAudit, "+", "-", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("staff audit: %w", unavailable(err))
	}
	slices.Reverse(entries)
	out := make([]care.StaffEvent, len(entries))
	for i, e := range entries {
		str := func(k string) string { v, _ := e.Values[k].(string); return v }
		out[i] = care.StaffEvent{Action: care.StaffAction(str("action")), By: str("by"), Contact: care.ContactID(str("c")),
			Reason: str("reason"), Message: str("m")}
		out[i].At, _ = time.Parse(time.RFC3339Nano, str("at"))
	}
	return out, nil
}

// Reasons a conversation went back to the bot by itself.
const (
	reasonUnclaimed = "nobody took it"
	reasonIdle      = "no word from its holder"
)

// ReturnLapsed gives back to the bot the conversations whose hold ran
// out at now; see care.Handovers. The bot owes a notice (Resume) when
// the customer waits for an answer: they wrote after staff last did.
// It also keeps the index of recent conversations to its bound. Every
// process may run it: each return is a write over the profile version
// read, so a conversation returns once.
func (s *Store) ReturnLapsed(ctx context.Context, now time.Time, idle time.Duration, max int) ([]care.ContactID, error) {
	pipe := s.client.Pipeline()
	waiting := pipe.ZRangeWithScores(ctx, s.inbox.waiting, 0, int64(max)-1)
	held := pipe.ZRangeByScoreWithScores(ctx, s.inbox.held, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now.Add(-idle).UnixMilli(), 10), Count: int64(max)})
	pipe.ZRemRangeByRank(ctx, s.inbox.recent, 0, -recentKeep-1)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("find lapsed holds: %w", unavailable(err))
	}
	lapsed := func(c care.Contact) bool {
		h := c.Handover
		return h.State != care.StateBot && h.State != "" && !h.Active(now, idle)
	}
	var due []care.ContactID
	for _, ix := range []struct {
		key  string
		view care.InboxView
		zs   []redis.Z
	}{{s.inbox.waiting, care.InboxWaiting, waiting.Val()}, {s.inbox.held, care.InboxHeld, held.Val()}} {
		cs, ok, err := s.profiles(ctx, ix.zs)
		if err != nil {
			return nil, fmt.Errorf("find lapsed holds: %w", err)
		}
		var stale, moved []redis.Z
		for i, c := range cs {
			switch {
			case !backs(c, ok[i], ix.view):
				stale = append(stale, ix.zs[i])
			case lapsed(c):
				due = append(due, c.ID)
			case ix.view == care.InboxHeld:
				// The holder wrote since the score was set: move it on.
				moved = append(moved, redis.Z{Score: score(c.Handover.LastActivity()), Member: string(c.ID)})
			}
		}
		if err := s.dropStale(ctx, ix.key, stale, now.Add(-indexGrace)); err != nil {
			return nil, fmt.Errorf("find lapsed holds: %w", err)
		}
		if len(moved) > 0 {
			if err := s.client.ZAddArgs(ctx, ix.key, redis.ZAddArgs{XX: true, GT: true, Members: moved}).Err(); err != nil {
				return nil, fmt.Errorf("find lapsed holds: %w", unavailable(err))
			}
		}
	}
	var returned []care.ContactID
	var errs []error
	for _, id := range due {
		var was care.Handover
		c, ch, err := s.act(ctx, id, func(c care.Contact) (staffChange, error) {
			was = c.Handover
			if !lapsed(c) {
				return staffChange{}, nil
			}
			reason := reasonUnclaimed
			if was.State == care.StateHeld {
				reason = reasonIdle
			}
			next := c
			next.Handover = care.Handover{State: care.StateBot}
			if c.LastInbound.After(was.LastStaff) {
				next.Handover.Resume = &care.Resume{At: now, Notice: true}
			}
			return staffChange{profile: &next, event: &care.StaffEvent{At: now, Action: care.ActionReturned, By: care.ByMitra, Reason: reason}}, nil
		})
		if care.ErrorCode(err) == care.ENotFound {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("return %s to the bot: %w", id, err))
			continue
		}
		if ch.event != nil {
			returned = append(returned, c.ID)
			if err := s.settled(ctx, withContact(*ch.event, c.ID), c, was); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return returned, errors.Join(errs...)
}
