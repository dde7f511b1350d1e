package redisstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// mustNext is Next with each delivery's message, profile, staff chat
// and campaign read as TakeAll would, without taking it; deliveries
// whose message is not stored are left out.
func mustNext(t testing.TB, s *Store, consumer string, max int) []care.Delivery {
	t.Helper()
	named, err := s.Next(ctx, consumer, allLanes, max, 0)
	if err != nil {
		t.Fatalf("next for %s: %v", consumer, err)
	}
	var ds []care.Delivery
	for _, d := range named {
		body, err := s.client.HGet(ctx, s.key(d.Contact, keyOutbound), d.ID).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			t.Fatalf("next for %s: message %s: %v", consumer, d.ID, err)
		}
		var prof care.Contact
		if raw, err := s.client.Get(ctx, s.key(d.Contact, keyProfile)).Result(); err == nil {
			prof, _ = decodeProfile(raw)
		}
		if err := fill(&d, body, prof); err != nil {
			t.Fatalf("next for %s: message %s: %v", consumer, d.ID, err)
		}
		ds = append(ds, d)
	}
	if err := s.staffChatStates(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if err := s.campaignStatuses(ctx, ds); err != nil {
		t.Fatal(err)
	}
	return ds
}

func texts(ds []care.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Text)
	}
	return out
}

// replyLane is the lane of replies to alice.
var replyLane = care.LaneOf(alice, care.Reply)

// laneKeys are the streams of every lane.
func laneKeys(s *Store) []string {
	var out []string
	for _, l := range allLanes {
		out = append(out, s.laneKey(l))
	}
	return out
}

func TestOutboxLifecycle(t *testing.T) {
	s, client := newStore(t)
	mustCommit(t, s, step(alice, "m1", 0, "first", "second"))
	ds := mustNext(t, s, "w1", 10)
	if got := texts(ds); len(got) != 2 || got[0] != "first" || got[1] != "second" {
		t.Fatalf("Next = %q, want [first second]", got)
	}
	if ds[0].Contact != idOf(alice) || ds[0].Ref == "" || !ds[0].Created.Equal(t0) {
		t.Errorf("delivery = %+v", ds[0])
	}
	d := ds[0]
	steps := []struct {
		name string
		do   func() (care.TakeResult, error)
		want care.TakeResult
	}{
		{"take", func() (care.TakeResult, error) { return s.Take(ctx, d) }, care.Taken},
		{"take again under the same entry", func() (care.TakeResult, error) { return s.Take(ctx, d) }, care.Taken},
		{"settle", func() (care.TakeResult, error) {
			return care.Taken, s.Settle(ctx, d, care.Outcome{Verdict: care.Allow, Sent: true, At: t0})
		}, care.Taken},
		{"settle again", func() (care.TakeResult, error) {
			return care.Taken, s.Settle(ctx, d, care.Outcome{Verdict: care.Allow, Sent: true, At: t0})
		}, care.Taken},
		{"take after settle", func() (care.TakeResult, error) { return s.Take(ctx, d) }, care.Gone},
		{"settle the other untaken", func() (care.TakeResult, error) {
			return care.Taken, s.Settle(ctx, ds[1], care.Outcome{Verdict: care.Refuse, Reason: "reply window closed"})
		}, care.Taken},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s = %v, want %v", st.name, got, st.want)
		}
	}
	if left := mustNext(t, s, "w1", 10); len(left) != 0 {
		t.Errorf("Next after settling = %q, want nothing", texts(left))
	}
	if n := client.XLen(ctx, s.laneKey(replyLane)).Val(); n != 0 {
		t.Errorf("queue holds %d settled entries", n)
	}
	for _, k := range []string{s.key(idOf(alice), keyOutbound), s.key(idOf(alice), keyTaken)} {
		if n := client.Exists(ctx, k).Val(); n != 0 {
			t.Errorf("%s left after settling", k)
		}
	}
	audit := client.XRange(ctx, s.audit, "-", "+").Val()
	if len(audit) != 3 {
		t.Fatalf("audit holds %d entries, want 3", len(audit))
	}
	want := map[string]any{"m": d.ID, "c": string(idOf(alice)), "class": "reply", "verdict": "allow",
		"reason": "", "sent": "true", "error": "", "at": "2026-05-04T09:00:00Z"}
	for k, v := range want {
		if audit[0].Values[k] != v {
			t.Errorf("audit %s = %v, want %v", k, audit[0].Values[k], v)
		}
	}
}

// TestNextLimits: max counts lane entries, and a step's replies are one
// entry, handed out together.
func TestNextLimits(t *testing.T) {
	s, _ := newStore(t)
	mustCommit(t, s, step(alice, "m1", 0, "a", "b"))
	mustCommit(t, s, step(alice, "m2", 1, "c"))
	mustCommit(t, s, step(alice, "m3", 2, "d", "e", "f"))
	tests := []struct {
		consumer string
		max      int
		want     int
	}{
		{"w1", 2, 3},
		{"w1", 2, 3},
		{"w1", 2, 0},
		{"w2", 5, 0},
	}
	for _, tt := range tests {
		if got := mustNext(t, s, tt.consumer, tt.max); len(got) != tt.want {
			t.Errorf("Next(%s, %d) = %d deliveries, want %d", tt.consumer, tt.max, len(got), tt.want)
		}
	}
	for _, max := range []int{0, -1} {
		if _, err := s.Next(ctx, "w1", allLanes, max, 0); care.ErrorCode(err) != care.EInvalid {
			t.Errorf("Next with max %d = %v, want invalid", max, err)
		}
	}
}

func TestNextBlocks(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	start := time.Now()
	if ds, err := s.Next(ctx, "w", allLanes, 1, 200*time.Millisecond); err != nil || len(ds) != 0 {
		t.Fatalf("Next on an empty queue = %v, %v", ds, err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond || waited > 5*time.Second {
		t.Errorf("Next waited %s, want about 200ms", waited)
	}
	done := make(chan []care.Delivery)
	go func() {
		ds, _ := s.Next(ctx, "w", allLanes, 1, 5*time.Second)
		done <- ds
	}()
	time.Sleep(50 * time.Millisecond)
	mustCommit(t, s, step(alice, "m1", 0, "a"))
	select {
	case ds := <-done:
		if len(ds) != 1 {
			t.Errorf("blocked Next = %d deliveries, want 1", len(ds))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocked Next did not wake up on a new message")
	}
}

func TestReferenceWithoutBody(t *testing.T) {
	s, client := newStore(t)
	if _, err := s.Next(ctx, "w", allLanes, 1, 0); err != nil { // creates the group
		t.Fatal(err)
	}
	if err := client.XAdd(ctx, &redis.XAddArgs{Stream: s.laneKey(care.LaneOf(alice, care.Reply)), Values: []string{"c", string(idOf(alice)), "m", "gone"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.XAdd(ctx, &redis.XAddArgs{Stream: s.laneKey(care.LaneOf(alice, care.Reply)), Values: []string{"junk", "1"}}).Err(); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, step(alice, "m1", 0, "real"))
	ds, err := s.Next(ctx, "w", allLanes, 10, 0)
	if err != nil || len(ds) != 2 {
		t.Fatalf("Next = %d deliveries, %v; want the one without a message and the real one (the junk released)", len(ds), err)
	}
	res, errs := s.TakeAll(ctx, ds)
	if res[0] != care.Gone || res[1] != care.Taken || errs[0] != nil || errs[1] != nil || ds[1].Text != "real" {
		t.Fatalf("TakeAll = %v %v (%q), want gone, then real taken", res, errs, ds[1].Text)
	}
	// Read before its message was stored, it comes back once, a second
	// later; settling it quietly leaves only the real one.
	if held := client.ZRange(ctx, s.later, 0, -1).Val(); len(held) != 1 || !strings.HasSuffix(held[0], " gone 1") {
		t.Errorf("held back %q, want the message-less entry once more", held)
	}
	if err := s.Settle(ctx, ds[0], care.Outcome{Verdict: care.Refuse, Reason: "gone", Quiet: true}); err != nil {
		t.Fatal(err)
	}
	pending := client.XPending(ctx, s.laneKey(replyLane), senders).Val()
	if pending.Count != 1 {
		t.Errorf("%d entries pending, want 1 (the real one)", pending.Count)
	}
	if n := client.XLen(ctx, s.laneKey(replyLane)).Val(); n != 1 {
		t.Errorf("queue holds %d entries, want 1", n)
	}
}

func TestDeadConsumer(t *testing.T) {
	s, _ := newStore(t, WithClaimTimeout(50*time.Millisecond))
	mustCommit(t, s, step(alice, "m1", 0, "a"))
	if got := mustNext(t, s, "dies", 10); len(got) != 1 {
		t.Fatalf("first consumer got %d deliveries, want 1", len(got))
	}
	// The first consumer reads and never settles. Right away the entry
	// is still its own; after the claim timeout it is the survivor's.
	if got := mustNext(t, s, "lives", 10); len(got) != 0 {
		t.Fatalf("entry handed out again before the claim timeout")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := mustNext(t, s, "lives", 10)
		if len(got) == 1 {
			if got[0].Text != "a" {
				t.Errorf("claimed %q, want a", got[0].Text)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dead consumer's entry was never claimed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRecover(t *testing.T) {
	s, client := newStore(t)
	bob := care.Address{Channel: care.Telegram, ID: "42"}
	mustCommit(t, s, step(alice, "m1", 0, "a1", "a2"))
	mustCommit(t, s, step(bob, "m1", 0, "b1"))
	// A crash loses every entry: the queue is emptied behind our back.
	if err := client.Del(ctx, laneKeys(s)...).Err(); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, step(alice, "m2", 1, "a3"))
	tests := []struct {
		name string
		want int
	}{
		{"lost entries queued", 3},
		{"nothing more to do", 0},
	}
	for _, tt := range tests {
		n, err := s.Recover(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if n != tt.want {
			t.Errorf("%s: Recover = %d, want %d", tt.name, n, tt.want)
		}
	}
	got := texts(mustNext(t, s, "w", 10))
	want := []string{"a3", "a1", "a2", "b1"}
	if len(got) != len(want) {
		t.Fatalf("Next = %q, want the texts %q", got, want)
	}
	// a3 kept its entry; the lost ones follow in the order they were made.
	var alices []string
	for _, g := range got {
		if g[0] == 'a' {
			alices = append(alices, g)
		}
	}
	if alices[0] != "a3" || alices[1] != "a1" || alices[2] != "a2" {
		t.Errorf("alice's messages come out as %q", alices)
	}
}

// TestDuplicateEntryNeverFreesTheMessage: a message with two queue
// entries (a recovery racing a promotion, a crash mid-defer) is taken by
// one; the other entry, deferred or settled, neither frees it for a second
// send nor deletes it under the sender that holds it.
func TestDuplicateEntryNeverFreesTheMessage(t *testing.T) {
	s, client := newStore(t)
	mustCommit(t, s, step(alice, "m1", 0, "only once"))
	first := mustNext(t, s, "a", 10)[0]
	if err := client.XAdd(ctx, &redis.XAddArgs{Stream: s.laneKey(care.LaneOf(alice, care.Reply)), Values: []string{"c", string(idOf(alice)), "m", first.ID}}).Err(); err != nil {
		t.Fatal(err)
	}
	second := mustNext(t, s, "b", 10)[0]
	if got, err := s.Take(ctx, first); got != care.Taken || err != nil {
		t.Fatalf("take = %v, %v", got, err)
	}
	if err := s.Defer(ctx, second, care.Outcome{Verdict: care.Defer, Reason: "rate limit", Until: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PromoteDue(ctx, t0.Add(time.Minute), 10); err != nil {
		t.Fatal(err)
	}
	third := mustNext(t, s, "c", 10)[0]
	if got, err := s.Take(ctx, third); got != care.Busy || err != nil {
		t.Fatalf("take of the promoted duplicate = %v, %v: want Busy, or the message would go twice", got, err)
	}
	if err := s.Settle(ctx, third, care.Outcome{Verdict: care.Refuse, Reason: "duplicate"}); err != nil {
		t.Fatal(err)
	}
	if n := client.HLen(ctx, s.key(idOf(alice), keyOutbound)).Val(); n != 1 {
		t.Fatalf("the duplicate's settle deleted the message its holder is sending")
	}
	if err := s.Settle(ctx, first, care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
		t.Fatal(err)
	}
	if n := client.HLen(ctx, s.key(idOf(alice), keyOutbound)).Val(); n != 0 {
		t.Errorf("the holder's settle left the message")
	}
}

// TestTakeChecksConsentAgain: a promotion read while the contact still
// consented is not taken once they said STOP.
func TestTakeChecksConsentAgain(t *testing.T) {
	s, _ := newStore(t)
	id, err := s.Import(ctx, alice, care.Contact{})
	if err != nil {
		t.Fatal(err)
	}
	grant := func(granted bool) {
		t.Helper()
		_, err := s.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
			return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: granted, At: t0}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	grant(true)
	m := care.Outbound{ID: "p1", Contact: id, Address: alice, Class: care.Promotional, Text: "diskon", Created: t0}
	if err := s.Enqueue(ctx, []care.Outbound{m}); err != nil {
		t.Fatal(err)
	}
	d := mustNext(t, s, "w", 10)[0]
	if !d.Profile.Consents(care.Promotions) {
		t.Fatalf("delivery profile %+v, want the grant", d.Profile)
	}
	grant(false)
	if got, err := s.Take(ctx, d); !errors.Is(err, care.ErrNoConsent) {
		t.Errorf("Take = %v, %v; want ErrNoConsent", got, err)
	}
}

// TestAbandonedTakenOverOnce: a message whose sender died mid-send is
// taken over by the first delivery that finds it so, alone: another
// finds it busy until that one releases it (to send it again) or its
// own take times out.
func TestAbandonedTakenOverOnce(t *testing.T) {
	now := t0
	s, client := newStore(t, WithClock(func() time.Time { return now }))
	mustCommit(t, s, step(alice, "m1", 0, "only once"))
	dead := mustNext(t, s, "dead", 10)[0]
	dup := func(consumer string) care.Delivery {
		t.Helper()
		if err := client.XAdd(ctx, &redis.XAddArgs{Stream: s.laneKey(replyLane), Values: []string{"c", string(idOf(alice)), "m", dead.ID}}).Err(); err != nil {
			t.Fatal(err)
		}
		return mustNext(t, s, consumer, 10)[0]
	}
	b, c := dup("b"), dup("c")
	steps := []struct {
		name  string
		after time.Duration
		d     care.Delivery
		want  care.TakeResult
	}{
		{"the sender that dies takes it", 0, dead, care.Taken},
		{"before the take timeout, busy", DefaultTakeTimeout - time.Second, b, care.Busy},
		{"after it, taken over", 2 * time.Second, b, care.Abandoned},
		{"another finds it busy", 0, c, care.Busy},
		{"the one that took it over holds it", 0, b, care.Taken},
		{"when it dies too, taken over again", DefaultTakeTimeout + time.Second, c, care.Abandoned},
	}
	for _, st := range steps {
		now = now.Add(st.after)
		if got, err := s.Take(ctx, st.d); got != st.want || err != nil {
			t.Fatalf("%s: Take = %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	if err := s.Defer(ctx, c, care.Outcome{Reason: "not sent by a sender that died; sending again", Until: now}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Take(ctx, b); got != care.Taken || err != nil {
		t.Errorf("Take once released = %v, %v; want Taken", got, err)
	}
}

// laterStep is step with its replies composed d after t0.
func laterStep(addr care.Address, msg string, version int64, d time.Duration, texts ...string) care.Commit {
	c := step(addr, msg, version, texts...)
	for i := range c.Outbound {
		c.Outbound[i].Created = c.Outbound[i].Created.Add(d)
	}
	return c
}

// TestStepTakeSettle: a step's replies are one lane entry, taken in one
// command and settled in one release and one record, which acknowledge
// the entry; a reply held back holds the contact's later messages in
// the lane behind it.
func TestStepTakeSettle(t *testing.T) {
	s, client := newStore(t)
	for _, sc := range []*redis.Script{takeScript, releaseScript, recordScript} {
		if err := sc.Load(ctx, client).Err(); err != nil { // round trips are counted warm
			t.Fatal(err)
		}
	}
	mustCommit(t, s, step(alice, "m1", 0, "one", "two", "three"))
	if n := client.XLen(ctx, s.laneKey(replyLane)).Val(); n != 1 {
		t.Fatalf("lane holds %d entries for a step of three replies, want 1", n)
	}
	ds := mustNext(t, s, "w1", 10)
	if got := care.Steps(ds); len(got) != 1 || len(got[0]) != 3 || texts(got[0])[2] != "three" {
		t.Fatalf("Steps(Next) = %v, want one step of three replies", got)
	}
	before := s.RoundTrips()
	res, errs := s.TakeAll(ctx, ds)
	for i := range ds {
		if res[i] != care.Taken || errs[i] != nil {
			t.Fatalf("take %d = %v, %v; want taken", i, res[i], errs[i])
		}
	}
	if n := s.RoundTrips() - before; n != 1 {
		t.Errorf("taking a step took %d round trips, want 1", n)
	}

	// A later step of the same contact waits while "two" is held back.
	mustCommit(t, s, laterStep(alice, "m2", 1, time.Second, "four"))
	later := mustNext(t, s, "w2", 10)
	if len(later) != 1 {
		t.Fatalf("Next(w2) = %d deliveries, want 1", len(later))
	}

	before = s.RoundTrips()
	until := t0.Add(time.Minute)
	errs = s.SettleAll(ctx, ds, []care.Outcome{
		{Verdict: care.Allow, Sent: true, At: t0},
		{Verdict: care.Defer, Reason: "rate limit", Until: until, At: t0},
		{Verdict: care.Allow, Sent: true, At: t0},
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("settle %d: %v", i, err)
		}
	}
	if n := s.RoundTrips() - before; n != 1 {
		t.Errorf("settling a step took %d round trips, want 1", n)
	}
	pending, err := client.XPending(ctx, s.laneKey(replyLane), senders).Result()
	if err != nil {
		t.Fatal(err)
	}
	if pending.Count != 1 { // only w2's entry
		t.Errorf("%d entries pending after the step settled, want 1 (the later step's)", pending.Count)
	}
	bodies := client.HKeys(ctx, s.key(idOf(alice), keyOutbound)).Val()
	if len(bodies) != 2 {
		t.Errorf("bodies left %v, want the held-back one and the later step's", bodies)
	}
	if held := client.ZRange(ctx, s.later, 0, -1).Val(); len(held) != 1 || held[0] != laterMember(replyLane, idOf(alice), ds[1].ID) {
		t.Errorf("held back %v, want only %s", held, ds[1].ID)
	}
	if n := client.XLen(ctx, s.audit).Val(); n != 3 {
		t.Errorf("audit holds %d entries, want 3", n)
	}
	if res, err := s.Take(ctx, later[0]); res != care.Behind || err != nil {
		t.Errorf("take of the later step while an earlier reply is held = %v, %v; want behind", res, err)
	}
}

// scriptCalls counts the calls of one script a client makes.
type scriptCalls struct {
	sha string
	n   atomic.Int64
}

func (c *scriptCalls) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *scriptCalls) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.count(cmd)
		return next(ctx, cmd)
	}
}

func (c *scriptCalls) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			c.count(cmd)
		}
		return next(ctx, cmds)
	}
}

func (c *scriptCalls) count(cmd redis.Cmder) {
	if args := cmd.Args(); len(args) > 1 && args[1] == c.sha {
		c.n.Add(1)
	}
}

// TestSettleStepsOfManyContacts: the steps of several contacts settled
// together are recorded, and their lane entries acknowledged, in one
// call of the record script.
func TestSettleStepsOfManyContacts(t *testing.T) {
	s, client := newStore(t)
	records := &scriptCalls{sha: recordScript.Hash()}
	client.AddHook(records)
	people := []care.Address{alice, {Channel: care.WhatsApp, ID: "6281200000002"}, {Channel: care.WhatsApp, ID: "6281200000003"}}
	for _, a := range people {
		mustCommit(t, s, step(a, "m1", 0, "one", "two"))
	}
	ds := mustNext(t, s, "w1", 10)
	if got := care.Steps(ds); len(got) != 3 {
		t.Fatalf("Next = %d steps, want 3", len(got))
	}
	if _, errs := s.TakeAll(ctx, ds); slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		t.Fatalf("take: %v", errs)
	}
	os := make([]care.Outcome, len(ds))
	for i := range os {
		os[i] = care.Outcome{Verdict: care.Allow, Sent: true, At: t0}
	}
	before := records.n.Load()
	for i, err := range s.SettleAll(ctx, ds, os) {
		if err != nil {
			t.Fatalf("settle %d: %v", i, err)
		}
	}
	if n := records.n.Load() - before; n != 1 {
		t.Errorf("settling three contacts' steps called the record script %d times, want 1", n)
	}
	if n := client.XLen(ctx, s.laneKey(replyLane)).Val(); n != 0 {
		t.Errorf("lane holds %d entries after every step settled, want none", n)
	}
	if p := client.XPending(ctx, s.laneKey(replyLane), senders).Val(); p.Count != 0 {
		t.Errorf("%d entries pending after every step settled, want none", p.Count)
	}
	if n := client.XLen(ctx, s.audit).Val(); n != 6 {
		t.Errorf("audit holds %d entries, want 6", n)
	}
	for _, a := range people {
		if left := client.HLen(ctx, s.key(idOf(a), keyOutbound)).Val(); left != 0 {
			t.Errorf("%d bodies left for %s, want none", left, a.ID)
		}
	}
}

// TestStepTakeBlocked: a message of a step that another sender holds
// holds back the step's later messages, which are not marked.
func TestStepTakeBlocked(t *testing.T) {
	s, client := newStore(t)
	mustCommit(t, s, step(alice, "m1", 0, "one", "two"))
	ds := mustNext(t, s, "w1", 10)
	other := ds[0]
	other.Consumer, other.Ref = "w9", "1-1"
	if res, err := s.Take(ctx, other); res != care.Taken || err != nil {
		t.Fatalf("take by another sender = %v, %v", res, err)
	}
	res, errs := s.TakeAll(ctx, ds)
	if res[0] != care.Busy || res[1] != care.Behind || errs[0] != nil || errs[1] != nil {
		t.Errorf("take of a step whose first reply another sender holds = %v %v, want busy, behind", res, errs)
	}
	if marked := client.HKeys(ctx, s.key(idOf(alice), keyTaken)).Val(); len(marked) != 1 {
		t.Errorf("taken markers %v, want only the other sender's", marked)
	}
}
