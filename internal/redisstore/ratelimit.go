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

// reserveScript books sends under limits with GCRA (the generic cell
// rate algorithm): each key holds the earliest moment its next send may
// go, and a send books max(those moments, now), moving each on by its
// interval. Sends are therefore spaced at least an interval apart, so at
// most N go in any window of Per, and a waiting sender sleeps until its
// booked moment instead of asking again. One call books several
// reservations, one after the other, each under some of the keys; the
// sends of one reservation (the messages of one step) are booked one
// after the other.
//
// A reservation's first key is the shared one (the channel's overall
// limit). With a spread, a send that another key (a chat's own limit)
// holds back more than the spread past the shared key's own next moment
// is not booked: booking it would move the shared key on to that moment
// and keep every other chat waiting for one chat's limit. The caller
// asks again when its time comes.
//
//	KEYS: the keys (one slot); ARGV: per reservation its max wait µs,
//	sends to book, spread µs (how much later than the first a later
//	send may be, and how far past the shared key's moment a send may
//	be; 0: no bound), count of keys, then per key its index in KEYS
//	and its interval µs
//
// It returns, per reservation, the wait in µs until each booked moment
// and, when a send's moment is beyond the max wait (it and the rest are
// not booked), -(its wait+1) last. Time is Redis's, in microseconds, so
// every process books on one clock and a limit of thousands a second is
// still exact.
var reserveScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next, moved = {}, {}
for i, k in ipairs(KEYS) do next[i] = tonumber(redis.call('GET', k) or '0') end
local res = {}
local a = 1
while a <= #ARGV do
  local limit, count, spread, nk = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  a = a + 4
  local ks, iv = {}, {}
  for j = 1, nk do
    ks[j], iv[j] = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    a = a + 2
  end
  local out = {}
  for n = 1, count do
    local at = now
    for j = 1, nk do if next[ks[j]] > at then at = next[ks[j]] end end
    local wait = at - now
    if wait > limit or (spread > 0 and at - math.max(now, next[ks[1]]) > spread) then
      out[#out + 1] = -(wait + 1)
      break
    end
    if n == 1 then limit = math.min(limit, wait + spread) end
    for j = 1, nk do
      next[ks[j]] = at + iv[j]
      moved[ks[j]] = true
    end
    out[#out + 1] = wait
  end
  res[#res + 1] = out
end
for i, k in ipairs(KEYS) do
  if moved[i] then
    redis.call('SET', k, string.format('%d', next[i]), 'PX', math.floor((next[i] - now) / 1000) + 1000)
  end
end
return res
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
// round trip: one script call for each channel's.
func (s *Store) ReserveAll(ctx context.Context, reqs []care.Reservation) []care.Booking {
	out := make([]care.Booking, len(reqs))
	calls := map[string]*reserveCall{}
	var order []*reserveCall
	for i, r := range reqs {
		n := max(r.N, 1)
		var keys []string
		var ivs []int64
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
			keys, ivs = append(keys, key), append(ivs, interval(l.Rate))
		}
		if out[i].Err != nil {
			continue
		}
		if len(keys) == 0 {
			out[i].Waits, out[i].OK = make([]time.Duration, n), true
			continue
		}
		c := calls[tag]
		if c == nil {
			c = &reserveCall{index: map[string]int{}}
			calls[tag] = c
			order = append(order, c)
		}
		c.add(i, r, n, keys, ivs)
	}
	sc := make([]scriptCall, len(order))
	for k, c := range order {
		sc[k] = scriptCall{reserveScript, c.keys, c.args}
	}
	for k, cmd := range s.runAll(ctx, sc) {
		c := order[k]
		res, err := cmd.Slice()
		if err == nil && len(res) != len(c.reqs) {
			err = fmt.Errorf("%d bookings for %d reservations", len(res), len(c.reqs))
		}
		for j, i := range c.reqs {
			b := &out[i]
			if err != nil {
				b.Err = fmt.Errorf("rate limit: %w", err)
				continue
			}
			ns, _ := res[j].([]any)
			for _, v := range ns {
				w, _ := v.(int64)
				if w < 0 {
					b.Wait = time.Duration(-w-1) * time.Microsecond
					break
				}
				b.Waits = append(b.Waits, time.Duration(w)*time.Microsecond)
			}
			if b.OK = len(b.Waits) == max(reqs[i].N, 1); b.OK {
				b.Wait = b.Waits[0]
			}
		}
	}
	return out
}

// reserveCall is one reserveScript call: the reservations of one
// channel (reqs, their indexes in ReserveAll's), their keys, each once,
// and the arguments.
type reserveCall struct {
	reqs  []int
	keys  []string
	index map[string]int
	args  []any
}

// add appends reservation i, r, booking n sends under keys with their
// intervals.
func (c *reserveCall) add(i int, r care.Reservation, n int, keys []string, ivs []int64) {
	c.reqs = append(c.reqs, i)
	c.args = append(c.args, r.MaxWait.Microseconds(), n, r.Spread.Microseconds(), len(keys))
	for j, k := range keys {
		x, ok := c.index[k]
		if !ok {
			c.keys = append(c.keys, k)
			x = len(c.keys)
			c.index[k] = x
		}
		c.args = append(c.args, x, ivs[j])
	}
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
