package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// jobLease is how long a claimed job is another sweeper's only after
// its claimer died: the job then runs again, from its first step.
const jobLease = time.Minute

// jobMember encodes a job as its member of the jobs set: "erase <id>" or
// "merge <from> <into>".
func jobMember(j care.Job) string {
	if j.Kind == care.JobMerge {
		return string(j.Kind) + " " + string(j.From) + " " + string(j.Contact)
	}
	return string(j.Kind) + " " + string(j.Contact)
}

func parseJob(m string) (care.Job, error) {
	f := strings.Fields(m)
	switch {
	case len(f) == 2 && f[0] == string(care.JobErase):
		return care.Job{Kind: care.JobErase, Contact: care.ContactID(f[1])}, nil
	case len(f) == 3 && f[0] == string(care.JobMerge):
		return care.Job{Kind: care.JobMerge, From: care.ContactID(f[1]), Contact: care.ContactID(f[2])}, nil
	}
	return care.Job{}, fmt.Errorf("job %q: not a job", m)
}

// Schedule records a durable job, due at j.Due. Scheduling a job that is
// already scheduled moves its due time.
func (s *Store) Schedule(ctx context.Context, j care.Job) error {
	if err := j.Contact.Validate(); err != nil {
		return fmt.Errorf("schedule %s: %w", j.Kind, err)
	}
	switch j.Kind {
	case care.JobErase:
	case care.JobMerge:
		if err := j.From.Validate(); err != nil || j.From == j.Contact {
			return care.Errorf(care.EInvalid, "schedule merge: want two different contacts")
		}
	default:
		return care.Errorf(care.EInvalid, "schedule: unknown job %q", j.Kind)
	}
	if err := s.client.ZAdd(ctx, s.jobs, redis.Z{Score: float64(j.Due.UnixMilli()), Member: jobMember(j)}).Err(); err != nil {
		return fmt.Errorf("schedule %s of %s: %w", j.Kind, j.Contact, unavailable(err))
	}
	return nil
}

// claimScript takes up to max due jobs, moving each jobLease into the
// future so no other sweeper runs it meanwhile.
//
//	KEYS: jobs; ARGV: now ms, lease end ms, max
var claimScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], m) end
return due
`)

// JobStep names the steps of the jobs, for tests that stop a job at
// each one as a crash would.
type JobStep string

// Sweep runs the durable jobs that are due (erasures, merges), each to
// its end, and returns how many it finished. forget are the channels'
// own stores that an erasure cleans too. A job whose step fails stays
// scheduled and runs again, from its first step, after jobLease.
func (s *Store) Sweep(ctx context.Context, forget []care.Forgetter) (int, error) {
	return s.sweep(ctx, forget, nil)
}

// sweep is Sweep with a hook called before each step; a hook that
// returns an error stops the job there (tests crash it so).
func (s *Store) sweep(ctx context.Context, forget []care.Forgetter, before func(JobStep) error) (int, error) {
	now := s.now()
	due, err := claimScript.Run(ctx, s.client, []string{s.jobs}, now.UnixMilli(), now.Add(jobLease).UnixMilli(), 20).StringSlice()
	if err != nil {
		return 0, fmt.Errorf("claim jobs: %w", err)
	}
	if before == nil {
		before = func(JobStep) error { return nil }
	}
	done := 0
	var errs []error
	for _, m := range due {
		j, err := parseJob(m)
		if err == nil {
			switch j.Kind {
			case care.JobErase:
				err = s.erase(ctx, j.Contact, forget, before)
			case care.JobMerge:
				err = s.merge(ctx, j.From, j.Contact, before)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", j.Kind, err))
			continue
		}
		if err := s.client.ZRem(ctx, s.jobs, m).Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s done: %w", j.Kind, err))
			continue
		}
		done++
	}
	return done, errors.Join(errs...)
}

// The steps of an erasure.
const (
	StepEraseSuppress JobStep = "erase: suppress and unindex the addresses"
	StepEraseShared   JobStep = "erase: drop the shared records"
	StepEraseAbout    JobStep = "erase: drop the messages about the contact"
	StepEraseForget   JobStep = "erase: forget in the channels' stores"
	StepEraseKeys     JobStep = "erase: delete the contact's keys"
)

// unindexScript adds erased addresses to the suppression set and takes
// them out of the index where they still point at the erased contact.
//
//	KEYS: index, suppressed; ARGV: contact id, now ms, then address and
//	fingerprint pairs
var unindexScript = redis.NewScript(`
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[2])
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return 1
`)

// erase finishes the erasure of a contact whose commit stored the
// erasing stub. Every step is idempotent, and the stub (which holds the
// addresses the steps need) goes last, so a crash at any step is
// finished by the next run. A contact without a profile is done; one
// that is not being erased had no erasure committed, and the job goes.
func (s *Store) erase(ctx context.Context, id care.ContactID, forget []care.Forgetter, before func(JobStep) error) error {
	raw, err := s.client.Get(ctx, s.key(id, keyProfile)).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return err
	}
	c, err := decodeProfile(raw)
	if err != nil {
		return err
	}
	if c.Erasing.IsZero() {
		return nil
	}
	salt, err := s.salt(ctx)
	if err != nil {
		return err
	}
	if err := before(StepEraseSuppress); err != nil {
		return err
	}
	args := []any{string(id), s.now().UnixMilli()}
	var fps []string
	for _, a := range c.Addresses {
		fp := fingerprint(salt, a)
		fps = append(fps, fp)
		args = append(args, a.String(), fp)
	}
	if err := unindexScript.Run(ctx, s.client, []string{s.index, s.suppressed}, args...).Err(); err != nil {
		return fmt.Errorf("suppress: %w", err)
	}
	if err := before(StepEraseShared); err != nil {
		return err
	}
	if err := s.dropShared(ctx, id); err != nil {
		return err
	}
	if err := before(StepEraseAbout); err != nil {
		return err
	}
	if err := s.dropAbout(ctx, id); err != nil {
		return err
	}
	if err := before(StepEraseForget); err != nil {
		return err
	}
	for _, f := range forget {
		for _, a := range c.Addresses {
			if err := f.Forget(ctx, a); err != nil {
				return fmt.Errorf("forget in a channel's store: %w", err)
			}
		}
	}
	if err := before(StepEraseOrders); err != nil {
		return err
	}
	if err := s.bookOrders(ctx, id); err != nil {
		return err
	}
	if err := before(StepEraseKeys); err != nil {
		return err
	}
	pipe := s.client.Pipeline()
	for _, a := range c.Addresses {
		if a.Simulated() {
			pipe.Del(ctx, s.simKeys(a)...)
		}
	}
	pipe.Del(ctx, s.contactKeys(id)...)
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.audit, MaxLen: auditLen, Approx: true, Values: []string{
		"event", "erasure", "ref", strings.Join(fps, " "), "at", s.now().UTC().Format(time.RFC3339Nano),
	}})
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("delete the contact's keys: %w", err)
	}
	return nil
}

// contactKeys are every key a contact can have.
func (s *Store) contactKeys(id care.ContactID) []string {
	var out []string
	for _, k := range []string{keySession, keyProfile, keyInbound, keyOutbound, keyTaken, keyLedger, keyTranscript, keyCap, keyEvents, keyNotes, keyCampaigns, keyOrders} {
		out = append(out, s.key(id, k))
	}
	return out
}

// dropShared deletes a contact's entries from the lanes, the held-back
// set, the dead letters (which hold message texts, also those of the
// messages about the contact: care.Outbound.About) and the inbox's
// indexes. The audits keep their entries: they name the contact by its
// id alone, which nothing links to the person once the addresses are
// gone.
func (s *Store) dropShared(ctx context.Context, id care.ContactID) error {
	pipe := s.client.Pipeline()
	for _, k := range []string{s.inbox.waiting, s.inbox.held, s.inbox.recent} {
		pipe.ZRem(ctx, k, string(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("erase from the inbox: %w", err)
	}
	for _, l := range allLanes {
		if err := s.dropEntries(ctx, s.laneKey(l), id, true); err != nil {
			return err
		}
	}
	if err := s.dropEntries(ctx, s.dead, id, false); err != nil {
		return err
	}
	var held []string
	iter := s.client.ZScan(ctx, s.later, 0, "* "+globEscape(string(id))+" *", 1000).Iterator()
	for i := 0; iter.Next(ctx); i++ {
		if i%2 == 0 { // ZSCAN yields member, score
			held = append(held, iter.Val())
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("erase held-back messages: %w", err)
	}
	if len(held) > 0 {
		if err := s.client.ZRem(ctx, s.later, toAny(held)...).Err(); err != nil {
			return fmt.Errorf("erase held-back messages: %w", err)
		}
	}
	return nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// dropEntries deletes the contact's entries from a stream, page by
// page, acknowledging them first when the stream is a lane: those
// under its id and the dead letters of messages about it.
func (s *Store) dropEntries(ctx context.Context, stream string, id care.ContactID, lane bool) error {
	start := "-"
	for {
		page, err := s.client.XRangeN(ctx, stream, start, "+", 1000).Result()
		if err != nil {
			return fmt.Errorf("erase from %s: %w", stream, err)
		}
		var ids []string
		for _, e := range page {
			c, _ := e.Values["c"].(string)
			about, _ := e.Values["about"].(string)
			if c == string(id) || slices.Contains(strings.Split(about, idSep), string(id)) {
				ids = append(ids, e.ID)
			}
		}
		if len(ids) > 0 {
			pipe := s.client.Pipeline()
			if lane {
				pipe.XAck(ctx, stream, senders, ids...)
			}
			pipe.XDel(ctx, stream, ids...)
			if _, err := pipe.Exec(ctx); err != nil && !redis.HasErrorPrefix(err, "NOGROUP") {
				return fmt.Errorf("erase from %s: %w", stream, err)
			}
		}
		if len(page) < 1000 {
			return nil
		}
		start = "(" + page[len(page)-1].ID
	}
}

// queuedRef is a lane entry or a held-back member: the messages of one
// outbox id it names.
type queuedRef struct {
	key, ref string // the lane and its entry id, or the held-back set and the member
	box      care.ContactID
	ids      []string
}

// dropAbout deletes the queued and held-back messages about a contact
// that wait in other outboxes (care.Outbound.About: staff alerts that
// name or quote the customer, in a staff chat's box): their bodies
// first, then the lane entries and held-back members all of whose
// messages went. A run that stops between the two leaves entries
// without bodies, which the senders skip; none leaves a body behind.
func (s *Store) dropAbout(ctx context.Context, id care.ContactID) error {
	var refs []queuedRef
	for _, l := range allLanes {
		key, start := s.laneKey(l), "-"
		for {
			page, err := s.client.XRangeN(ctx, key, start, "+", 1000).Result()
			if err != nil {
				return fmt.Errorf("read %s: %w", key, err)
			}
			for _, e := range page {
				c, _ := e.Values["c"].(string)
				m, _ := e.Values["m"].(string)
				if c != "" && c != string(id) && m != "" {
					refs = append(refs, queuedRef{key: key, ref: e.ID, box: care.ContactID(c), ids: strings.Split(m, idSep)})
				}
			}
			if len(page) < 1000 {
				break
			}
			start = "(" + page[len(page)-1].ID
		}
	}
	iter := s.client.ZScan(ctx, s.later, 0, "*", 1000).Iterator()
	for i := 0; iter.Next(ctx); i++ {
		if i%2 != 0 { // ZSCAN yields member, score
			continue
		}
		f := strings.Fields(iter.Val())
		if len(f) >= 3 && f[1] != string(id) {
			refs = append(refs, queuedRef{key: s.later, ref: iter.Val(), box: care.ContactID(f[1]), ids: strings.Split(f[2], idSep)})
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("read the held-back messages: %w", err)
	}
	if len(refs) == 0 {
		return nil
	}
	// Each message once, however many references name it.
	byBox := map[care.ContactID][]string{}
	for _, r := range refs {
		for _, m := range r.ids {
			if !slices.Contains(byBox[r.box], m) {
				byBox[r.box] = append(byBox[r.box], m)
			}
		}
	}
	pipe := s.client.Pipeline()
	bodies := map[care.ContactID]*redis.SliceCmd{}
	for box, ids := range byBox {
		bodies[box] = pipe.HMGet(ctx, s.key(box, keyOutbound), ids...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("read the queued messages: %w", err)
	}
	gone := map[care.ContactID][]string{}
	for box, ids := range byBox {
		for i, v := range bodies[box].Val() {
			raw, ok := v.(string)
			if !ok {
				continue
			}
			var m struct {
				About []care.ContactID `json:"about"`
			}
			if json.Unmarshal([]byte(raw), &m) == nil && slices.Contains(m.About, id) {
				gone[box] = append(gone[box], ids[i])
			}
		}
	}
	if len(gone) == 0 {
		return nil
	}
	pipe = s.client.Pipeline()
	for box, ids := range gone {
		pipe.HDel(ctx, s.key(box, keyOutbound), ids...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("drop the messages about the contact: %w", err)
	}
	pipe = s.client.Pipeline()
	for _, r := range refs {
		if !slices.ContainsFunc(r.ids, func(m string) bool { return !slices.Contains(gone[r.box], m) }) {
			if r.key == s.later {
				pipe.ZRem(ctx, s.later, r.ref)
			} else {
				pipe.XAck(ctx, r.key, senders, r.ref)
				pipe.XDel(ctx, r.key, r.ref)
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !redis.HasErrorPrefix(err, "NOGROUP") {
		return fmt.Errorf("drop the entries of the messages about the contact: %w", err)
	}
	return nil
}

// joinIDs is contact ids joined by idSep, for a stream's field.
func joinIDs(ids []care.ContactID) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return strings.Join(out, idSep)
}

// The steps of a merge.
const (
	StepMergeData  JobStep = "merge: fold the records into the person"
	StepMergeIndex JobStep = "merge: point the addresses at the person"
	StepMergeQueue JobStep = "merge: queue the moved messages"
	StepMergeStub  JobStep = "merge: leave a stub behind"
)

// stubTTL is how long a merged contact's stub points on to the person,
// for queue entries and caches that still name the old contact.
const stubTTL = 30 * 24 * time.Hour

// repointScript files a merged contact's addresses under the person,
// where they still point at the merged contact or nowhere.
//
//	KEYS: index; ARGV: from, into, then addresses
var repointScript = redis.NewScript(`
for i = 3, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if not cur or cur == ARGV[1] then redis.call('HSET', KEYS[1], ARGV[i], ARGV[2]) end
end
return 1
`)

// merge folds contact from into contact into: one person. Consent,
// ledger, transcript, queued messages and the promotion cap join the
// person's; the addresses point at the person; from becomes a stub that
// points on. Every step is idempotent; from's keys go last.
func (s *Store) merge(ctx context.Context, from, into care.ContactID, before func(JobStep) error) error {
	src, ok, err := s.rawProfile(ctx, from)
	if err != nil || !ok || src.MergedInto != "" || !src.Erasing.IsZero() {
		// Nothing (left) to merge; a contact being erased is erased,
		// never folded into the person, or its addresses would survive.
		return err
	}
	if err := before(StepMergeData); err != nil {
		return err
	}
	moved, err := s.foldInto(ctx, src, into)
	if errors.Is(err, errNotLive) {
		return nil // the person was erased or merged on: leave from alone
	}
	if err != nil {
		return err
	}
	if err := before(StepMergeIndex); err != nil {
		return err
	}
	args := []any{string(from), string(into)}
	for _, a := range src.Addresses {
		args = append(args, a.String())
	}
	if err := repointScript.Run(ctx, s.client, []string{s.index}, args...).Err(); err != nil {
		return fmt.Errorf("repoint addresses: %w", err)
	}
	if err := before(StepMergeQueue); err != nil {
		return err
	}
	if len(moved) > 0 {
		pipe := s.client.Pipeline()
		s.queueRefs(ctx, pipe, moved)
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("queue moved messages: %w", err)
		}
	}
	if err := before(StepMergeOrders); err != nil {
		return err
	}
	if err := s.moveOrders(ctx, from, into); err != nil {
		return err
	}
	if err := before(StepMergeStub); err != nil {
		return err
	}
	stub, err := encodeVersioned(src.Version+1, care.Contact{ID: from, MergedInto: into})
	if err != nil {
		return err
	}
	pipe := s.client.TxPipeline()
	pipe.Del(ctx, s.contactKeys(from)...)
	pipe.Set(ctx, s.key(from, keyProfile), stub, stubTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("leave stub: %w", err)
	}
	return nil
}

// rawProfile reads a profile without following a merge stub.
func (s *Store) rawProfile(ctx context.Context, id care.ContactID) (care.Contact, bool, error) {
	raw, err := s.client.Get(ctx, s.key(id, keyProfile)).Result()
	if errors.Is(err, redis.Nil) {
		return care.Contact{}, false, nil
	}
	if err != nil {
		return care.Contact{}, false, fmt.Errorf("profile %s: %w", id, err)
	}
	c, err := decodeProfile(raw)
	if err != nil {
		return care.Contact{}, false, fmt.Errorf("profile %s: %w", id, err)
	}
	return c, true, nil
}

var errNotLive = errors.New("contact is not live")

// foldInto adds src's records to contact into, once (into's profile
// remembers src in Merged), atomically over into's profile version. It
// returns src's queued messages, now into's, that are not being sent:
// they need lane entries under into.
func (s *Store) foldInto(ctx context.Context, src care.Contact, into care.ContactID) ([]care.Outbound, error) {
	from := src.ID
	pipe := s.client.Pipeline()
	ledger := pipe.XRange(ctx, s.key(from, keyLedger), "-", "+")
	log := pipe.LRange(ctx, s.key(from, keyTranscript), 0, -1)
	bodies := pipe.HGetAll(ctx, s.key(from, keyOutbound))
	taken := pipe.HGetAll(ctx, s.key(from, keyTaken))
	caps := pipe.ZRangeWithScores(ctx, s.key(from, keyCap), 0, -1)
	notes := pipe.LRange(ctx, s.key(from, keyNotes), 0, -1)
	events := pipe.LRange(ctx, s.key(from, keyEvents), 0, -1)
	marks := pipe.HGetAll(ctx, s.key(from, keyCampaigns))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read %s: %w", from, err)
	}
	var moved []care.Outbound
	for id, b := range bodies.Val() {
		if _, busy := taken.Val()[id]; busy {
			continue // being sent under from; it settles there
		}
		var m care.Outbound
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			continue
		}
		m.Contact = into
		moved = append(moved, m)
	}
	prof := s.key(into, keyProfile)
	for range maxUpdateTries {
		err := s.client.Watch(ctx, func(tx *redis.Tx) error {
			raw, err := tx.Get(ctx, prof).Result()
			if errors.Is(err, redis.Nil) {
				return errNotLive
			}
			if err != nil {
				return err
			}
			dst, err := decodeProfile(raw)
			if err != nil {
				return err
			}
			if !dst.Live() {
				return errNotLive
			}
			for _, m := range dst.Merged {
				if m == from {
					return nil // folded before
				}
			}
			next := fold(dst, src)
			val, err := encodeVersioned(dst.Version+1, next)
			if err != nil {
				return err
			}
			// The index entries of the person's state go first (see
			// inboxKeys), through the client: the transaction holds only
			// the person's keys.
			idx := s.client.Pipeline()
			s.indexAdds(ctx, idx, next, s.now(), true)
			if _, err := idx.Exec(ctx); err != nil {
				return fmt.Errorf("index the person: %w", err)
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, prof, val, 0)
				for _, l := range []struct {
					kind    string
					entries []string
					keep    int64
				}{{keyNotes, notes.Val(), notesKeep}, {keyEvents, events.Val(), eventsKeep}} {
					if len(l.entries) > 0 {
						p.RPush(ctx, s.key(into, l.kind), toAny(l.entries)...)
						p.LTrim(ctx, s.key(into, l.kind), -l.keep, -1)
					}
				}
				for _, e := range ledger.Val() {
					p.XAdd(ctx, &redis.XAddArgs{Stream: s.key(into, keyLedger), Values: e.Values})
				}
				if entries := log.Val(); len(entries) > 0 {
					p.RPush(ctx, s.key(into, keyTranscript), toAny(entries)...)
					p.LTrim(ctx, s.key(into, keyTranscript), -1000, -1)
				}
				for _, m := range moved {
					b, err := json.Marshal(m)
					if err != nil {
						return err
					}
					p.HSetNX(ctx, s.key(into, keyOutbound), m.ID, b)
				}
				for _, z := range caps.Val() {
					p.ZAdd(ctx, s.key(into, keyCap), z)
				}
				if len(caps.Val()) > 0 {
					p.Expire(ctx, s.key(into, keyCap), 90*24*time.Hour)
				}
				// A campaign that reached either contact reached the person.
				for c, m := range marks.Val() {
					p.HSetNX(ctx, s.key(into, keyCampaigns), c, m)
				}
				if len(marks.Val()) > 0 {
					p.PExpire(ctx, s.key(into, keyCampaigns), markTTL)
				}
				return nil
			})
			return err
		}, prof)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return moved, nil
	}
	return nil, fmt.Errorf("fold %s into %s: %w", from, into, care.ErrConflict)
}

// fold is the profile of one person from two of its contacts: dst keeps
// its id and what it has; consent per purpose is whichever was given or
// withdrawn last, so a STOP on either side holds unless the person said
// yes again afterwards.
func fold(dst, src care.Contact) care.Contact {
	out := dst
	for _, a := range src.Addresses {
		out.AddAddress(a)
	}
	if out.Name == "" {
		out.Name = src.Name
	}
	if out.Lang == "" {
		out.Lang = src.Lang
	}
	if out.TimeZone == "" {
		out.TimeZone = src.TimeZone
	}
	if !src.FirstSeen.IsZero() && (out.FirstSeen.IsZero() || src.FirstSeen.Before(out.FirstSeen)) {
		out.FirstSeen = src.FirstSeen
	}
	if src.LastInbound.After(out.LastInbound) {
		out.LastInbound = src.LastInbound
	}
	if src.Suppressed.After(out.Suppressed) {
		out.Suppressed = src.Suppressed
	}
	out.Blocked = out.Blocked || src.Blocked
	out.Tags = slices.Clone(dst.Tags)
	for _, t := range src.Tags {
		if !slices.Contains(out.Tags, t) {
			out.Tags = append(out.Tags, t)
		}
	}
	if stateOf(out.Handover.State) == care.StateBot && stateOf(src.Handover.State) != care.StateBot {
		// The person waits for staff, or is with them, on the other side.
		out.Handover = src.Handover
	}
	if src.HeldSince.After(out.HeldSince) {
		out.HeldSince = src.HeldSince
	}
	out.LastInboundOn = mergeMap(dst.LastInboundOn, src.LastInboundOn, func(a, b time.Time) bool { return b.After(a) })
	out.Unreachable = mergeMap(dst.Unreachable, src.Unreachable, func(a, b string) bool { return a == "" })
	out.Consent = mergeMap(dst.Consent, src.Consent, func(a, b care.ConsentState) bool { return b.At.After(a.At) })
	out.Merged = append(append(append([]care.ContactID(nil), dst.Merged...), src.ID), src.Merged...)
	return out
}

// mergeMap returns a's entries with b's where a has none or takeB says so.
func mergeMap[K comparable, V any](a, b map[K]V, takeB func(a, b V) bool) map[K]V {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make(map[K]V, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if cur, ok := out[k]; !ok || takeB(cur, v) {
			out[k] = v
		}
	}
	return out
}

// Link records that two addresses belong to one person (staff saw it,
// or an import says so): their contacts merge, the address's contact
// keeping the other. An address not seen yet joins the other's contact.
// The merge is a durable job; Link returns the person's contact id.
func (s *Store) Link(ctx context.Context, a, b care.Address) (care.ContactID, error) {
	res, err := s.Resolve(ctx, []care.ResolveRequest{{Address: a, Alias: b}})
	if err != nil {
		return "", err
	}
	r := res[0]
	if r.New {
		fresh := care.Contact{ID: r.Contact, Addresses: []care.Address{a, b}, FirstSeen: s.now(), Suppressed: r.Suppressed}
		if _, err := s.writeProfile(ctx, 0, fresh, nil); err != nil && !errors.Is(err, care.ErrConflict) {
			return "", err
		}
	}
	if _, err := s.UpdateContact(ctx, r.Contact, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		c.AddAddress(a)
		c.AddAddress(b)
		return c, nil, nil
	}); err != nil {
		return "", err
	}
	if r.Other != "" {
		if err := s.Schedule(ctx, care.Job{Kind: care.JobMerge, From: r.Other, Contact: r.Contact, Due: s.now()}); err != nil {
			return "", err
		}
	}
	return r.Contact, nil
}

// Jobs lists the scheduled jobs and when each is due (for operations).
func (s *Store) Jobs(ctx context.Context) ([]care.Job, error) {
	zs, err := s.client.ZRangeWithScores(ctx, s.jobs, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	out := make([]care.Job, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		j, err := parseJob(m)
		if err != nil {
			continue
		}
		j.Due = time.UnixMilli(int64(z.Score))
		out = append(out, j)
	}
	return out, nil
}
