package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/mitra-care/mitra/internal/backoff"
)

// Run connects the paired number and keeps it connected until ctx ends,
// then disconnects and returns nil. It returns an error wrapping
// ErrNotPaired when no phone is linked, and ErrLoggedOut, ErrReplaced or
// ErrOutdated when WhatsApp ends the session for a reason only a person
// can fix; Send keeps refusing with a clear reason after that. Such an
// error stops WhatsApp only: the rest of Mitra can keep running.
//
// With a Config.Leaser, Run first waits for the lease (see the package
// documentation) and releases it when it returns.
//
// A temporary ban pauses everything until it expires, then Run connects
// again. Dropped connections are whatsmeow's to restore.
func (c *Channel) Run(ctx context.Context) error {
	if c.cfg.Store == nil {
		return errors.New("whatsapp: no device store (Config.Store)")
	}
	// Not paired is said at once, not after waiting for a lease.
	if _, err := c.pairedDevice(ctx); err != nil {
		return err
	}
	return c.leased(ctx, c.session)
}

// pairedDevice reads the device from the store, or says it is not
// paired.
func (c *Channel) pairedDevice(ctx context.Context) (*store.Device, error) {
	dev, err := c.cfg.Store.device(ctx)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: %w", err)
	}
	if dev.ID == nil {
		c.setStatus(StatusNotPaired, "")
		return nil, fmt.Errorf("whatsapp: %w", ErrNotPaired)
	}
	return dev, nil
}

// session connects and stays connected until ctx ends or WhatsApp ends
// the session. It reads the device and the pacing afresh: a process that
// stood by takes over what the previous holder of the lease left.
func (c *Channel) session(ctx context.Context) error {
	dev, err := c.pairedDevice(ctx)
	if err != nil {
		return err
	}
	pairedAt, err := c.cfg.Store.pairedAt(ctx, *dev.ID, c.cfg.Now())
	if err != nil {
		return fmt.Errorf("whatsapp: %w", err)
	}
	c.pacer.setPairedAt(pairedAt)
	c.mu.Lock()
	c.state.PairedAt = pairedAt
	c.mu.Unlock()
	if st, err := c.cfg.Store.loadPacing(ctx); err != nil {
		c.log.Warn("reading the pacing state failed; today's count starts at 0", "err", err)
	} else {
		c.pacer.restore(st)
	}

	prepare(ctx, c.log)
	client := whatsmeow.NewClient(dev, newWALogger(c.log, c.cfg.Pseudonyms))
	// Acknowledge a message only once the handler took it, and keep its
	// decrypted text until then (see the package documentation).
	client.SynchronousAck = true
	client.EnableDecryptedEventBuffer = true
	client.EnableAutoReconnect = true
	client.InitialAutoReconnect = true
	c.attach(ctx, client, dev, dev.LIDs)
	id := client.AddEventHandlerWithSuccessStatus(c.onEvent)
	defer client.RemoveEventHandler(id)

	workCtx, stopWork := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.drain(workCtx)
	}()
	defer func() {
		stopWork()
		<-done
	}()
	c.log.Info("connecting to WhatsApp", "number", c.who(phoneAddress(dev.ID.User)), "paired_at", pairedAt, "web_version", store.GetWAVersion().String())
	return c.loop(ctx, client)
}

// signal tells Run what a lifecycle event means for the connection.
type signal struct {
	err  error         // stop with this error
	wait time.Duration // or disconnect and connect again after this
}

// loop connects and reacts to lifecycle signals until ctx ends or
// WhatsApp ends the session.
func (c *Channel) loop(ctx context.Context, client waClient) error {
	var retry <-chan time.Time
	b := backoff.New(5*time.Second, 5*time.Minute)
	connect := func() {
		c.setStatus(StatusConnecting, "")
		err := client.ConnectContext(ctx)
		switch {
		case err == nil:
			b.Reset()
		case errors.Is(err, store.ErrDeviceDeleted):
			c.signal(signal{err: ErrLoggedOut})
		default:
			// whatsmeow's errors name the number by JID.
			msg := redact(c.cfg.Pseudonyms, err.Error())
			wait := b.Advance()
			c.log.Warn("connecting to WhatsApp failed, trying again", "in", wait, "err", msg)
			c.setStatus(StatusReconnecting, msg)
			retry = c.after(wait)
		}
	}
	connect()
	for {
		select {
		case <-ctx.Done():
			client.Disconnect()
			c.setStatus(StatusStopped, "")
			return nil
		case s := <-c.signals:
			client.Disconnect()
			if s.err != nil {
				return fmt.Errorf("whatsapp: %w", s.err)
			}
			retry = c.after(s.wait)
		case <-retry:
			retry = nil
			connect()
		}
	}
}

// signal passes s to Run without ever blocking whatsmeow's goroutine: a
// full queue already holds a reason to act.
func (c *Channel) signal(s signal) {
	select {
	case c.signals <- s:
	default:
	}
}

// onEvent is the whatsmeow event handler. It returns whether whatsmeow
// may acknowledge the event; only messages can say no.
func (c *Channel) onEvent(evt any) bool {
	switch e := evt.(type) {
	case *events.Message:
		return c.onMessage(e)
	case *events.Connected:
		c.setStatus(StatusConnected, "")
		c.log.Info("connected to WhatsApp")
		c.resolve()
		c.announce()
	case *events.PushNameSetting:
		// The number's name arrived or changed: presence carries it.
		c.announce()
	case *events.Disconnected:
		c.setStatus(StatusReconnecting, "connection lost")
		c.log.Warn("WhatsApp connection lost; reconnecting")
	case *events.KeepAliveTimeout:
		c.log.Warn("WhatsApp is not answering keep-alives", "errors", e.ErrorCount, "last_success", e.LastSuccess)
	case *events.KeepAliveRestored:
		c.log.Info("WhatsApp answers keep-alives again")
	case *events.LoggedOut:
		c.setStatus(StatusLoggedOut, e.Reason.String())
		c.log.Error("WhatsApp logged this device out; sending stopped", "reason", e.Reason.String(), "on_connect", e.OnConnect)
		c.raise(AlertLoggedOut, "WhatsApp unlinked Mitra from the shop's number ("+e.Reason.String()+"). Nothing is sent on WhatsApp until someone runs `mitra whatsapp pair` again.", time.Time{})
		c.signal(signal{err: ErrLoggedOut})
	case *events.StreamReplaced:
		c.setStatus(StatusReplaced, "another process connected with this session")
		c.log.Error("another process connected with this WhatsApp session; this one stops")
		c.raise(AlertReplaced, "Another Mitra (or another program) connected with this WhatsApp session, so this one stopped. Keep one process per number.", time.Time{})
		c.signal(signal{err: ErrReplaced})
	case *events.TemporaryBan:
		c.onBan(e)
	case *events.NotifyAccountReachoutTimelock:
		c.onTimelock(e)
	case *events.ClientOutdated:
		c.setStatus(StatusOutdated, "update whatsmeow")
		c.log.Error("WhatsApp refuses this client as outdated (405): update go.mau.fi/whatsmeow and rebuild",
			"whatsmeow", whatsmeowVersion(), "web_version", store.GetWAVersion().String())
		c.raise(AlertOutdated, "WhatsApp refuses Mitra's WhatsApp library as outdated. Mitra must be updated; nothing is sent on WhatsApp until then.", time.Time{})
		c.signal(signal{err: fmt.Errorf("%w (whatsmeow %s, web version %s)", ErrOutdated, whatsmeowVersion(), store.GetWAVersion())})
	case *events.ConnectFailure:
		msg := redact(c.cfg.Pseudonyms, e.Message)
		c.setStatus(StatusReconnecting, fmt.Sprintf("connect failure %d: %s", int(e.Reason), msg))
		c.log.Error("WhatsApp refused the connection; trying again in a minute", "reason", e.Reason.String(), "message", msg)
		c.signal(signal{wait: time.Minute})
	case *events.UndecryptableMessage:
		c.log.Warn("a WhatsApp message could not be decrypted; whatsmeow asked the sender's phone to send it again",
			"chat", c.who(chatAddress(e.Info.Chat)), "message", e.Info.ID)
	case *events.OfflineSyncCompleted:
		c.log.Info("received the messages that arrived while Mitra was offline", "count", e.Count)
	}
	return true
}

// banFallback is the pause when WhatsApp does not say how long a ban
// lasts: Run then tries again after it.
const banFallback = time.Hour

// onBan pauses sending until a temporary ban expires and tells staff.
func (c *Channel) onBan(e *events.TemporaryBan) {
	wait := e.Expire
	if wait <= 0 {
		wait = banFallback
	}
	until := c.cfg.Now().Add(wait)
	c.pacer.pause(until, "temporary ban "+e.Code.String())
	c.savePacing()
	c.setStatus(StatusBanned, e.Code.String())
	c.log.Error("WhatsApp temporarily banned the shop's number; sending paused", "reason", e.Code.String(), "until", until)
	c.raise(AlertBanned, fmt.Sprintf("WhatsApp temporarily banned the shop's number (%s). Mitra sends nothing until %s and then connects again. Send fewer messages the shop starts, and only to people who agreed.", e.Code, until.In(c.cfg.TimeZone).Format("2006-01-02 15:04 MST")), until)
	c.signal(signal{wait: wait})
}

func (c *Channel) setStatus(s Status, detail string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Status != s {
		c.state.Since = c.cfg.Now()
	}
	c.state.Status, c.state.Detail = s, detail
}

// raise sends an alert to staff.
func (c *Channel) raise(kind AlertKind, msg string, until time.Time) {
	c.mu.Lock()
	c.alerting = true
	c.mu.Unlock()
	c.alert(Alert{Kind: kind, Message: msg, Until: until, At: c.cfg.Now()})
}

// resolve sends the all-clear after an alert.
func (c *Channel) resolve() {
	c.mu.Lock()
	was := c.alerting
	c.alerting = false
	c.mu.Unlock()
	if was {
		c.alert(Alert{Kind: AlertResolved, Message: "WhatsApp is connected again.", At: c.cfg.Now()})
	}
}

func (c *Channel) alert(a Alert) {
	if c.cfg.OnAlert != nil {
		c.cfg.OnAlert(a)
	}
}

// whatsmeowVersion is the whatsmeow module version built in, for the
// message that asks for an update.
func whatsmeowVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "go.mau.fi/whatsmeow" {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "(unknown version)"
}
