package redisstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// scanBatch is how many index entries one HSCAN asks for: a batch of
// prospects is read in one pipeline.
const scanBatch = 2000

// prospectBatch is one HSCAN page's reads on their way to the decoders.
type prospectBatch struct {
	addrs []string // the address each profile was reached by
	profs []*redis.StringCmd
}

// ScanProspects hands fn every contact the address index names, a batch
// at a time, with their cap count; see care.CampaignStore. It walks the
// index with HSCAN and reads each page's profiles in one pipeline while
// the previous page decodes (and its caps are read), so memory holds a few pages,
// never the whole list. A contact with several addresses is handed over
// once, at the first of its addresses the index files under it (as
// EachContact does); contacts being erased are handed over too
// (a campaign counts them), merged ones are not. fn is called from one
// goroutine at a time.
func (s *Store) ScanProspects(ctx context.Context, capWindow time.Duration, fn func([]care.Prospect) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan prospectBatch, 2)
	var scanErr error
	go func() {
		defer close(pages)
		var cursor uint64
		for {
			kv, next, err := s.client.HScan(ctx, s.index, cursor, "*", scanBatch).Result()
			if err != nil {
				scanErr = fmt.Errorf("scan the address index: %w", unavailable(err))
				return
			}
			b := s.readProspects(ctx, kv)
			select {
			case pages <- b:
			case <-ctx.Done():
				return
			}
			if next == 0 {
				return
			}
			cursor = next
		}
	}()
	var (
		mu      sync.Mutex // serialises fn and guards firstErr
		firstEr error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstEr == nil {
			firstEr = err
		}
		mu.Unlock()
		cancel()
	}
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for b := range pages {
				ps, err := s.decodeProspects(ctx, b, capWindow)
				if err != nil {
					fail(err)
					continue
				}
				if len(ps) == 0 {
					continue
				}
				mu.Lock()
				if firstEr == nil {
					if err := fn(ps); err != nil {
						firstEr = err
						cancel()
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstEr != nil {
		return firstEr
	}
	if scanErr != nil {
		return scanErr
	}
	return ctx.Err()
}

// readProspects pipelines the profile of each index entry of an HSCAN
// page: address, contact id, address, contact id….
func (s *Store) readProspects(ctx context.Context, kv []string) prospectBatch {
	n := len(kv) / 2
	b := prospectBatch{addrs: make([]string, 0, n), profs: make([]*redis.StringCmd, 0, n)}
	pipe := s.client.Pipeline()
	for i := 0; i+1 < len(kv); i += 2 {
		b.addrs = append(b.addrs, kv[i])
		b.profs = append(b.profs, pipe.Get(ctx, s.key(care.ContactID(kv[i+1]), keyProfile)))
	}
	_, _ = pipe.Exec(ctx)
	return b
}

// decodeProspects decodes a page, keeping each contact at the first of
// its addresses the index files under it (as EachContact does): usually
// the first of the profile, else the index tells. The caps of those who
// said yes to promotions (only they can be over it) are read in the
// same round trip.
func (s *Store) decodeProspects(ctx context.Context, b prospectBatch, capWindow time.Duration) ([]care.Prospect, error) {
	out := make([]care.Prospect, 0, len(b.profs))
	var later []int              // indexes in out whose earlier addresses need a look
	var before []*redis.SliceCmd // their index entries
	caps := map[int]*redis.IntCmd{}
	from := "(" + strconv.FormatInt(s.now().Add(-capWindow).UnixMilli(), 10)
	pipe := s.client.Pipeline()
	for i, c := range b.profs {
		raw, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue // erased between the scan and the read
		}
		if err != nil {
			return nil, fmt.Errorf("read prospects: %w", unavailable(err))
		}
		p, err := decodeProfile(raw)
		if err != nil || p.MergedInto != "" {
			continue
		}
		k := slices.IndexFunc(p.Addresses, func(a care.Address) bool { return a.String() == b.addrs[i] })
		if k < 0 {
			continue // not the profile's address: the person is given at one of theirs
		}
		if k > 0 {
			fields := make([]string, k)
			for j, a := range p.Addresses[:k] {
				fields[j] = a.String()
			}
			later = append(later, len(out))
			before = append(before, pipe.HMGet(ctx, s.index, fields...))
		}
		if capWindow > 0 && p.Consents(care.Promotions) {
			caps[len(out)] = pipe.ZCount(ctx, s.key(p.ID, keyCap), from, "+inf")
		}
		out = append(out, care.Prospect{Contact: p})
	}
	if pipe.Len() == 0 {
		return out, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read prospects' caps and the index: %w", unavailable(err))
	}
	for i, c := range caps {
		out[i].Capped = int(c.Val())
	}
	drop := map[int]bool{}
	for j, i := range later {
		if slices.Contains(before[j].Val(), any(string(out[i].ID))) {
			drop[i] = true // given at an earlier address
		}
	}
	if len(drop) == 0 {
		return out, nil
	}
	kept := out[:0]
	for i, p := range out {
		if !drop[i] {
			kept = append(kept, p)
		}
	}
	return kept, nil
}

// Prospects reads the given contacts as ScanProspects would, in one
// round trip; see care.CampaignStore.
func (s *Store) Prospects(ctx context.Context, ids []care.ContactID, capWindow time.Duration) ([]care.Prospect, []bool, error) {
	out := make([]care.Prospect, len(ids))
	ok := make([]bool, len(ids))
	if len(ids) == 0 {
		return out, ok, nil
	}
	from := "(" + strconv.FormatInt(s.now().Add(-capWindow).UnixMilli(), 10)
	pipe := s.client.Pipeline()
	profs := make([]*redis.StringCmd, len(ids))
	caps := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		profs[i] = pipe.Get(ctx, s.key(id, keyProfile))
		if capWindow > 0 {
			caps[i] = pipe.ZCount(ctx, s.key(id, keyCap), from, "+inf")
		}
	}
	_, _ = pipe.Exec(ctx)
	for i := range ids {
		raw, err := profs[i].Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read prospects: %w", unavailable(err))
		}
		p, err := decodeProfile(raw)
		if err != nil || p.MergedInto != "" || p.ID != ids[i] {
			continue
		}
		out[i], ok[i] = care.Prospect{Contact: p}, true
		if caps[i] != nil {
			n, err := caps[i].Result()
			if err != nil {
				return nil, nil, fmt.Errorf("read prospects' caps: %w", unavailable(err))
			}
			out[i].Capped = int(n)
		}
	}
	return out, ok, nil
}

// AddPlanned adds recipients to their lanes' waiting lists, one ZADD a
// lane; see care.CampaignStore.
func (s *Store) AddPlanned(ctx context.Context, id care.CampaignID, rs []care.Planned) error {
	byLane := map[care.Lane][]redis.Z{}
	for _, r := range rs {
		if err := validLane(r.Lane); err != nil {
			return fmt.Errorf("plan campaign %s: %w", id, err)
		}
		byLane[r.Lane] = append(byLane[r.Lane], redis.Z{Score: r.Order, Member: string(r.Contact)})
	}
	pipe := s.client.Pipeline()
	for l, zs := range byLane {
		pipe.ZAdd(ctx, s.todoKey(id, l), zs...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("plan campaign %s: %w", id, unavailable(err))
	}
	return nil
}

// FinishPlan records the plan's totals and marks it whole; see
// care.CampaignStore.
func (s *Store) FinishPlan(ctx context.Context, id care.CampaignID, t care.PlanTotals) error {
	vals := []any{"plan", 1, "planned", t.Planned, "outside", t.Outside}
	for _, x := range care.Exclusions {
		vals = append(vals, "x:"+string(x), t.Excluded[x])
	}
	if err := s.client.HSet(ctx, s.campaignKey(id, "c"), vals...).Err(); err != nil {
		return fmt.Errorf("finish the plan of campaign %s: %w", id, unavailable(err))
	}
	return nil
}

// Planned reports whether the campaign's plan is whole; see
// care.CampaignStore.
func (s *Store) Planned(ctx context.Context, id care.CampaignID) (bool, error) {
	v, err := s.client.HGet(ctx, s.campaignKey(id, "c"), "plan").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("plan of campaign %s: %w", id, unavailable(err))
	}
	return v == "1", nil
}

// NextPlanned returns up to n recipients of a lane not queued yet; see
// care.CampaignStore.
func (s *Store) NextPlanned(ctx context.Context, id care.CampaignID, lane care.Lane, n int) ([]care.ContactID, error) {
	if n <= 0 {
		return nil, nil
	}
	ids, err := s.client.ZRange(ctx, s.todoKey(id, lane), 0, int64(n-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("next recipients of campaign %s: %w", id, unavailable(err))
	}
	out := make([]care.ContactID, len(ids))
	for i, x := range ids {
		out[i] = care.ContactID(x)
	}
	return out, nil
}
