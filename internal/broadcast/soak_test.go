//go:build soak

// The reliability test of broadcasts (make soak-broadcast): a campaign
// to 10,000 simulated recipients fed and sent by child processes that
// are killed with SIGKILL at random moments, sometimes two at once, and
// started again until it is done.

package broadcast

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/sim"
	"github.com/mitra-care/mitra/internal/outreach"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

// The soak's size.
const (
	soakEligible   = 10_000
	soakIneligible = 1_000
	soakKills      = 10
)

// soakProcess is a child process running a runner and a sender.
type soakProcess struct {
	cmd  *exec.Cmd
	done chan error
}

// startChild starts the test binary again as TestSoakChild, named owner.
func startChild(t *testing.T, url, prefix, owner string) *soakProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSoakChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MITRA_SOAK_CHILD=1", "MITRA_SOAK_REDIS="+url, "MITRA_SOAK_PREFIX="+prefix, "MITRA_SOAK_OWNER="+owner)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &soakProcess{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p
}

// kill ends the child with SIGKILL, as a crash or the OOM killer would.
func (p *soakProcess) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// TestSoakChild is the child: a runner and a sender over the Redis the
// parent names, until it is killed. Run alone, it does nothing.
func TestSoakChild(t *testing.T) {
	url := os.Getenv("MITRA_SOAK_REDIS")
	if os.Getenv("MITRA_SOAK_CHILD") != "1" || url == "" {
		return
	}
	client, err := redisstore.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	// A dead consumer's entries are claimed after 2 s, and a message it
	// took is taken over 3 s after it took it: the simulator says whether
	// it went out.
	store := redisstore.New(client, os.Getenv("MITRA_SOAK_PREFIX"), redisstore.WithClaimTimeout(2*time.Second), redisstore.WithTakeTimeout(3*time.Second))
	owner := os.Getenv("MITRA_SOAK_OWNER")
	svc := New(Config{Store: store, Planner: NewPlanner(soakPlan()), Langs: []string{"id"}, Shop: "Warung Soak", Logger: quiet})
	s := outreach.NewSender(outreach.SenderConfig{
		Outbox: store, Limiter: store, Simulator: sim.New(store, nil),
		Gate: outreach.NewGate(outreach.GateConfig{TimeZone: time.UTC}), Caps: soakPlan().Caps,
		Consumer: owner, Logger: quiet,
	})
	r := NewRunner(RunnerConfig{Service: svc, Owner: owner, Tick: 50 * time.Millisecond, LeaseTTL: 2 * time.Second,
		Windows: map[care.Lane]int{"sim.shop": 100}}) // a slower feed, so the kills land mid-campaign
	ctx := context.Background()
	go func() { _ = s.Run(ctx) }()
	_ = r.Run(ctx) // until SIGKILL
}

func soakPlan() PlanConfig {
	return PlanConfig{TimeZone: time.UTC, Caps: outreach.Caps{Max: 5, Window: 7 * 24 * time.Hour}}
}

func TestSoakBroadcast(t *testing.T) {
	srv := redistest.Server(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer client.Close()
	prefix := "soak"
	h := newHarnessOn(t, client, prefix, func(c *PlanConfig) { *c = soakPlan() })
	start := time.Now()
	for i := range soakEligible + soakIneligible {
		p := person{name: fmt.Sprintf("s%05d", i), consent: yes}
		if i >= soakEligible {
			switch i % 3 {
			case 0:
				p.consent = nil
			case 1:
				p.consent = no
			default:
				p.fn = func(c *care.Contact) { c.Blocked = true }
			}
		}
		h.add(p)
	}
	t.Logf("seeded %d contacts in %s", soakEligible+soakIneligible, time.Since(start).Round(time.Millisecond))
	c := h.campaign(care.Audience{})
	if _, err := h.svc.StartCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for k := range soakKills {
		ps := []*soakProcess{startChild(t, srv.URL(), prefix, fmt.Sprintf("child-%d", k))}
		if k%3 == 1 {
			ps = append(ps, startChild(t, srv.URL(), prefix, fmt.Sprintf("child-%d-b", k)))
		}
		time.Sleep(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
		for _, p := range ps {
			p.kill()
		}
		_, tot, err := h.svc.Campaign(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("kill %d: %d sent, %d queued, %d waiting", k+1, tot.Sent, tot.Queued, tot.Waiting)
	}
	last := startChild(t, srv.URL(), prefix, "last")
	_, tot := h.state(c.ID, care.CampaignDone, 5*time.Minute)
	last.kill()

	// The simulator can tell whether a dead sender's message went out:
	// every eligible recipient has exactly one message, nobody else any,
	// and no outcome is unknown.
	twice, none, confirmed, again := 0, 0, 0, 0
	lines, _ := h.report(c.ID)
	for i := range soakEligible + soakIneligible {
		name := fmt.Sprintf("s%05d", i)
		got := len(h.received(name, ""))
		id, _, err := h.store.Lookup(ctx, addressOf(name, ""))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i >= soakEligible && got > 0:
			t.Errorf("%s, not eligible, received %d messages", name, got)
		case i >= soakEligible:
		case got > 1:
			twice++
			t.Errorf("%s received %d messages", name, got)
		case got == 0:
			none++
			t.Errorf("%s received nothing (%+v)", name, lines[id])
		}
	}
	audit, err := h.store.Audit(ctx, 200_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range audit {
		switch {
		case e["reason"] == "sent, confirmed after a sender died":
			confirmed++
		case strings.HasPrefix(e["reason"], "not sent by a sender that died"):
			again++
		}
	}
	t.Logf("%d recipients, %d kills: sent %d (%d confirmed after their sender died, %d sent again by another), twice %d, missing %d; totals %+v",
		soakEligible, soakKills, tot.Sent, confirmed, again, twice, none, tot)
	if tot.Planned != soakEligible || tot.Sent != soakEligible || tot.Unknown != 0 {
		t.Errorf("totals %+v, want %d planned and sent, none unknown", tot, soakEligible)
	}
}
