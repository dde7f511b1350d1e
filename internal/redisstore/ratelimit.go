package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/mitra-care/mitra/internal/care"
)

var _ care.RateLimiter = (*Store)(nil)

// Allow counts one send under key against r with GCRA in Redis
// (github.com/go-redis/redis_rate), so every process sharing the Redis
// shares the limit. It returns how long to wait when r does not allow
// the send now; the send is then not counted.
func (s *Store) Allow(ctx context.Context, key string, r care.Rate) (time.Duration, error) {
	if r.Zero() {
		return 0, nil
	}
	burst := max(r.Burst, 1)
	res, err := s.limiter.Allow(ctx, s.prefix+":"+key, redis_rate.Limit{Rate: r.N, Period: r.Per, Burst: burst})
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", key, err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}
