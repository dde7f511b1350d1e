package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// The canned replies are one hash under the shop's hash tag:
//
//	<prefix>:{shop}:canned   hash: name (lower-case) → JSON of the reply
//
// A shop keeps at most care.MaxCannedReplies, so every read takes the
// whole hash.
var _ care.CannedReplies = (*Store)(nil)

// cannedKey is the hash of the canned replies.
func (s *Store) cannedKey() string { return s.prefix + ":{shop}:canned" }

// saveCannedScript adds or replaces a canned reply, unless it is a new
// one and the shop has the most it may keep.
//
//	KEYS: the hash; ARGV: 1 name, 2 JSON, 3 the most replies
//
// It returns 1 when saved, 0 when full.
var saveCannedScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// CannedReplies lists the canned replies, by name; see
// care.CannedReplies. One that does not decode is an error: the owner
// should hear of it, not lose it quietly.
func (s *Store) CannedReplies(ctx context.Context) ([]care.CannedReply, error) {
	all, err := s.client.HGetAll(ctx, s.cannedKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("canned replies: %w", unavailable(err))
	}
	out := make([]care.CannedReply, 0, len(all))
	for name, raw := range all {
		var r care.CannedReply
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			return nil, fmt.Errorf("canned reply %q: %w", name, err)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b care.CannedReply) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// SaveCannedReply adds or replaces a canned reply, stamped with the
// store's clock; see care.CannedReplies.
func (s *Store) SaveCannedReply(ctx context.Context, r care.CannedReply) (care.CannedReply, error) {
	r, err := r.Clean()
	if err != nil {
		return care.CannedReply{}, fmt.Errorf("save canned reply: %w", err)
	}
	r.Updated = s.now().UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return care.CannedReply{}, fmt.Errorf("encode canned reply %q: %w", r.Name, err)
	}
	saved, err := saveCannedScript.Run(ctx, s.client, []string{s.cannedKey()}, r.Name, b, care.MaxCannedReplies).Int()
	if err != nil {
		return care.CannedReply{}, fmt.Errorf("save canned reply %q: %w", r.Name, unavailable(err))
	}
	if saved == 0 {
		return care.CannedReply{}, care.Errorf(care.EConflict, "the shop has %d canned replies, the most it keeps: delete one first", care.MaxCannedReplies)
	}
	return r, nil
}

// DeleteCannedReply removes a canned reply; see care.CannedReplies.
func (s *Store) DeleteCannedReply(ctx context.Context, name string) error {
	key, err := care.CannedKey(name)
	if err != nil {
		return fmt.Errorf("delete canned reply: %w", err)
	}
	n, err := s.client.HDel(ctx, s.cannedKey(), key).Result()
	if err != nil {
		return fmt.Errorf("delete canned reply %q: %w", key, unavailable(err))
	}
	if n == 0 {
		return care.Errorf(care.ENotFound, "no canned reply named %q", key)
	}
	return nil
}
