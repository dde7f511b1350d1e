package care

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
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

// short is the channel's short name in a pseudonym.
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

// ContactID identifies a person in Mitra's records: "c" and 16 random
// base32 letters. It says nothing about the person, so audit entries and
// key names that carry it hold no personal data, and once the person's
// addresses are erased nothing links it back to them. An index maps each
// address (WhatsApp phone and LID, Telegram chat) to it.
type ContactID string

// contactIDLen is the length of a ContactID: "c" and 16 letters (80
// random bits).
const contactIDLen = 17

// NewContactID returns a fresh random ContactID.
func NewContactID() ContactID {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return ContactID("c" + strings.ToLower(base32.StdEncoding.EncodeToString(b)))
}

// Validate reports why id is not a ContactID.
func (id ContactID) Validate() error {
	if len(id) != contactIDLen || id[0] != 'c' {
		return Errorf(EInvalid, "contact id %q: want c and 16 letters", string(id))
	}
	for _, r := range id[1:] {
		if !('a' <= r && r <= 'z' || '2' <= r && r <= '7') {
			return Errorf(EInvalid, "contact id %q: want c and 16 letters", string(id))
		}
	}
	return nil
}

// ParseAddress reads "whatsapp:<id>" or "telegram:<id>" (the form
// Address.String writes; a leading + of a phone number is dropped).
func ParseAddress(s string) (Address, error) {
	ch, id, ok := strings.Cut(s, ":")
	if !ok {
		return Address{}, Errorf(EInvalid, "address %q: want whatsapp:<number> or telegram:<chat id>", s)
	}
	a := Address{Channel: Channel(ch), ID: strings.TrimPrefix(id, "+")}
	if err := a.Validate(); err != nil {
		return Address{}, err
	}
	return a, nil
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
