package redisstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

var _ care.Leaser = (*Store)(nil)

// leaseKey holds the owner of the lease name, expiring with it.
func (s *Store) leaseKey(name string) string { return s.prefix + ":lease:" + name }

// leaseAcquireScript takes a free lease (SET NX PX) or renews one its owner
// holds (PEXPIRE), atomically.
//
//	KEYS: the lease; ARGV: owner, ttl in milliseconds
//
// It returns 1 when owner holds the lease for ttl now, 0 when another
// owner holds it.
var leaseAcquireScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
return 1
`)

// leaseReleaseScript deletes the lease only when owner holds it.
//
//	KEYS: the lease; ARGV: owner
var leaseReleaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Acquire implements care.Leaser: it takes the lease name for owner for
// ttl, or renews it for ttl when owner holds it already, and returns
// false when another owner holds it. The lease lives in the key
// <prefix>:lease:<name> and lapses ttl after the last Acquire, so a
// holder that dies frees it without anyone's help.
func (s *Store) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if err := validLease(name, owner); err != nil {
		return false, err
	}
	if ttl < time.Millisecond {
		return false, care.Errorf(care.EInvalid, "lease %s: ttl %s: want at least 1ms", name, ttl)
	}
	n, err := leaseAcquireScript.Run(ctx, s.client, []string{s.leaseKey(name)}, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Release implements care.Leaser: it deletes the lease name if owner
// holds it, and leaves another owner's lease alone.
func (s *Store) Release(ctx context.Context, name, owner string) error {
	if err := validLease(name, owner); err != nil {
		return err
	}
	if err := leaseReleaseScript.Run(ctx, s.client, []string{s.leaseKey(name)}, owner).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// validLease reports why name and owner cannot make a lease. A brace in
// the name would make part of it a hash tag.
func validLease(name, owner string) error {
	if name == "" || strings.ContainsAny(name, "{}") {
		return care.Errorf(care.EInvalid, "lease name %q: want a non-empty name without braces", name)
	}
	if owner == "" {
		return care.Errorf(care.EInvalid, "lease %s: empty owner", name)
	}
	return nil
}
