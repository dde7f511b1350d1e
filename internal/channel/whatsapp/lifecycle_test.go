package whatsapp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/mitra-care/mitra/internal/care"
)

func TestLifecycle(t *testing.T) {
	tests := []struct {
		name      string
		evt       any
		status    Status
		alert     AlertKind // "" none
		until     time.Time
		stopErr   error         // Run stops with it
		reconnect time.Duration // or reconnects after it
		sendWait  string        // a Send now is refused, saying this
		logs      string
	}{
		{name: "connected", evt: &events.Connected{}, status: StatusConnected},
		{name: "connection lost", evt: &events.Disconnected{}, status: StatusReconnecting, sendWait: "connecting"},
		{
			name: "logged out from the phone", evt: &events.LoggedOut{Reason: events.ConnectFailureLoggedOut},
			status: StatusLoggedOut, alert: AlertLoggedOut, stopErr: ErrLoggedOut, sendWait: "mitra whatsapp pair",
		},
		{
			name: "banned for good", evt: &events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureUnknownLogout},
			status: StatusLoggedOut, alert: AlertLoggedOut, stopErr: ErrLoggedOut, sendWait: "mitra whatsapp pair",
		},
		{
			name: "another process took the session", evt: &events.StreamReplaced{},
			status: StatusReplaced, alert: AlertReplaced, stopErr: ErrReplaced, sendWait: "another process",
		},
		{
			name: "temporary ban", evt: &events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: 2 * time.Hour},
			status: StatusBanned, alert: AlertBanned, until: startTime.Add(2 * time.Hour), reconnect: 2 * time.Hour, sendWait: "temporarily banned",
		},
		{
			name: "temporary ban of unknown length", evt: &events.TemporaryBan{Code: events.TempBanBlockedByUsers},
			status: StatusBanned, alert: AlertBanned, until: startTime.Add(banFallback), reconnect: banFallback, sendWait: "temporarily banned",
		},
		{
			name: "client outdated", evt: &events.ClientOutdated{},
			status: StatusOutdated, alert: AlertOutdated, stopErr: ErrOutdated, sendWait: "update Mitra",
			logs: "update go.mau.fi/whatsmeow",
		},
		{name: "connect failure", evt: &events.ConnectFailure{Reason: events.ConnectFailureGeneric, Message: "?"}, status: StatusReconnecting, reconnect: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			if !hs.c.onEvent(tt.evt) {
				t.Error("event not acknowledged")
			}
			if st := hs.c.State(); st.Status != tt.status {
				t.Errorf("status %s, want %s", st.Status, tt.status)
			}
			alerts := hs.takeAlerts()
			switch {
			case tt.alert == "" && len(alerts) > 0:
				t.Errorf("alerts %+v, want none", alerts)
			case tt.alert != "" && (len(alerts) != 1 || alerts[0].Kind != tt.alert || !alerts[0].Until.Equal(tt.until) || alerts[0].Message == ""):
				t.Errorf("alerts %+v, want one %s until %v", alerts, tt.alert, tt.until)
			}
			s, ok := hs.takeSignal()
			switch {
			case tt.stopErr != nil && (!ok || !errors.Is(s.err, tt.stopErr)):
				t.Errorf("signal %+v, want Run stopped with %v", s, tt.stopErr)
			case tt.reconnect != 0 && (!ok || s.err != nil || s.wait != tt.reconnect):
				t.Errorf("signal %+v, want a reconnect after %v", s, tt.reconnect)
			case tt.stopErr == nil && tt.reconnect == 0 && ok:
				t.Errorf("signal %+v, want none", s)
			}
			if tt.sendWait != "" {
				err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "halo"))
				if _, retry := care.RetryAfter(err); !retry || !strings.Contains(err.Error(), tt.sendWait) {
					t.Errorf("Send = %v, want a RetryAfterError saying %q", err, tt.sendWait)
				}
				if n := countSends(hs); n != 0 {
					t.Errorf("%d messages sent", n)
				}
			}
			if tt.logs != "" && !strings.Contains(hs.logged(), tt.logs) {
				t.Errorf("logs do not say %q:\n%s", tt.logs, hs.logged())
			}
		})
	}
}

// A ban holds back messages the shop starts until it expires, even once
// connected again; the all-clear follows the reconnection.
func TestBanThenReconnect(t *testing.T) {
	hs := newHarness(t)
	hs.client.onWA["6287700001111"] = true
	hs.c.onEvent(&events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: 2 * time.Hour})
	hs.takeAlerts()
	hs.c.onEvent(&events.Connected{})
	if a := hs.takeAlerts(); len(a) != 1 || a[0].Kind != AlertResolved {
		t.Errorf("alerts %+v, want the all-clear", a)
	}
	if st := hs.c.State(); !st.PausedUntil.Equal(startTime.Add(2 * time.Hour)) {
		t.Errorf("paused until %v", st.PausedUntil)
	}
	err := hs.c.Send(t.Context(), outbound("6287700001111", care.Promotional, "Diskon!"))
	if after, ok := care.RetryAfter(err); !ok || after != 2*time.Hour {
		t.Errorf("promotion during the ban: %v, want RetryAfter 2h", err)
	}
	if err := hs.c.Send(t.Context(), outbound("6281234567890", care.Reply, "halo")); err != nil {
		t.Errorf("reply once connected: %v", err)
	}
	hs.clock.advance(2 * time.Hour)
	if err := hs.c.Send(t.Context(), outbound("6287700001111", care.Promotional, "Diskon!")); err != nil {
		t.Errorf("promotion after the ban: %v", err)
	}
	if a := hs.takeAlerts(); len(a) != 0 {
		t.Errorf("alerts %+v, want none", a)
	}
}

// Run's loop reconnects after a ban and stops for good on logout.
func TestLoop(t *testing.T) {
	hs := newHarness(t)
	connected := make(chan int)
	hs.client.connected = connected
	var waits []time.Duration
	hs.c.after = func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}
	done := make(chan error, 1)
	go func() { done <- hs.c.loop(t.Context(), hs.client) }()

	<-connected
	hs.c.onEvent(&events.TemporaryBan{Code: events.TempBanSentTooManySameMessage, Expire: 30 * time.Minute})
	if n := <-connected; n != 2 {
		t.Errorf("connect #%d after the ban, want #2", n)
	}
	hs.c.onEvent(&events.LoggedOut{Reason: events.ConnectFailureLoggedOut})
	err := <-done
	if !errors.Is(err, ErrLoggedOut) || !strings.Contains(err.Error(), "mitra whatsapp pair") {
		t.Errorf("loop = %v, want ErrLoggedOut", err)
	}
	if len(waits) != 1 || waits[0] != 30*time.Minute {
		t.Errorf("waited %v, want the ban's 30m", waits)
	}
	want := []string{"connect", "disconnect", "connect", "disconnect"}
	if got := hs.client.log(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("WhatsApp was asked %v, want %v", got, want)
	}
}

func TestLoopStopsWithContext(t *testing.T) {
	hs := newHarness(t)
	hs.client.connectErr = errors.New("handshake failed")
	ctx, cancel := context.WithCancel(t.Context())
	connected := make(chan int)
	hs.client.connected = connected
	never := make(chan time.Time)
	hs.c.after = func(time.Duration) <-chan time.Time { return never }
	done := make(chan error, 1)
	go func() { done <- hs.c.loop(ctx, hs.client) }()
	<-connected
	cancel()
	if err := <-done; err != nil {
		t.Errorf("loop = %v, want nil when ctx ends", err)
	}
	if st := hs.c.State(); st.Status != StatusStopped {
		t.Errorf("status %s, want stopped", st.Status)
	}
}
