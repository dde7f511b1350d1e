// Package backoff is the one way Mitra waits before trying again:
// exponential steps between a floor and a ceiling, cut short when the
// context ends.
package backoff

import (
	"context"
	"time"
)

// Backoff is an exponential wait. The zero value is not usable; make one
// with New. It is not safe for concurrent use.
type Backoff struct {
	min, max, cur time.Duration
}

// New returns a backoff that first waits min, then twice as long each
// time, never more than max.
func New(min, max time.Duration) *Backoff {
	return &Backoff{min: min, max: max, cur: min}
}

// Next is how long the next Wait waits.
func (b *Backoff) Next() time.Duration { return b.cur }

// Advance returns the next wait and moves on to the one after, for a
// caller that waits itself (mixing in waits it was told, such as a
// platform's retry-after).
func (b *Backoff) Advance() time.Duration {
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	return d
}

// Wait waits for the next step, or until ctx ends; it reports whether
// the whole wait passed.
func (b *Backoff) Wait(ctx context.Context) bool { return Sleep(ctx, b.Advance()) }

// Reset starts again from the floor, after a success.
func (b *Backoff) Reset() { b.cur = b.min }

// Sleep waits d or until ctx ends; it reports whether d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
