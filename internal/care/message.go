package care

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is what sort of thing a contact sent.
type Kind string

// The kinds of inbound message. Only text and choices are understood; the
// rest get a polite reply saying so.
const (
	KindText     Kind = "text"
	KindChoice   Kind = "choice" // a tapped button; Inbound.Choice holds its id
	KindImage    Kind = "image"
	KindVoice    Kind = "voice"
	KindAudio    Kind = "audio"
	KindVideo    Kind = "video"
	KindSticker  Kind = "sticker"
	KindDocument Kind = "document"
	KindLocation Kind = "location"
	KindContact  Kind = "contact_card"
	KindOther    Kind = "other"
	// KindStaff is not from the contact: a person at the shop wrote in
	// the chat from the shop's own phone (WhatsApp). The bot goes quiet
	// in that conversation as if it had handed it to staff.
	KindStaff Kind = "staff"
)

// Understood reports whether Mitra can act on a message of this kind.
func (k Kind) Understood() bool { return k == KindText || k == KindChoice }

// MaxText is the longest inbound text Mitra reads, in characters; longer
// text is cut there and the contact is told.
const MaxText = 4096

// Inbound is one message from a contact, as a channel adapter hands it
// to the runtime.
type Inbound struct {
	Address Address `json:"address"`
	// MessageID is the platform's id of the message; the same id
	// delivered twice is processed once.
	MessageID string `json:"message_id"`
	Kind      Kind   `json:"kind"`
	Text      string `json:"text,omitempty"`
	Choice    string `json:"choice,omitempty"`
	Name      string `json:"name,omitempty"` // display name the platform gives
	// Alias is another address of the same person that the platform
	// revealed with this message (WhatsApp's LID beside the phone
	// number); zero when none. The runtime files both under one contact.
	Alias Address `json:"alias,omitzero"`
	// Start is a deep-link payload (Telegram's /start promo): it starts
	// the flow registered for it, and any other payload greets.
	Start string `json:"start,omitempty"`
	// Media is the platform's reference to the photo or file the
	// message holds (Telegram's file_id), "" when it gives none: a
	// photo of a payment is kept as the order's proof by it.
	Media string    `json:"media,omitempty"`
	At    time.Time `json:"at"`
}

// StartGreeting is the start payload of a chat opened with no payload
// (Telegram's plain /start): the contact is greeted.
const StartGreeting = "start"

// MaxMessageID bounds a platform message id.
const MaxMessageID = 128

// Validate reports why in cannot be processed at all. Text problems are
// not errors: Clean repairs them.
func (in Inbound) Validate() error {
	if err := in.Address.Validate(); err != nil {
		return err
	}
	if in.MessageID == "" || len(in.MessageID) > MaxMessageID {
		return Errorf(EInvalid, "message id must be 1 to %d bytes", MaxMessageID)
	}
	if in.Kind == "" {
		return Errorf(EInvalid, "message kind is empty")
	}
	return nil
}

// Clean repairs the text of in: invalid UTF-8 is replaced, control
// characters other than newlines dropped, surrounding space trimmed and
// text longer than MaxText cut. It reports whether the text was cut.
func (in *Inbound) Clean() (truncated bool) {
	in.Text, truncated = CleanText(in.Text, MaxText)
	in.Name, _ = CleanText(in.Name, 64)
	in.Choice, _ = CleanText(in.Choice, 64)
	return truncated
}

// CleanText makes s valid, printable UTF-8 of at most max characters.
func CleanText(s string, max int) (string, bool) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n, cut := 0, false
	for _, r := range s {
		if r < ' ' && r != '\n' && r != '\t' || r == 0x7f {
			continue
		}
		if n == max {
			cut = true
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String()), cut
}

// Class says why a message goes out; the gate applies different rules to
// each.
type Class string

// The classes of outbound message.
const (
	// Reply answers the contact's own message.
	Reply Class = "reply"
	// Transactional is about the contact's own order.
	Transactional Class = "transactional"
	// Promotional is anything the shop wants to sell.
	Promotional Class = "promotional"
	// StaffAlert goes to a staff member's own chat with the bot, never
	// to a customer: alerts about conversations waiting for staff, and
	// the bot's answers to what the staff member writes there (LINK,
	// KLAIM). The gate sends it only to a chat linked to the account it
	// names, or as the answer to a message that chat sent the staff
	// desk.
	StaffAlert Class = "staff_alert"
)

// ShopStarted reports whether the shop starts messages of this class of
// its own accord (order updates, promotions), rather than answering
// someone who wrote or alerting staff who asked for it: WhatsApp paces
// those far lower.
func (c Class) ShopStarted() bool { return c == Transactional || c == Promotional }

// Choice is an option offered with a question.
type Choice struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Outbound is one message to a contact. Every outbound message, whoever
// composes it, is queued in the outbox and crosses the gate.
type Outbound struct {
	// ID is unique and stable: the same step retried yields the same id,
	// so a message is sent at most once.
	ID        string    `json:"id"`
	Contact   ContactID `json:"contact"`
	Address   Address   `json:"address"`
	Class     Class     `json:"class"`
	Text      string    `json:"text"`
	Choices   []Choice  `json:"choices,omitempty"`
	Lang      string    `json:"lang,omitempty"`
	Campaign  string    `json:"campaign,omitempty"`
	Order     string    `json:"order,omitempty"`
	InReplyTo string    `json:"in_reply_to,omitempty"` // the inbound message id
	Created   time.Time `json:"created"`
	// NotBefore, when later than Created, holds the message back until
	// then (a follow-up).
	NotBefore time.Time `json:"not_before,omitzero"`
	// Origin says who composed the message, for the audit.
	Origin Origin `json:"origin,omitempty"`
	// Seq orders one contact's messages in a lane: the store sets it
	// from Created and the message's place in its batch, and a message
	// goes out only after every earlier one.
	Seq int64 `json:"q,omitempty"`
	// Staff names the staff member who wrote it (OriginStaff).
	Staff string `json:"staff,omitempty"`
	// About names the contacts a message tells of when they are not
	// its addressee: the customers a staff alert names or quotes. Their
	// erasure deletes the message wherever it waits, and its dead
	// letter.
	About []ContactID `json:"about,omitempty"`
}

// Origin is who composed an outbound message. Whoever it is, the message
// crosses the same gate.
type Origin string

// The origins of outbound messages.
const (
	OriginFlow      Origin = "flow"      // the flows, answering the contact
	OriginFollowUp  Origin = "follow_up" // a flow's message held back for later
	OriginBroadcast Origin = "broadcast" // a campaign to many contacts
	OriginStaff     Origin = "staff"     // a person at the shop
	OriginSystem    Origin = "system"    // Mitra itself (order updates)
	// OriginErasure confirms an erasure: its records name no contact.
	OriginErasure Origin = "erasure"
)
