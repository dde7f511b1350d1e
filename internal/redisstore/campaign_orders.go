package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// orderScanBatch is how many members of an order index one page of
// ScanOrders reads: their records come in one pipeline.
const orderScanBatch = 1000

// ScanOrders hands fn, a page at a time, the customers' orders that the
// index of status ("" every order) names with a last change at or after
// since (zero: any), each as its record says now and only while the
// record is still in status; the books' orders (customers who erased
// their data) are left out. It pages the index by score, so memory
// holds one page whatever the number of orders; an order that changes
// during the scan may be handed over twice. A campaign's audience by
// orders is built from it without reading every contact's orders.
func (s *Store) ScanOrders(ctx context.Context, status string, since time.Time, fn func([]care.Order) error) error {
	if status != "" {
		var err error
		if status, err = care.ParseOrderStatus(status); err != nil {
			return err
		}
	}
	key := s.ordersKey(cmp.Or(status, "all"))
	from := "-inf"
	if !since.IsZero() {
		from = strconv.FormatInt(since.UnixMilli(), 10)
	}
	var offset int64
	for {
		zs, err := s.client.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Min: from, Max: "+inf", Offset: offset, Count: orderScanBatch}).Result()
		if err != nil {
			return fmt.Errorf("scan orders %s: %w", key, unavailable(err))
		}
		if len(zs) == 0 {
			return nil
		}
		page, err := s.readIndexed(ctx, zs, status)
		if err != nil {
			return err
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if len(zs) < orderScanBatch {
			return nil
		}
		// The next page starts at the last score, past the members of
		// that score already read (ties are ordered by member).
		last := zs[len(zs)-1].Score
		tied := int64(0)
		for i := len(zs) - 1; i >= 0 && zs[i].Score == last; i-- {
			tied++
		}
		next := strconv.FormatInt(int64(last), 10)
		if next == from {
			offset += tied
		} else {
			from, offset = next, tied
		}
	}
}

// readIndexed reads the records of a page of an order index in one
// round trip for where they are and one for the records, keeping the
// customers' orders still in status.
func (s *Store) readIndexed(ctx context.Context, zs []redis.Z, status string) ([]care.Order, error) {
	ids := make([]string, len(zs))
	for i, z := range zs {
		ids[i], _ = z.Member.(string)
	}
	where, err := s.client.HMGet(ctx, s.ordersKey("where"), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("scan orders: %w", unavailable(err))
	}
	pipe := s.client.Pipeline()
	var cmds []*redis.StringCmd
	for i, w := range where {
		if w, ok := w.(string); ok && w != booksMark {
			cmds = append(cmds, pipe.HGet(ctx, s.key(care.ContactID(w), keyOrders), ids[i]))
		}
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("scan orders: %w", unavailable(err))
	}
	out := make([]care.Order, 0, len(cmds))
	for _, c := range cmds {
		raw, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue // moved or erased since the index named it
		}
		if err != nil {
			return nil, fmt.Errorf("scan orders: %w", err)
		}
		o, err := decodeOrder(raw)
		if err != nil {
			return nil, err
		}
		if o.Contact != "" && hasStatus(o, status) {
			out = append(out, o)
		}
	}
	return out, nil
}
