package redisstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// Staff chats live under the directory's hash tag {d}, beside the
// address index, so the script that resolves an inbound address also
// tells a staff member's chat from a customer's, in the same step:
//
//	<p>:{d}:staffchat              hash: "<channel>:<id>" → the link (JSON: account, its id, when)
//	<p>:{d}:staffcode:<code>       string: the account a one-time code links, for care.StaffLinkTTL
//	<p>:{d}:stafftries:<fp>        sorted set: wrong codes from one address, for care.StaffLinkWindow
//	<p>:{d}:staffdesk:<fp>         sorted set: message ids the staff desk handled from one address, for a day
//	<p>:{d}:claim:<code>           string: the conversation a KLAIM code claims
//
// <fp> is the address's salted fingerprint, so no key name holds an
// address. The bot's messages to a staff chat are queued under the
// chat's own outbox id (chatBox), a ContactID that no profile and no
// customer has.
var (
	_ care.StaffChats  = (*Store)(nil)
	_ care.StaffAlerts = (*Store)(nil)
)

// deskKeep is how long the staff desk remembers the messages it handled.
const deskKeep = 24 * time.Hour

// chatLink is a staff chat's link as stored.
type chatLink struct {
	// Account is the account's name as it was given, Key its lower-case
	// form and ID its id: a later account of the same name is not
	// linked.
	Account string `json:"account"`
	Key     string `json:"key"`
	ID      string `json:"id"`
	// At is when the chat was linked (ms).
	At int64 `json:"at,omitempty"`
	// Of names the address this one is an alias of (WhatsApp's LID
	// beside the number): alerts go to that one only.
	Of string `json:"of,omitempty"`
}

func (s *Store) staffChatsKey() string           { return s.prefix + ":{d}:staffchat" }
func (s *Store) staffCodeKey(code string) string { return s.prefix + ":{d}:staffcode:" + code }
func (s *Store) staffTriesKey(fp string) string  { return s.prefix + ":{d}:stafftries:" + fp }
func (s *Store) staffDeskKey(fp string) string   { return s.prefix + ":{d}:staffdesk:" + fp }
func (s *Store) claimKey(code string) string     { return s.prefix + ":{d}:claim:" + code }

// chatBox is the outbox id of a staff chat: a ContactID made from the
// address with the installation's salt, the same in every process and
// nobody's profile.
func chatBox(salt []byte, a care.Address) care.ContactID {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte("\x00staff chat\x00" + a.String()))
	return care.ContactID("c" + strings.ToLower(base32.StdEncoding.EncodeToString(h.Sum(nil)))[:16])
}

// digits returns n random decimal digits.
func digits(n int) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, _ := rand.Int(rand.Reader, limit) // crypto/rand never fails
	return fmt.Sprintf("%0*d", n, v)
}

// codeTries bounds the attempts to find a code no one holds.
const codeTries = 20

// StaffLinkCode makes a one-time code that links a chat to the account.
// See care.StaffChats.
func (s *Store) StaffLinkCode(ctx context.Context, name string) (string, time.Time, error) {
	key, err := care.StaffKey(name)
	if err != nil {
		return "", time.Time{}, err
	}
	rec, ok, err := s.Staff().record(ctx, key)
	if err != nil {
		return "", time.Time{}, err
	}
	if !ok {
		return "", time.Time{}, care.Errorf(care.ENotFound, "no account named %s", name)
	}
	b, err := json.Marshal(chatLink{Account: rec.Name, Key: key, ID: rec.ID})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("link code for %s: %w", name, err)
	}
	expires := s.now().Add(care.StaffLinkTTL)
	for range codeTries {
		code := digits(6)
		set, err := s.client.SetNX(ctx, s.staffCodeKey(code), b, care.StaffLinkTTL).Result()
		if err != nil {
			return "", time.Time{}, fmt.Errorf("link code for %s: %w", name, unavailable(err))
		}
		if set {
			return code, expires, nil
		}
	}
	return "", time.Time{}, fmt.Errorf("link code for %s: no free code in %d tries", name, codeTries)
}

// linkScript links a chat with a one-time code, once per message.
//
//	KEYS: 1 links, 2 the code, 3 the address's wrong codes, 4 its desk
//	ARGV: 1 address, 2 alias or "", 3 message id, 4 now ms, 5 tries
//	      window ms, 6 tries allowed, 7 desk keep ms, 8 "<channel>:"
//
// It returns {"dup", link or ""} for a message handled before,
// {"throttled", until ms}, {"wrong", ""} or {"linked", link}.
var linkScript = redis.NewScript(`
local now = tonumber(ARGV[4])
if redis.call('ZSCORE', KEYS[4], ARGV[3]) then
  return {'dup', redis.call('HGET', KEYS[1], ARGV[1]) or ''}
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[7]))
redis.call('ZADD', KEYS[4], now, ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[5]))
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[6]) then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {'throttled', tostring(tonumber(oldest[2]) + tonumber(ARGV[5]))}
end
local raw = redis.call('GET', KEYS[2])
if not raw then
  redis.call('ZADD', KEYS[3], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  return {'wrong', ''}
end
redis.call('DEL', KEYS[2], KEYS[3])
local link = cjson.decode(raw)
link.at = now
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local a = all[i]
  if a ~= ARGV[1] and a ~= ARGV[2] then
    local ok, l = pcall(cjson.decode, all[i + 1])
    if ok and ((l.key == link.key and string.sub(a, 1, #ARGV[8]) == ARGV[8]) or l.of == ARGV[1]) then
      redis.call('HDEL', KEYS[1], a)
    end
  end
end
local enc = cjson.encode(link)
redis.call('HSET', KEYS[1], ARGV[1], enc)
if ARGV[2] ~= '' then
  link.of = ARGV[1]
  redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(link))
end
return {'linked', enc}
`)

// LinkStaffChat links a chat to the account of a one-time code. See
// care.StaffChats.
func (s *Store) LinkStaffChat(ctx context.Context, a, alias care.Address, code, messageID string) (care.LinkResult, error) {
	if err := a.Validate(); err != nil {
		return care.LinkResult{}, fmt.Errorf("link chat: %w", err)
	}
	aliasKey := ""
	if alias.ID != "" {
		if err := alias.Validate(); err != nil {
			return care.LinkResult{}, fmt.Errorf("link chat: alias: %w", err)
		}
		aliasKey = alias.String()
	}
	if code == "" || strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' }) || len(code) > 12 {
		// Any number may be a wrong code; this is no number.
		return care.LinkResult{}, care.Errorf(care.EInvalid, "link chat: a code is 6 digits")
	}
	salt, err := s.salt(ctx)
	if err != nil {
		return care.LinkResult{}, unavailable(err)
	}
	fp := fingerprint(salt, a)
	keys := []string{s.staffChatsKey(), s.staffCodeKey(code), s.staffTriesKey(fp), s.staffDeskKey(fp)}
	args := []any{a.String(), aliasKey, messageID, s.now().UnixMilli(), care.StaffLinkWindow.Milliseconds(),
		care.StaffLinkTries, deskKeep.Milliseconds(), string(a.Channel) + ":"}
	v, err := s.runAll(ctx, []scriptCall{{linkScript, keys, args}})[0].StringSlice()
	if err != nil {
		return care.LinkResult{}, fmt.Errorf("link chat: %w", unavailable(err))
	}
	if len(v) != 2 {
		return care.LinkResult{}, fmt.Errorf("link chat: script answered %d values", len(v))
	}
	switch v[0] {
	case "throttled":
		ms, _ := strconv.ParseInt(v[1], 10, 64)
		return care.LinkResult{Outcome: care.LinkThrottled, Until: time.UnixMilli(ms)}, nil
	case "wrong":
		return care.LinkResult{Outcome: care.LinkWrong}, nil
	}
	res := care.LinkResult{Outcome: care.LinkDone, Repeat: v[0] == "dup"}
	if res.Repeat && v[1] == "" {
		res.Outcome = care.LinkWrong
	}
	if v[1] != "" {
		var l chatLink
		if err := json.Unmarshal([]byte(v[1]), &l); err != nil {
			return care.LinkResult{}, fmt.Errorf("link chat: decode link: %w", err)
		}
		res.Account = l.Account
	}
	return res, nil
}

// linkedAccount is the account of a stored link; a link that does not
// decode still marks a staff chat, of no account.
func linkedAccount(raw string) string {
	var l chatLink
	_ = json.Unmarshal([]byte(raw), &l)
	return cmp.Or(l.Account, "?")
}

// unlinkScript unlinks an address and every address linked with it,
// and records the message in the address's desk.
//
//	KEYS: 1 links, 2 the address's desk
//	ARGV: 1 address, 2 message id, 3 now ms, 4 desk keep ms
//
// It returns the link the address had, or "".
var unlinkScript = redis.NewScript(`
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[4]))
redis.call('ZADD', KEYS[2], now, ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return '' end
local primary = ARGV[1]
local ok, link = pcall(cjson.decode, raw)
if ok and type(link.of) == 'string' and link.of ~= '' then primary = link.of end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local ok2, l = pcall(cjson.decode, all[i + 1])
  if all[i] == primary or (ok2 and l.of == primary) then redis.call('HDEL', KEYS[1], all[i]) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
return raw
`)

// UnlinkStaffChat unlinks a chat. See care.StaffChats.
func (s *Store) UnlinkStaffChat(ctx context.Context, a care.Address, messageID string) (string, error) {
	if err := a.Validate(); err != nil {
		return "", fmt.Errorf("unlink chat: %w", err)
	}
	salt, err := s.salt(ctx)
	if err != nil {
		return "", unavailable(err)
	}
	keys := []string{s.staffChatsKey(), s.staffDeskKey(fingerprint(salt, a))}
	raw, err := s.runAll(ctx, []scriptCall{{unlinkScript, keys, []any{a.String(), messageID, s.now().UnixMilli(), deskKeep.Milliseconds()}}})[0].Text()
	if err != nil {
		return "", fmt.Errorf("unlink chat: %w", unavailable(err))
	}
	if raw == "" {
		return "", nil
	}
	var l chatLink
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		return "", fmt.Errorf("unlink chat: decode link: %w", err)
	}
	return l.Account, nil
}

// unlinkAccountScript unlinks every chat of an account.
//
//	KEYS: 1 links; ARGV: 1 the account's lower-case name
var unlinkAccountScript = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 1, #all, 2 do
  local ok, l = pcall(cjson.decode, all[i + 1])
  if ok and l.key == ARGV[1] then n = n + redis.call('HDEL', KEYS[1], all[i]) end
end
return n
`)

// unlinkAccount unlinks every chat of the account of lower-case name
// key: it is removed.
func (s *Store) unlinkAccount(ctx context.Context, key string) error {
	if err := s.runAll(ctx, []scriptCall{{unlinkAccountScript, []string{s.staffChatsKey()}, []any{key}}})[0].Err(); err != nil {
		return fmt.Errorf("unlink the chats of %s: %w", key, unavailable(err))
	}
	return nil
}

// StaffChats lists the chats linked to accounts that exist. See
// care.StaffChats.
func (s *Store) StaffChats(ctx context.Context) ([]care.StaffChat, error) {
	pipe := s.client.Pipeline()
	links := pipe.HGetAll(ctx, s.staffChatsKey())
	accounts := pipe.HGetAll(ctx, s.Staff().accounts)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("list staff chats: %w", unavailable(err))
	}
	var out []care.StaffChat
	for addr, raw := range links.Val() {
		var l chatLink
		if err := json.Unmarshal([]byte(raw), &l); err != nil || l.Of != "" {
			continue // an alias: alerts go to the address it stands beside
		}
		a, err := care.ParseAddress(addr)
		if err != nil {
			continue
		}
		acct, ok := accounts.Val()[l.Key]
		if !ok {
			continue
		}
		rec, err := decodeStaff([]byte(acct))
		if err != nil || rec.ID != l.ID {
			continue // the account was removed, and maybe made again
		}
		out = append(out, care.StaffChat{Address: a, Account: rec.Name, Role: rec.Role, Linked: time.UnixMilli(l.At)})
	}
	slices.SortFunc(out, func(x, y care.StaffChat) int {
		return cmp.Or(strings.Compare(strings.ToLower(x.Account), strings.ToLower(y.Account)), strings.Compare(string(x.Address.Channel), string(y.Address.Channel)))
	})
	return out, nil
}

// StaffMessageSeen reports whether the staff desk handled the message.
// See care.StaffChats.
func (s *Store) StaffMessageSeen(ctx context.Context, a care.Address, messageID string) (bool, error) {
	salt, err := s.salt(ctx)
	if err != nil {
		return false, unavailable(err)
	}
	err = s.client.ZScore(ctx, s.staffDeskKey(fingerprint(salt, a)), messageID).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("staff desk: %w", unavailable(err))
	}
	return true, nil
}

// StaffMessageDone records that the staff desk handled the message. See
// care.StaffChats.
func (s *Store) StaffMessageDone(ctx context.Context, a care.Address, messageID string) error {
	salt, err := s.salt(ctx)
	if err != nil {
		return unavailable(err)
	}
	key, now := s.staffDeskKey(fingerprint(salt, a)), s.now()
	pipe := s.client.Pipeline()
	pipe.ZRemRangeByScore(ctx, key, "-inf", strconv.FormatInt(now.Add(-deskKeep).UnixMilli(), 10))
	pipe.ZAdd(ctx, key, redis.Z{Score: score(now), Member: messageID})
	pipe.PExpire(ctx, key, deskKeep)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("staff desk: %w", unavailable(err))
	}
	return nil
}

// QueueStaffChat queues messages to staff chats under each chat's own
// outbox id, with their lane entries first. See care.StaffAlerts.
func (s *Store) QueueStaffChat(ctx context.Context, ms []care.Outbound) error {
	salt, err := s.salt(ctx)
	if err != nil {
		return unavailable(err)
	}
	ms = slices.Clone(ms)
	for i := range ms {
		m := &ms[i]
		switch {
		case m.Class != care.StaffAlert:
			return care.Errorf(care.EInvalid, "queue message %s to a staff chat: class %q, want %s", m.ID, m.Class, care.StaffAlert)
		case m.ID == "" || strings.ContainsAny(m.ID, " \t\n"):
			return care.Errorf(care.EInvalid, "queue message %q to a staff chat: want an id without spaces", m.ID)
		case m.Text == "" || len(m.Text) > MaxOutboundText:
			return care.Errorf(care.EInvalid, "queue message %s to a staff chat: text of %d bytes; want 1 to %d", m.ID, len(m.Text), MaxOutboundText)
		}
		if err := m.Address.Validate(); err != nil {
			return fmt.Errorf("queue message %s to a staff chat: %w", m.ID, err)
		}
		m.Contact, m.Seq = chatBox(salt, m.Address), seqOf(m.Created, i)
	}
	pipe := s.client.Pipeline()
	refs := s.queueRefs(ctx, pipe, ms)
	sets := make([]*redis.BoolCmd, len(ms))
	for i, m := range ms {
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("queue message %s to a staff chat: %w", m.ID, err)
		}
		sets[i] = pipe.HSetNX(ctx, s.key(m.Contact, keyOutbound), m.ID, b)
	}
	_, _ = pipe.Exec(ctx)
	for _, c := range sets {
		if err := c.Err(); err != nil {
			s.dropRefs(ctx, refsOf(refs))
			return fmt.Errorf("queue messages to staff chats: %w", unavailable(err))
		}
	}
	return nil
}

// staffChatStates fills in what the store holds now about the chat each
// StaffAlert delivery goes to, in one round trip for all of them.
func (s *Store) staffChatStates(ctx context.Context, ds []care.Delivery) error {
	var idx []int
	for i, d := range ds {
		if d.Class == care.StaffAlert {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	salt, err := s.salt(ctx)
	if err != nil {
		return unavailable(err)
	}
	pipe := s.client.Pipeline()
	links := make([]*redis.StringCmd, len(idx))
	heard := make([]*redis.FloatCmd, len(idx))
	for k, i := range idx {
		d := ds[i]
		links[k] = pipe.HGet(ctx, s.staffChatsKey(), d.Address.String())
		if d.InReplyTo != "" {
			heard[k] = pipe.ZScore(ctx, s.staffDeskKey(fingerprint(salt, d.Address)), d.InReplyTo)
		}
	}
	_, _ = pipe.Exec(ctx)
	for k, i := range idx {
		st := &ds[i].StaffChat
		raw, err := links[k].Result()
		switch {
		case err == nil:
			var l chatLink
			if json.Unmarshal([]byte(raw), &l) == nil {
				st.Account = l.Account
			}
		case !errors.Is(err, redis.Nil):
			return fmt.Errorf("read staff chat: %w", unavailable(err))
		}
		if heard[k] == nil {
			continue
		}
		ms, err := heard[k].Result()
		switch {
		case err == nil:
			st.Heard = time.UnixMilli(int64(ms))
		case !errors.Is(err, redis.Nil):
			return fmt.Errorf("read staff desk: %w", unavailable(err))
		}
	}
	return nil
}

// MarkAlerted records on a waiting conversation that staff, or its
// owners, were told. The profile is written over the version read, so
// of two sweeps at once one marks it. See care.StaffAlerts.
func (s *Store) MarkAlerted(ctx context.Context, id care.ContactID, since time.Time, owner bool, at time.Time) (bool, error) {
	marked := false
	_, _, err := s.act(ctx, id, func(c care.Contact) (staffChange, error) {
		marked = false
		h := c.Handover
		mark := &h.Alerted
		if owner {
			mark = &h.OwnerAlerted
		}
		if h.State != care.StateWaiting || !h.Since.Equal(since) || !mark.IsZero() {
			return staffChange{}, nil
		}
		*mark = at
		next := c
		next.Handover = h
		marked = true
		return staffChange{profile: &next, keepIndex: true}, nil
	})
	if care.ErrorCode(err) == care.ENotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark %s alerted: %w", id, err)
	}
	return marked, nil
}

// UnmarkAlerted takes back a mark made at at. See care.StaffAlerts.
func (s *Store) UnmarkAlerted(ctx context.Context, id care.ContactID, since time.Time, owner bool, at time.Time) error {
	_, _, err := s.act(ctx, id, func(c care.Contact) (staffChange, error) {
		h := c.Handover
		mark := &h.Alerted
		if owner {
			mark = &h.OwnerAlerted
		}
		if h.State != care.StateWaiting || !h.Since.Equal(since) || !mark.Equal(at) {
			return staffChange{}, nil
		}
		*mark = time.Time{}
		next := c
		next.Handover = h
		return staffChange{profile: &next, keepIndex: true}, nil
	})
	if err != nil && care.ErrorCode(err) != care.ENotFound {
		return fmt.Errorf("unmark %s alerted: %w", id, err)
	}
	return nil
}

// ClaimCodes gives each conversation a code of 4 digits (1000 to 9999)
// no other conversation holds now. See care.StaffAlerts.
func (s *Store) ClaimCodes(ctx context.Context, ids []care.ContactID, ttl time.Duration) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		if err := id.Validate(); err != nil {
			return nil, fmt.Errorf("claim code: %w", err)
		}
		for range codeTries {
			v, _ := rand.Int(rand.Reader, big.NewInt(9000))
			code := strconv.FormatInt(1000+v.Int64(), 10)
			set, err := s.client.SetNX(ctx, s.claimKey(code), string(id), ttl).Result()
			if err != nil {
				return nil, fmt.Errorf("claim code for %s: %w", id, unavailable(err))
			}
			if set {
				out[i] = code
				break
			}
		}
		if out[i] == "" {
			return nil, fmt.Errorf("claim code for %s: no free code in %d tries", id, codeTries)
		}
	}
	return out, nil
}

// ClaimCode returns the conversation a KLAIM code claims. See
// care.StaffAlerts.
func (s *Store) ClaimCode(ctx context.Context, code string) (care.ContactID, bool, error) {
	if len(code) != 4 || strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' }) {
		return "", false, nil
	}
	id, err := s.client.Get(ctx, s.claimKey(code)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("claim code: %w", unavailable(err))
	}
	return care.ContactID(id), true, nil
}
