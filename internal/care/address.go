package care

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Channel names a messaging platform a contact reaches the shop through.
type Channel string

// The channels Mitra speaks.
const (
	WhatsApp Channel = "whatsapp"
	Telegram Channel = "telegram"
)

// Channels lists every channel, in a stable order.
var Channels = []Channel{WhatsApp, Telegram}

// Valid reports whether c is a channel Mitra knows.
func (c Channel) Valid() bool { return c == WhatsApp || c == Telegram }

// short is the channel's prefix in a ContactID.
func (c Channel) short() string {
	switch c {
	case WhatsApp:
		return "wa"
	case Telegram:
		return "tg"
	}
	return string(c)
}

// SimPrefix starts the platform id of every simulated contact. Real
// WhatsApp ids are phone numbers and real Telegram ids are numeric chat
// ids, so a simulated id can never collide with a real one.
const SimPrefix = "sim-"

// Address is where a contact can be reached: a channel and the platform's
// id for the chat (a phone number for WhatsApp, a chat id for Telegram).
type Address struct {
	Channel Channel `json:"channel"`
	ID      string  `json:"id"`
}

// MaxAddressID bounds a platform id; anything longer is not a real id.
const MaxAddressID = 128

// Validate reports why a is not a usable address.
func (a Address) Validate() error {
	if !a.Channel.Valid() {
		return Errorf(EInvalid, "unknown channel %q (want whatsapp or telegram)", a.Channel)
	}
	if a.ID == "" {
		return Errorf(EInvalid, "empty %s id", a.Channel)
	}
	if len(a.ID) > MaxAddressID {
		return Errorf(EInvalid, "%s id longer than %d bytes", a.Channel, MaxAddressID)
	}
	for _, r := range a.ID {
		if r <= ' ' || r == '{' || r == '}' || r == ':' || r > '~' {
			return Errorf(EInvalid, "%s id %q has a character that ids never contain", a.Channel, a.ID)
		}
	}
	return nil
}

// Simulated reports whether a belongs to a contact of the web simulator.
// Such contacts cross the whole pipeline, gate included, and are
// delivered to the simulator instead of a platform.
func (a Address) Simulated() bool { return strings.HasPrefix(a.ID, SimPrefix) }

// String renders a as "channel:id".
func (a Address) String() string { return string(a.Channel) + ":" + a.ID }

// ContactID is the stable id of a contact in Mitra's records. It is
// derived from the address, so finding a contact costs no look-up.
func (a Address) ContactID() ContactID { return ContactID(a.Channel.short() + "." + a.ID) }

// ContactID identifies a contact: "wa.<phone>" or "tg.<chat id>".
type ContactID string

// Address recovers the address a ContactID was derived from.
func (id ContactID) Address() (Address, error) {
	prefix, rest, ok := strings.Cut(string(id), ".")
	if !ok {
		return Address{}, Errorf(EInvalid, "contact id %q: want wa.<id> or tg.<id>", id)
	}
	for _, c := range Channels {
		if c.short() == prefix {
			a := Address{Channel: c, ID: rest}
			if err := a.Validate(); err != nil {
				return Address{}, fmt.Errorf("contact id %q: %w", id, err)
			}
			return a, nil
		}
	}
	return Address{}, Errorf(EInvalid, "contact id %q: unknown channel prefix %q", id, prefix)
}

// Pseudonyms turn addresses into short stand-ins for logs and metrics:
// a keyed hash, stable across processes that share the key, so log lines
// about one person can be followed without any of them naming the person.
// Erasure cannot reach logs; pseudonyms leave nothing there to erase.
type Pseudonyms struct {
	key []byte
}

// NewPseudonyms returns pseudonyms keyed with key (the installation's
// secret salt).
func NewPseudonyms(key []byte) Pseudonyms { return Pseudonyms{key: slices.Clone(key)} }

// Of returns a's pseudonym: the channel's short name and 10 hex digits
// of an HMAC-SHA256 of the address ("wa~3f9c0a1b2d").
func (p Pseudonyms) Of(a Address) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(a.String()))
	return a.Channel.short() + "~" + hex.EncodeToString(m.Sum(nil))[:10]
}
