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

// resolveScript finds the contact of an address, making one when the
// address is new, and files the alias (another address of the same
// person) under it. The index and the suppression set share the {d}
// hash tag, so this is one atomic step even on a cluster.
//
// With ARGV 7 set, an address (or alias) linked to a staff account is
// a staff member's chat: it gets no contact, and the link is returned.
//
//	KEYS: index, suppressed, staff chats
//	ARGV: 1 address, 2 alias or "", 3 a fresh contact id, 4 the
//	      address's fingerprint, 5 the alias's or "", 6 a contact id
//	      being erased, whose addresses get a new contact, or "",
//	      7 "1" to look for a staff chat
//
// It returns {contact id, 1 if made now, suppressed ms, other, staff
// link}, where other is a different contact the alias already belongs
// to (the two are one person: a merge is due), else "", and staff link
// is the staff chat's link (then the rest is empty), else "".
var resolveScript = redis.NewScript(`
if ARGV[7] == '1' then
  local staff = redis.call('HGET', KEYS[3], ARGV[1])
  if not staff and ARGV[2] ~= '' then staff = redis.call('HGET', KEYS[3], ARGV[2]) end
  if staff then return {'', 0, '0', '', staff} end
end
local id = redis.call('HGET', KEYS[1], ARGV[1])
if id and id == ARGV[6] then id = false end
local other = false
if ARGV[2] ~= '' then
  other = redis.call('HGET', KEYS[1], ARGV[2])
  if other and other == ARGV[6] then other = false end
end
local made = 0
if not id then
  if other then id = other; other = false else id = ARGV[3]; made = 1 end
  redis.call('HSET', KEYS[1], ARGV[1], id)
end
if ARGV[2] ~= '' then
  if not other then
    redis.call('HSET', KEYS[1], ARGV[2], id)
  elseif other == id then
    other = false
  end
end
local supp = 0
if made == 1 then
  supp = tonumber(redis.call('HGET', KEYS[2], ARGV[4]) or '0')
  if ARGV[5] ~= '' then supp = math.max(supp, tonumber(redis.call('HGET', KEYS[2], ARGV[5]) or '0')) end
end
return {id, made, tostring(supp), other or '', ''}
`)

// Resolve finds the contact of each request's address, making one for
// an address never seen, in one round trip. See care.Conversations.
func (s *Store) Resolve(ctx context.Context, reqs []care.ResolveRequest) ([]care.Resolution, error) {
	salt, err := s.salt(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	for _, r := range reqs {
		if err := r.Address.Validate(); err != nil {
			return nil, fmt.Errorf("resolve: %w", err)
		}
		if r.Alias.ID != "" {
			if err := r.Alias.Validate(); err != nil {
				return nil, fmt.Errorf("resolve alias: %w", err)
			}
		}
	}
	cmds := s.evalPipelined(ctx, resolveScript, len(reqs), func(i int) ([]string, []any) {
		r := reqs[i]
		alias, afp := "", ""
		if r.Alias.ID != "" {
			alias, afp = r.Alias.String(), fingerprint(salt, r.Alias)
		}
		staff := ""
		if r.CheckStaff {
			staff = "1"
		}
		return []string{s.index, s.suppressed, s.staffChatsKey()}, []any{r.Address.String(), alias,
			string(care.NewContactID()), fingerprint(salt, r.Address), afp, string(r.Replace), staff}
	})
	out := make([]care.Resolution, len(reqs))
	for i, c := range cmds {
		v, err := c.Slice()
		if err != nil {
			return nil, fmt.Errorf("resolve address: %w", unavailable(err))
		}
		if len(v) != 5 {
			return nil, fmt.Errorf("resolve address: script answered %d values", len(v))
		}
		if link, _ := v[4].(string); link != "" {
			out[i].StaffChat = linkedAccount(link)
			continue
		}
		id, _ := v[0].(string)
		made, _ := v[1].(int64)
		supp, _ := v[2].(string)
		other, _ := v[3].(string)
		ms, _ := strconv.ParseInt(supp, 10, 64)
		out[i] = care.Resolution{Contact: care.ContactID(id), New: made == 1, Other: care.ContactID(other)}
		if ms > 0 {
			out[i].Suppressed = time.UnixMilli(ms)
		}
	}
	return out, nil
}

// Lookup returns the contact an address belongs to; ok is false when the
// address is unknown.
func (s *Store) Lookup(ctx context.Context, a care.Address) (care.ContactID, bool, error) {
	if err := a.Validate(); err != nil {
		return "", false, fmt.Errorf("look up: %w", err)
	}
	id, err := s.client.HGet(ctx, s.index, a.String()).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up address: %w", err)
	}
	return care.ContactID(id), true, nil
}

// encodeVersioned and decodeVersioned give the value of a versioned key
// (session, profile): "<version>|<JSON>". A plain string takes half the
// memory of a hash holding the same two fields.
func encodeVersioned(version int64, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(version, 10) + "|" + string(b), nil
}

func decodeVersioned(raw string, v any) (int64, error) {
	ver, data, ok := strings.Cut(raw, "|")
	if !ok {
		return 0, errors.New("stored value has no version")
	}
	n, err := strconv.ParseInt(ver, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stored version: %w", err)
	}
	if err := decodeRecord([]byte(data), v); err != nil {
		return 0, err
	}
	return n, nil
}

func decodeProfile(raw string) (care.Contact, error) {
	var c care.Contact
	v, err := decodeVersioned(raw, &c)
	if err != nil {
		return care.Contact{}, fmt.Errorf("decode profile: %w", err)
	}
	c.Version = v
	return c, nil
}

// Contact returns the contact's profile; ok is false when none is kept.
// A stub left by a merge is followed to the contact that holds the
// person now.
func (s *Store) Contact(ctx context.Context, id care.ContactID) (c care.Contact, ok bool, err error) {
	for range 4 { // a merged stub points on; chains are short
		if err := id.Validate(); err != nil {
			return c, false, fmt.Errorf("contact: %w", err)
		}
		raw, err := s.client.Get(ctx, s.key(id, keyProfile)).Result()
		if errors.Is(err, redis.Nil) {
			return c, false, nil
		}
		if err != nil {
			return c, false, fmt.Errorf("contact %s: %w", id, err)
		}
		if c, err = decodeProfile(raw); err != nil {
			return c, false, fmt.Errorf("contact %s: %w", id, err)
		}
		if c.MergedInto == "" {
			return c, true, nil
		}
		id = c.MergedInto
	}
	return care.Contact{}, false, fmt.Errorf("contact %s: merged too many times over", id)
}

// updateScript writes a profile over the version that was read and
// appends consent events to the ledger.
//
//	KEYS: profile, ledger; ARGV: read version, profile JSON, count of
//	events, then the events' JSON
//
// It returns the new version, or -1 when the profile moved on.
var updateScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then v = tonumber(string.sub(cur, 1, string.find(cur, '|', 1, true) - 1)) end
if v ~= tonumber(ARGV[1]) then return -1 end
redis.call('SET', KEYS[1], (v + 1) .. '|' .. ARGV[2])
for i = 4, 3 + tonumber(ARGV[3]) do
  redis.call('XADD', KEYS[2], '*', 'e', ARGV[i])
end
return v + 1
`)

// maxUpdateTries bounds the optimistic retries of UpdateContact when
// the profile keeps changing under it.
const maxUpdateTries = 20

// UpdateContact changes a live contact's profile with fn and appends the
// consent events fn returns to the ledger, atomically and only over the
// version fn saw: the one write path for staff, imports, links and the
// sender (the runtime's commit checks the same version). A contact that
// does not exist, is being erased or was merged away is care.ENotFound
// (a merged one is followed): nothing outside a conversation creates or
// revives a profile.
func (s *Store) UpdateContact(ctx context.Context, id care.ContactID, fn func(c care.Contact) (care.Contact, []care.ConsentEvent, error)) (care.Contact, error) {
	for range maxUpdateTries {
		cur, ok, err := s.Contact(ctx, id)
		if err != nil {
			return care.Contact{}, err
		}
		if !ok || !cur.Live() {
			return care.Contact{}, care.Errorf(care.ENotFound, "contact %s: not found (erased or never seen)", id)
		}
		next, events, err := fn(cur)
		if err != nil {
			return care.Contact{}, err
		}
		// fn may add addresses (a link), never drop one: the index
		// still files them here.
		added := next.Addresses
		next.ID, next.Addresses, next.Erasing, next.MergedInto, next.Merged = cur.ID, slices.Clone(cur.Addresses), cur.Erasing, "", cur.Merged
		for _, a := range added {
			next.AddAddress(a)
		}
		for _, e := range events {
			next = next.Apply(e)
		}
		v, err := s.writeProfile(ctx, cur.Version, next, events)
		if errors.Is(err, care.ErrConflict) {
			continue
		}
		if err != nil {
			return care.Contact{}, err
		}
		next.Version = v
		return next, nil
	}
	return care.Contact{}, fmt.Errorf("update contact %s: %w", id, care.ErrConflict)
}

// writeProfile stores c over version ver with events, or ErrConflict.
func (s *Store) writeProfile(ctx context.Context, ver int64, c care.Contact, events []care.ConsentEvent) (int64, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return 0, fmt.Errorf("encode profile: %w", err)
	}
	args := []any{ver, b, len(events)}
	for _, e := range events {
		eb, err := json.Marshal(e)
		if err != nil {
			return 0, fmt.Errorf("encode consent event: %w", err)
		}
		args = append(args, eb)
	}
	v, err := updateScript.Run(ctx, s.client, []string{s.key(c.ID, keyProfile), s.key(c.ID, keyLedger)}, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("write profile %s: %w", c.ID, err)
	}
	if v < 0 {
		return 0, care.ErrConflict
	}
	return v, nil
}

// MarkUnreachable records on the profile that channel ch cannot reach
// the person (they blocked the bot), so the owner sees it and nothing
// more is tried there until they write again. A contact erased or gone
// meanwhile is left alone.
func (s *Store) MarkUnreachable(ctx context.Context, id care.ContactID, ch care.Channel, reason string) error {
	_, err := s.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		m := make(map[care.Channel]string, len(c.Unreachable)+1)
		for k, v := range c.Unreachable {
			m[k] = v
		}
		m[ch] = reason
		c.Unreachable = m
		return c, nil, nil
	})
	if care.ErrorCode(err) == care.ENotFound {
		return nil
	}
	return err
}

// Import adds a contact from another system, or updates the one the
// address belongs to: name, language, time zone. It never grants
// consent, whatever the source says: promotions need the contact's own
// yes. It returns the contact's id.
func (s *Store) Import(ctx context.Context, a care.Address, c care.Contact) (care.ContactID, error) {
	res, err := s.Resolve(ctx, []care.ResolveRequest{{Address: a}})
	if err != nil {
		return "", err
	}
	r := res[0]
	if r.New {
		fresh := care.Contact{ID: r.Contact, Addresses: []care.Address{a}, FirstSeen: s.now(), Suppressed: r.Suppressed}
		if _, err := s.writeProfile(ctx, 0, fresh, nil); err != nil && !errors.Is(err, care.ErrConflict) {
			return "", err
		}
	}
	_, err = s.UpdateContact(ctx, r.Contact, func(cur care.Contact) (care.Contact, []care.ConsentEvent, error) {
		if c.Name != "" {
			cur.Name = c.Name
		}
		if c.Lang != "" {
			cur.Lang = c.Lang
		}
		if c.TimeZone != "" {
			cur.TimeZone = c.TimeZone
		}
		return cur, nil, nil
	})
	return r.Contact, err
}

// salt returns the installation's secret salt for suppression hashes
// and pseudonyms, made once and kept in Redis.
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

// Pseudonyms returns the installation's pseudonyms for logs, keyed with
// its salt, so every process names a person in its logs the same way.
func (s *Store) Pseudonyms(ctx context.Context) (care.Pseudonyms, error) {
	salt, err := s.salt(ctx)
	if err != nil {
		return care.Pseudonyms{}, err
	}
	return care.NewPseudonyms(salt), nil
}

// fingerprint is the salted hash that stands for an erased address:
// the suppression set and the erasure's audit entry keep only this.
func fingerprint(salt []byte, a care.Address) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(a.String()))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Suppressed reports when the address was erased, zero if never.
func (s *Store) Suppressed(ctx context.Context, a care.Address) (time.Time, error) {
	salt, err := s.salt(ctx)
	if err != nil {
		return time.Time{}, err
	}
	fp := fingerprint(salt, a)
	ms, err := s.client.HGet(ctx, s.suppressed, fp).Int64()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("suppression: %w", err)
	}
	return time.UnixMilli(ms), nil
}
