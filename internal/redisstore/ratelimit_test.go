package redisstore

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestRateHoldsInEveryWindow books many sends at once from many
// goroutines and checks the booked moments: never more than the rate in
// any window of its period, overall and per chat, and each booking cost
// one command (no polling).
func TestRateHoldsInEveryWindow(t *testing.T) {
	s, _ := newStore(t)
	overall := care.Rate{N: 30, Per: time.Second}
	perChat := care.Rate{N: 1, Per: time.Second}
	const chats, each = 20, 3
	var mu sync.Mutex
	at := map[string][]time.Time{}
	var wg sync.WaitGroup
	// Load the script and open the pool's connections first, so the
	// count below is of bookings alone.
	var warm sync.WaitGroup
	for range chats * each {
		warm.Go(func() {
			if _, _, err := s.Reserve(ctx, []care.Limit{{Key: "whatsapp:warm", Rate: care.Rate{N: 1000, Per: time.Second}}}, time.Minute); err != nil {
				t.Error(err)
			}
		})
	}
	warm.Wait()
	start := time.Now()
	trips := s.RoundTrips()
	for c := range chats {
		for range each {
			wg.Go(func() {
				chat := "telegram:c" + string(rune('a'+c))
				wait, ok, err := s.Reserve(ctx, []care.Limit{{Key: "telegram", Rate: overall}, {Key: chat, Rate: perChat}}, time.Minute)
				if err != nil || !ok {
					t.Errorf("Reserve = %s, %t, %v", wait, ok, err)
					return
				}
				when := time.Now().Add(wait)
				mu.Lock()
				at["all"] = append(at["all"], when)
				at[chat] = append(at[chat], when)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if n := s.RoundTrips() - trips; n != chats*each {
		t.Errorf("%d round trips for %d bookings, want one each", n, chats*each)
	}
	for key, times := range at {
		limit := perChat.N
		if key == "all" {
			limit = overall.N
		}
		slices.SortFunc(times, time.Time.Compare)
		for i := range times {
			// The sends within one period starting at this one.
			n := 0
			for _, u := range times[i:] {
				if u.Sub(times[i]) < time.Second {
					n++
				}
			}
			if n > limit {
				t.Fatalf("%s: %d sends in the second from %s, want at most %d", key, n, times[i].Sub(start), limit)
			}
		}
	}
	// Beyond the longest wait the caller accepts, nothing is booked.
	if wait, ok, err := s.Reserve(ctx, []care.Limit{{Key: "telegram:ca", Rate: perChat}}, time.Millisecond); ok || err != nil || wait <= 0 {
		t.Errorf("Reserve beyond the max wait = %s, %t, %v; want not booked with the wait", wait, ok, err)
	}
	if _, _, err := s.Reserve(ctx, []care.Limit{{Key: "telegram", Rate: overall}, {Key: "whatsapp", Rate: overall}}, time.Second); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("Reserve across channels = %v, want invalid", err)
	}
}

// TestReserveSteps: the sends of one reservation are booked one after
// the other, the later ones while they come within the spread of the
// first; one a chat's limit holds back longer is not booked, so the
// channel's overall limit stays free for the other chats.
func TestReserveSteps(t *testing.T) {
	s, _ := newStore(t)
	overall, perChat := care.Rate{N: 30, Per: time.Second}, care.Rate{N: 1, Per: time.Second}
	limits := func(ch, chat string) []care.Limit {
		return []care.Limit{{Key: ch, Rate: overall}, {Key: ch + ":" + chat, Rate: perChat}}
	}
	b := s.ReserveAll(ctx, []care.Reservation{{Limits: limits("telegram", "cx"), MaxWait: 2 * time.Second, N: 3, Spread: 1500 * time.Millisecond}})[0]
	if b.Err != nil || b.OK || len(b.Waits) != 2 {
		t.Fatalf("booking 3 sends at 1/s a chat, spread 1.5 s = %+v, want 2 booked", b)
	}
	if b.Waits[0] != 0 || b.Waits[1] < time.Second || b.Waits[1] > 1100*time.Millisecond {
		t.Errorf("waits %v, want 0 then about a second", b.Waits)
	}
	if b.Wait < 2*time.Second || b.Wait > 2200*time.Millisecond {
		t.Errorf("the third would wait %v, want about 2 s", b.Wait)
	}
	b = s.ReserveAll(ctx, []care.Reservation{{Limits: limits("whatsapp", "cy"), MaxWait: 2 * time.Second, N: 2, Spread: 250 * time.Millisecond}})[0]
	if b.Err != nil || b.OK || len(b.Waits) != 1 || b.Wait < time.Second {
		t.Fatalf("booking 2 sends at 1/s a chat, spread 250 ms = %+v, want the first booked, the second needing a second", b)
	}
	// The chat's next step, at once: its first send is not booked
	// either, though it is within the max wait, since the chat's limit
	// holds it back a second past the overall limit's next moment.
	b = s.ReserveAll(ctx, []care.Reservation{{Limits: limits("whatsapp", "cy"), MaxWait: 2 * time.Second, N: 1, Spread: 250 * time.Millisecond}})[0]
	if b.Err != nil || b.OK || len(b.Waits) != 0 || b.Wait < 900*time.Millisecond {
		t.Fatalf("booking the chat's next step = %+v, want nothing booked, needing about a second", b)
	}
	// Another chat is not kept waiting by the sends that were not
	// booked: only the overall limit's interval after the first.
	wait, ok, err := s.Reserve(ctx, limits("whatsapp", "cz"), time.Minute)
	if err != nil || !ok || wait > 100*time.Millisecond {
		t.Errorf("another chat waits %v (ok %v, %v); want at most the overall interval", wait, ok, err)
	}
}

// TestReserveManyInOneCall: the reservations of one channel are booked
// in one script call, one after the other under the shared limit; each
// channel's in its own call.
func TestReserveManyInOneCall(t *testing.T) {
	s, client := newStore(t)
	calls := &scriptCalls{sha: reserveScript.Hash()}
	client.AddHook(calls)
	overall, perChat := care.Rate{N: 10, Per: time.Second}, care.Rate{N: 1, Per: time.Second}
	var reqs []care.Reservation
	for _, chat := range []string{"a", "b", "c"} {
		reqs = append(reqs, care.Reservation{Limits: []care.Limit{{Key: "whatsapp", Rate: overall}, {Key: "whatsapp:" + chat, Rate: perChat}}, MaxWait: time.Second, Spread: 250 * time.Millisecond})
	}
	reqs = append(reqs, care.Reservation{Limits: []care.Limit{{Key: "telegram", Rate: overall}}, MaxWait: time.Second})
	bs := s.ReserveAll(ctx, reqs)
	if n := calls.n.Load(); n != 2 {
		t.Errorf("four reservations on two channels took %d script calls, want 2", n)
	}
	step := time.Duration(interval(overall)) * time.Microsecond
	for i, want := range []time.Duration{0, step, 2 * step, 0} {
		b := bs[i]
		if b.Err != nil || !b.OK || len(b.Waits) != 1 || b.Wait < want-time.Millisecond || b.Wait > want+20*time.Millisecond {
			t.Errorf("reservation %d = %+v, want booked to wait about %v", i, b, want)
		}
	}
}
