package bench

import (
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestRunSmall runs every phase at a tiny size against a redis-server of
// its own: the benchmark keeps working as the parts it drives change.
// It checks that each figure was measured, never how fast.
func TestRunSmall(t *testing.T) {
	opts := Defaults()
	opts.Conversations, opts.Messages, opts.Rate, opts.Paced = 20, 200, 200, 200*time.Millisecond
	opts.E2EMessages, opts.E2ERate, opts.E2EPaced = 200, 200, 200*time.Millisecond
	opts.LimitConversations, opts.LimitFor, opts.Samples = 10, time.Second, 5
	res, err := Run(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.MsgsPerSec <= 0 || res.P99ms <= 0 || res.BytesPerSession <= 0 {
		t.Errorf("inbound not measured: %+v", res)
	}
	if res.RoundTripsLone <= 0 || res.RoundTripsFirst <= 0 {
		t.Errorf("round trips of a lone message not measured: %v, %v", res.RoundTripsLone, res.RoundTripsFirst)
	}
	if res.E2EMsgsPerSec <= 0 || res.E2EP99ms <= 0 || res.E2EMessages != 200 || res.RepliesPerMsg < 1 {
		t.Errorf("whole path not measured: %v msg/s, p99 %v ms, %d messages, %v replies each", res.E2EMsgsPerSec, res.E2EP99ms, res.E2EMessages, res.RepliesPerMsg)
	}
	if res.E2EUnanswered != 0 {
		t.Errorf("%d messages got no reply at the channel", res.E2EUnanswered)
	}
	for k := range res.Outcomes {
		if k != "sent" {
			t.Errorf("outcomes %v: want every reply sent", res.Outcomes)
		}
	}
	if res.RedisCmdsPerMsg <= 0 || res.RedisCmdsByName["evalsha:commit"] <= 0 {
		t.Errorf("commands not counted: %v %v", res.RedisCmdsPerMsg, res.RedisCmdsByName)
	}
	if res.Lone.Cmds <= 0 || res.Lone.Replies <= 0 {
		t.Errorf("lone message not measured: %+v", res.Lone)
	}
	if res.BytesPerContact <= 0 || res.BytesPerContact > res.BytesMemoryUsage+8 || res.BytesByKind["s"] <= 0 || res.BytesByKind["index"] <= 0 {
		t.Errorf("bytes per contact %v (by kind %v), Store.MemoryUsage %v: want every key and the index entry", res.BytesPerContact, res.BytesByKind, res.BytesMemoryUsage)
	}
	if rl := res.RateLimits; !rl.Ran || rl.Sends == 0 || !rl.OK {
		t.Errorf("rate limits: %+v", rl)
	}
}

func TestRunTelegramSmall(t *testing.T) {
	opts := TelegramDefaults()
	opts.Delay, opts.Conversations, opts.Light = 10*time.Millisecond, 5, 1
	res, err := RunTelegram(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.UpdatesPerSec <= 0 || res.FirstReplyP50ms < 10 || res.Unanswered != 0 || res.CallsPerUpdate["sendMessage"] < 1 {
		t.Errorf("telegram run: %+v", res)
	}
}

func TestCommandLabel(t *testing.T) {
	for _, c := range []struct {
		args []any
		want string
	}{
		{[]any{"xadd", "p:{o}:q:telegram.reply", "*", "c", "x"}, "xadd"},
		{[]any{"evalsha", "abc", 7, "p:{c:c1}:s", "p:{c:c1}:p", "p:{c:c1}:in", "p:{c:c1}:o", "p:{c:c1}:consent", "p:{c:c1}:log", "p:{c:c1}:ev", "m1"}, "evalsha:commit"},
		{[]any{"evalsha", "abc", 2, "p:{c:c1}:o", "p:{c:c1}:p", "m1", `{"id":"m1"}`, "telegram:1"}, "evalsha:enqueue"},
		{[]any{"evalsha", "abc", 3, "p:{c:c1}:o", "p:{c:c1}:t", "p:{c:c1}:p", "w|1|1-1", "", 1, 300000, "telegram.reply", "w|", "|1-1", "", "m1"}, "evalsha:take"},
		{[]any{"evalsha", "abc", 2, "p:{rate:telegram}", "p:{rate:telegram}:c1", 2000, 11, 2}, "evalsha:reserve"},
		{[]any{"evalsha", "abc", 1, "p:{x}:new"}, "evalsha:(new)"},
	} {
		if got := commandLabel(c.args); got != c.want {
			t.Errorf("commandLabel(%v) = %q, want %q", c.args, got, c.want)
		}
	}
}

func TestMaxInWindow(t *testing.T) {
	ms := func(v ...int64) []int64 {
		for i := range v {
			v[i] *= int64(time.Millisecond)
		}
		return v
	}
	if got := maxInWindow(ms(0, 500, 999, 1000, 1999), time.Second); got != 3 {
		t.Errorf("maxInWindow = %d, want 3 (0, 500, 999)", got)
	}
	if got := maxInWindow(nil, time.Second); got != 0 {
		t.Errorf("maxInWindow(nil) = %d", got)
	}
	if !within(30, care.Rate{N: 30, Per: time.Second}) || within(31, care.Rate{N: 30, Per: time.Second}) || within(2, care.Rate{N: 60, Per: time.Minute}) {
		t.Errorf("within is wrong")
	}
}
