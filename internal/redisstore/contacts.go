package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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

// transcriptShown is how many steps of the transcript MY DATA shows.
const transcriptShown = 10

// Records returns the contact's consent ledger and the latest steps of
// the transcript, in one round trip.
func (s *Store) Records(ctx context.Context, id care.ContactID) (care.Records, error) {
	if _, err := id.Address(); err != nil {
		return care.Records{}, fmt.Errorf("records: %w", err)
	}
	pipe := s.client.Pipeline()
	ledger := pipe.XRange(ctx, s.key(id, keyLedger), "-", "+")
	log := pipe.XRevRangeN(ctx, s.key(id, keyTranscript), "+", "-", transcriptShown)
	_, _ = pipe.Exec(ctx)
	if err := firstErr(ledger, log); err != nil {
		return care.Records{}, fmt.Errorf("records of %s: %w", id, err)
	}
	var rec care.Records
	var err error
	if rec.Consent, err = decodeLedger(ledger.Val()); err != nil {
		return care.Records{}, fmt.Errorf("records of %s: %w", id, err)
	}
	entries := log.Val()
	slices.Reverse(entries)
	for _, e := range entries {
		ms, _, _ := strings.Cut(e.ID, "-")
		n, _ := strconv.ParseInt(ms, 10, 64)
		at := time.UnixMilli(n)
		raw, _ := e.Values["e"].(string)
		kind, in, outs := decodeTranscript(raw)
		if !kind.Understood() && kind != "" {
			in = "[" + string(kind) + "]"
		}
		if in != "" {
			rec.Transcript = append(rec.Transcript, care.TranscriptEntry{At: at, Inbound: true, Text: in})
		}
		for _, o := range outs {
			rec.Transcript = append(rec.Transcript, care.TranscriptEntry{At: at, Text: o})
		}
	}
	return rec, nil
}

// Ledger returns the contact's consent ledger, oldest first.
func (s *Store) Ledger(ctx context.Context, id care.ContactID) ([]care.ConsentEvent, error) {
	if _, err := id.Address(); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	entries, err := s.client.XRange(ctx, s.key(id, keyLedger), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("ledger of %s: %w", id, err)
	}
	return decodeLedger(entries)
}

func decodeLedger(entries []redis.XMessage) ([]care.ConsentEvent, error) {
	out := make([]care.ConsentEvent, 0, len(entries))
	for _, e := range entries {
		raw, _ := e.Values["e"].(string)
		var ev care.ConsentEvent
		if err := json.Unmarshal([]byte(raw), &ev); err != nil {
			return nil, fmt.Errorf("ledger entry %s: %w", e.ID, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// Contact returns the contact's profile; ok is false when none is kept.
func (s *Store) Contact(ctx context.Context, id care.ContactID) (c care.Contact, ok bool, err error) {
	if _, err := id.Address(); err != nil {
		return c, false, fmt.Errorf("contact: %w", err)
	}
	b, err := s.client.Get(ctx, s.key(id, keyProfile)).Bytes()
	if errors.Is(err, redis.Nil) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("contact %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, false, fmt.Errorf("contact %s: %w", id, err)
	}
	return c, true, nil
}

// maxUpdateTries bounds the optimistic retries of UpdateContact when
// the profile keeps changing under it.
const maxUpdateTries = 20

// UpdateContact changes the contact's profile with fn and appends the
// consent events fn returns to the ledger, atomically (an optimistic
// transaction over the profile). fn gets the current profile, or a new
// one with ok false, and returns the profile to store. It is how staff,
// the API, imports and the sender change a contact outside a
// conversation.
func (s *Store) UpdateContact(ctx context.Context, id care.ContactID, fn func(c care.Contact, ok bool) (care.Contact, []care.ConsentEvent, error)) (care.Contact, error) {
	addr, err := id.Address()
	if err != nil {
		return care.Contact{}, fmt.Errorf("update contact: %w", err)
	}
	prof, ledger := s.key(id, keyProfile), s.key(id, keyLedger)
	var out care.Contact
	for range maxUpdateTries {
		err = s.client.Watch(ctx, func(tx *redis.Tx) error {
			var cur care.Contact
			b, err := tx.Get(ctx, prof).Bytes()
			ok := err == nil
			switch {
			case errors.Is(err, redis.Nil):
				cur = care.Contact{ID: id, Address: addr, FirstSeen: s.now()}
			case err != nil:
				return err
			default:
				if err := json.Unmarshal(b, &cur); err != nil {
					return fmt.Errorf("decode profile: %w", err)
				}
			}
			next, events, err := fn(cur, ok)
			if err != nil {
				return err
			}
			next.ID, next.Address = id, addr
			for _, e := range events {
				next = next.Apply(e)
			}
			nb, err := json.Marshal(next)
			if err != nil {
				return fmt.Errorf("encode profile: %w", err)
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, prof, nb, 0)
				for _, e := range events {
					eb, err := json.Marshal(e)
					if err != nil {
						return err
					}
					p.XAdd(ctx, &redis.XAddArgs{Stream: ledger, Values: []string{"e", string(eb)}})
				}
				return nil
			})
			out = next
			return err
		}, prof)
		if !errors.Is(err, redis.TxFailedErr) {
			break
		}
	}
	if err != nil {
		return care.Contact{}, fmt.Errorf("update contact %s: %w", id, err)
	}
	return out, nil
}

// MarkUnreachable records on the profile that the channel cannot reach
// the contact (they blocked the bot), so the owner sees it and nothing
// more is tried until they write again.
func (s *Store) MarkUnreachable(ctx context.Context, id care.ContactID, reason string) error {
	_, err := s.UpdateContact(ctx, id, func(c care.Contact, _ bool) (care.Contact, []care.ConsentEvent, error) {
		c.Unreachable = reason
		return c, nil, nil
	})
	return err
}

// Import adds or updates a contact from another system: name, language,
// time zone and person link. It never grants consent, whatever the
// source says: promotions need the contact's own yes.
func (s *Store) Import(ctx context.Context, c care.Contact) error {
	_, err := s.UpdateContact(ctx, c.ID, func(cur care.Contact, _ bool) (care.Contact, []care.ConsentEvent, error) {
		if c.Name != "" {
			cur.Name = c.Name
		}
		if c.Lang != "" {
			cur.Lang = c.Lang
		}
		if c.TimeZone != "" {
			cur.TimeZone = c.TimeZone
		}
		if c.Person != "" {
			cur.Person = c.Person
		}
		return cur, nil, nil
	})
	return err
}

// salt returns the installation's secret salt for suppression hashes,
// made once and kept in Redis.
func (s *Store) salt(ctx context.Context) ([]byte, error) {
	s.saltMu.Lock()
	defer s.saltMu.Unlock()
	if s.saltVal != nil {
		return s.saltVal, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	key := s.prefix + ":salt"
	if err := s.client.SetNX(ctx, key, hex.EncodeToString(fresh), 0).Err(); err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	v, err := s.client.Get(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	s.saltVal, err = hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("salt %s: %w", key, err)
	}
	return s.saltVal, nil
}

// Fingerprint is the salted hash that stands for an erased contact: the
// suppression set and the erasure's audit entry keep only this.
func (s *Store) Fingerprint(ctx context.Context, a care.Address) (string, error) {
	salt, err := s.salt(ctx)
	if err != nil {
		return "", err
	}
	return fingerprint(salt, a), nil
}

func fingerprint(salt []byte, a care.Address) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(a.String()))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Suppressed reports when the contact erased their data, zero if never.
func (s *Store) Suppressed(ctx context.Context, a care.Address) (time.Time, error) {
	fp, err := s.Fingerprint(ctx, a)
	if err != nil {
		return time.Time{}, err
	}
	ms, err := s.client.HGet(ctx, s.suppressed, fp).Int64()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("suppression: %w", err)
	}
	return time.UnixMilli(ms), nil
}

// erasureTries bounds the attempts at an erasure's shared-key work.
const erasureTries = 5

// finishErasure runs once an erasure's commit stored: it adds the
// contact to the suppression set, deletes their entries from the shared
// queue, held-back set, audit and dead letters and their cap counters,
// and writes an audit entry that holds only the salted hash. It is
// idempotent and retried here, because the commit it follows cannot be
// redone (a redelivered message is a duplicate).
func (s *Store) finishErasure(ctx context.Context, id care.ContactID, person string, keep []care.Outbound) error {
	var err error
	backoff := 50 * time.Millisecond
	for range erasureTries {
		if err = s.eraseShared(ctx, id, person, keep); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(backoff)
		backoff *= 2
	}
	if err != nil {
		return fmt.Errorf("erase %s from the shared records (the contact's own keys are erased): %w", id, err)
	}
	return nil
}

// eraseShared is finishErasure's work; the queue entries of keep (the
// erasure's confirmation) stay.
func (s *Store) eraseShared(ctx context.Context, id care.ContactID, person string, keep []care.Outbound) error {
	addr, err := id.Address()
	if err != nil {
		return err
	}
	fp, err := s.Fingerprint(ctx, addr)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, m := range keep {
		kept[m.ID] = true
	}
	for _, stream := range []string{s.outbox, s.audit, s.dead} {
		if err := s.dropEntries(ctx, stream, id, kept); err != nil {
			return err
		}
	}
	var held []string
	iter := s.client.ZScan(ctx, s.later, 0, globEscape(string(id))+" *", 1000).Iterator()
	for iter.Next(ctx) {
		held = append(held, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("erase held-back messages: %w", err)
	}
	at := s.now()
	pipe := s.client.Pipeline()
	pipe.HSet(ctx, s.suppressed, fp, at.UnixMilli())
	pipe.Del(ctx, s.capKey(string(id)))
	if person != "" && person != string(id) {
		pipe.ZRemRangeByScore(ctx, s.capKey(person), "-inf", "+inf")
	}
	for i := 0; i+1 < len(held); i += 2 { // ZSCAN yields member, score
		pipe.ZRem(ctx, s.later, held[i])
	}
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.audit, MaxLen: auditLen, Approx: true, Values: []string{
		"event", "erasure", "ref", fp, "at", at.UTC().Format(time.RFC3339Nano),
	}})
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("suppress erased contact: %w", err)
	}
	return nil
}

// dropEntries deletes the contact's entries from a shared stream, page
// by page, but those of the messages in keep.
func (s *Store) dropEntries(ctx context.Context, stream string, id care.ContactID, keep map[string]bool) error {
	start := "-"
	for {
		page, err := s.client.XRangeN(ctx, stream, start, "+", 1000).Result()
		if err != nil {
			return fmt.Errorf("erase from %s: %w", stream, err)
		}
		var ids []string
		for _, e := range page {
			m, _ := e.Values["m"].(string)
			if c, _ := e.Values["c"].(string); c == string(id) && !keep[m] {
				ids = append(ids, e.ID)
			}
		}
		if len(ids) > 0 {
			if err := s.client.XDel(ctx, stream, ids...).Err(); err != nil {
				return fmt.Errorf("erase from %s: %w", stream, err)
			}
		}
		if len(page) < 1000 {
			return nil
		}
		start = "(" + page[len(page)-1].ID
	}
}
