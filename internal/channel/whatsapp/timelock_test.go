package whatsapp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/mitra-care/mitra/internal/care"
)

// WhatsApp refusing a message with 463 (reach-out timelock) did not take
// it: it comes back later, what the shop starts pauses, staff are told
// until when, and replies still go.
func TestTimelockRefusal(t *testing.T) {
	hs := newHarness(t)
	hs.client.onWA["6287700001111"] = true
	hs.client.onWA["6287700002222"] = true
	hs.c.onEvent(message("M1", sariJID, sariJID, text("halo")))
	hs.client.sendErr = fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 463)
	err := hs.c.Send(t.Context(), outbound("6287700001111", care.Promotional, "Diskon!"))
	after, ok := care.RetryAfter(err)
	if !ok || !strings.Contains(err.Error(), "463") {
		t.Fatalf("Send = %v, want a RetryAfterError naming 463", err)
	}
	until := hs.clock.now().Add(after)
	if len(hs.alerts) != 1 || hs.alerts[0].Kind != AlertTimelock || !hs.alerts[0].Until.Equal(until) {
		t.Fatalf("alerts = %+v, want one timelock until %s", hs.alerts, until)
	}
	if sent, _, _ := hs.c.pacer.usage(); sent != 0 {
		t.Errorf("the refused message counts against the day's cap: %d", sent)
	}
	hs.client.sendErr = nil
	hs.clock.advance(time.Minute)
	err = hs.c.Send(t.Context(), outbound("6287700002222", care.Promotional, "Diskon!"))
	if _, ok := care.RetryAfter(err); !ok || !strings.Contains(err.Error(), "paused") {
		t.Errorf("a promotion during the timelock: %v, want it paused", err)
	}
	if err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "ok")); err != nil {
		t.Errorf("a reply during the timelock: %v", err)
	}
}

func TestTimelockNotice(t *testing.T) {
	tests := []struct {
		name   string
		evt    *events.NotifyAccountReachoutTimelock
		alerts int
		until  time.Duration // after now
	}{
		{"active, with its end", func() *events.NotifyAccountReachoutTimelock {
			e := &events.NotifyAccountReachoutTimelock{IsActive: true}
			e.TimeEnforcementEnds.Time = startTime.Add(3 * time.Hour)
			return e
		}(), 1, 3 * time.Hour},
		{"active, no end said", &events.NotifyAccountReachoutTimelock{IsActive: true}, 1, timelockFallback},
		{"lifted", &events.NotifyAccountReachoutTimelock{IsActive: false}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			hs.c.onEvent(tt.evt)
			if len(hs.alerts) != tt.alerts {
				t.Fatalf("alerts = %+v, want %d", hs.alerts, tt.alerts)
			}
			_, _, paused := hs.c.pacer.usage()
			if tt.alerts == 0 {
				if !paused.IsZero() {
					t.Errorf("paused until %s, want no pause", paused)
				}
				return
			}
			want := startTime.Add(tt.until)
			if !hs.alerts[0].Until.Equal(want) || !paused.Equal(want) {
				t.Errorf("alert until %s, paused until %s; want %s", hs.alerts[0].Until, paused, want)
			}
		})
	}
}
