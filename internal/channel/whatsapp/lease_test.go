package whatsapp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

// testLeaseTTL is long enough that a loaded machine never lets a lease
// lapse between renewals (every second) by accident; takeovers in these
// tests follow a release, so they wait at most one retry (half a second).
const testLeaseTTL = 3 * time.Second

// refusals passes on each Acquire that another owner's lease refused.
type refusals struct {
	care.Leaser
	refused chan struct{}
}

func (r refusals) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	ok, err := r.Leaser.Acquire(ctx, name, owner, ttl)
	if err == nil && !ok {
		select {
		case r.refused <- struct{}{}:
		default:
		}
	}
	return ok, err
}

// leaseProcess is one Mitra process with the fake WhatsApp client,
// sharing the lease in a real Redis with the others.
type leaseProcess struct {
	*harness
	refused chan struct{}
	stop    context.CancelFunc
	done    chan struct{} // closed when leased returned err
	err     error
}

// wait returns what leased returned, once it did.
func (p *leaseProcess) wait() error {
	<-p.done
	return p.err
}

func startLeased(t *testing.T, leaser care.Leaser, owner string) *leaseProcess {
	t.Helper()
	p := &leaseProcess{refused: make(chan struct{}, 1), done: make(chan struct{})}
	p.harness = newHarness(t, func(c *Config) {
		c.Leaser = refusals{Leaser: leaser, refused: p.refused}
		c.Owner = owner
		c.LeaseTTL = testLeaseTTL
	})
	p.c.after = time.After
	p.client.connected = make(chan int, 8)
	p.client.disconnected = make(chan int, 8)
	ctx, stop := context.WithCancel(t.Context())
	p.stop = stop
	go func() {
		defer close(p.done)
		p.err = p.c.leased(ctx, func(ctx context.Context) error { return p.c.loop(ctx, p.client) })
	}()
	t.Cleanup(func() {
		stop()
		<-p.done
	})
	return p
}

// standingBy returns once the process stands by: refused the lease and
// in StatusStandby. It checks after each refusal, since it learns of the
// refusal before the status changes.
func (p *leaseProcess) standingBy() {
	<-p.refused
	for p.c.State().Status != StatusStandby {
		<-p.refused
	}
}

func (p *leaseProcess) connects() int {
	p.client.mu.Lock()
	defer p.client.mu.Unlock()
	return p.client.connects
}

func leaseHolder(t *testing.T, client redis.UniversalClient, key string) string {
	t.Helper()
	owner, err := client.Get(t.Context(), key).Result()
	if errors.Is(err, redis.Nil) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return owner
}

// Two processes share one number: only the lease holder connects; the
// other stands by, says so once, and connects when the holder stops.
func TestLeaseFailover(t *testing.T) {
	client, prefix := redistest.Client(t)
	leaser := redisstore.New(client, prefix)
	key := prefix + ":lease:" + LeaseName

	a := startLeased(t, leaser, "process-a")
	if n := <-a.client.connected; n != 1 {
		t.Fatalf("a connected %d times", n)
	}
	b := startLeased(t, leaser, "process-b")
	b.standingBy()
	<-b.refused // and trying again
	if n := b.connects(); n != 0 {
		t.Errorf("b connected %d times while a held the lease", n)
	}
	err := b.c.Send(t.Context(), outbound("6281234567890", care.Reply, "halo"))
	if _, retry := care.RetryAfter(err); !retry || !strings.Contains(err.Error(), "another Mitra process") {
		t.Errorf("Send on the standby = %v, want a RetryAfterError naming the other process", err)
	}
	if got := leaseHolder(t, client, key); got != "process-a" {
		t.Errorf("lease held by %q, want process-a", got)
	}

	a.stop()
	if err := a.wait(); err != nil {
		t.Errorf("a stopped with %v", err)
	}
	if calls := a.client.log(); calls[len(calls)-1] != "disconnect" {
		t.Errorf("a's last call %q, want disconnect", calls[len(calls)-1])
	}
	if n := <-b.client.connected; n != 1 {
		t.Errorf("b connected %d times", n)
	}
	if got := leaseHolder(t, client, key); got != "process-b" {
		t.Errorf("lease held by %q after the takeover, want process-b", got)
	}
	if n := strings.Count(b.logged(), "another Mitra process runs this WhatsApp number"); n != 1 {
		t.Errorf("b said %d times that another process runs the number, want once:\n%s", n, b.logged())
	}
	if !strings.Contains(b.logged(), "took over the WhatsApp number") {
		t.Errorf("b did not log the takeover:\n%s", b.logged())
	}

	b.stop()
	if err := b.wait(); err != nil {
		t.Errorf("b stopped with %v", err)
	}
	if got := leaseHolder(t, client, key); got != "" {
		t.Errorf("lease held by %q after a clean stop, want released", got)
	}
}

// A renewal that finds the lease in other hands disconnects at once; the
// process stands by and connects again once the lease is free.
func TestLeaseLost(t *testing.T) {
	client, prefix := redistest.Client(t)
	key := prefix + ":lease:" + LeaseName
	a := startLeased(t, redisstore.New(client, prefix), "process-a")
	<-a.client.connected

	if err := client.Set(t.Context(), key, "intruder", 0).Err(); err != nil {
		t.Fatal(err)
	}
	<-a.client.disconnected
	a.standingBy()
	if !strings.Contains(a.logged(), "another process holds the WhatsApp lease now") {
		t.Errorf("losing the lease was not logged:\n%s", a.logged())
	}

	if err := client.Del(t.Context(), key).Err(); err != nil {
		t.Fatal(err)
	}
	if n := <-a.client.connected; n != 2 {
		t.Errorf("connect #%d after the lease came free, want #2", n)
	}
	if got := leaseHolder(t, client, key); got != "process-a" {
		t.Errorf("lease held by %q, want process-a", got)
	}
}

// Without a Leaser, Run's connection starts at once and nothing waits.
func TestNoLease(t *testing.T) {
	hs := newHarness(t)
	hs.client.connected = make(chan int, 1)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- hs.c.leased(ctx, func(ctx context.Context) error { return hs.c.loop(ctx, hs.client) }) }()
	<-hs.client.connected
	stop()
	if err := <-done; err != nil {
		t.Errorf("leased = %v", err)
	}
}
