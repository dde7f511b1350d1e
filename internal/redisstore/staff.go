package redisstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
)

// Staff keeps staff accounts, their sessions and API tokens, and the
// login throttle. Every key carries the hash tag {staff}:
//
//	<prefix>:{staff}:accounts              hash: account name (lower-case) → JSON with the bcrypt hash
//	<prefix>:{staff}:tokens                hash: SHA-256 of an API token → JSON (id, account, label)
//	<prefix>:{staff}:session:<sha256>      hash: one browser session (name, stamp, seen), expiring
//	<prefix>:{staff}:fails:<name|addr>:<x> sorted set: recent failed logins of an account or address
//	<prefix>:{staff}:lock:<name|addr>:<x>  string: until when logins are refused (ms), expiring
//
// Secrets (session and API tokens) are kept only as SHA-256 hashes:
// they are 256 random bits, so a fast hash is enough, and a copy of the
// database logs nobody in. Passwords are kept as bcrypt hashes.
type Staff struct {
	store      *Store
	accounts   string
	tokens     string
	cost       int
	sessionTTL time.Duration
	dummyOnce  sync.Once
	dummy      []byte
}

var _ care.Staff = (*Staff)(nil)

const (
	// DefaultBcryptCost is the bcrypt cost of stored passwords: about a
	// quarter of a second per check on a small server.
	DefaultBcryptCost = 12
	// DefaultSessionTTL is how long a browser session lasts after its
	// last request.
	DefaultSessionTTL = 12 * time.Hour

	// loginFailures failed logins within loginWindow lock an account, or
	// a client address, for loginLockout.
	loginFailures = 5
	loginWindow   = 15 * time.Minute
	loginLockout  = 15 * time.Minute

	// maxSecret bounds a session or API token read from a request.
	maxSecret = 128
	// maxClient bounds a client address used in a key.
	maxClient = 64
	// maxTokenLabel bounds an API token's label.
	maxTokenLabel = 64
	// tokenPrefix starts every API token, so a leaked one is easy to
	// recognise (and to scan for).
	tokenPrefix = "mitra_"
)

// StaffOption changes the Staff made by Store.Staff.
type StaffOption func(*Staff)

// WithBcryptCost sets the bcrypt cost of new password hashes (default
// DefaultBcryptCost). Tests lower it to bcrypt.MinCost to run fast.
func WithBcryptCost(cost int) StaffOption {
	return func(st *Staff) { st.cost = cost }
}

// WithSessionTTL sets how long a browser session lasts after its last
// request (default DefaultSessionTTL).
func WithSessionTTL(d time.Duration) StaffOption {
	return func(st *Staff) { st.sessionTTL = d }
}

// Staff returns the staff accounts kept in the store's Redis, under its
// prefix and with its clock.
func (s *Store) Staff(opts ...StaffOption) *Staff {
	st := &Staff{
		store:      s,
		accounts:   s.prefix + ":{staff}:accounts",
		tokens:     s.prefix + ":{staff}:tokens",
		cost:       DefaultBcryptCost,
		sessionTTL: DefaultSessionTTL,
	}
	for _, o := range opts {
		o(st)
	}
	return st
}

// staffRecord is an account as stored.
type staffRecord struct {
	care.StaffAccount
	// Hash is the bcrypt hash of the password.
	Hash string `json:"hash"`
	// ID tells this account from an earlier one of the same name, so a
	// token of a removed account never acts for a new one.
	ID string `json:"id"`
	// Stamp changes with the password; a session made under another
	// stamp has ended.
	Stamp string `json:"stamp"`
}

// tokenRecord is an API token as stored, under its secret's hash.
type tokenRecord struct {
	care.StaffToken
	// AccountID is the ID of the account the token was made for.
	AccountID string `json:"account_id"`
}

func (st *Staff) sessionKey(hash string) string { return st.store.prefix + ":{staff}:session:" + hash }
func (st *Staff) failKey(kind, id string) string {
	return st.store.prefix + ":{staff}:fails:" + kind + ":" + id
}
func (st *Staff) lockKey(kind, id string) string {
	return st.store.prefix + ":{staff}:lock:" + kind + ":" + id
}

// AddStaff makes an account. See care.Staff.
func (st *Staff) AddStaff(ctx context.Context, name string, role care.StaffRole, password string) (care.StaffAccount, error) {
	key, err := care.StaffKey(name)
	if err != nil {
		return care.StaffAccount{}, err
	}
	if !role.Valid() {
		return care.StaffAccount{}, care.Errorf(care.EInvalid, "role must be %s or %s, not %q", care.RoleOwner, care.RoleStaff, role)
	}
	hash, err := st.hash(password)
	if err != nil {
		return care.StaffAccount{}, err
	}
	now := st.store.now().UTC()
	rec := staffRecord{
		StaffAccount: care.StaffAccount{Name: name, Role: role, Created: now, PasswordChanged: now},
		Hash:         hash, ID: randomID(), Stamp: randomID(),
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return care.StaffAccount{}, fmt.Errorf("add account %s: %w", name, err)
	}
	added, err := st.store.client.HSetNX(ctx, st.accounts, key, b).Result()
	if err != nil {
		return care.StaffAccount{}, fmt.Errorf("add account %s: %w", name, unavailable(err))
	}
	if !added {
		return care.StaffAccount{}, care.Errorf(care.EConflict, "an account named %s exists already", name)
	}
	return rec.StaffAccount, nil
}

// hash checks a new password and returns its bcrypt hash.
func (st *Staff) hash(password string) (string, error) {
	if err := care.CheckStaffPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), st.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// record returns the stored account of a lower-case name; ok is false
// when there is none.
func (st *Staff) record(ctx context.Context, key string) (staffRecord, bool, error) {
	b, err := st.store.client.HGet(ctx, st.accounts, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return staffRecord{}, false, nil
	}
	if err != nil {
		return staffRecord{}, false, fmt.Errorf("read account %s: %w", key, unavailable(err))
	}
	rec, err := decodeStaff(b)
	if err != nil {
		return staffRecord{}, false, fmt.Errorf("read account %s: %w", key, err)
	}
	return rec, true, nil
}

func decodeStaff(b []byte) (staffRecord, error) {
	var rec staffRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return staffRecord{}, fmt.Errorf("decode account: %w", err)
	}
	return rec, nil
}

// StaffAccounts lists every account by name. See care.Staff.
func (st *Staff) StaffAccounts(ctx context.Context) ([]care.StaffAccount, error) {
	all, err := st.store.client.HGetAll(ctx, st.accounts).Result()
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", unavailable(err))
	}
	out := make([]care.StaffAccount, 0, len(all))
	for key, v := range all {
		rec, err := decodeStaff([]byte(v))
		if err != nil {
			return nil, fmt.Errorf("list accounts: %s: %w", key, err)
		}
		out = append(out, rec.StaffAccount)
	}
	slices.SortFunc(out, func(a, b care.StaffAccount) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, nil
}

// StaffAccount returns an account. See care.Staff.
func (st *Staff) StaffAccount(ctx context.Context, name string) (care.StaffAccount, bool, error) {
	key, err := care.StaffKey(name)
	if err != nil {
		return care.StaffAccount{}, false, nil
	}
	rec, ok, err := st.record(ctx, key)
	return rec.StaffAccount, ok, err
}

// RemoveStaff deletes an account, its tokens and its linked chats. Its
// sessions end with it: a session whose account is gone is deleted when
// next seen, and one of an account made later under the same name has
// the wrong stamp. See care.Staff.
func (st *Staff) RemoveStaff(ctx context.Context, name string) error {
	key, err := care.StaffKey(name)
	if err != nil {
		return err
	}
	tokens, err := st.tokenRecords(ctx)
	if err != nil {
		return fmt.Errorf("remove account %s: %w", name, err)
	}
	// Its chats go first, under another hash tag than the account: should
	// this fail, the account is still there to remove again.
	if err := st.store.unlinkAccount(ctx, key); err != nil {
		return fmt.Errorf("remove account %s: %w", name, err)
	}
	pipe := st.store.client.TxPipeline()
	removed := pipe.HDel(ctx, st.accounts, key)
	for hash, t := range tokens {
		if strings.EqualFold(t.Account, key) {
			pipe.HDel(ctx, st.tokens, hash)
		}
	}
	pipe.Del(ctx, st.failKey("name", key), st.lockKey("name", key))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("remove account %s: %w", name, unavailable(err))
	}
	if removed.Val() == 0 {
		return care.Errorf(care.ENotFound, "no account named %s", name)
	}
	return nil
}

// replaceScript stores an account's new record if the account still
// exists.
//
//	KEYS: accounts
//	ARGV: 1 name (lower-case), 2 record
var replaceScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// SetStaffPassword replaces an account's password and ends its sessions
// (a new stamp). See care.Staff.
func (st *Staff) SetStaffPassword(ctx context.Context, name, password string) error {
	key, err := care.StaffKey(name)
	if err != nil {
		return err
	}
	hash, err := st.hash(password)
	if err != nil {
		return err
	}
	rec, ok, err := st.record(ctx, key)
	if err != nil {
		return err
	}
	if !ok {
		return care.Errorf(care.ENotFound, "no account named %s", name)
	}
	rec.Hash, rec.Stamp, rec.PasswordChanged = hash, randomID(), st.store.now().UTC()
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	cmd := st.store.runAll(ctx, []scriptCall{{replaceScript, []string{st.accounts}, []any{key, b}}})[0]
	if n, err := cmd.Int(); err != nil {
		return fmt.Errorf("set password of %s: %w", name, unavailable(err))
	} else if n == 0 {
		return care.Errorf(care.ENotFound, "no account named %s", name)
	}
	return nil
}

// CheckStaffPassword reports whether password is the account's. A name
// without an account is checked against a dummy hash of the same cost,
// so both take as long. See care.Staff.
func (st *Staff) CheckStaffPassword(ctx context.Context, name, password string) (care.StaffAccount, bool, error) {
	var rec staffRecord
	found := false
	if key, err := care.StaffKey(name); err == nil {
		if rec, found, err = st.record(ctx, key); err != nil {
			return care.StaffAccount{}, false, err
		}
	}
	hash := []byte(rec.Hash)
	if !found {
		hash = st.dummyHash()
	}
	// bcrypt reads 72 bytes at most; a longer password is never one of
	// ours (AddStaff refuses it), though its first 72 bytes may be.
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && len(password) <= care.MaxStaffPassword
	if !found || !match {
		return care.StaffAccount{}, false, nil
	}
	return rec.StaffAccount, true, nil
}

// defaultDummyHash is a bcrypt hash, of cost DefaultBcryptCost, of a
// random password nobody kept: made once, so that not even the first
// login to an unknown name after a start takes longer.
const defaultDummyHash = "$2a$12$F53AOx.hQuc5a4IWyJ6rOehs2tk6wOh9943bcwrK7yVbWf699rhZu"

// dummyHash is a hash of a random password at the store's cost:
// CheckStaffPassword compares against it when the name has no account.
// At another cost than the default (tests) it is made on first use.
func (st *Staff) dummyHash() []byte {
	st.dummyOnce.Do(func() {
		st.dummy = []byte(defaultDummyHash)
		if st.cost == DefaultBcryptCost {
			return
		}
		h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), st.cost)
		if err != nil {
			// Only a password over 72 bytes or a cost out of range fail.
			panic(fmt.Sprintf("dummy bcrypt hash: %v", err))
		}
		st.dummy = h
	})
	return st.dummy
}

// StartStaffSession makes a browser session for the account. See
// care.Staff.
func (st *Staff) StartStaffSession(ctx context.Context, name string) (string, error) {
	key, err := care.StaffKey(name)
	if err != nil {
		return "", err
	}
	rec, ok, err := st.record(ctx, key)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", care.Errorf(care.ENotFound, "no account named %s", name)
	}
	token := randomSecret()
	now := st.store.now().UnixMilli()
	sk := st.sessionKey(secretHash(token))
	pipe := st.store.client.TxPipeline()
	pipe.HSet(ctx, sk, "name", key, "stamp", rec.Stamp, "seen", now, "created", now)
	pipe.PExpire(ctx, sk, st.sessionTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", fmt.Errorf("start session of %s: %w", name, unavailable(err))
	}
	return token, nil
}

// sessionScript finds a live session's account and keeps the session
// alive for another TTL. An expired session, or one whose account is
// gone, is deleted.
//
//	KEYS: session, accounts
//	ARGV: 1 now (ms), 2 TTL (ms)
//
// It returns {account record, session stamp}, or nil.
var sessionScript = redis.NewScript(`
local s = redis.call('HMGET', KEYS[1], 'name', 'stamp', 'seen')
if not s[1] then return false end
local acct = false
if tonumber(s[3] or '0') + tonumber(ARGV[2]) > tonumber(ARGV[1]) then
  acct = redis.call('HGET', KEYS[2], s[1])
end
if not acct then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('HSET', KEYS[1], 'seen', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {acct, s[2] or ''}
`)

// CheckStaffSession returns the account of a live session and slides its
// expiry. See care.Staff.
func (st *Staff) CheckStaffSession(ctx context.Context, token string) (care.StaffAccount, bool, error) {
	if token == "" || len(token) > maxSecret {
		return care.StaffAccount{}, false, nil
	}
	sk := st.sessionKey(secretHash(token))
	cmd := st.store.runAll(ctx, []scriptCall{{sessionScript, []string{sk, st.accounts},
		[]any{st.store.now().UnixMilli(), st.sessionTTL.Milliseconds()}}})[0]
	v, err := cmd.StringSlice()
	if errors.Is(err, redis.Nil) {
		return care.StaffAccount{}, false, nil
	}
	if err != nil {
		return care.StaffAccount{}, false, fmt.Errorf("check session: %w", unavailable(err))
	}
	if len(v) != 2 {
		return care.StaffAccount{}, false, fmt.Errorf("check session: script answered %d values", len(v))
	}
	rec, err := decodeStaff([]byte(v[0]))
	if err != nil {
		return care.StaffAccount{}, false, fmt.Errorf("check session: %w", err)
	}
	if rec.Stamp != v[1] {
		// The password changed since the session started.
		return care.StaffAccount{}, false, st.EndStaffSession(ctx, token)
	}
	return rec.StaffAccount, true, nil
}

// EndStaffSession ends a session. See care.Staff.
func (st *Staff) EndStaffSession(ctx context.Context, token string) error {
	if token == "" || len(token) > maxSecret {
		return nil
	}
	if err := st.store.client.Del(ctx, st.sessionKey(secretHash(token))).Err(); err != nil {
		return fmt.Errorf("end session: %w", unavailable(err))
	}
	return nil
}

// CreateStaffToken makes an API token for the account. See care.Staff.
func (st *Staff) CreateStaffToken(ctx context.Context, name, label string) (care.StaffToken, string, error) {
	key, err := care.StaffKey(name)
	if err != nil {
		return care.StaffToken{}, "", err
	}
	if len(label) > maxTokenLabel || strings.IndexFunc(label, unicode.IsControl) >= 0 {
		return care.StaffToken{}, "", care.Errorf(care.EInvalid, "a token's label is at most %d bytes, without control characters", maxTokenLabel)
	}
	rec, ok, err := st.record(ctx, key)
	if err != nil {
		return care.StaffToken{}, "", err
	}
	if !ok {
		return care.StaffToken{}, "", care.Errorf(care.ENotFound, "no account named %s", name)
	}
	t := tokenRecord{
		StaffToken: care.StaffToken{ID: randomID(), Account: rec.Name, Label: label, Created: st.store.now().UTC()},
		AccountID:  rec.ID,
	}
	b, err := json.Marshal(t)
	if err != nil {
		return care.StaffToken{}, "", fmt.Errorf("create token for %s: %w", name, err)
	}
	secret := tokenPrefix + randomSecret()
	if err := st.store.client.HSet(ctx, st.tokens, secretHash(secret), b).Err(); err != nil {
		return care.StaffToken{}, "", fmt.Errorf("create token for %s: %w", name, unavailable(err))
	}
	return t.StaffToken, secret, nil
}

// CheckStaffToken returns the account an API token acts for. See
// care.Staff.
func (st *Staff) CheckStaffToken(ctx context.Context, secret string) (care.StaffAccount, bool, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > maxSecret {
		return care.StaffAccount{}, false, nil
	}
	b, err := st.store.client.HGet(ctx, st.tokens, secretHash(secret)).Bytes()
	if errors.Is(err, redis.Nil) {
		return care.StaffAccount{}, false, nil
	}
	if err != nil {
		return care.StaffAccount{}, false, fmt.Errorf("check token: %w", unavailable(err))
	}
	var t tokenRecord
	if err := json.Unmarshal(b, &t); err != nil {
		return care.StaffAccount{}, false, fmt.Errorf("check token: decode: %w", err)
	}
	key, err := care.StaffKey(t.Account)
	if err != nil {
		return care.StaffAccount{}, false, fmt.Errorf("check token: %w", err)
	}
	rec, ok, err := st.record(ctx, key)
	if err != nil || !ok || rec.ID != t.AccountID {
		return care.StaffAccount{}, false, err
	}
	return rec.StaffAccount, true, nil
}

// tokenRecords returns every stored token by its secret's hash.
func (st *Staff) tokenRecords(ctx context.Context) (map[string]tokenRecord, error) {
	all, err := st.store.client.HGetAll(ctx, st.tokens).Result()
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", unavailable(err))
	}
	out := make(map[string]tokenRecord, len(all))
	for hash, v := range all {
		var t tokenRecord
		if err := json.Unmarshal([]byte(v), &t); err != nil {
			return nil, fmt.Errorf("read tokens: decode: %w", err)
		}
		out[hash] = t
	}
	return out, nil
}

// StaffTokens lists the account's API tokens, oldest first. See
// care.Staff.
func (st *Staff) StaffTokens(ctx context.Context, name string) ([]care.StaffToken, error) {
	key, err := care.StaffKey(name)
	if err != nil {
		return nil, err
	}
	all, err := st.tokenRecords(ctx)
	if err != nil {
		return nil, err
	}
	var out []care.StaffToken
	for _, t := range all {
		if strings.EqualFold(t.Account, key) {
			out = append(out, t.StaffToken)
		}
	}
	slices.SortFunc(out, func(a, b care.StaffToken) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// RevokeStaffToken revokes one of the account's tokens. See care.Staff.
func (st *Staff) RevokeStaffToken(ctx context.Context, name, id string) error {
	key, err := care.StaffKey(name)
	if err != nil {
		return err
	}
	all, err := st.tokenRecords(ctx)
	if err != nil {
		return err
	}
	for hash, t := range all {
		if t.ID == id && strings.EqualFold(t.Account, key) {
			if err := st.store.client.HDel(ctx, st.tokens, hash).Err(); err != nil {
				return fmt.Errorf("revoke token %s: %w", id, unavailable(err))
			}
			return nil
		}
	}
	return care.Errorf(care.ENotFound, "%s has no token %q", name, id)
}

// throttleKeys returns the kinds and ids a login is counted under: the
// account (when the name is one an account could have) and the client
// address (when known).
func throttleKeys(name, client string) (kinds, ids []string, err error) {
	if key, err := care.StaffKey(name); err == nil {
		kinds, ids = append(kinds, "name"), append(ids, key)
	}
	if client != "" {
		if len(client) > maxClient {
			return nil, nil, care.Errorf(care.EInvalid, "client address longer than %d bytes", maxClient)
		}
		kinds, ids = append(kinds, "addr"), append(ids, client)
	}
	return kinds, ids, nil
}

// StaffLoginLocked returns until when logins to the account or from the
// client are refused. See care.Staff.
func (st *Staff) StaffLoginLocked(ctx context.Context, name, client string) (time.Time, error) {
	kinds, ids, err := throttleKeys(name, client)
	if err != nil || len(kinds) == 0 {
		return time.Time{}, err
	}
	keys := make([]string, len(kinds))
	for i := range kinds {
		keys[i] = st.lockKey(kinds[i], ids[i])
	}
	vals, err := st.store.client.MGet(ctx, keys...).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("read login locks: %w", unavailable(err))
	}
	var until int64
	for _, v := range vals {
		if s, ok := v.(string); ok {
			ms, _ := strconv.ParseInt(s, 10, 64)
			until = max(until, ms)
		}
	}
	if t := time.UnixMilli(until); until > 0 && t.After(st.store.now()) {
		return t, nil
	}
	return time.Time{}, nil
}

// failScript counts a failed login of one account or address: the
// failures within the window are kept as a sorted set by time, and the
// one that makes them too many sets the lock and starts a new count.
//
//	KEYS: failures, lock
//	ARGV: 1 now (ms), 2 window (ms), 3 failures that lock, 4 lockout
//	      (ms), 5 a member unique to this failure
var failScript = redis.NewScript(`
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], tostring(now + tonumber(ARGV[4])), 'PX', ARGV[4])
  redis.call('DEL', KEYS[1])
end
return 1
`)

// RecordStaffLogin counts a failed login against the account and the
// client, or clears the account's failures after a success. See
// care.Staff.
func (st *Staff) RecordStaffLogin(ctx context.Context, name, client string, ok bool) error {
	kinds, ids, err := throttleKeys(name, client)
	if err != nil {
		return err
	}
	if ok {
		if len(kinds) == 0 || kinds[0] != "name" {
			return nil
		}
		if err := st.store.client.Del(ctx, st.failKey("name", ids[0])).Err(); err != nil {
			return fmt.Errorf("clear login failures: %w", unavailable(err))
		}
		return nil
	}
	now := st.store.now().UnixMilli()
	member := strconv.FormatInt(now, 10) + "-" + randomID()
	calls := make([]scriptCall, len(kinds))
	for i := range kinds {
		calls[i] = scriptCall{failScript, []string{st.failKey(kinds[i], ids[i]), st.lockKey(kinds[i], ids[i])},
			[]any{now, loginWindow.Milliseconds(), loginFailures, loginLockout.Milliseconds(), member}}
	}
	for _, c := range st.store.runAll(ctx, calls) {
		if err := c.Err(); err != nil {
			return fmt.Errorf("count failed login: %w", unavailable(err))
		}
	}
	return nil
}

// randomSecret returns 256 random bits, URL-safe.
func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomID returns a short random id (40 bits), for naming, not for
// secrecy.
func randomID() string { return strings.ToLower(rand.Text()[:8]) }

// secretHash is the hex SHA-256 of a secret, the only form it is kept
// in.
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
