package redisstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

var _ care.RateLimiter = (*Store)(nil)

// reserveScript books sends under every key with GCRA (the generic
// cell rate algorithm): each key holds the earliest moment its next send
// may go, and a send books max(those moments, now), moving each on by its
// interval. Sends are therefore spaced at least an interval apart, so at
// most N go in any window of Per, and a waiting sender sleeps until its
// booked moment instead of asking again. Several sends of one
// reservation (the messages of one step) are booked one after the other.
//
// The first key is the shared one (the channel's overall limit). With a
// spread, a send that another key (a chat's own limit) holds back more
// than the spread past the shared key's own next moment is not booked:
// booking it would move the shared key on to that moment and keep every
// other chat waiting for one chat's limit. The caller asks again when
// its time comes.
//
//	KEYS: the limits' keys (one slot); ARGV: max wait µs, sends to
//	book, spread µs (how much later than the first a later send may
//	be, and how far past the shared key's moment a send may be; 0: no
//	bound), then each key's interval µs
//
// It returns the wait in µs until each booked moment and, when a send's
// moment is beyond the max wait (it and the rest are not booked),
// -(its wait+1) last. Time is Redis's, in microseconds, so every process
// books on one clock and a limit of thousands a second is still exact.
var reserveScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next = {}
for i, k in ipairs(KEYS) do next[i] = tonumber(redis.call('GET', k) or '0') end
local out = {}
local booked = false
local limit = tonumber(ARGV[1])
local spread = tonumber(ARGV[3])
for n = 1, tonumber(ARGV[2]) do
  local at = now
  for i = 1, #KEYS do if next[i] > at then at = next[i] end end
  local wait = at - now
  if wait > limit or (spread > 0 and at - math.max(now, next[1]) > spread) then
    out[#out + 1] = -(wait + 1)
    break
  end
  if n == 1 then limit = math.min(limit, wait + spread) end
  for i = 1, #KEYS do next[i] = at + tonumber(ARGV[i + 3]) end
  out[#out + 1] = wait
  booked = true
end
if booked then
  for i, k in ipairs(KEYS) do
    redis.call('SET', k, string.format('%d', next[i]), 'PX', math.floor((next[i] - now) / 1000) + 1000)
  end
end
return out
`)

// interval is the spacing of a rate's sends in µs: its period over N,
// with 2% to spare so that timing jitter between booking and sending
// never puts N+1 sends in one window.
func interval(r care.Rate) int64 {
	us := float64(r.Per.Microseconds()) / float64(r.N) * 1.02
	return max(int64(us+0.999), 1)
}

// rateKey is the key of a limit: <prefix>:{rate:<channel>}[:<rest>], so
// a channel's limits share one slot and one script books them together.
func (s *Store) rateKey(k string) (tag, key string) {
	ch, rest, _ := strings.Cut(k, ":")
	key = s.prefix + ":{rate:" + ch + "}"
	if rest != "" {
		key += ":" + rest
	}
	return ch, key
}

// Reserve books the next send under every limit. See care.RateLimiter.
func (s *Store) Reserve(ctx context.Context, limits []care.Limit, maxWait time.Duration) (time.Duration, bool, error) {
	b := s.ReserveAll(ctx, []care.Reservation{{Limits: limits, MaxWait: maxWait}})[0]
	return b.Wait, b.OK, b.Err
}

// ReserveAll books several reservations, each under its limits, in one
// round trip.
func (s *Store) ReserveAll(ctx context.Context, reqs []care.Reservation) []care.Booking {
	out := make([]care.Booking, len(reqs))
	var calls []scriptCall
	var idx []int
	for i, r := range reqs {
		n := max(r.N, 1)
		var keys []string
		args := []any{r.MaxWait.Microseconds(), n, r.Spread.Microseconds()}
		tag := ""
		for _, l := range r.Limits {
			if l.Rate.Zero() {
				continue
			}
			t, key := s.rateKey(l.Key)
			if tag != "" && t != tag {
				out[i].Err = care.Errorf(care.EInvalid, "rate limits %v: keys of one reservation must share their channel", r.Limits)
				break
			}
			tag = t
			keys = append(keys, key)
			args = append(args, interval(l.Rate))
		}
		if out[i].Err != nil {
			continue
		}
		if len(keys) == 0 {
			out[i].Waits, out[i].OK = make([]time.Duration, n), true
			continue
		}
		calls = append(calls, scriptCall{reserveScript, keys, args})
		idx = append(idx, i)
	}
	for k, c := range s.runAll(ctx, calls) {
		b := &out[idx[k]]
		ns, err := c.Int64Slice()
		if err != nil {
			b.Err = fmt.Errorf("rate limit: %w", err)
			continue
		}
		for _, w := range ns {
			if w < 0 {
				b.Wait = time.Duration(-w-1) * time.Microsecond
				break
			}
			b.Waits = append(b.Waits, time.Duration(w)*time.Microsecond)
		}
		if b.OK = len(b.Waits) == max(reqs[idx[k]].N, 1); b.OK {
			b.Wait = b.Waits[0]
		}
	}
	return out
}

// holdScript moves a limit's next free moment to a time, unless it is
// later already.
//
//	KEYS: the limit's key; ARGV: until (unix µs)
var holdScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local until = math.max(cur, tonumber(ARGV[1]))
if until > now then redis.call('SET', KEYS[1], string.format('%d', until), 'PX', math.floor((until - now) / 1000) + 1000) end
return 1
`)

// Hold makes every process wait until until before a send under key.
func (s *Store) Hold(ctx context.Context, key string, until time.Time) error {
	_, k := s.rateKey(key)
	if err := holdScript.Run(ctx, s.client, []string{k}, until.UnixMicro()).Err(); err != nil {
		return fmt.Errorf("hold %s: %w", key, err)
	}
	return nil
}
