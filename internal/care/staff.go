package care

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// StaffRole is what a staff account may do.
type StaffRole string

// Staff roles. An owner may do everything a staff member may, and also
// what only the shop's owner should (accounts, settings).
const (
	RoleOwner StaffRole = "owner"
	RoleStaff StaffRole = "staff"
)

// Valid reports whether r is a known role.
func (r StaffRole) Valid() bool { return r == RoleOwner || r == RoleStaff }

// Allows reports whether an account of role r may do what needs role
// need.
func (r StaffRole) Allows(need StaffRole) bool {
	return r == RoleOwner || (r == RoleStaff && need == RoleStaff)
}

// Staff account limits.
const (
	// MaxStaffName is the longest account name.
	MaxStaffName = 32
	// MinStaffPassword is the fewest characters a password may have.
	MinStaffPassword = 10
	// MaxStaffPassword is the most bytes of a password: bcrypt reads no
	// more, and a longer one would pass for any password that shares
	// them.
	MaxStaffPassword = 72
)

// StaffAccount is a person who answers customers or runs the shop. The
// password's hash stays in the store: it is no part of an account, so no
// listing or JSON answer can show it.
type StaffAccount struct {
	// Name is the name as it was given; names compare case-insensitively.
	Name    string    `json:"name"`
	Role    StaffRole `json:"role"`
	Created time.Time `json:"created"`
	// PasswordChanged is when the password was last set.
	PasswordChanged time.Time `json:"password_changed"`
}

// StaffToken describes a bearer token for the JSON API. The token itself
// is shown once, when it is made; only its hash is kept.
type StaffToken struct {
	// ID names the token for listing and revoking.
	ID string `json:"id"`
	// Account is the name of the account the token acts for.
	Account string `json:"account"`
	// Label says where the token is used ("laptop kasir").
	Label   string    `json:"label,omitempty"`
	Created time.Time `json:"created"`
}

// StaffKey checks an account name (1 to MaxStaffName letters, digits,
// '.', '_' or '-') and returns it lower-cased: the one spelling under
// which the account is filed and compared.
func StaffKey(name string) (string, error) {
	if name == "" || len(name) > MaxStaffName {
		return "", Errorf(EInvalid, "an account name is 1 to %d characters", MaxStaffName)
	}
	for _, b := range []byte(name) {
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '.' || b == '_' || b == '-') {
			return "", Errorf(EInvalid, "an account name has only letters a-z, digits, '.', '_' and '-'")
		}
	}
	return strings.ToLower(name), nil
}

// CheckStaffPassword reports why password cannot be an account's
// password.
func CheckStaffPassword(password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinStaffPassword:
		return Errorf(EInvalid, "the password is too short: at least %d characters", MinStaffPassword)
	case len(password) > MaxStaffPassword:
		return Errorf(EInvalid, "the password is too long: at most %d bytes", MaxStaffPassword)
	}
	return nil
}

// Staff is the directory of staff accounts with their sessions (a
// browser's login) and bearer tokens (the JSON API's), and the login
// throttle. Names are compared case-insensitively everywhere. Session
// and API tokens are secrets: they are returned once, when made, and
// kept only as hashes.
type Staff interface {
	// AddStaff makes an account (EConflict if the name is taken,
	// EInvalid for a bad name, role or password).
	AddStaff(ctx context.Context, name string, role StaffRole, password string) (StaffAccount, error)
	// StaffAccounts lists every account, by name.
	StaffAccounts(ctx context.Context) ([]StaffAccount, error)
	// StaffAccount returns an account; ok is false when there is none.
	StaffAccount(ctx context.Context, name string) (acct StaffAccount, ok bool, err error)
	// RemoveStaff deletes an account (ENotFound if none) and, with it,
	// its sessions and tokens.
	RemoveStaff(ctx context.Context, name string) error
	// SetStaffPassword replaces an account's password (ENotFound if no
	// account) and ends its sessions; its tokens stay.
	SetStaffPassword(ctx context.Context, name, password string) error
	// CheckStaffPassword reports whether password is the account's. It
	// takes about as long for a name that has no account, so the time
	// tells nothing.
	CheckStaffPassword(ctx context.Context, name, password string) (acct StaffAccount, ok bool, err error)

	// StartStaffSession makes a session for the account and returns its
	// token, for a cookie.
	StartStaffSession(ctx context.Context, name string) (token string, err error)
	// CheckStaffSession returns the account of a live session and keeps
	// the session alive; ok is false when the session ended or expired.
	CheckStaffSession(ctx context.Context, token string) (acct StaffAccount, ok bool, err error)
	// EndStaffSession ends a session (none is not an error).
	EndStaffSession(ctx context.Context, token string) error

	// CreateStaffToken makes a bearer token for the account's use of the
	// JSON API and returns it with the secret, which is shown only now.
	CreateStaffToken(ctx context.Context, name, label string) (tok StaffToken, secret string, err error)
	// CheckStaffToken returns the account a token acts for; ok is false
	// when the token is unknown or revoked.
	CheckStaffToken(ctx context.Context, secret string) (acct StaffAccount, ok bool, err error)
	// StaffTokens lists the account's tokens, oldest first.
	StaffTokens(ctx context.Context, name string) ([]StaffToken, error)
	// RevokeStaffToken revokes one of the account's tokens (ENotFound if
	// it has none of that id).
	RevokeStaffToken(ctx context.Context, name, id string) error

	// StaffLoginLocked returns until when logins to the account or from
	// the client address are refused after too many failures; zero when
	// they are not.
	StaffLoginLocked(ctx context.Context, name, client string) (until time.Time, err error)
	// RecordStaffLogin counts a failed login against the account and the
	// client address; a successful one clears the account's failures.
	RecordStaffLogin(ctx context.Context, name, client string, ok bool) error
}
