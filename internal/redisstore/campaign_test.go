package redisstore

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// campaignTo saves a running campaign and queues its message to alice
// (who said yes to promotions), recorded as a runner records it.
func campaignTo(t *testing.T, s *Store) (care.Campaign, care.Delivery) {
	t.Helper()
	mustCommit(t, s, step(alice, "m1", 0))
	if _, err := s.UpdateContact(ctx, idOf(alice), func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		c.LastInboundOn = map[care.Channel]time.Time{care.WhatsApp: t0}
		return c, []care.ConsentEvent{{Purpose: care.Promotions, Granted: true, At: t0, Channel: care.WhatsApp, Source: care.SourceFlow}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	c := care.Campaign{ID: care.NewCampaignID(), Name: "p", Texts: map[string]string{"id": "x"}, Lang: "id",
		State: care.CampaignRunning, Created: time.Now(), Started: time.Now()}
	if err := s.SaveCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	m := care.Outbound{ID: care.CampaignMessageID(c.ID, idOf(alice)), Contact: idOf(alice), Address: alice, Class: care.Promotional,
		Text: "promo", Campaign: string(c.ID), Created: time.Now(), Origin: care.OriginBroadcast}
	if err := s.EnqueueCampaign(ctx, c.ID, []care.Outbound{m})[0]; err != nil {
		t.Fatal(err)
	}
	lane := care.LaneOf(alice, care.Promotional)
	if err := s.RecordRecipients(ctx, c.ID, []care.RecipientUpdate{{Contact: idOf(alice), From: lane, Lane: lane, Status: care.RecipientQueued}}); err != nil {
		t.Fatal(err)
	}
	ds := mustNext(t, s, "w", 10)
	if len(ds) != 1 || ds[0].CampaignStatus.State != care.CampaignRunning || ds[0].CampaignStatus.Test {
		t.Fatalf("deliveries %+v, want the campaign's message with its state", ds)
	}
	return c, ds[0]
}

func totals(t *testing.T, s *Store, id care.CampaignID) care.CampaignTotals {
	t.Helper()
	_, tot, err := s.LoadCampaign(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return tot
}

func TestFoldOutcomesOnce(t *testing.T) {
	s, _ := newStore(t)
	c, d := campaignTo(t, s)
	if err := s.Defer(ctx, d, care.Outcome{Verdict: care.Defer, Reason: "quiet hours", Until: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FoldOutcomes(ctx, c.ID, 100); err != nil {
		t.Fatal(err)
	}
	if tot := totals(t, s, c.ID); tot.Deferred != 1 || tot.Queued != 1 {
		t.Fatalf("after the deferral: %+v", tot)
	}
	if _, err := s.PromoteDue(ctx, time.Now(), 10); err != nil {
		t.Fatal(err)
	}
	ds := mustNext(t, s, "w", 10)
	if len(ds) != 1 {
		t.Fatalf("%d deliveries after the deferral", len(ds))
	}
	if err := s.Settle(ctx, ds[0], care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
		t.Fatal(err)
	}
	for range 3 { // folding again reads nothing new and counts nothing twice
		if _, err := s.FoldOutcomes(ctx, c.ID, 1); err != nil {
			t.Fatal(err)
		}
	}
	tot := totals(t, s, c.ID)
	if tot.Sent != 1 || tot.Deferred != 0 || tot.Queued != 1 || tot.Outcomes() != 1 {
		t.Errorf("after sending: %+v", tot)
	}
	lanes, err := s.CampaignLanes(ctx, c.ID)
	if err != nil || lanes[care.LaneOf(alice, care.Promotional)] != (care.LaneProgress{}) {
		t.Errorf("lanes = %v, %v; want nothing waiting or in flight", lanes, err)
	}
	// A fold from a cursor that moved on is refused.
	n, err := foldScript.Run(ctx, s.client, []string{s.campaignKey(c.ID, "c"), s.campaignKey(c.ID, "r"), s.campaignKey(c.ID, "sent"), s.campaignKey(c.ID, "recent")},
		"0-1", "9-9", string(idOf(alice)), "sent", 1, "whatsapp.shop", "").Int()
	if err != nil || n != -1 {
		t.Errorf("fold from a stale cursor = %d, %v; want -1", n, err)
	}
	// The sent recipient is found for the opt-out checks.
	sent, err := s.SentSince(ctx, c.ID, time.Now().Add(-time.Hour), care.SentTo{}, 10)
	if err != nil || len(sent) != 1 || sent[0].Contact != idOf(alice) {
		t.Errorf("SentSince = %v, %v", sent, err)
	}
	if more, _ := s.SentSince(ctx, c.ID, time.Now().Add(-time.Hour), sent[0], 10); len(more) != 0 {
		t.Errorf("SentSince after the last = %v", more)
	}
}

func TestReconcileMarksGoneUntilTheOutcomeTurnsUp(t *testing.T) {
	now := time.Now()
	s, client := newStore(t, WithClock(func() time.Time { return now }))
	c, d := campaignTo(t, s)
	// The message left the outbox with no outcome (an erasure dropped it).
	if err := client.HDel(ctx, s.key(idOf(alice), keyOutbound), d.ID).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Reconcile(ctx, c.ID, time.Minute); err != nil || n != 0 {
		t.Fatalf("Reconcile of a young line = %d, %v; want 0", n, err)
	}
	now = now.Add(2 * time.Minute)
	if n, err := s.Reconcile(ctx, c.ID, time.Minute); err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want 1", n, err)
	}
	if tot := totals(t, s, c.ID); tot.Gone != 1 || tot.Outcomes() != 1 {
		t.Errorf("after reconciling: %+v", tot)
	}
	// The outcome turns up after all: it replaces gone.
	if err := s.Settle(ctx, d, care.Outcome{Verdict: care.Allow, Sent: true, At: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FoldOutcomes(ctx, c.ID, 100); err != nil {
		t.Fatal(err)
	}
	if tot := totals(t, s, c.ID); tot.Gone != 0 || tot.Sent != 1 || tot.Outcomes() != 1 {
		t.Errorf("after the outcome: %+v", tot)
	}
	lanes, _ := s.CampaignLanes(ctx, c.ID)
	if p := lanes[care.LaneOf(alice, care.Promotional)]; p.InFlight != 0 {
		t.Errorf("in flight %d, want 0", p.InFlight)
	}
}

func TestScanProspectsOncePerContact(t *testing.T) {
	s, _ := newStore(t)
	const n = 2500 // two HSCAN pages and more
	for i := range n {
		if _, err := s.Import(ctx, care.Address{Channel: care.Telegram, ID: fmt.Sprint(100000 + i)}, care.Contact{Name: "p"}); err != nil {
			t.Fatal(err)
		}
	}
	// One person with two addresses, and two contacts merged into one.
	if _, err := s.Link(ctx, care.Address{Channel: care.Telegram, ID: "100000"}, care.Address{Channel: care.WhatsApp, ID: "6281100000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Link(ctx, care.Address{Channel: care.Telegram, ID: "100001"}, care.Address{Channel: care.Telegram, ID: "100002"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(ctx, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[care.ContactID]int{}
	if err := s.ScanProspects(ctx, time.Hour, func(ps []care.Prospect) error {
		for _, p := range ps {
			seen[p.ID]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != n-1 {
		t.Errorf("scanned %d contacts, want %d", len(seen), n-1)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s scanned %d times", id, k)
		}
	}
}

func TestSetTags(t *testing.T) {
	s, _ := newStore(t)
	mustCommit(t, s, step(alice, "m1", 0))
	tags, err := s.SetTags(ctx, idOf(alice), []string{"VIP", "jakarta"}, nil)
	if err != nil || !slices.Equal(tags, []string{"jakarta", "vip"}) {
		t.Fatalf("SetTags = %v, %v", tags, err)
	}
	if tags, err = s.SetTags(ctx, idOf(alice), []string{"bandung"}, []string{"jakarta"}); err != nil || !slices.Equal(tags, []string{"bandung", "vip"}) {
		t.Fatalf("SetTags = %v, %v", tags, err)
	}
	if _, err := s.SetTags(ctx, idOf(alice), []string{"a;b"}, nil); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("a bad tag: %v", err)
	}
	if _, err := s.SetTags(ctx, care.NewContactID(), []string{"x"}, nil); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("tags of nobody: %v", err)
	}
}

func TestErasureDropsCampaignMarks(t *testing.T) {
	s, client := newStore(t)
	history(t, s, client)
	if err := client.HSet(ctx, s.key(idOf(alice), keyCampaigns), "babcdefgh", "babcdefgh-x").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := client.Exists(ctx, s.key(idOf(alice), keyCampaigns)).Val(); n != 0 {
		t.Errorf("the erased contact's campaign marks survived")
	}
	noTrace(t, s, client)
}
