package whatsapp

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/mitra-care/mitra/internal/care"
)

// presenceCalls is what the channel told WhatsApp about the number being
// online, in order.
func presenceCalls(hs *harness) []string {
	var out []string
	for _, c := range hs.client.log() {
		if state, ok := strings.CutPrefix(c, "presence "); ok {
			out = append(out, state)
		}
	}
	return out
}

// The number is offline at rest, so the shop's phone keeps ringing: it
// goes online once before messages go out and offline again
// presenceIdle after the last one, whatever became of it.
func TestPresence(t *testing.T) {
	type step func(t *testing.T, hs *harness)
	reply := func(t *testing.T, hs *harness) {
		t.Helper()
		if err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "Baik kak")); err != nil {
			t.Fatalf("Send = %v", err)
		}
	}
	replyFails := func(t *testing.T, hs *harness) {
		t.Helper()
		if err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "Baik kak")); err == nil {
			t.Fatal("Send succeeded, want it to fail")
		}
	}
	elapse := func(d time.Duration) step {
		return func(_ *testing.T, hs *harness) { hs.clock.advance(d) }
	}
	on := func(evt any) step {
		return func(_ *testing.T, hs *harness) { hs.c.onEvent(evt) }
	}
	// begin and end bracket a message going out, for overlapping ones.
	begin := func(t *testing.T, hs *harness) { hs.c.available(t.Context(), hs.client) }
	end := func(_ *testing.T, hs *harness) { hs.c.idle() }

	const available, unavailable = "available", "unavailable"
	tests := []struct {
		name  string
		setup func(hs *harness)
		steps []step
		want  []string
	}{
		{name: "offline after connecting", steps: []step{on(&events.Connected{})}, want: []string{unavailable}},
		{name: "a new push name repeats it", steps: []step{on(&events.PushNameSetting{})}, want: []string{unavailable}},
		{
			name:  "nothing else sends presence",
			steps: []step{on(&events.Disconnected{}), on(&events.KeepAliveRestored{}), on(message("M1", sariJID, sariJID, text("halo")))},
		},
		{name: "online for a message, offline once idle", steps: []step{reply, elapse(presenceIdle)}, want: []string{available, unavailable}},
		{name: "online until the idle time is up", steps: []step{reply, elapse(presenceIdle - time.Millisecond)}, want: []string{available}},
		{name: "a burst goes online once", steps: []step{reply, reply, reply, elapse(presenceIdle)}, want: []string{available, unavailable}},
		{
			// time.AfterFunc's Stop is too late once the function started.
			name: "a return to rest that could not be stopped does nothing",
			setup: func(hs *harness) {
				hs.c.afterFunc = func(d time.Duration, f func()) func() bool {
					hs.clock.afterFunc(d, f)
					return func() bool { return false }
				}
			},
			steps: []step{reply, reply, elapse(presenceIdle - time.Millisecond)},
			want:  []string{available},
		},
		{
			name:  "online again after a rest",
			steps: []step{reply, elapse(presenceIdle), reply, elapse(presenceIdle)},
			want:  []string{available, unavailable, available, unavailable},
		},
		{
			name:  "offline after a message that failed",
			setup: func(hs *harness) { hs.client.sendErr = whatsmeow.ErrMessageTimedOut },
			steps: []step{replyFails, elapse(presenceIdle)},
			want:  []string{available, unavailable},
		},
		{
			name:  "no presence for a message that cannot go",
			setup: func(hs *harness) { hs.c.setStatus(StatusReconnecting, "") },
			steps: []step{replyFails, elapse(presenceIdle)},
		},
		{
			name:  "overlapping messages: offline after the last",
			steps: []step{begin, begin, end, elapse(presenceIdle), end, elapse(presenceIdle - time.Millisecond)},
			want:  []string{available},
		},
		{
			name:  "overlapping messages: offline once both went",
			steps: []step{begin, begin, end, elapse(presenceIdle), end, elapse(presenceIdle)},
			want:  []string{available, unavailable},
		},
		{
			name:  "reconnected while idle: offline at once, not twice",
			steps: []step{reply, on(&events.Connected{}), elapse(presenceIdle)},
			want:  []string{available, unavailable},
		},
		{
			name:  "connection lost while idle: it took the number offline",
			steps: []step{reply, on(&events.Disconnected{}), elapse(presenceIdle)},
			want:  []string{available},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			if tt.setup != nil {
				tt.setup(hs)
			}
			for _, s := range tt.steps {
				s(t, hs)
			}
			if got := presenceCalls(hs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("presence %q, want %q", got, tt.want)
			}
		})
	}
}

// Messages going out at once, to different chats, share one time online:
// presence alternates, starting online and ending offline.
func TestPresenceConcurrentSends(t *testing.T) {
	hs := newHarness(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := hs.c.Send(t.Context(), outbound(fmt.Sprintf("62812000000%02d", i), care.Reply, "Baik kak")); err != nil {
				t.Errorf("Send = %v", err)
			}
		})
	}
	wg.Wait()
	hs.clock.advance(presenceIdle)
	got := presenceCalls(hs)
	if len(got) == 0 || len(got)%2 != 0 {
		t.Fatalf("presence %q, want online and offline in pairs", got)
	}
	for i, state := range got {
		if want := []string{"available", "unavailable"}[i%2]; state != want {
			t.Fatalf("presence %q: call %d is %s, want %s", got, i, state, want)
		}
	}
	if n := countSends(hs); n != 8 {
		t.Errorf("%d messages sent, want 8", n)
	}
}
