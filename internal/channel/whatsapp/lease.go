package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

// LeaseName is the lease a process must hold in Config.Leaser to connect
// the number.
const LeaseName = "whatsapp"

// DefaultLeaseTTL is how long the lease outlives a holder that stopped
// renewing it: the longest a crashed process keeps the number from its
// successor.
const DefaultLeaseTTL = 30 * time.Second

// errLeaseLost ends a connection whose lease another process holds now,
// or whose renewal could not be confirmed in time.
var errLeaseLost = errors.New("whatsapp: lease lost")

// defaultOwner names this process in the lease: unique even for two
// processes with one pid in different containers of one host.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d/%08x", host, os.Getpid(), rand.Uint32())
}

// leased runs run while this process holds the lease, when there is a
// Leaser (else it just calls run). It waits for the lease, renews it
// while run goes on, cancels run's context at once when the lease is
// lost and then waits for it again; it releases the lease when it
// returns. It returns nil when ctx ends, and run's error otherwise.
func (c *Channel) leased(ctx context.Context, run func(context.Context) error) error {
	if c.cfg.Leaser == nil {
		return run(ctx)
	}
	defer c.release(ctx)
	for {
		if c.awaitLease(ctx) != nil {
			c.setStatus(StatusStopped, "")
			return nil
		}
		held, lose := context.WithCancelCause(ctx)
		renewing := make(chan struct{})
		go func() {
			defer close(renewing)
			c.renew(held, lose)
		}()
		err := run(held)
		lose(nil)
		<-renewing
		if ctx.Err() != nil || !errors.Is(context.Cause(held), errLeaseLost) {
			return err
		}
		// Disconnected already: wait to take the number back.
	}
}

// awaitLease returns once this process holds the lease, or ctx's error
// when it ends first. While another process holds it, the channel is in
// StatusStandby and says so in the log once.
func (c *Channel) awaitLease(ctx context.Context) error {
	ttl := c.cfg.LeaseTTL
	retry := ttl / 6
	standing, failing := false, false
	for {
		ok, err := c.acquire(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			if !failing {
				c.log.Warn("cannot reach the lease store to take the WhatsApp number; trying again", "every", retry, "err", err)
				failing = true
			}
			c.setStatus(StatusStandby, "waiting for the lease store")
		case ok:
			if standing {
				c.log.Info("took over the WhatsApp number from another process", "owner", c.cfg.Owner)
			}
			return nil
		default:
			if !standing {
				c.log.Info("another Mitra process runs this WhatsApp number; standing by to take over when it stops",
					"owner", c.cfg.Owner, "retry_every", retry)
				standing = true
			}
			failing = false
			c.setStatus(StatusStandby, "another process runs the number")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.after(retry):
		}
	}
}

// renew keeps the lease while held lasts. When another process owns the
// lease, or two renewals in a row fail (the lease may lapse before a
// third could confirm it), it cancels held with errLeaseLost: the
// connection drops at once, so two processes never run the number.
func (c *Channel) renew(held context.Context, lose context.CancelCauseFunc) {
	failures := 0
	for {
		select {
		case <-held.Done():
			return
		case <-c.after(c.cfg.LeaseTTL / 3):
		}
		ok, err := c.acquire(held)
		switch {
		case err != nil && held.Err() != nil:
			return
		case err != nil:
			failures++
			if failures >= 2 {
				c.log.Error("cannot renew the WhatsApp lease; disconnecting before it lapses, so two processes never run the number", "err", err)
				lose(errLeaseLost)
				return
			}
			c.log.Warn("renewing the WhatsApp lease failed; trying again", "err", err)
		case !ok:
			c.log.Error("another process holds the WhatsApp lease now; disconnecting at once", "owner", c.cfg.Owner)
			lose(errLeaseLost)
			return
		default:
			failures = 0
		}
	}
}

// acquire takes or renews the lease once, bounded by a third of its TTL
// so a hanging store cannot outlast the lease.
func (c *Channel) acquire(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.LeaseTTL/3)
	defer cancel()
	ok, err := c.cfg.Leaser.Acquire(ctx, LeaseName, c.cfg.Owner, c.cfg.LeaseTTL)
	if err != nil {
		return false, fmt.Errorf("whatsapp lease: %w", err)
	}
	return ok, nil
}

// release gives the lease up, if this process holds it, so a standby
// process takes over at once instead of after the TTL.
func (c *Channel) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := c.cfg.Leaser.Release(ctx, LeaseName, c.cfg.Owner); err != nil {
		c.log.Warn("releasing the WhatsApp lease failed; another process takes over when it expires", "in", c.cfg.LeaseTTL, "err", err)
	}
}
