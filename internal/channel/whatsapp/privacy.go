package whatsapp

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"go.mau.fi/whatsmeow/types"

	"github.com/mitra-care/mitra/internal/care"
)

// who is the pseudonym that stands for a in logs and errors.
func (c *Channel) who(a care.Address) string { return c.cfg.Pseudonyms.Of(a) }

// phoneAddress is the address of a phone number's digits.
func phoneAddress(user string) care.Address {
	return care.Address{Channel: care.WhatsApp, ID: user}
}

// lidAddress is the address of a LID whose phone number is not known.
func lidAddress(user string) care.Address {
	return care.Address{Channel: care.WhatsApp, ID: lidPrefix + user}
}

// chatAddress is the address a person's JID stands for, as is: their LID
// or their phone number.
func chatAddress(jid types.JID) care.Address {
	if jid.Server == types.HiddenUserServer {
		return lidAddress(jid.User)
	}
	return phoneAddress(jid.User)
}

// jidPattern finds a person's JID in free text ("6281234567890@s.whatsapp.net",
// "12345678901234:3@lid", "6281234567890.0:12@s.whatsapp.net"): whatsmeow
// names people so in its log lines and errors.
var jidPattern = regexp.MustCompile(`\b(\d+)(?:\.\d+)?(?::\d+)?@(s\.whatsapp\.net|c\.us|lid)\b`)

// redact replaces every person's JID in s by its pseudonym.
func redact(p care.Pseudonyms, s string) string {
	return jidPattern.ReplaceAllStringFunc(s, func(jid string) string {
		m := jidPattern.FindStringSubmatch(jid)
		a := phoneAddress(m[1])
		if m[2] == types.HiddenUserServer {
			a = lidAddress(m[1])
		}
		return p.Of(a)
	})
}

// redactedError is an error whose text names no one; errors.Is and
// errors.As still reach the cause.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err with every JID in its text, and a's own id,
// replaced by pseudonyms: the errors the adapter returns reach the audit
// and the dead letters, and whatsmeow's name people by number.
func (c *Channel) redactErr(err error, a care.Address) error {
	return c.redacted(err, []care.Address{a})
}

// redactInbound is redactErr for the handler's errors about in, which
// the adapter logs: they may name the contact by either address, or
// quote their push name or what they wrote.
func (c *Channel) redactInbound(err error, in care.Inbound) error {
	return c.redacted(err, []care.Address{in.Address, in.Alias}, in.Name, in.Text)
}

// minQuoted is the shortest push name or text redacted replaces: shorter
// ones would match innocent words, and say little about anyone.
const minQuoted = 3

// redacted returns err with every JID in its text and the ids of addrs
// replaced by pseudonyms, and each of quoted by "[redacted]".
func (c *Channel) redacted(err error, addrs []care.Address, quoted ...string) error {
	if err == nil {
		return nil
	}
	msg := redact(c.cfg.Pseudonyms, err.Error())
	for _, a := range addrs {
		for _, id := range []string{a.ID, strings.TrimPrefix(a.ID, lidPrefix)} {
			if len(id) >= 6 {
				msg = strings.ReplaceAll(msg, id, c.who(a))
			}
		}
	}
	for _, q := range quoted {
		if q = strings.TrimSpace(q); utf8.RuneCountInString(q) >= minQuoted {
			msg = strings.ReplaceAll(msg, q, "[redacted]")
		}
	}
	return &redactedError{msg: msg, err: err}
}
