package redisstore

import (
	"context"
	"encoding/json"
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

// simKeys are a simulated address's inbox and its counter, under the
// hash tag {sim:<channel>.<id>}: the simulator's inbox belongs to the
// address on the page, whatever contact the address is filed under.
func (s *Store) simKeys(a care.Address) []string {
	tag := s.prefix + ":{sim:" + string(a.Channel) + "." + a.ID + "}:"
	return []string{tag + "in", tag + "seq"}
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

// appendScript numbers a simulator message and stores it as "<seq> <JSON>".
//
//	KEYS: inbox list, sequence counter; ARGV: JSON, -simKeep, TTL ms
var appendScript = redis.NewScript(`
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], seq .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[1], ARGV[2], -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return seq
`)

// Append stores m in the simulated contact's inbox and returns its
// sequence number. Numbers keep increasing when old messages are trimmed.
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
	seq, err := appendScript.Run(ctx, s.client, keys, b, -simKeep, simTTL.Milliseconds()).Int64()
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
