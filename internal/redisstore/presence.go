package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// The staff console's live view (care.InboxLive): a sorted set per
// contact of who views its conversation, until when; and marks computed
// in Redis from what a change always touches, so a process polling once
// a second moves a few dozen bytes and rereads only what changed.

var _ care.InboxLive = (*Store)(nil)

// keyViewing is who views the contact's conversation in the console:
// staff name → until when (ms), a sorted set that expires with its last
// mark.
const keyViewing = "viewing"

// inboxHead is how many members of each index the inbox's mark covers:
// more than the console lists.
const inboxHead = 200

// View marks staff as viewing the contact's conversation for ttl; see
// care.InboxLive.
func (s *Store) View(ctx context.Context, id care.ContactID, staff string, ttl time.Duration) error {
	if err := id.Validate(); err != nil {
		return fmt.Errorf("view: %w", err)
	}
	if err := validStaff(staff); err != nil {
		return fmt.Errorf("view: %w", err)
	}
	key := s.key(id, keyViewing)
	pipe := s.client.Pipeline()
	pipe.ZAdd(ctx, key, redis.Z{Score: float64(s.now().Add(ttl).UnixMilli()), Member: staff})
	// Every mark lasts ttl, so the newest one outlasts the others.
	pipe.PExpire(ctx, key, ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("mark %s viewing %s: %w", staff, id, unavailable(err))
	}
	return nil
}

// Unview takes staff's viewing mark away; see care.InboxLive.
func (s *Store) Unview(ctx context.Context, id care.ContactID, staff string) error {
	if err := id.Validate(); err != nil {
		return fmt.Errorf("unview: %w", err)
	}
	if err := s.client.ZRem(ctx, s.key(id, keyViewing), staff).Err(); err != nil {
		return fmt.Errorf("unmark %s viewing %s: %w", staff, id, unavailable(err))
	}
	return nil
}

// inboxMarkScript hashes the head of each index of the inbox with its
// scores: a hand-over, a take-over, a hand-back, a holder's reply and
// every conversation step add a member or move a score.
//
//	KEYS: waiting, held, recent; ARGV: how many members of each
var inboxMarkScript = redis.NewScript(`
local n = tonumber(ARGV[1]) - 1
local w = redis.call('ZRANGE', KEYS[1], 0, n, 'WITHSCORES')
local h = redis.call('ZRANGE', KEYS[2], 0, n, 'WITHSCORES')
local r = redis.call('ZREVRANGE', KEYS[3], 0, n, 'WITHSCORES')
return redis.sha1hex(table.concat(w, ',') .. '|' .. table.concat(h, ',') .. '|' .. table.concat(r, ','))
`)

// InboxMark returns a mark of the inbox's lists; see care.InboxLive.
func (s *Store) InboxMark(ctx context.Context) (string, error) {
	keys := []string{s.inbox.waiting, s.inbox.held, s.inbox.recent}
	mark, err := inboxMarkScript.Run(ctx, s.client, keys, inboxHead).Text()
	if err != nil {
		return "", fmt.Errorf("inbox mark: %w", unavailable(err))
	}
	return mark, nil
}

// conversationMarkScript hashes what any change of a conversation
// touches: the profile's version (the start of its value), the length
// and last entry of the transcript, the events and the notes (lists
// capped at a length, so the length alone stops moving), and the
// customer's orders: how many, and the sum of their versions, which
// every write of one moves. Then it lists who views the conversation
// until after now.
//
//	KEYS: profile, transcript, events, notes, viewing, orders; ARGV: now (ms)
var conversationMarkScript = redis.NewScript(`
local function tail(k)
  return redis.call('LLEN', k) .. ':' .. (redis.call('LINDEX', k, -1) or '')
end
local versions = 0
local orders = redis.call('HVALS', KEYS[6])
for _, v in ipairs(orders) do versions = versions + (tonumber(string.match(v, '^%d+')) or 0) end
local mark = redis.sha1hex(redis.call('GETRANGE', KEYS[1], 0, 20) .. '|' .. tail(KEYS[2]) .. '|' .. tail(KEYS[3]) .. '|' .. tail(KEYS[4]) ..
  '|' .. #orders .. ':' .. versions)
local out = redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. ARGV[1], '+inf')
table.insert(out, 1, mark)
return out
`)

// ConversationMarks returns each contact's change mark and viewers, in
// one round trip; see care.InboxLive.
func (s *Store) ConversationMarks(ctx context.Context, ids []care.ContactID) ([]care.ConversationMark, error) {
	for _, id := range ids {
		if err := id.Validate(); err != nil {
			return nil, fmt.Errorf("conversation marks: %w", err)
		}
	}
	now := strconv.FormatInt(s.now().UnixMilli(), 10)
	cmds := s.evalPipelined(ctx, conversationMarkScript, len(ids), func(i int) ([]string, []any) {
		id := ids[i]
		return []string{s.key(id, keyProfile), s.key(id, keyTranscript), s.key(id, keyEvents), s.key(id, keyNotes), s.key(id, keyViewing), s.key(id, keyOrders)}, []any{now}
	})
	out := make([]care.ConversationMark, len(ids))
	for i, c := range cmds {
		vals, err := c.StringSlice()
		if err != nil {
			return nil, fmt.Errorf("conversation mark of %s: %w", ids[i], unavailable(err))
		}
		if len(vals) == 0 {
			return nil, fmt.Errorf("conversation mark of %s: empty answer", ids[i])
		}
		out[i] = care.ConversationMark{Mark: vals[0], Viewers: vals[1:]}
	}
	return out, nil
}

// Reread returns the contact's transcript, notes and events without
// recording a view; see care.InboxLive. A merged contact is followed to
// the person.
func (s *Store) Reread(ctx context.Context, id care.ContactID) (care.Timeline, error) {
	return s.timeline(ctx, id, "")
}
