package bench

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// cmdCounter is a go-redis hook that counts every command the client
// sends, by name: a pipeline's commands one by one, a script as one
// command (EVALSHA, named after the keys it touches). It is what the
// client asks of Redis; Redis's own count (INFO commandstats) adds the
// commands scripts run inside.
type cmdCounter struct {
	total  atomic.Int64
	byName sync.Map // label → *atomic.Int64
}

func (c *cmdCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *cmdCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.count(cmd)
		return next(ctx, cmd)
	}
}

func (c *cmdCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			c.count(cmd)
		}
		return next(ctx, cmds)
	}
}

func (c *cmdCounter) count(cmd redis.Cmder) {
	c.total.Add(1)
	label := commandLabel(cmd.Args())
	v, ok := c.byName.Load(label)
	if !ok {
		v, _ = c.byName.LoadOrStore(label, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

// snapshot returns the counts so far.
func (c *cmdCounter) snapshot() counts {
	out := counts{total: c.total.Load(), by: map[string]int64{}}
	c.byName.Range(func(k, v any) bool {
		out.by[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// counts are command counts, in all and by name.
type counts struct {
	total int64
	by    map[string]int64
}

// since is c minus an earlier snapshot.
func (c counts) since(before counts) counts {
	out := counts{total: c.total - before.total, by: map[string]int64{}}
	for k, v := range c.by {
		if d := v - before.by[k]; d != 0 {
			out.by[k] = d
		}
	}
	return out
}

// perMsg divides every count by n messages.
func (c counts) perMsg(n int) (float64, map[string]float64) {
	if n == 0 {
		return 0, nil
	}
	by := make(map[string]float64, len(c.by))
	for k, v := range c.by {
		by[k] = round2(float64(v) / float64(n))
	}
	return round2(float64(c.total) / float64(n)), by
}

// commandLabel names a command for the breakdown: its name, and for a
// script what it does, told by the kinds of the keys it gets (see
// scriptNames).
func commandLabel(args []any) string {
	if len(args) == 0 {
		return "?"
	}
	name := strings.ToLower(str(args[0]))
	switch name {
	case "evalsha", "eval", "evalsha_ro", "eval_ro", "fcall":
	default:
		return name
	}
	if len(args) < 3 {
		return name
	}
	n, err := strconv.Atoi(str(args[2]))
	if err != nil || n < 0 || 3+n > len(args) {
		return name
	}
	var b strings.Builder
	first := ""
	for i, k := range args[3 : 3+n] {
		kind := keyKind(str(k))
		if i == 0 {
			first = kind
		} else {
			b.WriteByte(',')
		}
		b.WriteString(kind)
	}
	sig := b.String()
	switch {
	case scriptNames[sig] != "":
		return name + ":" + scriptNames[sig]
	case first == "rate":
		return name + ":reserve"
	case first == "later":
		return name + ":promote"
	}
	return name + ":(" + sig + ")"
}

// str is an argument of a command as text.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

// scriptNames are the store's scripts, by the kinds of their keys (a
// script not here is named by them).
var scriptNames = map[string]string{
	"s,p,in,o,consent,log,ev": "commit",
	"addr,suppressed":         "resolve",
	"o,t,p":                   "take",
	"o,t":                     "release",
	"cap":                     "cap",
	"o,p":                     "enqueue",
	"q,audit,dead,later":      "record",
	"p,consent":               "update",
	"jobs":                    "jobs",
}

// keyKind is what a key of the store holds: the last part of a
// contact's key (s, p, in, …), the part after a shared tag ({o}:q:… is
// q, {d}:addr is addr), or "rate" for a rate limit.
func keyKind(key string) string {
	i := strings.LastIndexByte(key, '}')
	if i < 0 {
		return key[strings.LastIndexByte(key, ':')+1:]
	}
	if j := strings.LastIndexByte(key[:i], '{'); j >= 0 && strings.HasPrefix(key[j+1:i], "rate:") {
		return "rate"
	}
	rest := strings.TrimPrefix(key[i+1:], ":")
	kind, _, _ := strings.Cut(rest, ":")
	return kind
}

// serverStats are what Redis says of itself: calls and time per
// command (INFO commandstats, which counts the commands scripts run
// too) and its CPU time.
type serverStats struct {
	calls map[string]int64
	usec  map[string]int64
	cpuUs int64 // used_cpu_user + used_cpu_sys, µs
}

// readServerStats asks Redis for its stats. It answers the zero value
// when the server refuses INFO (a managed Redis may).
func readServerStats(ctx context.Context, c redis.UniversalClient) serverStats {
	st := serverStats{calls: map[string]int64{}, usec: map[string]int64{}}
	raw, err := c.Info(ctx, "commandstats", "cpu").Result()
	if err != nil {
		return st
	}
	sc := bufio.NewScanner(strings.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if name, ok := strings.CutPrefix(k, "cmdstat_"); ok {
			for _, f := range strings.Split(v, ",") {
				fk, fv, _ := strings.Cut(f, "=")
				n, _ := strconv.ParseInt(fv, 10, 64)
				switch fk {
				case "calls":
					st.calls[name] = n
				case "usec":
					st.usec[name] = n
				}
			}
			continue
		}
		if k == "used_cpu_user" || k == "used_cpu_sys" {
			f, _ := strconv.ParseFloat(v, 64)
			st.cpuUs += int64(f * 1e6)
		}
	}
	return st
}

// since is s minus an earlier reading, without the INFO calls that
// took the readings.
func (s serverStats) since(before serverStats) serverStats {
	out := serverStats{calls: map[string]int64{}, usec: map[string]int64{}, cpuUs: s.cpuUs - before.cpuUs}
	for k, v := range s.calls {
		if k == "info" {
			continue
		}
		if d := v - before.calls[k]; d != 0 {
			out.calls[k] = d
			out.usec[k] = s.usec[k] - before.usec[k]
		}
	}
	return out
}

func (s serverStats) totalCalls() int64 {
	var n int64
	for _, v := range s.calls {
		n += v
	}
	return n
}

func (s serverStats) totalUsec() int64 {
	var n int64
	for _, v := range s.usec {
		n += v
	}
	return n
}

func perMsgMap(m map[string]int64, n int) map[string]float64 {
	if n == 0 || len(m) == 0 {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = round2(float64(v) / float64(n))
	}
	return out
}

func round2(f float64) float64 {
	return float64(int64(f*100+0.5)) / 100
}
