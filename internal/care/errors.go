package care

import (
	"errors"
	"fmt"
)

// Application error codes. Adapters map them to their own world (an HTTP
// status, an exit code) in one place each.
const (
	EInvalid     = "invalid"     // the input is wrong; retrying won't help
	ENotFound    = "not_found"   // the thing does not exist
	EConflict    = "conflict"    // someone else changed it first; retry
	EUnavailable = "unavailable" // a dependency is down; retry later
	EUnreachable = "unreachable" // the contact cannot be reached on that channel (blocked the bot, not on the platform)
	EInternal    = "internal"    // a bug
)

// Error is an application error with a code and a message fit to show.
type Error struct {
	Code    string
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// Sentinel outcomes of storing a conversation step.
var (
	// ErrDuplicate means the inbound message was already processed.
	ErrDuplicate = errors.New("message already processed")
	// ErrConflict means the session changed since it was loaded.
	ErrConflict = &Error{Code: EConflict, Message: "session changed since it was loaded"}
	// ErrLate means a step reached the store after its caller's
	// deadline and was not stored.
	ErrLate = &Error{Code: EUnavailable, Message: "step reached the store after its deadline; not stored"}
	// ErrNoConsent means a promotion's consent was withdrawn while it
	// waited to be sent.
	ErrNoConsent = errors.New("promotions consent withdrawn")
)
