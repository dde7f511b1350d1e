package redisstore

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// TestMigrateVersion1 writes records as the previous version did (a
// contact named after its address, one shared queue, a person link) and
// checks that start-up moves them, and that running it again changes
// nothing.
func TestMigrateVersion1(t *testing.T) {
	s, client := newStore(t)
	p := s.prefix
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	v1 := func(id, person string, granted bool) {
		prof, _ := json.Marshal(map[string]any{"id": id, "name": "Sari", "first_seen": t0, "last_inbound": t0, "person": person,
			"consent": map[string]any{"promotions": map[string]any{"granted": granted, "at": t0, "source": "flow"}}})
		must(client.Set(ctx, p+":{c:"+id+"}:p", prof, 0).Err())
		must(client.Set(ctx, p+":{c:"+id+"}:s", `3|{"f":"menu","s":"start","u":"2026-05-04T09:00:00Z"}`, time.Hour).Err())
		must(client.XAdd(ctx, &redis.XAddArgs{Stream: p + ":{c:" + id + "}:consent", Values: []string{"e", `{"purpose":"promotions","granted":true}`}}).Err())
		must(client.XAdd(ctx, &redis.XAddArgs{Stream: p + ":{c:" + id + "}:log", Values: []string{"e", "text\x1fhalo\x1fHalo Sari!"}}).Err())
		must(client.ZAdd(ctx, p+":{c:"+id+"}:in", redis.Z{Score: 1, Member: "m1"}).Err())
	}
	v1("wa.6281234500001", "sari", true)
	v1("tg.5550001", "sari", false)
	body, _ := json.Marshal(care.Outbound{ID: "r1", Contact: "wa.6281234500001", Address: phone, Class: care.Reply, Text: "menunggu", Created: t0})
	must(client.HSet(ctx, p+":{c:wa.6281234500001}:o", "r1", body).Err())
	must(client.XAdd(ctx, &redis.XAddArgs{Stream: p + ":{o}:queue", Values: []string{"c", "wa.6281234500001", "m", "r1"}}).Err())
	must(client.XAdd(ctx, &redis.XAddArgs{Stream: p + ":audit", Values: []string{"c", "wa.6281234500001", "m", "r0", "verdict", "allow"}}).Err())

	n, err := s.Migrate(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Migrate = %d, %v; want 2 contacts moved", n, err)
	}
	if n, err := s.Sweep(ctx, nil); err != nil || n != 1 {
		t.Fatalf("the link of version 1's person: Sweep = %d, %v", n, err)
	}
	id, ok, err := s.Lookup(ctx, phone)
	if err != nil || !ok {
		t.Fatalf("look up the migrated number: %v, %v", ok, err)
	}
	if tg, _, _ := s.Lookup(ctx, tgID); tg != id {
		t.Errorf("the linked Telegram chat is %s, want the person %s", tg, id)
	}
	c, _, err := s.Contact(ctx, id)
	if err != nil || c.Name != "Sari" || !c.Has(phone) || !c.Has(tgID) {
		t.Errorf("migrated profile %+v, %v", c, err)
	}
	conv, err := s.Load(ctx, id, "m1")
	if err != nil || !conv.Seen || conv.Session.Version != 3 {
		t.Errorf("migrated conversation %+v, %v", conv, err)
	}
	if rec, err := s.Records(ctx, id); err != nil || len(rec.Transcript) != 4 || len(rec.Consent) != 2 {
		t.Errorf("migrated records %+v, %v", rec, err)
	}
	ds := mustNext(t, s, "w", 10)
	if len(ds) != 1 || ds[0].Text != "menunggu" || ds[0].Contact != id {
		t.Errorf("migrated queue %+v, want the waiting message under %s", ds, id)
	}
	keys := client.Keys(ctx, p+":{c:wa.*").Val()
	keys = append(keys, client.Keys(ctx, p+":{c:tg.*").Val()...)
	if len(keys) != 0 {
		t.Errorf("version 1 keys left: %v", keys)
	}
	for _, e := range client.XRange(ctx, s.audit, "-", "+").Val() {
		named, _ := e.Values["c"].(string)
		if c, _, _ := s.Contact(ctx, care.ContactID(named)); c.ID != id {
			t.Errorf("audit entry %v names %s, want the person %s (or a contact merged into it)", e.Values, named, id)
		}
	}
	if n, err := s.Migrate(ctx); err != nil || n != 0 {
		t.Errorf("second Migrate = %d, %v; want nothing to do", n, err)
	}
}
