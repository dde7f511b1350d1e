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
