package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redistest"
)

var (
	ctx   = context.Background()
	alice = care.Address{Channel: care.WhatsApp, ID: "6281234567890"}
	t0    = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
)

// idOf is a test's contact id for an address: fixed, so tests can name
// a contact's keys.
func idOf(a care.Address) care.ContactID {
	sum := sha256.Sum256([]byte(a.String()))
	return care.ContactID("c" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:10])))
}

func newStore(t testing.TB, opts ...Option) (*Store, redis.UniversalClient) {
	t.Helper()
	client, prefix := redistest.Client(t)
	return New(client, prefix, opts...), client
}

// step is a commit of message msg from addr over the given version,
// queueing one outbound message per text.
func step(addr care.Address, msg string, version int64, texts ...string) care.Commit {
	id := idOf(addr)
	c := care.Commit{
		Inbound: care.Inbound{Address: addr, MessageID: msg, Kind: care.KindText, Text: "halo", At: t0},
		Session: care.Session{
			Version: version, Flow: "menu", Step: "start", Lang: "id",
			Vars: map[string]string{"name": "Alice"}, Updated: t0,
		},
		Contact:    care.Contact{ID: id, Version: version, Addresses: []care.Address{addr}, Name: "Alice", Lang: "id", FirstSeen: t0, LastInbound: t0},
		SessionTTL: 30 * 24 * time.Hour,
	}
	for i, text := range texts {
		c.Outbound = append(c.Outbound, care.Outbound{
			ID: string(id) + "/" + msg + "." + strconv.Itoa(i), Contact: id, Address: addr,
			Class: care.Reply, Text: text, InReplyTo: msg, Created: t0.Add(time.Duration(i) * time.Millisecond),
		})
	}
	return c
}

func mustCommit(t testing.TB, s *Store, c care.Commit) {
	t.Helper()
	if err := s.Commit(ctx, c); err != nil {
		t.Fatalf("commit %s: %v", c.Inbound.MessageID, err)
	}
}

func TestLoadCommit(t *testing.T) {
	tests := []struct {
		name  string
		prior []care.Commit // committed first, each must succeed
		next  care.Commit   // then committed
		want  error         // from the last commit; compared with errors.Is
		load  string        // then loaded with this message id
		check func(t *testing.T, conv care.Conversation)
	}{
		{
			name: "new contact", load: "m1",
			check: func(t *testing.T, conv care.Conversation) {
				if conv.Session.Version != 0 || conv.Session.Flow != "" || conv.Contact.ID != "" || conv.Seen {
					t.Errorf("new contact loads %+v, want zero", conv)
				}
			},
		},
		{
			name: "commit round-trips session and profile", next: step(alice, "m1", 0), load: "m2",
			check: func(t *testing.T, conv care.Conversation) {
				want := step(alice, "m1", 0)
				want.Session.Version, want.Contact.Version = 1, 1
				want.Session.Listed = want.Session.Updated // moved to the top of the recent index
				if fmt.Sprint(conv.Session) != fmt.Sprint(want.Session) {
					t.Errorf("session = %+v, want %+v", conv.Session, want.Session)
				}
				if !reflect.DeepEqual(conv.Contact, want.Contact) {
					t.Errorf("contact = %+v, want %+v", conv.Contact, want.Contact)
				}
				if conv.Seen {
					t.Error("m2 reported seen")
				}
			},
		},
		{
			name: "processed message is seen", next: step(alice, "m1", 0), load: "m1",
			check: func(t *testing.T, conv care.Conversation) {
				if !conv.Seen {
					t.Error("m1 not seen after its commit")
				}
			},
		},
		{
			name:  "versions count commits",
			prior: []care.Commit{step(alice, "m1", 0), step(alice, "m2", 1)},
			next:  step(alice, "m3", 2), load: "m4",
			check: func(t *testing.T, conv care.Conversation) {
				if conv.Session.Version != 3 {
					t.Errorf("version = %d, want 3", conv.Session.Version)
				}
			},
		},
		{
			name: "stale version conflicts", prior: []care.Commit{step(alice, "m1", 0)},
			next: step(alice, "m2", 0), want: care.ErrConflict, load: "m2",
			check: func(t *testing.T, conv care.Conversation) {
				if conv.Seen || conv.Session.Version != 1 {
					t.Errorf("refused commit changed the conversation: %+v", conv)
				}
			},
		},
		{
			name: "duplicate message", prior: []care.Commit{step(alice, "m1", 0)},
			next: step(alice, "m1", 1), want: care.ErrDuplicate, load: "m1",
			check: func(t *testing.T, conv care.Conversation) {
				if conv.Session.Version != 1 {
					t.Errorf("duplicate stored a session: version %d", conv.Session.Version)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			for _, c := range tt.prior {
				mustCommit(t, s, c)
			}
			if tt.next.Inbound.MessageID != "" {
				if err := s.Commit(ctx, tt.next); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
					t.Fatalf("commit = %v, want %v", err, tt.want)
				}
			}
			conv, err := s.Load(ctx, idOf(alice), tt.load)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, conv)
		})
	}
}

func TestConcurrentDuplicates(t *testing.T) {
	s, _ := newStore(t)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = s.Commit(ctx, step(alice, "m1", 0, "hi")) })
	}
	wg.Wait()
	stored := 0
	for _, err := range errs {
		switch {
		case err == nil:
			stored++
		case !errors.Is(err, care.ErrDuplicate):
			t.Errorf("commit = %v, want nil or ErrDuplicate", err)
		}
	}
	if stored != 1 {
		t.Errorf("%d of 8 concurrent commits of one message stored, want 1", stored)
	}
	ds, err := s.Next(ctx, "w", allLanes, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Errorf("%d deliveries queued, want 1", len(ds))
	}
}

func TestSessionTTL(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration
		ok   func(pttl time.Duration) bool
	}{
		{"ttl", time.Hour, func(d time.Duration) bool { return d > 59*time.Minute && d <= time.Hour }},
		{"no ttl", 0, func(d time.Duration) bool { return d == -1 }},
		// Rounded up to 1ms, the least Redis takes; may be gone already (-2).
		{"under a millisecond", time.Microsecond, func(d time.Duration) bool { return d == -2 || d >= 0 && d <= time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, client := newStore(t)
			c := step(alice, "m1", 0)
			c.SessionTTL = tt.ttl
			mustCommit(t, s, c)
			got, err := client.PTTL(ctx, s.key(idOf(alice), keySession)).Result()
			if err != nil {
				t.Fatal(err)
			}
			if !tt.ok(got) {
				t.Errorf("PTTL = %s for a session TTL of %s", got, tt.ttl)
			}
		})
	}
}

func TestInboundTrimming(t *testing.T) {
	tests := []struct {
		name     string
		messages int
		spacing  time.Duration // between messages
		card     int64         // ids remembered
		forgot   string        // an id no longer seen
		remember string        // an id still seen
	}{
		{"bounded count", 300, time.Second, inboundKeep, "m43", "m44"},
		{"bounded age", 10, 24 * time.Hour, 8, "m1", "m2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, client := newStore(t)
			now := t0
			s.now = func() time.Time { return now }
			for i := range tt.messages {
				mustCommit(t, s, step(alice, "m"+strconv.Itoa(i), int64(i)))
				now = now.Add(tt.spacing)
			}
			key := s.key(idOf(alice), keyInbound)
			if n := client.ZCard(ctx, key).Val(); n != tt.card {
				t.Errorf("ZCARD = %d, want %d", n, tt.card)
			}
			for id, want := range map[string]bool{tt.forgot: false, tt.remember: true} {
				conv, err := s.Load(ctx, idOf(alice), id)
				if err != nil {
					t.Fatal(err)
				}
				if conv.Seen != want {
					t.Errorf("%s seen = %v, want %v", id, conv.Seen, want)
				}
			}
			if ttl := client.PTTL(ctx, key).Val(); ttl <= 6*24*time.Hour || ttl > inboundWindow {
				t.Errorf("PTTL of %s = %s, want about 7 days", key, ttl)
			}
		})
	}
}

func TestCommitValidation(t *testing.T) {
	bob := care.Address{Channel: care.Telegram, ID: "42"}
	tests := []struct {
		name   string
		change func(c *care.Commit)
	}{
		{"too many messages", func(c *care.Commit) {
			*c = step(alice, "m1", 0, strings.Split(strings.Repeat("x,", MaxOutbound), ",")...)
		}},
		{"text too long", func(c *care.Commit) { c.Outbound[0].Text = strings.Repeat("x", MaxOutboundText+1) }},
		{"message to another contact", func(c *care.Commit) { c.Outbound[0].Contact = idOf(bob) }},
		{"message without id", func(c *care.Commit) { c.Outbound[0].ID = "" }},
		{"profile of another contact", func(c *care.Commit) { c.Contact.ID = idOf(bob) }},
		{"no message id", func(c *care.Commit) { c.Inbound.MessageID = "" }},
		{"bad address", func(c *care.Commit) { c.Inbound.Address.ID = "a}b" }},
		{"negative ttl", func(c *care.Commit) { c.SessionTTL = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			c := step(alice, "m1", 0, "hi")
			tt.change(&c)
			if err := s.Commit(ctx, c); care.ErrorCode(err) != care.EInvalid {
				t.Errorf("commit = %v, want an %s error", err, care.EInvalid)
			}
		})
	}
	t.Run("largest allowed", func(t *testing.T) {
		s, _ := newStore(t)
		texts := make([]string, MaxOutbound)
		for i := range texts {
			texts[i] = strings.Repeat("x", MaxOutboundText)
		}
		mustCommit(t, s, step(alice, "m1", 0, texts...))
	})
}

func TestRoundTrips(t *testing.T) {
	s, _ := newStore(t)
	mustCommit(t, s, step(alice, "m0", 0, "warm the script cache"))
	tests := []struct {
		name string
		do   func() error
	}{
		{"load", func() error { _, err := s.Load(ctx, idOf(alice), "m1"); return err }},
		{"commit", func() error { return s.Commit(ctx, step(alice, "m1", 1, "a", "b", "c")) }},
	}
	for _, tt := range tests {
		before := s.RoundTrips()
		if err := tt.do(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if n := s.RoundTrips() - before; n != 1 {
			t.Errorf("%s took %d round trips, want 1", tt.name, n)
		}
	}
}

func TestScriptCacheFlushed(t *testing.T) {
	s, client := newStore(t)
	mustCommit(t, s, step(alice, "m1", 0, "a"))
	if err := client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, step(alice, "m2", 1, "b", "c"))
	if n := client.XLen(ctx, s.laneKey(replyLane)).Val(); n != 2 {
		t.Errorf("queue holds %d entries, want 2, one a step (no dangling reference from the refused EVALSHA)", n)
	}
	// Every other path loads what Redis forgot, too: reading, taking,
	// settling, booking, queueing from outside a step.
	id := idOf(alice)
	if err := client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	ds := mustNext(t, s, "w", 10)
	if got, err := s.Take(ctx, ds[0]); got != care.Taken || err != nil {
		t.Fatalf("take after a flush = %v, %v", got, err)
	}
	if err := s.Settle(ctx, ds[0], care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
		t.Fatalf("settle after a flush: %v", err)
	}
	if _, ok, err := s.Reserve(ctx, []care.Limit{{Key: "whatsapp", Rate: care.Rate{N: 10, Per: time.Second}}}, time.Second); !ok || err != nil {
		t.Fatalf("reserve after a flush: %v, %v", ok, err)
	}
	if err := client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	m := care.Outbound{ID: "p1", Contact: id, Address: alice, Class: care.Transactional, Order: "o1", Text: "pesanan siap", Created: t0}
	if err := s.Enqueue(ctx, []care.Outbound{m}); err != nil {
		t.Fatalf("enqueue after a flush: %v", err)
	}
	if n := client.XLen(ctx, s.laneKey(care.LaneOf(alice, care.Transactional))).Val(); n != 1 {
		t.Errorf("shop lane holds %d entries, want 1", n)
	}
}

func TestRefusedCommitLeavesNoReference(t *testing.T) {
	s, client := newStore(t)
	mustCommit(t, s, step(alice, "m1", 0, "a"))
	for _, c := range []care.Commit{step(alice, "m2", 0, "b"), step(alice, "m1", 1, "a")} {
		if err := s.Commit(ctx, c); err == nil {
			t.Fatalf("commit %s succeeded", c.Inbound.MessageID)
		}
	}
	if n := client.XLen(ctx, s.laneKey(replyLane)).Val(); n != 1 {
		t.Errorf("queue holds %d entries, want 1", n)
	}
}

func TestMemoryUsage(t *testing.T) {
	s, _ := newStore(t)
	c := step(alice, "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDMEE3", 0, "Halo Alice! Pilih menu:")
	mustCommit(t, s, c)
	for _, d := range mustNext(t, s, "w", 10) {
		if err := s.Settle(ctx, d, care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
			t.Fatal(err)
		}
	}
	sess, total, err := s.MemoryUsage(ctx, idOf(alice))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("idle contact: session %d bytes, all keys %d bytes", sess, total)
	if sess <= 0 || sess >= 1024 || total < sess {
		t.Errorf("MEMORY USAGE: session %d, total %d; want 0 < session < 1024 <= total", sess, total)
	}
}

func TestPurge(t *testing.T) {
	s, client := newStore(t)
	mustCommit(t, s, step(alice, "m1", 0, "a"))
	if _, err := s.Append(ctx, care.Address{Channel: care.WhatsApp, ID: "sim-alice"}, care.SimMessage{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if keys := client.Keys(ctx, s.prefix+":*").Val(); len(keys) != 0 {
		t.Errorf("keys left after Purge: %v", keys)
	}
}

func TestRedisGoesAway(t *testing.T) {
	t.Parallel()
	srv := redistest.Server(t)
	client, err := Open(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s := New(client, "t")
	mustCommit(t, s, step(alice, "m1", 0))
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = s.Load(short, idOf(alice), "m2")
	cancel()
	if err == nil || !strings.Contains(err.Error(), "load conversation "+string(idOf(alice))) {
		t.Fatalf("Load while Redis is down = %v, want an error saying what failed", err)
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// The restarted server is empty: the contact starts over.
	mustCommit(t, s, step(alice, "m2", 0))
	conv, err := s.Load(ctx, idOf(alice), "m2")
	if err != nil || !conv.Seen || conv.Session.Version != 1 {
		t.Fatalf("Load after restart = %+v, %v", conv, err)
	}
}

func BenchmarkLoadCommit(b *testing.B) {
	s, _ := newStore(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		addr := care.Address{Channel: care.WhatsApp, ID: strconv.Itoa(6281200000000 + i%1000)}
		msg := "b" + strconv.Itoa(i)
		conv, err := s.Load(ctx, idOf(addr), msg)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(ctx, step(addr, msg, conv.Session.Version, "reply")); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCommitMany checks that the steps of one batch are independent: each
// gets its own answer and a refused step queues nothing.
func TestCommitMany(t *testing.T) {
	s, _ := newStore(t)
	bob := care.Address{Channel: care.Telegram, ID: "42"}
	carol := care.Address{Channel: care.Telegram, ID: "43"}
	dave := care.Address{Channel: care.WhatsApp, ID: "6281111"}
	mustCommit(t, s, step(alice, "m1", 0))
	mustCommit(t, s, step(bob, "m1", 0))
	bad := step(dave, "m1", 0, "x")
	bad.Outbound[0].ID = ""
	batch := []care.Commit{
		step(alice, "m1", 1, "dup"),      // already processed
		step(bob, "m2", 0, "stale"),      // version moved on
		step(carol, "m1", 0, "c1", "c2"), // stored
		bad,                              // invalid
		step(alice, "m0", 1, "fine too"), // stored
	}
	errs := s.CommitMany(ctx, batch)
	checks := []func(error) bool{
		func(err error) bool { return errors.Is(err, care.ErrDuplicate) },
		func(err error) bool { return errors.Is(err, care.ErrConflict) },
		func(err error) bool { return err == nil },
		func(err error) bool { return care.ErrorCode(err) == care.EInvalid },
		func(err error) bool { return err == nil },
	}
	for i, ok := range checks {
		if !ok(errs[i]) {
			t.Errorf("step %d: %v", i, errs[i])
		}
	}
	convs, err := s.LoadMany(ctx, []care.MessageRef{{Contact: idOf(carol), MessageID: "m1"}, {Contact: idOf(dave), MessageID: "m1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !convs[0].Seen || convs[0].Session.Version != 1 || convs[1].Seen || convs[1].Session.Version != 0 {
		t.Errorf("after the batch: carol %+v, dave %+v", convs[0], convs[1])
	}
	got := texts(mustNext(t, s, "w", 100))
	slices.Sort(got) // lanes are read in their order: whatsapp's, then telegram's
	if strings.Join(got, ",") != "c1,c2,fine too" {
		t.Errorf("queued %q, want only the stored steps' messages c1,c2,fine too", got)
	}
}
