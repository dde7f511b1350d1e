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

// schemaVersion is the layout of the data this code writes: 2 files
// contacts by person under random ids, with an index from every address,
// and queues each channel in lanes. Version 1 (no schema key) named a
// contact after its address ("wa.<number>", "tg.<chat id>").
const schemaVersion = "2"

// v1Profile is a profile as version 1 stored it.
type v1Profile struct {
	Name        string                             `json:"name"`
	Lang        string                             `json:"lang"`
	FirstSeen   time.Time                          `json:"first_seen"`
	LastInbound time.Time                          `json:"last_inbound"`
	TimeZone    string                             `json:"tz"`
	Person      string                             `json:"person"`
	Consent     map[care.Purpose]care.ConsentState `json:"consent"`
	Unreachable string                             `json:"unreachable"`
	Blocked     bool                               `json:"blocked"`
}

// v1Address recovers the address a version 1 contact id was made of.
func v1Address(id string) (care.Address, bool) {
	prefix, rest, ok := strings.Cut(id, ".")
	if !ok {
		return care.Address{}, false
	}
	a := care.Address{ID: rest}
	switch prefix {
	case "wa":
		a.Channel = care.WhatsApp
	case "tg":
		a.Channel = care.Telegram
	default:
		return care.Address{}, false
	}
	return a, a.Validate() == nil
}

// Migrate brings data written by an earlier version of Mitra to the
// current layout, at start-up, before anything reads it. It is
// idempotent: a migration cut short by a crash is finished by the next
// start, and a migrated store is left alone (one GET). It returns how
// many contacts it moved.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	schema := s.prefix + ":schema"
	v, err := s.client.Get(ctx, schema).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if v == schemaVersion {
		return 0, nil
	}
	var old []string
	err = s.eachMaster(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		return scanKeys(ctx, c, globEscape(s.prefix)+":{c:*}:"+keyProfile, "string", func(keys []string) error {
			for _, k := range keys {
				if id, ok := s.contactOf(k); ok {
					if _, ok := v1Address(string(id)); ok {
						old = append(old, string(id))
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("migrate: find contacts: %w", err)
	}
	ids := map[string]care.ContactID{} // version 1 id → new id
	persons := map[string][]care.Address{}
	for _, o := range old {
		id, person, err := s.migrateContact(ctx, o)
		if err != nil {
			return 0, fmt.Errorf("migrate contact: %w", err)
		}
		ids[o] = id
		if person != "" {
			a, _ := v1Address(o)
			persons[person] = append(persons[person], a)
		}
	}
	// Contacts version 1 linked as one person become one contact.
	for _, addrs := range persons {
		for _, a := range addrs[1:] {
			if _, err := s.Link(ctx, addrs[0], a); err != nil {
				return 0, fmt.Errorf("migrate linked contacts: %w", err)
			}
		}
	}
	if err := s.migrateShared(ctx); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if err := s.client.Set(ctx, schema, schemaVersion, 0).Err(); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return len(old), nil
}

// migrateContact moves one version 1 contact to a new id: profile,
// session, ledger, transcript, processed ids and queued messages. The
// new profile is written last, so a crash before it repeats the copy
// over a contact that nothing reads yet, and the old keys go only after
// it. It returns the new id and the version 1 person link.
func (s *Store) migrateContact(ctx context.Context, o string) (care.ContactID, string, error) {
	addr, _ := v1Address(o)
	oid := care.ContactID(o)
	res, err := s.Resolve(ctx, []care.ResolveRequest{{Address: addr}})
	if err != nil {
		return "", "", err
	}
	id := res[0].Contact
	pipe := s.client.Pipeline()
	prof := pipe.Get(ctx, s.key(oid, keyProfile))
	sess := pipe.Get(ctx, s.key(oid, keySession))
	sessTTL := pipe.PTTL(ctx, s.key(oid, keySession))
	ledger := pipe.XRange(ctx, s.key(oid, keyLedger), "-", "+")
	logType := pipe.Type(ctx, s.key(oid, keyTranscript))
	seen := pipe.ZRangeWithScores(ctx, s.key(oid, keyInbound), 0, -1)
	bodies := pipe.HGetAll(ctx, s.key(oid, keyOutbound))
	oldCap := s.prefix + ":{cap:" + o + "}"
	caps := pipe.ZRangeWithScores(ctx, oldCap, 0, -1)
	exists := pipe.Exists(ctx, s.key(id, keyProfile))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return "", "", err
	}
	var p v1Profile
	if err := json.Unmarshal([]byte(prof.Val()), &p); err != nil {
		return "", "", fmt.Errorf("profile of %s: %w", id, err)
	}
	if exists.Val() == 0 {
		var log []redis.XMessage
		if logType.Val() == "stream" {
			if log, err = s.client.XRange(ctx, s.key(oid, keyTranscript), "-", "+").Result(); err != nil {
				return "", "", err
			}
		}
		c := care.Contact{ID: id, Addresses: []care.Address{addr}, Name: p.Name, Lang: p.Lang, FirstSeen: p.FirstSeen,
			LastInbound: p.LastInbound, TimeZone: p.TimeZone, Consent: p.Consent, Blocked: p.Blocked, Suppressed: res[0].Suppressed}
		if !p.LastInbound.IsZero() {
			c.LastInboundOn = map[care.Channel]time.Time{addr.Channel: p.LastInbound}
		}
		if p.Unreachable != "" {
			c.Unreachable = map[care.Channel]string{addr.Channel: p.Unreachable}
		}
		pv, err := encodeVersioned(1, c)
		if err != nil {
			return "", "", err
		}
		pipe := s.client.TxPipeline()
		if raw := sess.Val(); raw != "" {
			pipe.Set(ctx, s.key(id, keySession), raw, max(sessTTL.Val(), 0))
		}
		for _, e := range ledger.Val() {
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.key(id, keyLedger), Values: e.Values})
		}
		for _, e := range log {
			raw, _ := e.Values["e"].(string)
			pipe.RPush(ctx, s.key(id, keyTranscript), strconv.FormatInt(entryTime(e.ID).UnixMilli(), 10)+unitSep+raw)
		}
		if len(seen.Val()) > 0 {
			pipe.ZAdd(ctx, s.key(id, keyInbound), seen.Val()...)
			pipe.Expire(ctx, s.key(id, keyInbound), inboundWindow)
		}
		for mid, b := range bodies.Val() {
			var m care.Outbound
			if json.Unmarshal([]byte(b), &m) != nil {
				continue
			}
			m.Contact = id
			m.Seq = seqOf(m.Created, 0)
			nb, _ := json.Marshal(m)
			pipe.HSet(ctx, s.key(id, keyOutbound), mid, nb)
		}
		if len(caps.Val()) > 0 {
			pipe.ZAdd(ctx, s.key(id, keyCap), caps.Val()...)
			pipe.Expire(ctx, s.key(id, keyCap), 90*24*time.Hour)
		}
		pipe.Set(ctx, s.key(id, keyProfile), pv, 0)
		if _, err := pipe.Exec(ctx); err != nil {
			return "", "", fmt.Errorf("copy %s: %w", id, err)
		}
	}
	del := s.contactKeys(oid)
	del = append(del, s.prefix+":{c:"+o+"}:sim", s.prefix+":{c:"+o+"}:simseq", oldCap)
	pipe = s.client.Pipeline()
	for _, k := range del {
		pipe.Unlink(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return "", "", fmt.Errorf("remove old keys of %s: %w", id, err)
	}
	return id, p.Person, nil
}

// migrateShared moves version 1's shared records: the one send queue
// and the held-back set's members become lane entries of the new ids,
// the suppression set joins the directory, and contact ids in the audit
// and the dead letters (which held addresses) are replaced.
func (s *Store) migrateShared(ctx context.Context) error {
	newID := func(o string) (care.ContactID, bool) {
		a, ok := v1Address(o)
		if !ok {
			return "", false
		}
		id, ok, err := s.Lookup(ctx, a)
		return id, ok && err == nil
	}
	lane := func(id care.ContactID, mid string) (care.Lane, bool) {
		b, err := s.client.HGet(ctx, s.key(id, keyOutbound), mid).Result()
		if err != nil {
			return "", false
		}
		var m care.Outbound
		if json.Unmarshal([]byte(b), &m) != nil {
			return "", false
		}
		return care.LaneOf(m.Address, m.Class), true
	}
	queue := s.prefix + ":{o}:queue"
	entries, err := s.client.XRange(ctx, queue, "-", "+").Result()
	if err != nil {
		return fmt.Errorf("old queue: %w", err)
	}
	for _, e := range entries {
		c, _ := e.Values["c"].(string)
		m, _ := e.Values["m"].(string)
		if id, ok := newID(c); ok {
			if l, ok := lane(id, m); ok {
				if err := s.client.XAdd(ctx, &redis.XAddArgs{Stream: s.laneKey(l), Values: []string{"c", string(id), "m", m}}).Err(); err != nil {
					return err
				}
			}
		}
	}
	if err := s.client.Unlink(ctx, queue).Err(); err != nil {
		return err
	}
	held, err := s.client.ZRangeWithScores(ctx, s.later, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("held-back set: %w", err)
	}
	for _, z := range held {
		member, _ := z.Member.(string)
		f := strings.Fields(member)
		if len(f) != 2 {
			continue
		}
		pipe := s.client.TxPipeline()
		pipe.ZRem(ctx, s.later, member)
		if id, ok := newID(f[0]); ok {
			if l, ok := lane(id, f[1]); ok {
				pipe.ZAdd(ctx, s.later, redis.Z{Score: z.Score, Member: laterMember(l, id, f[1])})
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
	}
	oldSupp := s.prefix + ":suppressed"
	if supp, err := s.client.HGetAll(ctx, oldSupp).Result(); err == nil && len(supp) > 0 {
		if err := s.client.HSet(ctx, s.suppressed, supp).Err(); err != nil {
			return err
		}
	}
	if err := s.client.Unlink(ctx, oldSupp).Err(); err != nil {
		return err
	}
	for _, stream := range []struct{ from, to string }{{s.prefix + ":audit", s.audit}, {s.dead, s.dead}} {
		if err := s.rewriteStream(ctx, stream.from, stream.to, newID); err != nil {
			return err
		}
	}
	return nil
}

// rewriteStream copies the entries of from that name a version 1
// contact to to, under the new id (the message body of a dead letter
// too), and deletes them from from; from goes when it is not to.
func (s *Store) rewriteStream(ctx context.Context, from, to string, newID func(string) (care.ContactID, bool)) error {
	entries, err := s.client.XRange(ctx, from, "-", "+").Result()
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", from, err)
	}
	for _, e := range entries {
		c, _ := e.Values["c"].(string)
		if _, old := v1Address(c); !old && from == to {
			continue
		}
		vals := map[string]any{}
		for k, v := range e.Values {
			vals[k] = v
		}
		if id, ok := newID(c); ok {
			vals["c"] = string(id)
		} else if c != "" {
			delete(vals, "c") // erased since: keep no address
		}
		if b, _ := vals["body"].(string); b != "" {
			var m care.Outbound
			if json.Unmarshal([]byte(b), &m) == nil {
				m.Contact = care.ContactID(fmt.Sprint(vals["c"]))
				nb, _ := json.Marshal(m)
				vals["body"] = string(nb)
			}
		}
		pipe := s.client.Pipeline() // from and to may sit on different cluster nodes
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: to, Values: vals})
		if from == to {
			pipe.XDel(ctx, from, e.ID)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("rewrite %s: %w", from, err)
		}
	}
	if from != to {
		return s.client.Unlink(ctx, from).Err()
	}
	return nil
}
