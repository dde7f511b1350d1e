package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// campaignEnqueueScript stores a campaign's message to a contact and
// marks the contact as reached by the campaign, in one step on the
// contact's slot, unless the mark is there already: however often a
// runner (or two, or one restarted) enqueues the same recipient, the
// contact gets at most one message of the campaign. Like enqueueScript
// it stores only for a live contact and one of its addresses.
//
//	KEYS: outbound bodies, profile, campaign marks
//	ARGV: campaign id, message id, JSON, address ("<channel>:<id>"),
//	      the marks' lifetime in ms
//
// It returns 1 when stored, 0 when the contact was reached before, -1
// when the contact is not live, -2 when the address is not theirs.
var campaignEnqueueScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 0 end
local raw = redis.call('GET', KEYS[2])
if not raw then return -1 end
local ok, p = pcall(cjson.decode, string.sub(raw, string.find(raw, '|', 1, true) + 1))
if not ok or (p.erasing and p.erasing ~= '') or (p.merged_into and p.merged_into ~= '') then return -1 end
local found = false
if type(p.addresses) == 'table' then
  for _, a in ipairs(p.addresses) do
    if a.channel .. ':' .. a.id == ARGV[4] then found = true end
  end
end
if not found then return -2 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return 1
`)

// EnqueueCampaign queues each message unless its contact was reached by
// the campaign before; see care.CampaignStore. As Enqueue does, it adds
// the lane entries first, on the same connection, and takes back those
// whose message was not stored.
func (s *Store) EnqueueCampaign(ctx context.Context, id care.CampaignID, ms []care.Outbound) []error {
	errs := make([]error, len(ms))
	bodies := make([][]byte, len(ms))
	for i := range ms {
		ms[i].Seq = seqOf(ms[i].Created, 0)
		err := validOutbound(ms[i])
		if err == nil && (ms[i].Campaign != string(id) || ms[i].Class != care.Promotional) {
			err = care.Errorf(care.EInvalid, "campaign message %s: not a promotion of campaign %s", ms[i].ID, id)
		}
		if err == nil {
			bodies[i], err = json.Marshal(ms[i])
		}
		errs[i] = err
	}
	var todo []int
	for i := range ms {
		if errs[i] == nil {
			todo = append(todo, i)
		}
	}
	for round := 0; len(todo) > 0; round++ {
		pipe := s.client.Pipeline()
		refs := make(map[int][]queued, len(todo))
		cmds := make(map[int]*redis.Cmd, len(todo))
		for _, i := range todo {
			m := ms[i]
			refs[i] = s.queueRefs(ctx, pipe, []care.Outbound{m})
			cmds[i] = campaignEnqueueScript.EvalSha(ctx, pipe,
				[]string{s.key(m.Contact, keyOutbound), s.key(m.Contact, keyProfile), s.key(m.Contact, keyCampaigns)},
				string(id), m.ID, bodies[i], m.Address.String(), markTTL.Milliseconds())
		}
		_, _ = pipe.Exec(ctx)
		var drop []laneRef
		var again []int
		for _, i := range todo {
			n, err := cmds[i].Int64()
			switch {
			case noScript(err):
				again = append(again, i)
			case err != nil:
				errs[i] = fmt.Errorf("enqueue campaign %s to %s: %w", id, ms[i].Contact, unavailable(err))
			case n == -1:
				errs[i] = care.Errorf(care.ENotFound, "enqueue campaign %s to %s: no such contact (erased, merged or never seen)", id, ms[i].Contact)
			case n == -2:
				errs[i] = care.Errorf(care.EInvalid, "enqueue campaign %s to %s: an address that is not the contact's", id, ms[i].Contact)
			}
			if n != 1 || err != nil {
				drop = append(drop, refsOf(refs[i])...)
			}
		}
		s.dropRefs(ctx, drop)
		if len(again) == 0 {
			break
		}
		// Redis forgot the script (a restart, a failover); nothing of
		// those messages was stored. Load it and go again, once.
		err := campaignEnqueueScript.Load(ctx, s.client).Err()
		if err != nil || round > 0 {
			for _, i := range again {
				errs[i] = fmt.Errorf("enqueue campaign %s: %w", id, unavailable(cmp.Or(err, cmds[i].Err())))
			}
			break
		}
		todo = again
	}
	return errs
}

// A recipient's line is "<status>|<ms>|<lane>|<reason>".

// recordRecipientsScript records recipients queued or refused before
// the outbox and takes them off a lane's waiting list. A line that is
// there already stays: the outcome folded from the audit may have come
// first.
//
//	KEYS: campaign hash, lines, waiting list
//	ARGV: now ms, then contact, lane, status, reason for each
var recordRecipientsScript = redis.NewScript(`
for i = 2, #ARGV, 4 do
  local c, lane, st, why = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('HSETNX', KEYS[2], c, st .. '|' .. ARGV[1] .. '|' .. lane .. '|' .. why) == 1 then
    if st == 'queued' then
      redis.call('HINCRBY', KEYS[1], 'q:' .. lane, 1)
    else
      redis.call('HINCRBY', KEYS[1], 'n:' .. st, 1)
    end
  end
  redis.call('ZREM', KEYS[3], c)
end
return 1
`)

// RecordRecipients records recipients queued or refused before the
// outbox, one script per waiting list; see care.CampaignStore.
func (s *Store) RecordRecipients(ctx context.Context, id care.CampaignID, us []care.RecipientUpdate) error {
	byFrom := map[care.Lane][]any{}
	now := s.now().UnixMilli()
	for _, u := range us {
		if u.Status != care.RecipientQueued && u.Status != care.RecipientRefused {
			return care.Errorf(care.EInvalid, "record recipient %s: status %q before the outbox", u.Contact, u.Status)
		}
		if _, ok := byFrom[u.From]; !ok {
			byFrom[u.From] = []any{now}
		}
		byFrom[u.From] = append(byFrom[u.From], string(u.Contact), string(u.Lane), string(u.Status), lineSafe(u.Reason))
	}
	var calls []scriptCall
	for from, args := range byFrom {
		calls = append(calls, scriptCall{recordRecipientsScript,
			[]string{s.campaignKey(id, "c"), s.campaignKey(id, "r"), s.todoKey(id, from)}, args})
	}
	for _, c := range s.runAll(ctx, calls) {
		if err := c.Err(); err != nil {
			return fmt.Errorf("record recipients of campaign %s: %w", id, unavailable(err))
		}
	}
	return nil
}

// lineSafe keeps a reason from breaking a recipient's line.
func lineSafe(s string) string { return strings.ReplaceAll(s, "|", "/") }

// foldScript records outcomes read from the audit, once: it moves the
// fold's cursor only from where the caller read it. A final outcome
// (sent, refused, failed, unknown) is never replaced; "gone" is, by the
// outcome that turns up after all. The recent attempts the safety
// checks count are the channel's answers, sent or failed: an unknown
// outcome is a sender of ours that died, not the platform refusing.
//
//	KEYS: campaign hash, lines, sent set, recent attempts
//	ARGV: cursor read, new cursor, then contact, status, ms, lane,
//	      reason for each outcome
//
// It returns how many lines changed, or -1 when the cursor moved.
var foldScript = redis.NewScript(`
if (redis.call('HGET', KEYS[1], 'cursor') or '') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'cursor', ARGV[2])
local final = {sent = true, refused = true, failed = true, unknown = true}
local n = 0
for i = 3, #ARGV, 5 do
  local c, st, ms, lane, why = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local old = redis.call('HGET', KEYS[2], c)
  local ost, olane = nil, lane
  if old then
    local a, b, l = string.match(old, '^([^|]*)|([^|]*)|([^|]*)')
    ost = a
    if l and l ~= '' then olane = l end
  end
  if not (ost and final[ost]) then
    if not ost then
      redis.call('HINCRBY', KEYS[1], 'q:' .. lane, 1)
    elseif ost == 'deferred' then
      redis.call('HINCRBY', KEYS[1], 'n:deferred', -1)
    elseif ost == 'gone' then
      redis.call('HINCRBY', KEYS[1], 'n:gone', -1)
      redis.call('HINCRBY', KEYS[1], 'f:' .. olane, -1)
    end
    if final[st] then
      redis.call('HINCRBY', KEYS[1], 'n:' .. st, 1)
      redis.call('HINCRBY', KEYS[1], 'f:' .. olane, 1)
      if st == 'sent' then redis.call('ZADD', KEYS[3], ms, c) end
      if st == 'sent' or st == 'failed' then
        redis.call('LPUSH', KEYS[4], string.sub(st, 1, 1))
        redis.call('LTRIM', KEYS[4], 0, 49)
      end
    elseif st == 'deferred' then
      redis.call('HINCRBY', KEYS[1], 'n:deferred', 1)
    end
    redis.call('HSET', KEYS[2], c, st .. '|' .. ms .. '|' .. olane .. '|' .. why)
    n = n + 1
  end
end
return n
`)

// FoldOutcomes reads up to max audit entries after the campaign's
// cursor and records its recipients' outcomes; see care.CampaignStore.
// Tests of the campaign are not counted. A fold that another made first
// is care.ErrConflict: read again.
func (s *Store) FoldOutcomes(ctx context.Context, id care.CampaignID, max int) (int, error) {
	h, err := s.client.HMGet(ctx, s.campaignKey(id, "c"), "cursor", "def").Result()
	if err != nil {
		return 0, fmt.Errorf("fold campaign %s: %w", id, unavailable(err))
	}
	read, _ := h[0].(string)
	def, _ := h[1].(string)
	from := read
	if from == "" {
		var c care.Campaign
		if err := json.Unmarshal([]byte(def), &c); err != nil {
			return 0, fmt.Errorf("fold campaign %s: %w", id, err)
		}
		from = "0-0"
		if !c.Started.IsZero() {
			from = strconv.FormatInt(c.Started.Add(-time.Second).UnixMilli(), 10) + "-0"
		}
	}
	entries, err := s.client.XRangeN(ctx, s.audit, "("+from, "+", int64(max)).Result()
	if err != nil {
		return 0, fmt.Errorf("fold campaign %s: %w", id, unavailable(err))
	}
	if len(entries) == 0 {
		return 0, nil
	}
	args := []any{read, entries[len(entries)-1].ID}
	for _, e := range entries {
		v := func(k string) string { s, _ := e.Values[k].(string); return s }
		if v("campaign") != string(id) {
			continue
		}
		cid, contact, test, ok := care.ParseCampaignMessageID(v("m"))
		if !ok || test || cid != id {
			continue
		}
		st, why := auditStatus(v)
		at, err := time.Parse(time.RFC3339Nano, v("at"))
		if err != nil {
			at = entryTime(e.ID)
		}
		args = append(args, string(contact), string(st), at.UnixMilli(), v("lane"), lineSafe(why))
	}
	n, err := foldScript.Run(ctx, s.client, []string{s.campaignKey(id, "c"), s.campaignKey(id, "r"),
		s.campaignKey(id, "sent"), s.campaignKey(id, "recent")}, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("fold campaign %s: %w", id, unavailable(err))
	}
	if n < 0 {
		return 0, fmt.Errorf("fold campaign %s: %w", id, care.ErrConflict)
	}
	return len(entries), nil
}

// auditStatus is what an audit entry says became of a message.
func auditStatus(v func(string) string) (care.RecipientStatus, string) {
	why := v("reason")
	switch care.Verdict(v("verdict")) {
	case care.Refuse:
		return care.RecipientRefused, why
	case care.Defer:
		if u := v("until"); u != "" {
			why += " (until " + u + ")"
		}
		return care.RecipientDeferred, why
	}
	switch {
	case v("sent") == "true":
		return care.RecipientSent, ""
	case strings.HasPrefix(why, "outcome unknown"):
		return care.RecipientUnknown, why
	case v("error") != "":
		return care.RecipientFailed, why + ": " + v("error")
	}
	return care.RecipientFailed, why
}

// RecentFailures counts the failures among the campaign's last 50
// delivery attempts; see care.CampaignStore.
func (s *Store) RecentFailures(ctx context.Context, id care.CampaignID) (int, int, error) {
	marks, err := s.client.LRange(ctx, s.campaignKey(id, "recent"), 0, 49).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("recent attempts of campaign %s: %w", id, unavailable(err))
	}
	failed := 0
	for _, m := range marks {
		if m == "f" {
			failed++
		}
	}
	return failed, len(marks), nil
}

// ClearRecent forgets the campaign's recent attempts; see
// care.CampaignStore.
func (s *Store) ClearRecent(ctx context.Context, id care.CampaignID) error {
	if err := s.client.Del(ctx, s.campaignKey(id, "recent")).Err(); err != nil {
		return fmt.Errorf("clear recent attempts of campaign %s: %w", id, unavailable(err))
	}
	return nil
}

// SentSince returns up to n recipients sent to after since, and after
// the recipient after, in time order; see care.CampaignStore.
func (s *Store) SentSince(ctx context.Context, id care.CampaignID, since time.Time, after care.SentTo, n int) ([]care.SentTo, error) {
	from := since.UnixMilli()
	if after.At.UnixMilli() > from {
		from = after.At.UnixMilli()
	}
	zs, err := s.client.ZRangeByScoreWithScores(ctx, s.campaignKey(id, "sent"), &redis.ZRangeBy{
		Min: strconv.FormatInt(from, 10), Max: "+inf", Count: int64(n) + 1000,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("recipients sent to by campaign %s: %w", id, unavailable(err))
	}
	out := make([]care.SentTo, 0, n)
	for _, z := range zs {
		m, _ := z.Member.(string)
		ms := int64(z.Score)
		if after.Contact != "" && ms == after.At.UnixMilli() && m <= string(after.Contact) {
			continue
		}
		out = append(out, care.SentTo{Contact: care.ContactID(m), At: time.UnixMilli(ms)})
		if len(out) == n {
			break
		}
	}
	return out, nil
}

// recordAfterScript records each recipient's first opt-out and first
// reply after their message, counting them.
//
//	KEYS: campaign hash, after; ARGV: field, ms, counter for each
var recordAfterScript = redis.NewScript(`
for i = 1, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('HINCRBY', KEYS[1], ARGV[i + 2], 1)
  end
end
return 1
`)

// RecordAfter records opt-outs and replies, each recipient's first of
// each; see care.CampaignStore.
func (s *Store) RecordAfter(ctx context.Context, id care.CampaignID, es []care.AfterEvent) error {
	if len(es) == 0 {
		return nil
	}
	args := make([]any, 0, 3*len(es))
	for _, e := range es {
		field, counter := string(e.Contact)+":r", "n:reply"
		if e.OptOut {
			field, counter = string(e.Contact)+":o", "n:optout"
		}
		args = append(args, field, e.At.UnixMilli(), counter)
	}
	if err := recordAfterScript.Run(ctx, s.client, []string{s.campaignKey(id, "c"), s.campaignKey(id, "after")}, args...).Err(); err != nil {
		return fmt.Errorf("record opt-outs and replies of campaign %s: %w", id, unavailable(err))
	}
	return nil
}

// goneScript marks recipients gone whose line has not changed since it
// was read.
//
//	KEYS: campaign hash, lines; ARGV: now ms, then contact and the line
//	read for each
var goneScript = redis.NewScript(`
local n = 0
for i = 2, #ARGV, 2 do
  local c, old = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[2], c) == old then
    local st, ms, lane = string.match(old, '^([^|]*)|([^|]*)|([^|]*)')
    if st == 'deferred' then redis.call('HINCRBY', KEYS[1], 'n:deferred', -1) end
    redis.call('HINCRBY', KEYS[1], 'n:gone', 1)
    redis.call('HINCRBY', KEYS[1], 'f:' .. lane, 1)
    redis.call('HSET', KEYS[2], c, 'gone|' .. ARGV[1] .. '|' .. lane .. '|left the outbox with no outcome')
    n = n + 1
  end
end
return n
`)

// Reconcile marks gone the recipients in flight, unchanged over
// olderThan, whose message is no longer in the outbox; see
// care.CampaignStore.
func (s *Store) Reconcile(ctx context.Context, id care.CampaignID, olderThan time.Duration) (int, error) {
	cutoff := s.now().Add(-olderThan).UnixMilli()
	var cursor uint64
	total := 0
	for {
		kv, next, err := s.client.HScan(ctx, s.campaignKey(id, "r"), cursor, "*", 1000).Result()
		if err != nil {
			return total, fmt.Errorf("reconcile campaign %s: %w", id, unavailable(err))
		}
		type cand struct {
			c    care.ContactID
			line string
			has  *redis.BoolCmd
		}
		var cands []cand
		pipe := s.client.Pipeline()
		for i := 0; i+1 < len(kv); i += 2 {
			st, ms, _, _ := splitLine(kv[i+1])
			if (st == care.RecipientQueued || st == care.RecipientDeferred) && ms < cutoff {
				c := care.ContactID(kv[i])
				cands = append(cands, cand{c, kv[i+1], pipe.HExists(ctx, s.key(c, keyOutbound), care.CampaignMessageID(id, c))})
			}
		}
		if len(cands) > 0 {
			_, _ = pipe.Exec(ctx)
			args := []any{s.now().UnixMilli()}
			for _, c := range cands {
				has, err := c.has.Result()
				if err != nil {
					return total, fmt.Errorf("reconcile campaign %s: %w", id, unavailable(err))
				}
				if !has {
					args = append(args, string(c.c), c.line)
				}
			}
			if len(args) > 1 {
				n, err := goneScript.Run(ctx, s.client, []string{s.campaignKey(id, "c"), s.campaignKey(id, "r")}, args...).Int()
				if err != nil {
					return total, fmt.Errorf("reconcile campaign %s: %w", id, unavailable(err))
				}
				total += n
			}
		}
		if next == 0 {
			return total, nil
		}
		cursor = next
	}
}

// splitLine reads a recipient's line.
func splitLine(line string) (st care.RecipientStatus, ms int64, lane, why string) {
	parts := strings.SplitN(line, "|", 4)
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	ms, _ = strconv.ParseInt(parts[1], 10, 64)
	return care.RecipientStatus(parts[0]), ms, parts[2], parts[3]
}

// RecipientPage returns one page of the recipients' lines with their
// opt-outs and replies; see care.CampaignStore.
func (s *Store) RecipientPage(ctx context.Context, id care.CampaignID, cursor uint64, n int) ([]care.Recipient, uint64, error) {
	kv, next, err := s.client.HScan(ctx, s.campaignKey(id, "r"), cursor, "*", int64(n)).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("recipients of campaign %s: %w", id, unavailable(err))
	}
	if len(kv) == 0 {
		return nil, next, nil
	}
	out := make([]care.Recipient, 0, len(kv)/2)
	fields := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		st, ms, lane, why := splitLine(kv[i+1])
		ch, _, _ := strings.Cut(lane, ".")
		out = append(out, care.Recipient{Contact: care.ContactID(kv[i]), Channel: care.Channel(ch), Status: st, Reason: why, At: time.UnixMilli(ms)})
		fields = append(fields, kv[i]+":o", kv[i]+":r")
	}
	after, err := s.client.HMGet(ctx, s.campaignKey(id, "after"), fields...).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("recipients of campaign %s: %w", id, unavailable(err))
	}
	at := func(v any) time.Time {
		str, _ := v.(string)
		ms, err := strconv.ParseInt(str, 10, 64)
		if err != nil {
			return time.Time{}
		}
		return time.UnixMilli(ms)
	}
	for i := range out {
		out[i].OptedOut, out[i].Replied = at(after[2*i]), at(after[2*i+1])
	}
	return out, next, nil
}
