package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// fakeForgetter records the addresses an erasure asked it to forget.
type fakeForgetter struct {
	mu     sync.Mutex
	forgot []care.Address
}

func (f *fakeForgetter) Forget(_ context.Context, a care.Address) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgot = append(f.forgot, a)
	return nil
}

// history gives alice a past in every key an erasure must clean: a
// profile with her name, an index entry, a transcript, a sent message,
// a dead letter, a held-back message, a cap counter, a hand-over to
// staff (its event and the inbox's indexes) and a staff note, then
// commits her HAPUS DATA and schedules the erasure job.
func history(t *testing.T, s *Store, client redis.UniversalClient) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	id := idOf(alice)
	must(client.HSet(ctx, s.index, alice.String(), string(id)).Err())
	c := step(alice, "m1", 0, "sent to Alice", "failed for Alice", "held for Alice")
	c.Transcript = time.Hour
	c.Contact.Handover = care.Handover{State: care.StateWaiting, Since: t0, Until: t0.Add(time.Hour), FirstWords: "Alice here"}
	c.Events = []care.StaffEvent{{At: t0, Action: care.ActionHandedOver, By: care.ByMitra, Reason: "Alice asked"}}
	mustCommit(t, s, c)
	if _, err := s.Note(ctx, id, "rina", "Alice likes eggs"); err != nil {
		t.Fatal(err)
	}
	ds := mustNext(t, s, "w", 10)
	must(s.Settle(ctx, ds[0], care.Outcome{Verdict: care.Allow, Sent: true}))
	must(s.Settle(ctx, ds[1], care.Outcome{Verdict: care.Allow, Error: "400: chat not found"}))
	must(s.Defer(ctx, ds[2], care.Outcome{Verdict: care.Defer, Reason: "quiet hours", Until: time.Now().Add(time.Hour)}))
	if _, _, err := s.ReserveCap(ctx, id, "p1", 2, time.Hour, time.Now()); err != nil {
		t.Fatal(err)
	}
	must(s.DeadLetterInbound(ctx, id, care.Inbound{Address: alice, MessageID: "bad", Kind: care.KindText, Text: "poison from Alice"}, "test"))
	erase := step(alice, "m2", 1, "Data Anda sudah dihapus.")
	erase.Erase = true
	erase.Contact = care.Contact{ID: id, Version: 1, Addresses: []care.Address{alice}, LastInbound: time.Now(), Erasing: time.Now()}
	erase.Outbound[0].Origin = care.OriginErasure
	erase.Outbound[0].ID = "r-confirmation"
	must(s.Schedule(ctx, care.Job{Kind: care.JobErase, Contact: id, Due: s.now()}))
	mustCommit(t, s, erase)
	conf := mustNext(t, s, "w", 10)
	if len(conf) != 1 || conf[0].Text != "Data Anda sudah dihapus." {
		t.Fatalf("after the erasure the lanes hold %q, want the confirmation", texts(conf))
	}
	if conf[0].Profile.Erasing.IsZero() || !conf[0].Profile.Has(alice) {
		t.Fatalf("the confirmation's profile is %+v, want the erasing stub with the address", conf[0].Profile)
	}
	must(s.Settle(ctx, conf[0], care.Outcome{Verdict: care.Allow, Sent: true}))
	alerts(t, s, id)
}

// alerts queues staff alerts about alice (id) and bob in the staff
// chats' boxes: about alice one that failed (a dead letter), one held
// back, one queued and one that lists both; about bob one queued and
// one held back, which her erasure must leave.
func alerts(t *testing.T, s *Store, id care.ContactID) {
	t.Helper()
	bobID := care.ContactID("cbobbobbobbobbob0")
	alert := func(mid string, a care.Address, text string, held bool, about ...care.ContactID) care.Outbound {
		m := care.Outbound{ID: mid, Address: a, Class: care.StaffAlert, Origin: care.OriginSystem, Text: text, Created: t0, About: about}
		if held {
			m.NotBefore = time.Now().Add(time.Hour)
		}
		return m
	}
	if err := s.QueueStaffChat(ctx, []care.Outbound{alert("al-dead", budiTG, "🔔 Alice: tolong", false, id)}); err != nil {
		t.Fatal(err)
	}
	ds := mustNext(t, s, "w", 10)
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want the alert", len(ds))
	}
	if err := s.Settle(ctx, ds[0], care.Outcome{Verdict: care.Allow, Error: "400: bad request"}); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueStaffChat(ctx, []care.Outbound{
		alert("al-held", rinaTG, "🔔 Alice: tolong", true, id),
		alert("al-queued", budiTG, "🔔 Alice: tolong", false, id),
		alert("al-both", rinaTG, "🔔 Bob, Alice", false, bobID, id),
		alert("bl-queued", rinaTG, "🔔 Bob waits", false, bobID),
		alert("bl-held", budiTG, "🔔 Bob waits", true, bobID),
	}); err != nil {
		t.Fatal(err)
	}
}

// bobsAlerts counts the bodies of the alerts about bob that alerts
// queued, wherever they wait.
func bobsAlerts(t *testing.T, s *Store, client redis.UniversalClient) int {
	t.Helper()
	n := 0
	for _, k := range client.Keys(ctx, s.prefix+"*").Val() {
		if client.Type(ctx, k).Val() != "hash" {
			continue
		}
		for _, v := range client.HGetAll(ctx, k).Val() {
			if strings.Contains(v, "Bob waits") {
				n++
			}
		}
	}
	return n
}

// noTrace checks that no key name or value under the prefix holds
// alice's address, name or texts: only the salted suppression hash is
// left of her.
func noTrace(t *testing.T, s *Store, client redis.UniversalClient) {
	t.Helper()
	secrets := []string{alice.ID, "Alice"}
	keys := client.Keys(ctx, s.prefix+"*").Val()
	for _, k := range keys {
		var v string
		switch client.Type(ctx, k).Val() {
		case "string":
			v = client.Get(ctx, k).Val()
		case "hash":
			v = fmt.Sprint(client.HGetAll(ctx, k).Val())
		case "list":
			v = fmt.Sprint(client.LRange(ctx, k, 0, -1).Val())
		case "zset":
			v = fmt.Sprint(client.ZRange(ctx, k, 0, -1).Val())
		case "stream":
			v = fmt.Sprint(client.XRange(ctx, k, "-", "+").Val())
		}
		for _, secret := range secrets {
			if strings.Contains(k, secret) || strings.Contains(v, secret) {
				t.Errorf("%s still holds %q: %.200s", k, secret, v)
			}
		}
		if strings.Contains(k, string(idOf(alice))) {
			t.Errorf("key %s of the erased contact survived", k)
		}
	}
	if at, err := s.Suppressed(ctx, alice); err != nil || at.IsZero() {
		t.Errorf("suppressed = %v, %v; want the salted hash kept", at, err)
	}
}

func TestErasureLeavesNoTrace(t *testing.T) {
	s, client := newStore(t)
	history(t, s, client)
	forget := &fakeForgetter{}
	n, err := s.Sweep(ctx, []care.Forgetter{forget})
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want the erasure done", n, err)
	}
	noTrace(t, s, client)
	if n := bobsAlerts(t, s, client); n != 2 {
		t.Errorf("%d alerts about bob left, want both", n)
	}
	if later := client.ZCard(ctx, s.later).Val(); later != 1 {
		t.Errorf("%d held-back members left, want bob's", later)
	}
	if len(forget.forgot) != 1 || forget.forgot[0] != alice {
		t.Errorf("channels asked to forget %v, want alice", forget.forgot)
	}
	if jobs, _ := s.Jobs(ctx); len(jobs) != 0 {
		t.Errorf("jobs left: %v", jobs)
	}
}

// TestErasureSurvivesACrashAtEachStep stops the erasure job at each of
// its steps, as a process dying there would, and starts it again later:
// the erasure completes and leaves nothing behind.
func TestErasureSurvivesACrashAtEachStep(t *testing.T) {
	for _, crash := range []JobStep{StepEraseSuppress, StepEraseShared, StepEraseAbout, StepEraseForget, StepEraseKeys} {
		t.Run(string(crash), func(t *testing.T) {
			now := time.Now()
			var mu sync.Mutex
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			s, client := newStore(t, WithClock(clock))
			history(t, s, client)
			died := errors.New("process died")
			reached := false
			_, err := s.sweep(ctx, nil, func(step JobStep) error {
				if step == crash {
					reached = true
					return died
				}
				return nil
			})
			if !errors.Is(err, died) || !reached {
				t.Fatalf("the first run did not stop at %s: %v", crash, err)
			}
			if n, _ := s.Sweep(ctx, nil); n != 0 {
				t.Fatalf("the job ran again while its claim held")
			}
			mu.Lock()
			now = now.Add(2 * jobLease)
			mu.Unlock()
			if n, err := s.Sweep(ctx, nil); err != nil || n != 1 {
				t.Fatalf("restart: Sweep = %d, %v", n, err)
			}
			noTrace(t, s, client)
			if n := bobsAlerts(t, s, client); n != 2 {
				t.Errorf("%d alerts about bob left, want both", n)
			}
		})
	}
}
