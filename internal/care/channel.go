package care

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Handler processes inbound messages; the runtime implements it. A
// channel adapter calls Handle for every platform event it turns into an
// Inbound and acknowledges the platform only when Handle returns nil or
// an error with code EInvalid (retrying cannot help). Any other error
// means nothing was stored: the platform must deliver the message again,
// and de-duplication drops the repeat if it was stored after all.
type Handler interface {
	Handle(ctx context.Context, in Inbound) error
}

// RetryAfterError is returned by a channel's Send when the platform
// certainly did not take the message and asks to be tried again later:
// Telegram's 429 with retry_after, WhatsApp pacing a number. The sender
// puts the message back and sends it after After, without counting it as
// a failure.
type RetryAfterError struct {
	After  time.Duration
	Reason string
	// Channel means the whole channel must wait (not connected, banned),
	// not just this message (pacing, a chat's flood limit): the sender
	// then holds every message of the channel until After has passed.
	Channel bool
}

// Error implements error.
func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%s: try again in %s", e.Reason, e.After)
}

// RetryAfter returns the wait a channel asked for, and whether err is a
// *RetryAfterError at all.
func RetryAfter(err error) (time.Duration, bool) {
	var e *RetryAfterError
	if errors.As(err, &e) {
		return e.After, true
	}
	return 0, false
}

// Forgetter removes what a channel adapter keeps outside Mitra's store
// about an address (WhatsApp's device store keeps push names, LID
// mappings and buffered messages). Erasure calls it for every address of
// the person; it must be idempotent.
type Forgetter interface {
	Forget(ctx context.Context, a Address) error
}

// Leaser holds named leases in the shared store, so that something only
// one process may run at a time (a WhatsApp number's live connection)
// runs in exactly one, and moves to another when that one dies.
type Leaser interface {
	// Acquire takes the lease name for owner for ttl, or renews it when
	// owner already holds it. It returns false when another owner holds
	// it.
	Acquire(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// Release gives the lease up if owner holds it.
	Release(ctx context.Context, name, owner string) error
}
