package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// Recover queues again every stored outbound message that has no lane
// entry and is not being sent, and returns how many. On one Redis no
// message can lack its entry: the entry is written first, on the same
// connection. On a Redis Cluster the lanes live on another node than the
// messages, and a failover can lose an entry the node had confirmed; run
// Recover at start-up there, in one process (it scans the keyspace).
//
// A message committed or settled while it runs may be queued twice; the
// second entry is harmless (Take finds it gone or another's).
func (s *Store) Recover(ctx context.Context) (int, error) {
	type ref struct {
		c care.ContactID
		m string
	}
	// Messages first, then the lanes: a commit seen here has had its
	// entry added by the time the lanes are read.
	var mu sync.Mutex
	stored := map[ref]string{} // the message's JSON
	err := s.eachMaster(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		return scanKeys(ctx, c, globEscape(s.prefix)+":{c:*}:"+keyOutbound, "hash", func(keys []string) error {
			pipe := c.Pipeline()
			bodies := make([]*redis.MapStringStringCmd, len(keys))
			taken := make([]*redis.MapStringStringCmd, len(keys))
			for i, k := range keys {
				bodies[i] = pipe.HGetAll(ctx, k)
				taken[i] = pipe.HGetAll(ctx, strings.TrimSuffix(k, keyOutbound)+keyTaken)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return fmt.Errorf("list queued messages: %w", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for i, k := range keys {
				id, ok := s.contactOf(k)
				if !ok {
					continue
				}
				for m, body := range bodies[i].Val() {
					if _, busy := taken[i].Val()[m]; !busy {
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
	for _, l := range allLanes {
		start := "-"
		for {
			page, err := s.client.XRangeN(ctx, s.laneKey(l), start, "+", 1000).Result()
			if err != nil {
				return 0, fmt.Errorf("recover outbox: read lane %s: %w", l, err)
			}
			for _, e := range page {
				c, _ := e.Values["c"].(string)
				m, _ := e.Values["m"].(string)
				for _, id := range strings.Split(m, idSep) {
					delete(stored, ref{care.ContactID(c), id})
				}
			}
			if len(page) < 1000 {
				break
			}
			start = "(" + page[len(page)-1].ID
		}
	}
	held, err := s.client.ZRange(ctx, s.later, 0, -1).Result()
	if err != nil {
		return 0, fmt.Errorf("recover outbox: read held-back messages: %w", err)
	}
	for _, h := range held {
		if f := strings.Fields(h); len(f) >= 3 {
			for _, id := range strings.Split(f[2], idSep) {
				delete(stored, ref{care.ContactID(f[1]), id})
			}
		}
	}
	// Queue the lost messages of each contact in the order they were made.
	lost := make([]care.Outbound, 0, len(stored))
	for _, body := range stored {
		var m care.Outbound
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			continue // Next reports it when it reads it; nothing reads it without an entry
		}
		lost = append(lost, m)
	}
	slices.SortFunc(lost, func(a, b care.Outbound) int {
		return cmp.Or(cmp.Compare(a.Contact, b.Contact), cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.ID, b.ID))
	})
	if len(lost) == 0 {
		return 0, nil
	}
	now := s.now()
	for i := range lost {
		if !lost[i].NotBefore.After(now) {
			lost[i].NotBefore = time.Time{}
		}
	}
	pipe := s.client.Pipeline()
	s.queueRefs(ctx, pipe, lost)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("recover outbox: queue %d messages: %w", len(lost), err)
	}
	return len(lost), nil
}
