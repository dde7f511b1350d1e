package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// takeScript marks the messages of one step (the messages of one lane
// entry, in order) taken by a delivery, with the sender and the time,
// unless a message is gone, already taken, or not its contact's next in
// its lane, and returns them with the contact's profile. For a
// promotion it first checks, in the same atomic step, that the profile
// still grants promotions: a STOP committed after the promotion was
// queued must still win, and the promotion is dropped. A mark older
// than the take timeout (its sender died mid-send) is replaced by the
// delivery's own: the delivery takes the abandoned message over, so one
// sender alone decides what became of it. A message that is not taken
// (busy, abandoned, behind) holds back every later one of the step.
//
//	KEYS: outbound bodies, taken markers, profile
//	ARGV: 1 marker "<consumer>|<ms>|<entry>", 2 "promo", "" or "?"
//	      (unknown: from the first message), 3 now ms, 4 take timeout
//	      ms, 5 the lane, 6 "<consumer>|", 7 "|<entry>", 8 the first
//	      message's seq ("": from the message), then the message ids
//
// It returns the profile (or nil), then per message a care.TakeResult
// (-1: no promotions consent) and the message (or nil).
var takeScript = redis.NewScript(`
local ids = {}
for i = 9, #ARGV do ids[#ids + 1] = ARGV[i] end
local bodies = redis.call('HMGET', KEYS[1], unpack(ids))
local mine, n = {}, 0
for j, id in ipairs(ids) do
  mine[id] = true
  if bodies[j] then n = n + 1 end
end
local seq, promo = tonumber(ARGV[8]), ARGV[2] == 'promo'
if (not seq or ARGV[2] == '?') and n > 0 then
  for j = 1, #ids do
    if bodies[j] then
      local ok, m = pcall(cjson.decode, bodies[j])
      if ok then
        if not seq and type(m.q) == 'number' then seq = m.q end
        if ARGV[2] == '?' then promo = m.class == 'promotional' end
      end
      break
    end
  end
end
local first = nil
if seq and redis.call('HLEN', KEYS[1]) > n then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if not mine[all[i]] then
      local ok, m = pcall(cjson.decode, all[i + 1])
      if ok and type(m.q) == 'number' and type(m.address) == 'table' then
        local ch = m.address.channel
        if type(m.address.id) == 'string' and string.sub(m.address.id, 1, 4) == 'sim-' then ch = 'sim' end
        local lane = ch .. '.shop'
        if m.class == 'reply' or m.class == 'staff_alert' then lane = ch .. '.reply' end
        if lane == ARGV[5] and (first == nil or m.q < first) then first = m.q end
      end
    end
  end
end
local prof = redis.call('GET', KEYS[3])
local consent = true
if promo then
  consent = false
  if prof then
    local ok, p = pcall(cjson.decode, string.sub(prof, string.find(prof, '|', 1, true) + 1))
    consent = ok and type(p.consent) == 'table' and type(p.consent.promotions) == 'table' and p.consent.promotions.granted == true
  end
end
local out = {prof or false}
local blocked = false
for j, id in ipairs(ids) do
  local r
  if blocked then
    r = 2
  elseif not bodies[j] then
    r = 1
  else
    local t = redis.call('HGET', KEYS[2], id)
    if t then
      if string.sub(t, 1, string.len(ARGV[6])) == ARGV[6] and string.sub(t, -string.len(ARGV[7])) == ARGV[7] then
        r = 0
      else
        local at = tonumber(string.match(t, '|(%d+)|'))
        if at and tonumber(ARGV[3]) - at > tonumber(ARGV[4]) then
          redis.call('HSET', KEYS[2], id, ARGV[1])
          r = 4
        else
          r = 3
        end
        blocked = true
      end
    elseif first ~= nil and first < seq then
      r = 2
      blocked = true
    elseif not consent then
      redis.call('HDEL', KEYS[1], id)
      r = -1
    else
      redis.call('HSET', KEYS[2], id, ARGV[1])
      r = 0
    end
  end
  out[#out + 1] = r
  out[#out + 1] = bodies[j]
end
return out
`)

// Take claims d for sending, atomically: the message is marked with the
// delivery's consumer, the time and its entry. Taking again under the
// same entry by the same consumer is Taken again; an entry another
// consumer reclaimed is not the same claim. See care.Outbox.TakeAll,
// which also reads the message.
func (s *Store) Take(ctx context.Context, d care.Delivery) (care.TakeResult, error) {
	res, errs := s.TakeAll(ctx, []care.Delivery{d})
	return res[0], errs[0]
}

// TakeAll takes deliveries in one round trip, one script call a step,
// and fills each one found with its message and its contact's profile
// (an alert's staff chat and a campaign message's campaign cost one
// more round trip). See care.Outbox.
func (s *Store) TakeAll(ctx context.Context, ds []care.Delivery) ([]care.TakeResult, []error) {
	res := make([]care.TakeResult, len(ds))
	errs := make([]error, len(ds))
	var calls []scriptCall
	var parts [][]int
	for _, st := range stepRanges(ds) {
		var idx []int
		for i := st[0]; i < st[1]; i++ {
			if err := validDelivery(ds[i]); err != nil {
				res[i], errs[i] = care.Gone, fmt.Errorf("take: %w", err)
				continue
			}
			idx = append(idx, i)
		}
		if len(idx) == 0 {
			continue
		}
		d := ds[idx[0]]
		promo, seq := "", ""
		switch {
		case d.Seq < 0:
			promo = "?"
		case d.Class == care.Promotional:
			promo = "promo"
		}
		if d.Seq >= 0 {
			seq = strconv.FormatInt(d.Seq, 10)
		}
		args := []any{s.marker(d), promo, s.now().UnixMilli(), s.takeTimeout.Milliseconds(), string(d.Lane), d.Consumer + "|", "|" + d.Ref, seq}
		for _, i := range idx {
			args = append(args, ds[i].ID)
		}
		calls = append(calls, scriptCall{takeScript,
			[]string{s.key(d.Contact, keyOutbound), s.key(d.Contact, keyTaken), s.key(d.Contact, keyProfile)}, args})
		parts = append(parts, idx)
	}
	later := map[string]float64{}
	filled, where := make([]care.Delivery, 0, len(ds)), make([]int, 0, len(ds))
	for k, c := range s.runAll(ctx, calls) {
		idx := parts[k]
		v, err := c.Slice()
		if err == nil && len(v) != 1+2*len(idx) {
			err = fmt.Errorf("take answered %d values for %d messages", len(v), len(idx))
		}
		if err != nil {
			for _, i := range idx {
				res[i], errs[i] = care.Gone, fmt.Errorf("take message %s of %s: %w", ds[i].ID, ds[i].Contact, err)
			}
			continue
		}
		var prof care.Contact
		if raw, ok := v[0].(string); ok {
			// A profile that does not decode counts as none: the gate
			// then refuses everything.
			prof, _ = decodeProfile(raw)
		}
		missing := 0
		for j, i := range idx {
			n, _ := v[1+2*j].(int64)
			body, found := v[2+2*j].(string)
			switch {
			case n < 0:
				res[i], errs[i] = care.Gone, care.ErrNoConsent
			default:
				res[i] = care.TakeResult(n)
			}
			if !found {
				missing++
				continue
			}
			if err := fill(&ds[i], body, prof); err != nil {
				// One broken record must not hold the rest: it went to
				// the dead letters, and the step goes on without it.
				res[i], errs[i] = care.Gone, nil
				if err := s.dropBroken(ctx, ds[i], body, err); err != nil {
					errs[i] = err
				}
				continue
			}
			if res[i] == care.Taken || res[i] == care.Abandoned {
				filled, where = append(filled, ds[i]), append(where, i)
			}
		}
		d := ds[idx[0]]
		if missing == len(idx) && !d.Again && s.now().Sub(entryTime(d.Ref)) < earlyRetry {
			// Read before its messages were stored: once more, a second
			// later.
			ids := make([]string, len(idx))
			for j, i := range idx {
				ids[j] = ds[i].ID
			}
			later[laterMember(d.Lane, d.Contact, strings.Join(ids, idSep))+" 1"] = float64(s.now().Add(time.Second).UnixMilli())
		}
	}
	if len(later) > 0 {
		if err := s.release(ctx, nil, later); err != nil {
			for i := range ds {
				if res[i] == care.Gone && errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	err := s.staffChatStates(ctx, filled)
	if err == nil {
		err = s.campaignStatuses(ctx, filled)
	}
	for k, i := range where {
		switch {
		case err == nil:
			ds[i] = filled[k]
		case res[i] == care.Taken:
			// Without its chat's link or its campaign's state the gate
			// cannot decide: the message waits and is taken again. (One
			// taken over from a dead sender is settled without the gate.)
			errs[i] = err
		}
	}
	return res, errs
}

// fill decodes a message into d, keeping what Next named, with the
// contact's profile.
func fill(d *care.Delivery, body string, prof care.Contact) error {
	var m care.Outbound
	if err := decodeRecord([]byte(body), &m); err != nil {
		return err
	}
	if m.Contact != d.Contact || m.ID != d.ID {
		return errors.New("message does not match its entry")
	}
	d.Outbound, d.Profile = m, prof
	return nil
}

// dropBroken moves a message that does not decode to the dead letters
// and drops it with its marker.
func (s *Store) dropBroken(ctx context.Context, d care.Delivery, body string, why error) error {
	if err := s.deadLetter(ctx, entry{lane: d.Lane, XMessage: redis.XMessage{ID: d.Ref}}, d.Contact, d.ID, body, why.Error()); err != nil {
		return err
	}
	if err := s.client.HDel(ctx, s.key(d.Contact, keyOutbound), d.ID).Err(); err != nil {
		return fmt.Errorf("drop undecodable message %s: %w", d.ID, err)
	}
	if err := s.client.HDel(ctx, s.key(d.Contact, keyTaken), d.ID).Err(); err != nil {
		return fmt.Errorf("drop undecodable message %s: %w", d.ID, err)
	}
	return nil
}

// stepRanges are the index ranges [start, end) of care.Steps(ds).
func stepRanges(ds []care.Delivery) [][2]int {
	var out [][2]int
	start := 0
	for _, st := range care.Steps(ds) {
		out = append(out, [2]int{start, start + len(st)})
		start += len(st)
	}
	return out
}

// marker is a delivery's claim on its message: the consumer, when, and
// the entry, so that an entry another consumer reclaims after a crash
// does not count as the claim of the one that crashed.
func (s *Store) marker(d care.Delivery) string {
	return d.Consumer + "|" + strconv.FormatInt(s.now().UnixMilli(), 10) + "|" + d.Ref
}

// releaseScript ends a delivery's claims on the messages of one step.
// Mode "settle" also deletes the body, unless another entry holds the
// message (a duplicate entry being settled while the real one sends);
// "entry" touches nothing (the message was gone when taken: one stored
// just after its entry was read goes on the entry's second read);
// "abandon" deletes the body and another sender's stale marker, and
// answers 0 when another sender did so first; "defer" only drops the
// delivery's own marker.
//
//	KEYS: outbound bodies, taken markers; ARGV: "<consumer>|",
//	"|<entry>", then each message's id and mode
//
// It answers 1 or 0 per message.
var releaseScript = redis.NewScript(`
local out = {}
for i = 3, #ARGV, 2 do
  local id, mode = ARGV[i], ARGV[i + 1]
  local cur = redis.call('HGET', KEYS[2], id)
  if mode == 'abandon' then
    redis.call('HDEL', KEYS[2], id)
    out[#out + 1] = redis.call('HDEL', KEYS[1], id)
  elseif cur and (string.sub(cur, 1, string.len(ARGV[1])) ~= ARGV[1] or string.sub(cur, -string.len(ARGV[2])) ~= ARGV[2]) then
    out[#out + 1] = 0
  else
    if mode ~= 'entry' then
      if cur then redis.call('HDEL', KEYS[2], id) end
      if mode == 'settle' then redis.call('HDEL', KEYS[1], id) end
    end
    out[#out + 1] = 1
  end
end
return out
`)

// releaseCall is the releaseScript call for messages ids of one step,
// each with its mode; d is the step's first delivery.
func (s *Store) releaseCall(d care.Delivery, ids, modes []string) scriptCall {
	args := make([]any, 0, 2+2*len(ids))
	args = append(args, d.Consumer+"|", "|"+d.Ref)
	for i, id := range ids {
		args = append(args, id, modes[i])
	}
	return scriptCall{releaseScript, []string{s.key(d.Contact, keyOutbound), s.key(d.Contact, keyTaken)}, args}
}

// Settle records the outcome in the audit stream (and the dead letters
// when it failed), releases the message and its lane entry. A delivery
// whose message another entry holds releases only its own entry; one
// whose outcome is unknown (its sender died mid-send) releases the
// message whoever took it, recorded once. A quiet outcome leaves no
// audit entry (an entry whose message is gone). Settling again does no
// harm but records the outcome again.
func (s *Store) Settle(ctx context.Context, d care.Delivery, o care.Outcome) error {
	if o.Verdict == care.Defer {
		return care.Errorf(care.EInvalid, "settle message %s: a deferral is Defer's", d.ID)
	}
	return s.SettleAll(ctx, []care.Delivery{d}, []care.Outcome{o})[0]
}

// Defer records the outcome and holds the message back until o.Until:
// the delivery's own claim is released (the channel did not send it),
// then the reference moves from its lane to the held-back set, in one
// step.
func (s *Store) Defer(ctx context.Context, d care.Delivery, o care.Outcome) error {
	o.Verdict = care.Defer
	return s.SettleAll(ctx, []care.Delivery{d}, []care.Outcome{o})[0]
}

// SettleAll settles, or defers (an outcome with verdict Defer), several
// deliveries in one round trip: per step (the consecutive messages of
// one lane entry) one release of the claims on its messages and one
// record of their outcomes in the shared keys, which also acknowledges
// the entry. An outcome whose result is unknown is settled alone:
// whether it is audited depends on the release.
func (s *Store) SettleAll(ctx context.Context, ds []care.Delivery, os []care.Outcome) []error {
	errs := make([]error, len(ds))
	var calls []scriptCall
	var parts []settlePart
	byLane := map[care.Lane]*laneRecords{}
	var lanes []*laneRecords
	for _, st := range stepRanges(ds) {
		var idx []int
		var modes []string
		var recs []record
		for i := st[0]; i < st[1]; i++ {
			d, o := ds[i], os[i]
			if err := validDelivery(d); err != nil {
				errs[i] = fmt.Errorf("settle: %w", err)
				continue
			}
			if o.Verdict == care.Defer && o.Until.IsZero() {
				errs[i] = care.Errorf(care.EInvalid, "defer message %s: no time to try again", d.ID)
				continue
			}
			if o.At.IsZero() {
				o.At = s.now()
			}
			if o.Unknown {
				errs[i] = s.settleUnknown(ctx, d, o)
				continue
			}
			var rec record
			mode := "settle"
			switch {
			case o.Verdict == care.Refuse && o.Quiet:
				mode = "entry"
			case o.Verdict == care.Defer:
				mode = "defer"
				rec.later = laterMember(d.Lane, d.Contact, d.ID)
				rec.score = o.Until.UnixMilli()
			}
			if !o.Quiet {
				rec.audit = s.auditFields(d, o, o.At)
			}
			if o.Error != "" {
				body, err := json.Marshal(d.Outbound)
				if err != nil {
					errs[i] = fmt.Errorf("settle message %s: %w", d.ID, err)
					continue
				}
				rec.dead = []string{"m", d.ID, "c", string(d.Contact), "class", string(d.Class), "reason", o.Reason,
					"error", o.Error, "at", o.At.UTC().Format(time.RFC3339Nano), "body", string(body), "about", joinIDs(d.About)}
			}
			idx, modes, recs = append(idx, i), append(modes, mode), append(recs, rec)
		}
		if len(idx) == 0 {
			continue
		}
		ids := make([]string, len(idx))
		for k, i := range idx {
			ids[k] = ds[i].ID
		}
		calls = append(calls, s.releaseCall(ds[idx[0]], ids, modes))
		lane, ref := laneEntry(ds[idx[0]])
		r := byLane[lane]
		if r == nil {
			r = &laneRecords{lane: lane}
			byLane[lane] = r
			lanes = append(lanes, r)
		}
		if ref != "" {
			r.refs = append(r.refs, ref)
		}
		r.recs = append(r.recs, recs...)
		parts = append(parts, settlePart{idx, len(calls) - 1, r})
	}
	for _, r := range lanes {
		r.call = len(calls)
		calls = append(calls, s.recordCall(r.lane, r.refs, r.recs))
	}
	cmds := s.runAll(ctx, calls)
	for _, p := range parts {
		err := cmds[p.release].Err()
		if err == nil {
			err = cmds[p.lane.call].Err()
		}
		if err != nil {
			for _, i := range p.idx {
				errs[i] = fmt.Errorf("settle message %s of %s: %w", ds[i].ID, ds[i].Contact, err)
			}
		}
	}
	return errs
}

// settlePart is one step of a SettleAll: its deliveries' indexes, its
// release call and the record of its lane.
type settlePart struct {
	idx     []int
	release int
	lane    *laneRecords
}

// laneRecords are the outcomes of a SettleAll's steps read from one
// lane, recorded in one call (call, its index): the lane entries to
// acknowledge and each message's record.
type laneRecords struct {
	lane care.Lane
	refs []string
	recs []record
	call int
}

// laneEntry is the lane and the entry id a delivery's outcome
// acknowledges: none for a delivery that names no valid lane.
func laneEntry(d care.Delivery) (care.Lane, string) {
	if validLane(d.Lane) != nil {
		return allLanes[0], ""
	}
	return d.Lane, d.Ref
}

// settleUnknown settles a message its sender took and never settled:
// released whoever took it, and audited once, by whoever released it.
func (s *Store) settleUnknown(ctx context.Context, d care.Delivery, o care.Outcome) error {
	c := s.releaseCall(d, []string{d.ID}, []string{"abandon"})
	ns, err := c.script.Run(ctx, s.client, c.keys, c.args...).Int64Slice()
	if err != nil {
		return fmt.Errorf("settle message %s of %s: %w", d.ID, d.Contact, err)
	}
	var rec record
	if len(ns) == 1 && ns[0] == 1 && !o.Quiet {
		rec.audit = s.auditFields(d, o, o.At)
	}
	lane, ref := laneEntry(d)
	rc := s.recordCall(lane, []string{ref}, []record{rec})
	if err := rc.script.Run(ctx, s.client, rc.keys, rc.args...).Err(); err != nil {
		return fmt.Errorf("settle message %s of %s: %w", d.ID, d.Contact, err)
	}
	return nil
}

// record is what one outcome leaves in the shared keys: an audit entry,
// a dead letter, a held-back member with its time (ms); each may be
// empty.
type record struct {
	audit, dead []string
	later       string
	score       int64
}

// recordScript records what became of the messages of a lane's entries
// in the shared keys, in one step: per message an audit entry, a dead
// letter, a held-back member; then the entries acknowledged and deleted
// from their lane (an acknowledged entry is never read again, and lanes
// are never trimmed otherwise). One call records the steps of many
// contacts: these keys are shared, unlike the contacts' own.
//
//	KEYS: lane, audit, dead letters, held-back set (all {o})
//	ARGV: audit length cap, dead letters cap, the count of entry ids,
//	      the entry ids, then per message: held-back member ("":
//	      none), its score, the count of audit fields, the count of
//	      dead letter fields, the audit fields, the dead letter's fields
var recordScript = redis.NewScript(`
local nrefs = tonumber(ARGV[3])
local i = 4 + nrefs
while i <= #ARGV do
  local member, score, na, nd = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  i = i + 4
  if na > 0 then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, i, i + na - 1))
  end
  i = i + na
  if nd > 0 then
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, i, i + nd - 1))
  end
  i = i + nd
  if member ~= '' then redis.call('ZADD', KEYS[4], score, member) end
end
if nrefs > 0 then
  redis.call('XACK', KEYS[1], 'senders', unpack(ARGV, 4, 3 + nrefs))
  redis.call('XDEL', KEYS[1], unpack(ARGV, 4, 3 + nrefs))
end
return 1
`)

// recordCall is the recordScript call for the outcomes of the messages
// of lane's entries refs ("" for none).
func (s *Store) recordCall(lane care.Lane, refs []string, recs []record) scriptCall {
	refs = slices.DeleteFunc(slices.Clone(refs), func(r string) bool { return r == "" })
	n := 3 + len(refs)
	for _, r := range recs {
		n += 4 + len(r.audit) + len(r.dead)
	}
	args := make([]any, 0, n)
	args = append(args, auditLen, deadLen, len(refs))
	for _, r := range refs {
		args = append(args, r)
	}
	for _, r := range recs {
		args = append(args, r.later, r.score, len(r.audit), len(r.dead))
		for _, f := range r.audit {
			args = append(args, f)
		}
		for _, f := range r.dead {
			args = append(args, f)
		}
	}
	return scriptCall{recordScript, []string{s.laneKey(lane), s.audit, s.dead, s.later}, args}
}

// auditFields are the audit entry of an outcome. It names the contact
// by its id, which holds nothing about the person, and never the text or
// the address.
func (s *Store) auditFields(d care.Delivery, o care.Outcome, at time.Time) []string {
	vals := []string{"c", string(d.Contact), "m", d.ID, "class", string(d.Class), "origin", string(d.Origin),
		"lane", string(d.Lane), "verdict", string(o.Verdict), "reason", o.Reason, "sent", strconv.FormatBool(o.Sent),
		"error", o.Error, "at", at.UTC().Format(time.RFC3339Nano)}
	if d.Campaign != "" {
		vals = append(vals, "campaign", d.Campaign)
	}
	if !o.Until.IsZero() {
		vals = append(vals, "until", o.Until.UTC().Format(time.RFC3339Nano))
	}
	return vals
}

// enqueueScript stores messages composed outside a conversation step,
// only for a live contact and only at one of its addresses.
//
//	KEYS: outbound bodies, profile; ARGV: id, JSON, address pairs
//	("<channel>:<id>")
//
// It returns 1 when stored, -1 when the contact is not live (erased,
// being erased, merged away, never seen), -2 when an address is not
// the contact's. A message id already stored is left as it is.
var enqueueScript = redis.NewScript(`
local raw = redis.call('GET', KEYS[2])
if not raw then return -1 end
local ok, p = pcall(cjson.decode, string.sub(raw, string.find(raw, '|', 1, true) + 1))
if not ok or (p.erasing and p.erasing ~= '') or (p.merged_into and p.merged_into ~= '') then return -1 end
local have = {}
if type(p.addresses) == 'table' then
  for _, a in ipairs(p.addresses) do have[a.channel .. ':' .. a.id] = true end
end
for i = 1, #ARGV, 3 do
  if not have[ARGV[i + 2]] then return -2 end
end
for i = 1, #ARGV, 3 do
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return 1
`)

// Enqueue stores messages composed outside a conversation step (a staff
// member's reply, an order update, a promotion, a follow-up) with their
// lane entries, contact by contact. Replies are the runtime's and
// staff's alone; any message to a contact that is not live, or to an
// address that is not theirs, is refused whole for that contact.
func (s *Store) Enqueue(ctx context.Context, ms []care.Outbound) error {
	err := s.enqueue(ctx, ms)
	if noScript(err) {
		// Redis forgot the script; nothing was stored (the entries were
		// taken back). Load it and go again.
		if err := enqueueScript.Load(ctx, s.client).Err(); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		return s.enqueue(ctx, ms)
	}
	return err
}

func (s *Store) enqueue(ctx context.Context, ms []care.Outbound) error {
	byContact := map[care.ContactID][]care.Outbound{}
	var order []care.ContactID
	for i, m := range ms {
		if err := validOutbound(m); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		m.Seq = seqOf(m.Created, i)
		if _, ok := byContact[m.Contact]; !ok {
			order = append(order, m.Contact)
		}
		byContact[m.Contact] = append(byContact[m.Contact], m)
	}
	pipe := s.client.Pipeline()
	scripts := make([]*redis.Cmd, len(order))
	refs := make([][]queued, len(order))
	for k, id := range order {
		group := byContact[id]
		refs[k] = s.queueRefs(ctx, pipe, group)
		args := make([]any, 0, 3*len(group))
		for _, m := range group {
			b, err := json.Marshal(m)
			if err != nil {
				return fmt.Errorf("enqueue message %s: %w", m.ID, err)
			}
			args = append(args, m.ID, b, m.Address.String())
		}
		scripts[k] = enqueueScript.EvalSha(ctx, pipe, []string{s.key(id, keyOutbound), s.key(id, keyProfile)}, args...)
	}
	_, _ = pipe.Exec(ctx)
	var errs []error
	for k, id := range order {
		n, err := scripts[k].Int64()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("enqueue to %s: %w", id, err))
		case n == -1:
			errs = append(errs, care.Errorf(care.ENotFound, "enqueue to %s: no such contact (erased, merged or never seen)", id))
		case n == -2:
			errs = append(errs, care.Errorf(care.EInvalid, "enqueue to %s: an address that is not the contact's", id))
		default:
			continue
		}
		s.dropRefs(ctx, refsOf(refs[k]))
	}
	return errors.Join(errs...)
}

// noScript reports whether Redis refused a script it forgot (a restart,
// a failover) anywhere in err.
func noScript(err error) bool {
	var answered redis.Error
	return errors.As(err, &answered) && strings.HasPrefix(answered.Error(), "NOSCRIPT")
}

// validOutbound refuses a message that is malformed, too big, or a
// reply that neither the runtime nor a staff member composed.
func validOutbound(m care.Outbound) error {
	switch {
	case m.ID == "" || strings.ContainsAny(m.ID, " \t\n"+idSep):
		return care.Errorf(care.EInvalid, "outbound message id %q: want a non-empty id without spaces or commas", m.ID)
	case m.Contact.Validate() != nil:
		return care.Errorf(care.EInvalid, "outbound message %s: %v", m.ID, m.Contact.Validate())
	case len(m.Text) > MaxOutboundText:
		return care.Errorf(care.EInvalid, "outbound message %s: text of %d bytes; at most %d", m.ID, len(m.Text), MaxOutboundText)
	case m.Text == "":
		return care.Errorf(care.EInvalid, "outbound message %s: empty text", m.ID)
	}
	switch m.Class {
	case care.Reply:
		if m.Origin != care.OriginStaff || m.Staff == "" {
			return care.Errorf(care.EInvalid, "outbound message %s: only a conversation step or a named staff member composes a reply", m.ID)
		}
	case care.Transactional, care.Promotional:
	default:
		return care.Errorf(care.EInvalid, "outbound message %s: unknown class %q", m.ID, m.Class)
	}
	return m.Address.Validate()
}

// capScript counts a message against a person's cap.
//
//	KEYS: the person's cap set; ARGV: window start ms, max, now ms,
//	message id, window ms
//
// It returns -1 when counted (or counted before), else the score (ms)
// of the oldest message in the window.
var capScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return -1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2])
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return -1
`)

// ReserveCap counts messageID against the person's cap of max messages
// per window, atomically across processes. The cap belongs to the
// contact, which is the person on every channel.
func (s *Store) ReserveCap(ctx context.Context, id care.ContactID, messageID string, max int, window time.Duration, now time.Time) (bool, time.Time, error) {
	if err := id.Validate(); err != nil {
		return false, time.Time{}, fmt.Errorf("cap: %w", err)
	}
	oldest, err := capScript.Run(ctx, s.client, []string{s.key(id, keyCap)},
		now.Add(-window).UnixMilli(), max, now.UnixMilli(), messageID, window.Milliseconds()).Int64()
	if err != nil {
		return false, time.Time{}, fmt.Errorf("reserve cap of %s: %w", id, err)
	}
	if oldest < 0 {
		return true, time.Time{}, nil
	}
	return false, time.UnixMilli(oldest).Add(window), nil
}

// ReleaseCap takes back the reservation of a message that was not sent.
func (s *Store) ReleaseCap(ctx context.Context, id care.ContactID, messageID string) error {
	if err := s.client.ZRem(ctx, s.key(id, keyCap), messageID).Err(); err != nil {
		return fmt.Errorf("release cap of %s: %w", id, err)
	}
	return nil
}

// validDelivery refuses a delivery that cannot name its keys.
func validDelivery(d care.Delivery) error {
	if d.ID == "" {
		return care.Errorf(care.EInvalid, "delivery without message id")
	}
	return d.Contact.Validate()
}

// DeadLetter is a message that could not be sent, with why. Outbound is
// zero for an entry that holds no message (one that could not be read).
type DeadLetter struct {
	care.Outbound
	Reason string
	Error  string
	At     time.Time
}

// DeadLetters returns up to n of the newest dead letters, oldest first.
func (s *Store) DeadLetters(ctx context.Context, n int) ([]DeadLetter, error) {
	entries, err := s.client.XRevRangeN(ctx, s.dead, "+", "-", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	slices.Reverse(entries)
	out := make([]DeadLetter, 0, len(entries))
	for _, e := range entries {
		str := func(k string) string { v, _ := e.Values[k].(string); return v }
		d := DeadLetter{Reason: str("reason"), Error: str("error")}
		d.At, _ = time.Parse(time.RFC3339Nano, str("at"))
		if body := str("body"); body != "" {
			// A body that does not decode is why it is here: show the
			// entry without it.
			_ = json.Unmarshal([]byte(body), &d.Outbound)
		}
		d.Contact = care.ContactID(str("c"))
		out = append(out, d)
	}
	return out, nil
}

// DeadLetterInbound keeps an inbound message that cannot be processed,
// with why, in the dead letters: "in" names the platform's message id.
// The text is kept only under a contact, so erasing the contact erases
// it too.
func (s *Store) DeadLetterInbound(ctx context.Context, id care.ContactID, in care.Inbound, reason string) error {
	vals := []string{"in", in.MessageID, "channel", string(in.Address.Channel), "kind", string(in.Kind),
		"reason", "inbound message not processed", "error", reason, "at", s.now().UTC().Format(time.RFC3339Nano)}
	if id != "" {
		vals = append(vals, "c", string(id), "text", in.Text)
	}
	if err := s.client.XAdd(ctx, &redis.XAddArgs{Stream: s.dead, MaxLen: deadLen, Approx: true, Values: vals}).Err(); err != nil {
		return fmt.Errorf("dead-letter inbound message: %w", err)
	}
	return nil
}

// Audit returns up to n of the newest audit entries, oldest first, as
// their fields.
func (s *Store) Audit(ctx context.Context, n int) ([]map[string]string, error) {
	entries, err := s.client.XRevRangeN(ctx, s.audit, "+", "-", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	slices.Reverse(entries)
	out := make([]map[string]string, len(entries))
	for i, e := range entries {
		out[i] = make(map[string]string, len(e.Values))
		for k, v := range e.Values {
			out[i][k], _ = v.(string)
		}
	}
	return out, nil
}
