package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// What orders book of the items the shop has a limited amount of lives
// in the directory's slot, beside the orders' indexes:
//
//   - <p>:{d}:orders:limits holds the catalog's limits by item
//     (SetLimits): "s|<n>" for a stock the shop counts, "q|<n>" for a
//     pre-order's quota (0: none);
//   - <p>:{d}:orders:stockgen counts the restocks of each item: a
//     stock's bookings are kept under "<item>#<restock>", so the orders
//     filed before a restock (a new stock number) no longer count
//     against it, and cancelling one of them gives nothing back to it;
//   - <p>:{d}:orders:booked holds the totals (a pre-order item under
//     its id, a stock under its restock's key), and
//     <p>:{d}:orders:booked_by each order's part: "<key>\t<qty>\n" lines.
//
// An order's items are booked before its record is written, by one
// script that refuses the whole order when an item would pass its
// limit (reserve); each later write of the order books it again, so a
// cancellation frees its part (book). A line keeps the key it was
// booked under: an order filed before a restock never counts against
// the new stock.

// bookScript replaces what an order books.
//
//	KEYS: 1 totals, 2 parts, 3 limits, 4 restocks
//	ARGV: 1 order id, 2 its lines: "item\tqty\tp\n" (p 1 for a
//	      pre-order line), "" for none, 3 "1" to refuse passing a limit
//
// A line books when its item has a stock, or is a pre-order's. It
// returns the items refused, "item\tleft" each, or none when the part
// is kept; run again with the same lines it changes nothing.
var bookScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[2], ARGV[1]) or ''
local oldKey, oldQty = {}, {}
for key, q in string.gmatch(old, '([^\t\n]+)\t([^\n]+)') do
  local item = string.match(key, '^(.-)#%d+$') or key
  oldKey[item] = key
  oldQty[key] = tonumber(q)
end
local part, refused = '', {}
for item, q, pre in string.gmatch(ARGV[2], '([^\t\n]+)\t([^\t\n]+)\t([01])\n') do
  local lim = redis.call('HGET', KEYS[3], item)
  local key
  if lim and string.sub(lim, 1, 1) == 's' then
    key = oldKey[item] or (item .. '#' .. (redis.call('HGET', KEYS[4], item) or '0'))
  elseif pre == '1' then
    key = item
  end
  if key then
    part = part .. key .. '\t' .. q .. '\n'
    local n = lim and tonumber(string.sub(lim, 3)) or 0
    if ARGV[3] == '1' and n > 0 then
      local others = tonumber(redis.call('HGET', KEYS[1], key) or '0') - (oldQty[key] or 0)
      if others + tonumber(q) > n + 1e-9 then
        table.insert(refused, item .. '\t' .. math.max(n - others, 0))
      end
    end
  end
end
if #refused > 0 then return refused end
if part == old then return {} end
for key, q in pairs(oldQty) do
  redis.call('HINCRBYFLOAT', KEYS[1], key, -q)
end
for key, q in string.gmatch(part, '([^\t\n]+)\t([^\n]+)') do
  redis.call('HINCRBYFLOAT', KEYS[1], key, q)
end
if part == '' then redis.call('HDEL', KEYS[2], ARGV[1]) else redis.call('HSET', KEYS[2], ARGV[1], part) end
return {}
`)

// bookedLines are o's lines as bookScript reads them, by item; none once
// it is cancelled.
func bookedLines(o care.Order) string {
	if o.State == care.OrderCancelled {
		return ""
	}
	qty, pre := map[string]float64{}, map[string]bool{}
	for _, l := range o.Lines {
		if l.Item != "" {
			qty[l.Item] += l.Qty
			pre[l.Item] = pre[l.Item] || l.Preorder
		}
	}
	var b strings.Builder
	for _, item := range slices.Sorted(maps.Keys(qty)) {
		p := "0"
		if pre[item] {
			p = "1"
		}
		b.WriteString(item + "\t" + strconv.FormatFloat(qty[item], 'f', -1, 64) + "\t" + p + "\n")
	}
	return b.String()
}

// runBook runs bookScript for o's lines (none: its part is freed).
func (s *Store) runBook(ctx context.Context, o care.Order, lines string, check bool) ([]string, error) {
	keys := []string{s.ordersKey("booked"), s.ordersKey("booked_by"), s.ordersKey("limits"), s.ordersKey("stockgen")}
	flag := "0"
	if check {
		flag = "1"
	}
	return bookScript.Run(ctx, s.client, keys, string(o.ID), lines, flag).StringSlice()
}

// reserve books what the new order o asks of the limited items, or
// refuses it with a *care.OverBookedError when an item would pass its
// stock or quota; nothing is booked then.
func (s *Store) reserve(ctx context.Context, o care.Order) error {
	refused, err := s.runBook(ctx, o, bookedLines(o), true)
	if err != nil {
		return fmt.Errorf("book order: %w", unavailable(err))
	}
	if len(refused) == 0 {
		return nil
	}
	e := &care.OverBookedError{Left: map[string]float64{}}
	for _, r := range refused {
		item, left, _ := strings.Cut(r, "\t")
		q, _ := strconv.ParseFloat(left, 64)
		e.Left[item] = roundBooked(q)
	}
	return e
}

// unreserve frees what the new order o booked when it was not filed
// after all; an order whose record is there (a write that answered
// late) keeps it. Should Redis fail here too, the same message placing
// the order again books under the same id (care.PlacedOrderID), so
// nothing is booked twice.
func (s *Store) unreserve(ctx context.Context, o care.Order) error {
	filed, err := s.client.HExists(ctx, s.key(o.Contact, keyOrders), string(o.ID)).Result()
	if err == nil && !filed {
		_, err = s.runBook(ctx, o, "", false)
	}
	if err != nil {
		return fmt.Errorf("free what order %s booked: %w", o.ID, unavailable(err))
	}
	return nil
}

// book keeps what o books as it stands now: a cancelled order frees
// its part.
func (s *Store) book(ctx context.Context, o care.Order) error {
	if _, err := s.runBook(ctx, o, bookedLines(o), false); err != nil {
		return fmt.Errorf("book order %s: %w", o.Number, unavailable(err))
	}
	return nil
}

// roundBooked rounds a quantity summed by Redis to grams and
// millilitres, so 2 kg is not 1.9999999999.
func roundBooked(q float64) float64 { return math.Round(q*1000) / 1000 }

// Booked returns what the orders not cancelled hold of each pre-order
// item and, since its last restock, of each stock; see care.OrderBook.
// An item counts what bookScript checks its limit against: for a stock,
// its current restock's key alone; else its plain key, so a pre-order's
// bookings from before it was a counted stock (or the other way round)
// count no more, as they do not at filing. What several keys hold for
// one item adds up.
func (s *Store) Booked(ctx context.Context) (map[string]float64, error) {
	pipe := s.client.Pipeline()
	held := s.bookedIn(ctx, pipe)
	_, _ = pipe.Exec(ctx)
	return held()
}

// bookedIn adds to pipe the reads of Booked, and returns what makes its
// answer once pipe ran.
func (s *Store) bookedIn(ctx context.Context, pipe redis.Pipeliner) func() (map[string]float64, error) {
	all := pipe.HGetAll(ctx, s.ordersKey("booked"))
	gens := pipe.HGetAll(ctx, s.ordersKey("stockgen"))
	limits := pipe.HGetAll(ctx, s.ordersKey("limits"))
	return func() (map[string]float64, error) {
		if err := firstErr(all, gens, limits); err != nil {
			return nil, fmt.Errorf("booked: %w", unavailable(err))
		}
		return booked(all.Val(), gens.Val(), limits.Val()), nil
	}
}

// booked sums what orders book of each item, from the booked, restock
// counter and limits hashes.
func booked(all, gens, limits map[string]string) map[string]float64 {
	sum := make(map[string]float64, len(all))
	for key, v := range all {
		item, gen, restocked := strings.Cut(key, "#")
		stock := strings.HasPrefix(limits[item], "s|")
		switch {
		case restocked && (!stock || gen != cmp.Or(gens[item], "0")):
			continue // booked before the last restock, or the item is no counted stock now
		case !restocked && stock:
			continue // booked as a pre-order before the item's stock was counted
		}
		if q, err := strconv.ParseFloat(v, 64); err == nil {
			sum[item] += q
		}
	}
	out := make(map[string]float64, len(sum))
	for item, q := range sum {
		// A total that went back to nothing may keep a rounding trace.
		if q = roundBooked(q); q > 0 {
			out[item] = q
		}
	}
	return out
}

// setLimitsScript keeps the catalog's limits; a stock whose number is
// new starts a new restock.
//
//	KEYS: 1 limits, 2 restocks; ARGV: item, "s|<n>" or "q|<n>", ...
var setLimitsScript = redis.NewScript(`
local keep = {}
for i = 1, #ARGV, 2 do
  local item, lim = ARGV[i], ARGV[i + 1]
  keep[item] = true
  local cur = redis.call('HGET', KEYS[1], item)
  if cur ~= lim then
    if string.sub(lim, 1, 1) == 's' then redis.call('HINCRBY', KEYS[2], item, 1) end
    redis.call('HSET', KEYS[1], item, lim)
  end
end
for _, item in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not keep[item] then redis.call('HDEL', KEYS[1], item) end
end
return 0
`)

// SetLimits keeps the catalog's limits; see care.OrderBook. An item
// the catalog no longer limits is no longer booked by new orders.
func (s *Store) SetLimits(ctx context.Context, limits map[string]care.ItemLimit) error {
	var args []any
	for _, item := range slices.Sorted(maps.Keys(limits)) {
		l := limits[item]
		if strings.ContainsAny(item, "\t\n#|") || item == "" {
			return care.Errorf(care.EInvalid, "item id %q: no tabs, line breaks, # or |", clipRef(item))
		}
		switch {
		case l.Stock > 0:
			args = append(args, item, "s|"+strconv.FormatFloat(l.Stock, 'f', -1, 64))
		case l.Quota >= 0:
			args = append(args, item, "q|"+strconv.FormatFloat(l.Quota, 'f', -1, 64))
		}
	}
	err := setLimitsScript.Run(ctx, s.client, []string{s.ordersKey("limits"), s.ordersKey("stockgen")}, args...).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("keep the catalog's limits: %w", unavailable(err))
	}
	return nil
}
