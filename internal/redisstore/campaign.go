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

var _ care.CampaignStore = (*Store)(nil)

// A campaign's keys carry the hash tag {b:<id>}, so its scripts work on
// a cluster; the list of campaigns lives under {b}.
//
//	<p>:{b:<id>}:c           hash: v (version), def (the campaign's JSON),
//	                         state, plan ("1" once whole), planned,
//	                         outside, x:<exclusion>, q:<lane> (queued),
//	                         f:<lane> (final outcomes), n:<status>,
//	                         n:optout, n:reply, cursor (the audit entry
//	                         folded last)
//	<p>:{b:<id>}:todo:<lane> sorted set: recipients not queued yet, by order
//	<p>:{b:<id>}:r           hash: contact → "<status>|<ms>|<lane>|<reason>"
//	<p>:{b:<id>}:sent        sorted set: contact → when sent (ms)
//	<p>:{b:<id>}:after       hash: "<contact>:o" / "<contact>:r" → when
//	                         they opted out / wrote (ms)
//	<p>:{b:<id>}:recent      list: the last 50 delivery attempts, s or f
//	<p>:{b:<id>}:tests       set: the ids of test messages
//	<p>:{b}:all              sorted set: campaign id → created (ms)
//	<p>:{b}:active           set: campaigns a runner still looks after
//	<p>:{c:<id>}:b           hash: campaign id → the message the contact
//	                         got (the at-most-once mark)

// campaignKey is one of a campaign's keys.
func (s *Store) campaignKey(id care.CampaignID, kind string) string {
	return s.prefix + ":{b:" + string(id) + "}:" + kind
}

// todoKey is a campaign's waiting list for one lane.
func (s *Store) todoKey(id care.CampaignID, l care.Lane) string {
	return s.campaignKey(id, "todo:"+string(l))
}

func (s *Store) campaignsKey() string { return s.prefix + ":{b}:all" }
func (s *Store) activeKey() string    { return s.prefix + ":{b}:active" }

// campaignLease is the lease a runner holds while it feeds a campaign.
func campaignLease(id care.CampaignID) string { return "broadcast." + string(id) }

// keyCampaigns is the contact's marks of the campaigns that reached it.
const keyCampaigns = "b"

// markTTL is how long a contact's campaign marks outlive the last one
// written: longer than any campaign runs.
const markTTL = 180 * 24 * time.Hour

// saveCampaignScript stores a new campaign unless its id is taken.
//
//	KEYS: the campaign's hash; ARGV: JSON, state
var saveCampaignScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', 1, 'def', ARGV[1], 'state', ARGV[2])
return 1
`)

// SaveCampaign stores a new campaign; see care.CampaignStore. It is
// listed first, so a crash in between leaves a listed id with nothing
// behind it, which lists skip.
func (s *Store) SaveCampaign(ctx context.Context, c care.Campaign) error {
	if err := c.ID.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode campaign %s: %w", c.ID, err)
	}
	pipe := s.client.Pipeline()
	pipe.ZAdd(ctx, s.campaignsKey(), redis.Z{Score: float64(c.Created.UnixMilli()), Member: string(c.ID)})
	pipe.SAdd(ctx, s.activeKey(), string(c.ID))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("list campaign %s: %w", c.ID, unavailable(err))
	}
	n, err := saveCampaignScript.Run(ctx, s.client, []string{s.campaignKey(c.ID, "c")}, b, string(c.State)).Int()
	if err != nil {
		return fmt.Errorf("save campaign %s: %w", c.ID, unavailable(err))
	}
	if n == 0 {
		return care.Errorf(care.EConflict, "campaign %s exists already", c.ID)
	}
	return nil
}

// decodeCampaign reads a campaign's hash.
func decodeCampaign(id care.CampaignID, h map[string]string) (care.Campaign, int64, error) {
	raw, ok := h["def"]
	if !ok {
		return care.Campaign{}, 0, care.Errorf(care.ENotFound, "no campaign %s", id)
	}
	var c care.Campaign
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return care.Campaign{}, 0, fmt.Errorf("decode campaign %s: %w", id, err)
	}
	v, _ := strconv.ParseInt(h["v"], 10, 64)
	return c, v, nil
}

// LoadCampaign returns a campaign and its figures, in one round trip;
// see care.CampaignStore.
func (s *Store) LoadCampaign(ctx context.Context, id care.CampaignID) (care.Campaign, care.CampaignTotals, error) {
	if err := id.Validate(); err != nil {
		return care.Campaign{}, care.CampaignTotals{}, err
	}
	pipe := s.client.Pipeline()
	all := pipe.HGetAll(ctx, s.campaignKey(id, "c"))
	todo := make([]*redis.IntCmd, len(shopLanes))
	for i, l := range shopLanes {
		todo[i] = pipe.ZCard(ctx, s.todoKey(id, l))
	}
	runner := pipe.Get(ctx, s.leaseKey(campaignLease(id)))
	_, _ = pipe.Exec(ctx)
	if err := firstErr(all, runner); err != nil {
		return care.Campaign{}, care.CampaignTotals{}, fmt.Errorf("campaign %s: %w", id, unavailable(err))
	}
	c, _, err := decodeCampaign(id, all.Val())
	if err != nil {
		return care.Campaign{}, care.CampaignTotals{}, err
	}
	h := all.Val()
	n := func(f string) int { v, _ := strconv.Atoi(h[f]); return v }
	t := care.CampaignTotals{
		Planned: n("planned"), Outside: n("outside"),
		Sent: n("n:sent"), Deferred: n("n:deferred"), Refused: n("n:refused"), Failed: n("n:failed"),
		Unknown: n("n:unknown"), Gone: n("n:gone"), OptedOut: n("n:optout"), Replied: n("n:reply"),
		Runner: runner.Val(),
	}
	for _, x := range care.Exclusions {
		if v := n("x:" + string(x)); v > 0 {
			if t.Excluded == nil {
				t.Excluded = map[care.Exclusion]int{}
			}
			t.Excluded[x] = v
		}
	}
	for i, l := range shopLanes {
		t.Waiting += int(todo[i].Val())
		t.Queued += n("q:" + string(l))
	}
	return c, t, nil
}

// shopLanes are the lanes of messages the shop starts, where campaigns
// wait.
var shopLanes = func() []care.Lane {
	var out []care.Lane
	for _, l := range allLanes {
		if strings.HasSuffix(string(l), ".shop") {
			out = append(out, l)
		}
	}
	return out
}()

// CampaignLanes says, per lane, what waits and what is in flight; see
// care.CampaignStore.
func (s *Store) CampaignLanes(ctx context.Context, id care.CampaignID) (map[care.Lane]care.LaneProgress, error) {
	pipe := s.client.Pipeline()
	todo := make([]*redis.IntCmd, len(shopLanes))
	for i, l := range shopLanes {
		todo[i] = pipe.ZCard(ctx, s.todoKey(id, l))
	}
	counts := pipe.HGetAll(ctx, s.campaignKey(id, "c"))
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("lanes of campaign %s: %w", id, unavailable(err))
	}
	h := counts.Val()
	out := map[care.Lane]care.LaneProgress{}
	for i, l := range shopLanes {
		q, _ := strconv.Atoi(h["q:"+string(l)])
		f, _ := strconv.Atoi(h["f:"+string(l)])
		out[l] = care.LaneProgress{Waiting: int(todo[i].Val()), InFlight: max(0, q-f)}
	}
	return out, nil
}

// CampaignList returns every campaign, newest first; see
// care.CampaignStore.
func (s *Store) CampaignList(ctx context.Context) ([]care.Campaign, error) {
	ids, err := s.client.ZRevRange(ctx, s.campaignsKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", unavailable(err))
	}
	return s.campaigns(ctx, ids)
}

// campaigns reads the campaigns of ids in one round trip, skipping ids
// with nothing behind them.
func (s *Store) campaigns(ctx context.Context, ids []string) ([]care.Campaign, error) {
	pipe := s.client.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, s.campaignKey(care.CampaignID(id), "c"), "def")
	}
	_, _ = pipe.Exec(ctx)
	var out []care.Campaign
	for i, c := range cmds {
		raw, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list campaigns: %w", unavailable(err))
		}
		var cp care.Campaign
		if err := json.Unmarshal([]byte(raw), &cp); err != nil {
			return nil, fmt.Errorf("decode campaign %s: %w", ids[i], err)
		}
		out = append(out, cp)
	}
	return out, nil
}

// ActiveCampaigns returns the campaigns a runner still looks after; see
// care.CampaignStore.
func (s *Store) ActiveCampaigns(ctx context.Context) ([]care.CampaignID, error) {
	ids, err := s.client.SMembers(ctx, s.activeKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("active campaigns: %w", unavailable(err))
	}
	out := make([]care.CampaignID, 0, len(ids))
	for _, id := range ids {
		out = append(out, care.CampaignID(id))
	}
	return out, nil
}

// Retire takes a campaign out of the active set; see care.CampaignStore.
func (s *Store) Retire(ctx context.Context, id care.CampaignID) error {
	if err := s.client.SRem(ctx, s.activeKey(), string(id)).Err(); err != nil {
		return fmt.Errorf("retire campaign %s: %w", id, unavailable(err))
	}
	return nil
}

// changeCampaignScript rewrites a campaign over the version that was
// read.
//
//	KEYS: the campaign's hash; ARGV: version read, JSON, state
var changeCampaignScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(ARGV[1]) + 1, 'def', ARGV[2], 'state', ARGV[3])
return 1
`)

// ChangeCampaign rewrites a campaign with fn over the version fn saw;
// see care.CampaignStore.
func (s *Store) ChangeCampaign(ctx context.Context, id care.CampaignID, fn func(care.Campaign) (care.Campaign, error)) (care.Campaign, error) {
	if err := id.Validate(); err != nil {
		return care.Campaign{}, err
	}
	for range maxUpdateTries {
		h, err := s.client.HMGet(ctx, s.campaignKey(id, "c"), "v", "def").Result()
		if err != nil {
			return care.Campaign{}, fmt.Errorf("campaign %s: %w", id, unavailable(err))
		}
		v, _ := h[0].(string)
		def, _ := h[1].(string)
		if def == "" {
			return care.Campaign{}, care.Errorf(care.ENotFound, "no campaign %s", id)
		}
		cur, _, err := decodeCampaign(id, map[string]string{"v": v, "def": def})
		if err != nil {
			return care.Campaign{}, err
		}
		next, err := fn(cur)
		if err != nil {
			return care.Campaign{}, err
		}
		next.ID = id
		b, err := json.Marshal(next)
		if err != nil {
			return care.Campaign{}, fmt.Errorf("encode campaign %s: %w", id, err)
		}
		n, err := changeCampaignScript.Run(ctx, s.client, []string{s.campaignKey(id, "c")}, v, b, string(next.State)).Int()
		if err != nil {
			return care.Campaign{}, fmt.Errorf("change campaign %s: %w", id, unavailable(err))
		}
		if n == 1 {
			return next, nil
		}
	}
	return care.Campaign{}, fmt.Errorf("change campaign %s: %w", id, care.ErrConflict)
}

// AddCampaignTest records a test message of the campaign; see
// care.CampaignStore. The record lasts a week: a test waits at most
// that long.
func (s *Store) AddCampaignTest(ctx context.Context, id care.CampaignID, messageID string) error {
	key := s.campaignKey(id, "tests")
	pipe := s.client.Pipeline()
	pipe.SAdd(ctx, key, messageID)
	pipe.Expire(ctx, key, 7*24*time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("record test of campaign %s: %w", id, unavailable(err))
	}
	return nil
}

// campaignStatuses reads, for every delivery of a campaign, the
// campaign's state and whether the message is one of its tests, in one
// round trip: the gate decides from them.
func (s *Store) campaignStatuses(ctx context.Context, ds []care.Delivery) error {
	states := map[care.CampaignID]*redis.StringCmd{}
	tests := map[int]*redis.BoolCmd{}
	var pipe redis.Pipeliner
	for i, d := range ds {
		if d.Campaign == "" {
			continue
		}
		if pipe == nil {
			pipe = s.client.Pipeline()
		}
		id := care.CampaignID(d.Campaign)
		if id.Validate() != nil {
			continue // no such campaign: refused at the gate
		}
		if _, ok := states[id]; !ok {
			states[id] = pipe.HGet(ctx, s.campaignKey(id, "c"), "state")
		}
		if _, _, test, _ := care.ParseCampaignMessageID(d.ID); test {
			tests[i] = pipe.SIsMember(ctx, s.campaignKey(id, "tests"), d.ID)
		}
	}
	if pipe == nil {
		return nil
	}
	_, _ = pipe.Exec(ctx)
	for i := range ds {
		c, ok := states[care.CampaignID(ds[i].Campaign)]
		if !ok {
			continue
		}
		st, err := c.Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read campaign state: %w", unavailable(err))
		}
		ds[i].CampaignStatus.State = care.CampaignState(st)
		if t, ok := tests[i]; ok {
			if err := t.Err(); err != nil {
				return fmt.Errorf("read campaign tests: %w", unavailable(err))
			}
			ds[i].CampaignStatus.Test = t.Val()
		}
	}
	return nil
}
