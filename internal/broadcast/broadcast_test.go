package broadcast

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
)

func TestConsentOnlyAudience(t *testing.T) {
	h := newHarness(t, func(c *PlanConfig) { c.Caps.Max = 2 })
	want := []string{"ani", "budi", "citra"}
	for _, n := range want {
		h.add(person{name: n, consent: yes})
	}
	later := time.Now().Add(time.Minute)
	excluded := map[string]care.Exclusion{
		"dodi":  care.ExclWithdrawn,
		"eka":   care.ExclNoConsent,
		"fajar": care.ExclBlocked,
		"gita":  care.ExclUnreachable,
		"hadi":  care.ExclNeverWrote,
		"indah": care.ExclSuppressed,
		"joko":  care.ExclOverCap,
	}
	h.add(person{name: "dodi", consent: no})
	h.add(person{name: "eka"})
	h.add(person{name: "fajar", consent: yes, fn: func(c *care.Contact) { c.Blocked = true }})
	h.add(person{name: "gita", consent: yes, fn: func(c *care.Contact) { c.Unreachable = map[care.Channel]string{care.Telegram: "blocked the bot"} }})
	h.add(person{name: "hadi", consent: yes, channel: care.WhatsApp, fn: func(c *care.Contact) { c.LastInboundOn = nil }})
	h.add(person{name: "indah", consent: yes, fn: func(c *care.Contact) { c.Suppressed = later }})
	joko := h.add(person{name: "joko", consent: yes})
	for _, m := range []string{"p1", "p2"} {
		if ok, _, err := h.store.ReserveCap(ctx, joko, m, 2, h.cfg.Caps.Window, time.Now()); err != nil || !ok {
			t.Fatalf("reserve cap: %v %v", ok, err)
		}
	}
	h.add(person{name: "kiki", consent: yes, tags: []string{"vip"}, fn: func(c *care.Contact) { c.Unreachable = map[care.Channel]string{care.Telegram: "blocked"} }})

	c, err := h.svc.CreateCampaign(ctx, care.Campaign{Name: "Lebaran", Texts: map[string]string{"id": "Halo {{contact.name|Kak}}, diskon di {{shop.name}}!", "en": "Hi {{contact.name}}!"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.StartCampaign(ctx, c.ID); care.ErrorCode(err) != care.EConflict {
		t.Fatalf("start before a preview: %v, want a conflict", err)
	}
	var rows bytes.Buffer
	w, err := NewCSV(&rows, ExclusionsHeader)
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.svc.PreviewCampaign(ctx, c.ID, w.Excluded)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if p.Scanned != 11 || p.Recipients != 3 || p.Now != 3 || p.Outside != 0 {
		t.Errorf("preview = %+v, want 11 scanned, 3 recipients now", p)
	}
	wantExcl := map[care.Exclusion]int{}
	for _, x := range excluded {
		wantExcl[x]++
	}
	wantExcl[care.ExclUnreachable]++ // kiki
	for x, n := range wantExcl {
		if p.Excluded[x] != n {
			t.Errorf("excluded %s = %d, want %d (all: %v)", x, p.Excluded[x], n, p.Excluded)
		}
	}
	if lines := strings.Split(strings.TrimSpace(rows.String()), "\n"); len(lines) != 9 || lines[0] != "contact,channel,reason" {
		t.Errorf("exclusions CSV = %q", rows.String())
	}
	if !strings.Contains(rows.String(), ","+string(care.ExclNeverWrote)) || !strings.Contains(rows.String(), "whatsapp,whatsapp_never_wrote") {
		t.Errorf("exclusions CSV lacks the WhatsApp contact who never wrote: %q", rows.String())
	}

	if _, err := h.svc.StartCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	h.sender("s1", nil)
	h.runner("r1", nil)
	_, tot := h.state(c.ID, care.CampaignDone, 10*time.Second)
	for _, n := range want {
		got := h.received(n, "")
		if len(got) != 1 || got[0].Text != "Halo "+n+", diskon di Warung Sari!\n\nKetik STOP untuk berhenti menerima promo." {
			t.Errorf("%s received %+v, want the campaign once with the opt-out line", n, got)
		}
	}
	for n := range excluded {
		ch := care.Channel("")
		if n == "hadi" {
			ch = care.WhatsApp
		}
		if got := h.received(n, ch); len(got) != 0 {
			t.Errorf("%s (%s) received %d messages", n, excluded[n], len(got))
		}
	}
	if tot.Planned != 3 || tot.Sent != 3 || tot.Queued != 3 || tot.Excluded[care.ExclOverCap] != 1 {
		t.Errorf("totals = %+v", tot)
	}
	lines, _ := h.report(c.ID)
	if len(lines) != 3 {
		t.Errorf("report has %d lines, want 3", len(lines))
	}
	for _, l := range lines {
		if l.Status != care.RecipientSent || l.Channel != care.Channel("sim") {
			t.Errorf("report line %+v, want sent on sim", l)
		}
	}
}

func TestAudienceNarrowed(t *testing.T) {
	h := newHarness(t, nil)
	h.add(person{name: "vip1", consent: yes, tags: []string{"vip", "jakarta"}})
	h.add(person{name: "vip2", consent: yes, tags: []string{"vip"}})
	h.add(person{name: "wa1", consent: yes, channel: care.WhatsApp, tags: []string{"vip", "jakarta"}})
	h.add(person{name: "old", consent: yes, tags: []string{"vip", "jakarta"}, fn: func(c *care.Contact) {
		c.LastInbound = time.Now().Add(-40 * 24 * time.Hour)
	}})
	tests := []struct {
		name     string
		a        care.Audience
		in, outs int
	}{
		{"everyone", care.Audience{}, 4, 0},
		{"one tag", care.Audience{Tags: []string{"vip"}}, 4, 0},
		{"every tag given", care.Audience{Tags: []string{"vip", "jakarta"}}, 3, 1},
		{"a channel", care.Audience{Channel: care.WhatsApp}, 1, 3},
		{"wrote lately", care.Audience{ActiveDays: 30}, 3, 1},
		{"all of them", care.Audience{Tags: []string{"jakarta"}, Channel: care.Telegram, ActiveDays: 30}, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := h.svc.CreateCampaign(ctx, care.Campaign{Name: tt.name, Texts: map[string]string{"id": "x"}, Audience: tt.a})
			if err != nil {
				t.Fatal(err)
			}
			p, err := h.svc.PreviewCampaign(ctx, c.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.Recipients != tt.in || p.Outside != tt.outs {
				t.Errorf("preview: %d recipients, %d outside; want %d, %d", p.Recipients, p.Outside, tt.in, tt.outs)
			}
		})
	}
}

func TestExactlyOnceConcurrentRunners(t *testing.T) {
	h := newHarness(t, nil)
	const n = 200
	for i := range n {
		h.add(person{name: fmt.Sprintf("u%03d", i), consent: yes})
	}
	counting := &countingStore{Store: h.store, tries: map[care.ContactID]int{}}
	h.svc = New(Config{Store: counting, Planner: NewPlanner(h.cfg), Langs: []string{"id"}, Shop: "Warung Sari", Logger: quiet})
	c := h.campaign(care.Audience{})
	if _, err := h.svc.StartCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	h.sender("s1", nil)
	h.sender("s2", nil)
	// A lease of a millisecond lets both runners feed at the same time,
	// reading the same recipients: only the marks keep them apart.
	for _, name := range []string{"a", "b"} {
		h.runner(name, func(rc *RunnerConfig) {
			rc.LeaseTTL = time.Millisecond
			rc.Windows = map[care.Lane]int{"sim.shop": 30}
			rc.Tick = 5 * time.Millisecond
		})
	}
	_, tot := h.state(c.ID, care.CampaignDone, 20*time.Second)
	for i := range n {
		if got := h.received(fmt.Sprintf("u%03d", i), ""); len(got) != 1 {
			t.Fatalf("u%03d received %d messages, want 1", i, len(got))
		}
	}
	if tot.Sent != n || tot.Queued != n || tot.Outcomes() != n {
		t.Errorf("totals = %+v, want %d sent, queued and settled", tot, n)
	}
	lines, _ := h.report(c.ID)
	if len(lines) != n {
		t.Errorf("report has %d lines, want %d", len(lines), n)
	}
	if again := counting.again(); again == 0 {
		t.Errorf("no recipient was enqueued twice: the runners never fed at the same time")
	} else {
		t.Logf("%d recipients were enqueued more than once, each received one message", again)
	}
}

// countingStore counts the times each contact is enqueued, and is slow
// to return, as a runner is that dies before it records what it queued.
type countingStore struct {
	*redisstore.Store
	mu    sync.Mutex
	tries map[care.ContactID]int
}

func (s *countingStore) EnqueueCampaign(ctx context.Context, id care.CampaignID, ms []care.Outbound) []error {
	s.mu.Lock()
	for _, m := range ms {
		s.tries[m.Contact]++
	}
	s.mu.Unlock()
	errs := s.Store.EnqueueCampaign(ctx, id, ms)
	// Queued, not recorded yet: the other runner reads the same
	// recipients meanwhile.
	time.Sleep(15 * time.Millisecond)
	return errs
}

// again counts the contacts enqueued more than once.
func (s *countingStore) again() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range s.tries {
		if k > 1 {
			n++
		}
	}
	return n
}

func TestRunnerRestartedMidCampaign(t *testing.T) {
	h := newHarness(t, nil)
	const n = 120
	var ids []care.ContactID
	for i := range n {
		ids = append(ids, h.add(person{name: fmt.Sprintf("r%03d", i), consent: yes}))
	}
	c := h.campaign(care.Audience{})
	if _, err := h.svc.StartCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	// A runner that planned, queued ten and died before recording them:
	// the next one finds them queued already.
	r := NewRunner(RunnerConfig{Service: h.svc, Owner: "dead"})
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	ps, _, err := h.store.Prospects(ctx, ids[:10], 0)
	if err != nil {
		t.Fatal(err)
	}
	var ms []care.Outbound
	for _, p := range ps {
		ms = append(ms, message(c, p.Contact, p.Addresses[0], "Warung Sari", time.Now()))
	}
	for _, err := range h.store.EnqueueCampaign(ctx, c.ID, ms) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := h.store.Release(ctx, leaseName(c.ID), "dead"); err != nil {
		t.Fatal(err)
	}
	h.sender("s1", nil)
	stop := h.runner("first", func(rc *RunnerConfig) { rc.Windows = map[care.Lane]int{"sim.shop": 10} })
	h.wait("half the campaign sent", 10*time.Second, func() bool {
		_, tot, err := h.svc.Campaign(ctx, c.ID)
		return err == nil && tot.Sent >= n/2
	})
	stop() // a clean stop gives the lease up: the next runner goes on at once
	h.runner("second", nil)
	_, tot := h.state(c.ID, care.CampaignDone, 10*time.Second)
	for i := range n {
		if got := h.received(fmt.Sprintf("r%03d", i), ""); len(got) != 1 {
			t.Errorf("r%03d received %d messages, want 1", i, len(got))
		}
	}
	if tot.Sent != n || tot.Queued != n {
		t.Errorf("totals = %+v", tot)
	}
}

func TestEnqueueCampaignOncePerContact(t *testing.T) {
	h := newHarness(t, nil)
	var ps []care.Contact
	for i := range 50 {
		id := h.add(person{name: fmt.Sprintf("e%02d", i), consent: yes})
		p, _, err := h.store.Prospects(ctx, []care.ContactID{id}, 0)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p[0].Contact)
	}
	c := h.campaign(care.Audience{})
	var wg sync.WaitGroup
	var queued atomic.Int64
	for range 8 {
		wg.Go(func() {
			var ms []care.Outbound
			for _, p := range ps {
				ms = append(ms, message(c, p, p.Addresses[0], "Warung Sari", time.Now()))
			}
			for _, err := range h.store.EnqueueCampaign(ctx, c.ID, ms) {
				if err != nil {
					t.Error(err)
				}
			}
			queued.Add(int64(len(ms)))
		})
	}
	wg.Wait()
	for _, p := range ps {
		n, err := h.client.HLen(ctx, h.prefix+":{c:"+string(p.ID)+"}:o").Result()
		if err != nil || n != 1 {
			t.Errorf("%s has %d queued messages (%v), want 1", p.ID, n, err)
		}
	}
	var entries int64
	for _, l := range []string{"sim.shop"} {
		n, err := h.client.XLen(ctx, h.prefix+":{o}:q:"+l).Result()
		if err != nil {
			t.Fatal(err)
		}
		entries += n
	}
	if entries != int64(len(ps)) {
		t.Errorf("%d lane entries, want %d: the refused ones must be taken back", entries, len(ps))
	}
	// A contact erased meanwhile is not found.
	gone := message(c, care.Contact{ID: care.NewContactID()}, ps[0].Addresses[0], "", time.Now())
	if err := h.store.EnqueueCampaign(ctx, c.ID, []care.Outbound{gone})[0]; care.ErrorCode(err) != care.ENotFound {
		t.Errorf("enqueue to nobody: %v, want not found", err)
	}
}

func TestPauseResumeCancelAtTheGate(t *testing.T) {
	h := newHarness(t, nil)
	const n = 20
	for i := range n {
		h.add(person{name: fmt.Sprintf("g%02d", i), consent: yes})
	}
	queue := func() care.Campaign {
		c := h.campaign(care.Audience{})
		if _, err := h.svc.StartCampaign(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		r := NewRunner(RunnerConfig{Service: h.svc, Owner: "feeder"})
		for range 3 {
			if err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
		lanes, err := h.store.CampaignLanes(ctx, c.ID)
		if err != nil || lanes["sim.shop"].InFlight != n {
			t.Fatalf("lanes = %+v (%v), want %d in flight", lanes, err, n)
		}
		r.release()
		return c
	}
	count := func() int {
		total := 0
		for i := range n {
			total += len(h.received(fmt.Sprintf("g%02d", i), ""))
		}
		return total
	}

	c := queue()
	if _, err := h.svc.PauseCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	stopSender := h.sender("s1", nil)
	stopRunner := h.runner("r1", nil)
	h.wait("every message held", 10*time.Second, func() bool {
		_, tot, err := h.svc.Campaign(ctx, c.ID)
		return err == nil && tot.Deferred == n
	})
	if got := count(); got != 0 {
		t.Fatalf("%d messages of a paused campaign went out", got)
	}
	lines, _ := h.report(c.ID)
	for _, l := range lines {
		if l.Status != care.RecipientDeferred || !strings.HasPrefix(l.Reason, "campaign paused") {
			t.Fatalf("report line %+v, want deferred: campaign paused", l)
		}
	}
	if _, err := h.svc.ResumeCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	// The held messages come back when their minute is up.
	if _, err := h.store.PromoteDue(ctx, time.Now().Add(2*time.Minute), 1000); err != nil {
		t.Fatal(err)
	}
	h.state(c.ID, care.CampaignDone, 10*time.Second)
	if got := count(); got != n {
		t.Fatalf("%d messages after resuming, want %d", got, n)
	}

	// Cancelled with its messages queued: refused at the gate.
	stopSender()
	stopRunner()
	c = queue()
	if _, err := h.svc.CancelCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	h.sender("s2", nil)
	h.runner("r2", nil)
	h.wait("every message refused", 10*time.Second, func() bool {
		_, tot, err := h.svc.Campaign(ctx, c.ID)
		return err == nil && tot.Refused == n
	})
	if got := count(); got != n {
		t.Fatalf("%d messages in all, want %d: the cancelled campaign sent", got, n)
	}
	lines, _ = h.report(c.ID)
	for _, l := range lines {
		if l.Status != care.RecipientRefused || l.Reason != "campaign cancelled" {
			t.Fatalf("report line %+v, want refused: campaign cancelled", l)
		}
	}
	h.wait("the cancelled campaign retired", 5*time.Second, func() bool {
		ids, err := h.store.ActiveCampaigns(ctx)
		return err == nil && !slices.Contains(ids, c.ID)
	})
}

// gated is a Telegram stand-in that sends only as many messages as it
// is let, or fails each with fail.
type gated struct {
	mu   sync.Mutex
	left int
	fail error
	sent []care.Outbound
}

func (g *gated) Send(_ context.Context, m care.Outbound) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return g.fail
	}
	if g.left == 0 {
		return &care.RetryAfterError{After: 200 * time.Millisecond, Reason: "held by the test"}
	}
	g.left--
	g.sent = append(g.sent, m)
	return nil
}

func (g *gated) let(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.left += n
}

func TestAutoPauseOnOptOuts(t *testing.T) {
	h := newHarness(t, nil)
	var ids []care.ContactID
	for i := range 40 {
		a := care.Address{Channel: care.Telegram, ID: fmt.Sprint(1000 + i)}
		id, err := h.store.Import(ctx, a, care.Contact{Name: "x"})
		if err != nil {
			t.Fatal(err)
		}
		wrote := time.Now().Add(-time.Hour)
		if _, err := h.store.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
			c.LastInbound, c.LastInboundOn = wrote, map[care.Channel]time.Time{care.Telegram: wrote}
			return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: true, At: wrote, Channel: care.Telegram, Source: care.SourceFlow}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	c := h.campaign(care.Audience{})
	if _, err := h.svc.StartCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	tg := &gated{}
	h.sender("s1", tg)
	var paused atomic.Pointer[care.Campaign]
	h.runner("r1", func(rc *RunnerConfig) {
		rc.Safety = Safety{OptOutRate: 0.05, OptOutOf: 20}
		rc.CheckEvery = 10 * time.Millisecond
		rc.Windows = map[care.Lane]int{"telegram.shop": 10}
		rc.OnPause = func(c care.Campaign) { paused.Store(&c) }
	})
	tg.let(10)
	h.wait("ten sent", 10*time.Second, func() bool {
		_, tot, err := h.svc.Campaign(ctx, c.ID)
		return err == nil && tot.Sent == 10
	})
	tg.mu.Lock()
	reached := slices.Clone(tg.sent)
	tg.mu.Unlock()
	// One opt-out of at least 20 is 5%: not over it. The second is.
	for k, m := range reached[:2] {
		if _, err := h.store.UpdateContact(ctx, m.Contact, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
			return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: false, At: time.Now(), Channel: care.Telegram, Source: care.SourceKeyword, Text: "STOP"}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			time.Sleep(200 * time.Millisecond)
			if got, _, _ := h.svc.Campaign(ctx, c.ID); got.State != care.CampaignRunning {
				t.Fatalf("one opt-out of 20 paused the campaign: %+v", got)
			}
		}
	}
	got, tot := h.state(c.ID, care.CampaignPaused, 5*time.Second)
	if !got.Auto || !strings.Contains(got.Reason, "2 of 10 people reached withdrew promotions") || tot.OptedOut != 2 {
		t.Errorf("paused campaign %+v (%+v), want an automatic pause over 2 opt-outs", got, tot)
	}
	if p := paused.Load(); p == nil || p.ID != c.ID {
		t.Errorf("the owner was not told: %v", p)
	}
	// Paused, nothing more goes out, whatever the channel would take.
	tg.let(100)
	time.Sleep(300 * time.Millisecond)
	tg.mu.Lock()
	after := len(tg.sent)
	tg.mu.Unlock()
	if after != 10 {
		t.Errorf("%d sent after the pause, want 10", after)
	}
	lines, _ := h.report(c.ID)
	opted := 0
	for _, l := range lines {
		if !l.OptedOut.IsZero() {
			opted++
		}
	}
	if opted != 2 {
		t.Errorf("report shows %d opt-outs, want 2", opted)
	}
	// Resumed, the owner's decision: the same opt-outs do not pause it
	// again, and it finishes.
	if _, err := h.svc.ResumeCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.PromoteDue(ctx, time.Now().Add(2*time.Minute), 1000); err != nil {
		t.Fatal(err)
	}
	_, tot = h.state(c.ID, care.CampaignDone, 10*time.Second)
	if tot.Sent != len(ids)-2 && tot.Sent != len(ids) {
		t.Errorf("totals after resuming = %+v", tot)
	}
}

func TestAutoPauseOnFailures(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 30 {
		a := care.Address{Channel: care.Telegram, ID: fmt.Sprint(2000 + i)}
		id, err := h.store.Import(ctx, a, care.Contact{})
		if err != nil {
			t.Fatal(err)
		}
		wrote := time.Now().Add(-time.Hour)
		if _, err := h.store.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
			c.LastInbound, c.LastInboundOn = wrote, map[care.Channel]time.Time{care.Telegram: wrote}
			return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: true, At: wrote, Channel: care.Telegram, Source: care.SourceFlow}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	c := h.campaign(care.Audience{})
	if _, err := h.svc.StartCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	h.sender("s1", &gated{fail: errors.New("telegram: 400 Bad Request: chat not found")})
	h.runner("r1", func(rc *RunnerConfig) { rc.Windows = map[care.Lane]int{"telegram.shop": 5} })
	got, tot := h.state(c.ID, care.CampaignPaused, 10*time.Second)
	if !got.Auto || !strings.Contains(got.Reason, "of the last") || tot.Failed < 11 || tot.Failed > 15 {
		t.Errorf("campaign %+v with %+v, want paused after 11 failures", got, tot)
	}
}

func TestHoldChannelPausesUntilItsEnd(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 5 {
		a := care.Address{Channel: care.WhatsApp, ID: fmt.Sprint(6281200000 + i)}
		id, err := h.store.Import(ctx, a, care.Contact{})
		if err != nil {
			t.Fatal(err)
		}
		wrote := time.Now().Add(-time.Hour)
		if _, err := h.store.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
			c.LastInbound, c.LastInboundOn = wrote, map[care.Channel]time.Time{care.WhatsApp: wrote}
			return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: true, At: wrote, Channel: care.WhatsApp, Source: care.SourceFlow}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	c := h.campaign(care.Audience{})
	other := h.campaign(care.Audience{Channel: care.Telegram})
	for _, id := range []care.CampaignID{c.ID, other.ID} {
		if _, err := h.svc.StartCampaign(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	r := NewRunner(RunnerConfig{Service: h.svc, Owner: "r", Windows: map[care.Lane]int{"whatsapp.shop": 2}})
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(300 * time.Millisecond)
	paused, err := h.svc.HoldChannel(ctx, care.WhatsApp, until, "WhatsApp locked the number's reach-outs (463)")
	if err != nil || len(paused) != 1 || paused[0] != c.ID {
		t.Fatalf("HoldChannel paused %v (%v), want only %s", paused, err, c.ID)
	}
	got, _, err := h.svc.Campaign(ctx, c.ID)
	if err != nil || got.State != care.CampaignPaused || !got.Auto || !got.ResumeAt.Equal(until) {
		t.Fatalf("campaign %+v (%v), want paused until %s", got, err, until)
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := h.svc.Campaign(ctx, c.ID); got.State != care.CampaignPaused {
		t.Fatalf("resumed before the end of the hold: %+v", got)
	}
	time.Sleep(time.Until(until))
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := h.svc.Campaign(ctx, c.ID); got.State != care.CampaignRunning {
		t.Fatalf("not resumed after the hold: %+v", got)
	}
}
