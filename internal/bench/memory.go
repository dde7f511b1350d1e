package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// contactBytes measures what the fresh contacts (one message each, all
// replies sent) hold in Redis: every key that names the contact, found
// by SCAN so a kind added later is counted too, and the contact's share
// of the address index. It also asks Store.MemoryUsage, which should
// agree: a difference is a kind of key it does not know.
func (r *run) contactBytes(ctx context.Context) error {
	if len(r.fresh) == 0 {
		return nil
	}
	want := map[care.ContactID]bool{}
	for _, a := range r.fresh {
		id, ok, err := r.store.Lookup(ctx, a)
		if err != nil {
			return fmt.Errorf("bytes per contact: %w", err)
		}
		if ok {
			want[id] = true
		}
	}
	if len(want) == 0 {
		return errors.New("bytes per contact: the fresh contacts are not in the index")
	}
	var keys []string
	var mu sync.Mutex
	err := eachNode(ctx, r.mon, func(ctx context.Context, c redis.UniversalClient) error {
		var cursor uint64
		for {
			// The prefix is the bench's own: letters, digits and a dash.
			batch, next, err := c.Scan(ctx, cursor, r.prefix+":*", 1000).Result()
			if err != nil {
				return err
			}
			mu.Lock()
			for _, k := range batch {
				if id, ok := owner(r.prefix, k); ok && want[id] {
					keys = append(keys, k)
				}
			}
			mu.Unlock()
			if next == 0 {
				return nil
			}
			cursor = next
		}
	})
	if err != nil {
		return fmt.Errorf("bytes per contact: scan: %w", err)
	}
	pipe := r.mon.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.MemoryUsage(ctx, k, 0)
	}
	index := r.prefix + ":{d}:addr"
	idxMem, idxLen := pipe.MemoryUsage(ctx, index, 0), pipe.HLen(ctx, index)
	audit := r.prefix + ":{o}:audit"
	audMem, audLen := pipe.MemoryUsage(ctx, audit, 0), pipe.XLen(ctx, audit)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("bytes per contact: memory usage: %w", err)
	}
	n := float64(len(want))
	byKind := map[string]float64{}
	var total float64
	for i, k := range keys {
		b, err := cmds[i].Result()
		if err != nil {
			continue // gone meanwhile (a rate limit's key expiring)
		}
		byKind[keyKind(k)] += float64(b)
		total += float64(b)
	}
	if l := idxLen.Val(); l > 0 {
		// Each contact here has one address: its share is the mean
		// entry, the table's overhead spread over all.
		share := float64(idxMem.Val()) / float64(l)
		byKind["index"] = share * n
		total += share * n
	}
	for k, v := range byKind {
		byKind[k] = math.Round(v / n)
	}
	r.res.BytesPerContact = math.Round(total / n)
	r.res.BytesByKind = byKind
	r.res.BytesPerFreshSession = byKind["s"]
	if l := audLen.Val(); l > 0 {
		r.res.AuditBytesPerEntry = math.Round(float64(audMem.Val()) / float64(l))
	}
	var reported float64
	for id := range want {
		_, t, err := r.store.MemoryUsage(ctx, id)
		if err != nil {
			return fmt.Errorf("bytes per contact: %w", err)
		}
		reported += float64(t)
	}
	r.res.BytesMemoryUsage = math.Round(reported / n)
	return nil
}

// owner is the contact a key of the store belongs to: <prefix>:{c:<id>}:…
// or a per-chat rate limit, <prefix>:{rate:<channel>}:<id>.
func owner(prefix, key string) (care.ContactID, bool) {
	rest, ok := strings.CutPrefix(key, prefix+":{")
	if !ok {
		return "", false
	}
	if id, ok := strings.CutPrefix(rest, "c:"); ok {
		id, _, ok = strings.Cut(id, "}")
		return care.ContactID(id), ok
	}
	if strings.HasPrefix(rest, "rate:") {
		_, id, ok := strings.Cut(rest, "}:")
		return care.ContactID(id), ok
	}
	return "", false
}

// eachNode calls fn with the client, or with each master of a cluster:
// SCAN sees the keys of one node.
func eachNode(ctx context.Context, c redis.UniversalClient, fn func(context.Context, redis.UniversalClient) error) error {
	if cc, ok := c.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return fn(ctx, n) })
	}
	return fn(ctx, c)
}
