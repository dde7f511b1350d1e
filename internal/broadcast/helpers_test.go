package broadcast

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/sim"
	"github.com/mitra-care/mitra/internal/outreach"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

var ctx = context.Background()

// quiet is a logger that drops everything.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// harness is a store on a real Redis, a campaign service over it and,
// when started, the real sender delivering to the simulator.
type harness struct {
	t      *testing.T
	client redis.UniversalClient
	prefix string
	store  *redisstore.Store
	svc    *Service
	cfg    PlanConfig
}

func newHarness(t *testing.T, plan func(*PlanConfig)) *harness {
	t.Helper()
	client, prefix := redistest.Client(t)
	return newHarnessOn(t, client, prefix, plan)
}

// newHarnessOn is newHarness over a given Redis and prefix.
func newHarnessOn(t *testing.T, client redis.UniversalClient, prefix string, plan func(*PlanConfig)) *harness {
	h := &harness{t: t, client: client, prefix: prefix,
		store: redisstore.New(client, prefix, redisstore.WithClaimTimeout(time.Second), redisstore.WithTakeTimeout(5*time.Second))}
	h.cfg = PlanConfig{TimeZone: time.UTC, Caps: outreach.Caps{Max: 100, Window: 7 * 24 * time.Hour}, WhatsAppPerMinute: 6, WhatsAppDailyCap: 200}
	if plan != nil {
		plan(&h.cfg)
	}
	h.svc = New(Config{Store: h.store, Planner: NewPlanner(h.cfg), Langs: []string{"id", "en"}, Shop: "Warung Sari", Logger: quiet})
	return h
}

// sender runs the real sender with the simulator channel until the test
// ends (or the returned stop), with channel as Telegram when set.
func (h *harness) sender(name string, channel care.Sender) (stop func()) {
	h.t.Helper()
	cfg := outreach.SenderConfig{
		Outbox: h.store, Limiter: h.store, Simulator: sim.New(h.store, nil),
		Gate:       outreach.NewGate(outreach.GateConfig{TimeZone: time.UTC, Quiet: h.cfg.Quiet}),
		Caps:       h.cfg.Caps,
		OptOutLine: func(string) string { return "Ketik STOP untuk berhenti menerima promo." },
		Consumer:   name, Logger: quiet,
	}
	if channel != nil {
		cfg.Channels = map[care.Channel]care.Sender{care.Telegram: channel}
	}
	s := outreach.NewSender(cfg)
	c, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(c)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	h.t.Cleanup(stop)
	return stop
}

// runner runs a campaign runner named owner until the test ends (or the
// returned stop).
func (h *harness) runner(owner string, cfg func(*RunnerConfig)) (stop func()) {
	h.t.Helper()
	rc := RunnerConfig{Service: h.svc, Owner: owner, Tick: 20 * time.Millisecond, LeaseTTL: 2 * time.Second}
	if cfg != nil {
		cfg(&rc)
	}
	r := NewRunner(rc)
	c, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(c)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	h.t.Cleanup(stop)
	return stop
}

// person describes a test contact.
type person struct {
	name    string
	channel care.Channel // its simulated address's channel; Telegram by default
	consent *bool        // promotions: nil never asked
	tags    []string
	fn      func(*care.Contact)
}

var yes, no = func() *bool { b := true; return &b }(), func() *bool { b := false; return &b }()

// add makes a simulated contact who wrote an hour ago, with the
// consent and tags given, and returns its id.
func (h *harness) add(p person) care.ContactID {
	h.t.Helper()
	ch := p.channel
	if ch == "" {
		ch = care.Telegram
	}
	a := care.Address{Channel: ch, ID: "sim-" + p.name}
	id, err := h.store.Import(ctx, a, care.Contact{Name: p.name})
	if err != nil {
		h.t.Fatal(err)
	}
	wrote := time.Now().Add(-time.Hour)
	_, err = h.store.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		c.LastInbound, c.LastInboundOn, c.Tags = wrote, map[care.Channel]time.Time{ch: wrote}, p.tags
		var evs []care.ConsentEvent
		if p.consent != nil {
			evs = append(evs, care.ConsentEvent{Purpose: care.Promotions, Granted: *p.consent, At: wrote, Channel: ch, Source: care.SourceFlow})
		}
		if p.fn != nil {
			p.fn(&c)
		}
		return c, evs, nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// addressOf is a test contact's simulated address.
func addressOf(name string, ch care.Channel) care.Address {
	if ch == "" {
		ch = care.Telegram
	}
	return care.Address{Channel: ch, ID: "sim-" + name}
}

// received counts the messages the simulator delivered to a test
// contact.
func (h *harness) received(name string, ch care.Channel) []care.SimMessage {
	h.t.Helper()
	ms, err := h.store.After(ctx, addressOf(name, ch), 0, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

// campaign makes, previews and returns a draft with text to audience a.
func (h *harness) campaign(a care.Audience) care.Campaign {
	h.t.Helper()
	c, err := h.svc.CreateCampaign(ctx, care.Campaign{Name: "Promo", Texts: map[string]string{"id": "Halo {{contact.name|Kak}}, promo {{shop.name}}!"}, Audience: a})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.PreviewCampaign(ctx, c.ID, nil); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// wait polls until cond holds, failing the test after timeout.
func (h *harness) wait(what string, timeout time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// state waits for the campaign to reach st and returns it with its
// figures.
func (h *harness) state(id care.CampaignID, st care.CampaignState, timeout time.Duration) (care.Campaign, care.CampaignTotals) {
	h.t.Helper()
	var c care.Campaign
	var tot care.CampaignTotals
	h.wait(fmt.Sprintf("campaign %s to be %s", id, st), timeout, func() bool {
		var err error
		c, tot, err = h.svc.Campaign(ctx, id)
		if err != nil {
			h.t.Fatal(err)
		}
		return c.State == st
	})
	return c, tot
}

// report returns the campaign's report lines by contact.
func (h *harness) report(id care.CampaignID) (map[care.ContactID]care.Recipient, care.CampaignTotals) {
	h.t.Helper()
	lines := map[care.ContactID]care.Recipient{}
	tot, err := h.svc.CampaignReport(ctx, id, func(r care.Recipient) error {
		if _, dup := lines[r.Contact]; dup {
			return fmt.Errorf("recipient %s twice in the report", r.Contact)
		}
		lines[r.Contact] = r
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return lines, tot
}
