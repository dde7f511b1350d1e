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

// A simulated contact's inbox keeps its last simKeep messages and is
// forgotten simTTL after the last one.
const (
	simKeep = 500
	simTTL  = 7 * 24 * time.Hour
)

// simKeys are a simulated address's inbox, its counter and the ids of
// its messages (a sorted set by sequence number), under the hash tag
// {sim:<channel>.<id>}: the simulator's inbox belongs to the address on
// the page, whatever contact the address is filed under.
func (s *Store) simKeys(a care.Address) []string {
	tag := s.prefix + ":{sim:" + string(a.Channel) + "." + a.ID + "}:"
	return []string{tag + "in", tag + "seq", tag + "ids"}
}

// validSim refuses an address that is not a simulated one.
func validSim(a care.Address) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if !a.Simulated() {
		return care.Errorf(care.EInvalid, "%s is not a simulated address", a.Channel)
	}
	return nil
}

// appendScript numbers a simulator message and stores it as "<seq>
// <JSON>", with its message id, when it has one, in the same step: the
// id is there exactly when the message is.
//
//	KEYS: inbox list, sequence counter, ids; ARGV: JSON, -simKeep, TTL
//	ms, message id ("": none)
var appendScript = redis.NewScript(`
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], seq .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[1], ARGV[2], -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[3], seq, ARGV[4])
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, tonumber(ARGV[2]) - 1)
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
return seq
`)

// Append stores m in the simulated contact's inbox and returns its
// sequence number. Numbers keep increasing when old messages are trimmed.
// The ids of the last simKeep messages are kept for Received.
func (s *Store) Append(ctx context.Context, id care.Address, m care.SimMessage) (int64, error) {
	if err := validSim(id); err != nil {
		return 0, fmt.Errorf("simulator append: %w", err)
	}
	m.Seq = 0 // the stored form carries it before the JSON
	b, err := json.Marshal(m)
	if err != nil {
		return 0, fmt.Errorf("simulator append to %s: encode: %w", id, err)
	}
	keys := s.simKeys(id)
	seq, err := appendScript.Run(ctx, s.client, keys, b, -simKeep, simTTL.Milliseconds(), m.ID).Int64()
	if err != nil {
		return 0, fmt.Errorf("simulator append to %s: %w", id, err)
	}
	return seq, nil
}

// After returns up to max of the contact's simulator messages numbered
// above after, in order.
func (s *Store) After(ctx context.Context, id care.Address, after int64, max int) ([]care.SimMessage, error) {
	if err := validSim(id); err != nil {
		return nil, fmt.Errorf("simulator messages: %w", err)
	}
	if max < 1 {
		return nil, care.Errorf(care.EInvalid, "simulator messages: max %d; want at least 1", max)
	}
	items, err := s.client.LRange(ctx, s.simKeys(id)[0], 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("simulator messages of %s: %w", id, err)
	}
	var out []care.SimMessage
	for _, it := range items {
		num, data, _ := strings.Cut(it, " ")
		seq, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("simulator messages of %s: bad entry %.20q: %w", id, it, err)
		}
		if seq <= after {
			continue
		}
		var m care.SimMessage
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return nil, fmt.Errorf("simulator message %d of %s: %w", seq, id, err)
		}
		m.Seq = seq
		if out = append(out, m); len(out) == max {
			break
		}
	}
	return out, nil
}

// Received reports whether the message messageID was appended for the
// simulated address, among its last simKeep messages: the simulator's
// record of what it delivered, written in the step that delivered it.
func (s *Store) Received(ctx context.Context, id care.Address, messageID string) (bool, error) {
	if err := validSim(id); err != nil {
		return false, fmt.Errorf("simulator received: %w", err)
	}
	if messageID == "" {
		return false, care.Errorf(care.EInvalid, "simulator received: no message id")
	}
	err := s.client.ZScore(ctx, s.simKeys(id)[2], messageID).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("simulator received %s for %s: %w", messageID, id, err)
	}
	return true, nil
}
