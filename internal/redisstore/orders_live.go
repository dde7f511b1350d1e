package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

var _ care.OrdersLive = (*Store)(nil)

// OrdersMark returns a mark of every order's last change; see
// care.OrdersLive. A write of an order first moves it to the top of
// <p>:{d}:orders:all, then writes its record: the mark is how many the
// index holds, the top member with its time, and that order's version
// as its record says, so a mark read between the two moves again once
// the record is written.
func (s *Store) OrdersMark(ctx context.Context) (string, error) {
	pipe := s.client.Pipeline()
	n := pipe.ZCard(ctx, s.ordersKey("all"))
	top := pipe.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: s.ordersKey("all"), Start: 0, Stop: 0, Rev: true})
	if _, err := pipe.Exec(ctx); err != nil {
		return "", fmt.Errorf("orders mark: %w", unavailable(err))
	}
	zs := top.Val()
	if len(zs) == 0 {
		return "0", nil
	}
	id, _ := zs[0].Member.(string)
	mark := strconv.FormatInt(n.Val(), 10) + "|" + id + "|" + strconv.FormatFloat(zs[0].Score, 'f', -1, 64)
	at, err := s.locate(ctx, id)
	if care.ErrorCode(err) == care.ENotFound {
		return mark, nil // on its way, or gone: the index moves again
	}
	if err != nil {
		return "", fmt.Errorf("orders mark: %w", err)
	}
	raw, err := s.client.HGet(ctx, s.recordKey(at), id).Result()
	if errors.Is(err, redis.Nil) {
		return mark, nil
	}
	if err != nil {
		return "", fmt.Errorf("orders mark: %w", unavailable(err))
	}
	v, _, _ := strings.Cut(raw, "|")
	return mark + "|" + v, nil
}
