// Package whatsapp is Mitra's WhatsApp channel: it links to the shop's
// own number as a companion device (like WhatsApp Web) through whatsmeow,
// turns WhatsApp messages into care.Inbound and sends care.Outbound. It
// is the only package that imports whatsmeow and the SQLite driver.
//
// An unofficial client gets a number banned when it behaves like a
// spammer, so the adapter paces what it sends (see Pacing), shows
// "typing…" and marks messages read like a person would, warms a newly
// paired number up slowly, and stops sending the moment WhatsApp
// complains (temporary ban, logout).
//
// # Presence
//
// While a linked device tells WhatsApp that the number is online, the
// shop's phone gets no push notifications, and the staff watch that
// phone for customers who asked for a person. So the number is offline
// ("unavailable") at rest: the adapter says so after connecting, goes
// online just before it marks a chat read and shows "typing…", and
// offline again presenceIdle after the last message went out. Presence,
// "typing…" and read receipts only change what the contact sees: a
// failure is logged at debug level, reported to Config.OnCosmeticFailure
// and never costs a message.
//
// # Receiving, acknowledgement and what survives a crash
//
// whatsmeow decrypts a message and then calls the event handler. The
// client runs with SynchronousAck and EnableDecryptedEventBuffer: the
// server receives the acknowledgement (and the contact the two grey
// ticks) only after the handler returned true, and the decrypted text is
// kept in the device store until then. A message whose handler returned
// false is not acknowledged; WhatsApp delivers it again on the next
// connection and whatsmeow takes the text from that buffer (the Signal
// ratchet cannot decrypt the same message twice).
//
// The adapter hands each message to care.Handler right away, bounded by
// Config.HandleTimeout, and acknowledges it only when Handle returned nil
// (or EInvalid: retrying cannot help). When Handle fails — Redis is away
// — the message goes to a bounded in-process queue, in order per chat,
// which a goroutine retries with backoff, and its acknowledgement is
// withheld. While anything waits there, new messages join the queue
// without being tried first, so whatsmeow's event loop is never held
// for more than one HandleTimeout.
//
// So after a crash or a kill:
//   - a message Handle stored is in Redis and was (or will be, on
//     redelivery, as a duplicate the runtime drops) acknowledged;
//   - a message still queued, or being handled, was never acknowledged:
//     WhatsApp delivers it again when Mitra reconnects, and the
//     decryption buffer in the device store supplies its text;
//   - when the queue is full the message is not queued but still not
//     acknowledged, so the same redelivery applies; until then later
//     messages of that chat may overtake it.
//
// # One process per number
//
// A number is one live connection: a second process connecting with the
// same session throws the first off. With Config.Leaser set, Run holds the
// lease LeaseName in the shared store while it is connected, renews it
// every third of Config.LeaseTTL and disconnects at once when a renewal
// finds another owner; a process without the lease stands by
// (StatusStandby) and takes over when the lease is free: released on a
// clean stop, or expired after the holder died.
//
// # Personal data
//
// Log lines and the errors the adapter returns name contacts by
// Config.Pseudonyms, never by phone number, LID or push name, and never
// quote what they wrote; whatsmeow's own log lines and errors have their
// JIDs replaced the same way, the handler's errors also lose the
// contact's other address, push name and text before they are logged,
// and the shop's own number goes by its pseudonym too (only pairing, at
// the terminal, names it). Forget removes what the device store keeps
// about a contact.
//
// What does not survive: the "typing…" and read-receipt bookkeeping and
// the list of ids this adapter sent (a message from the shop's phone
// within seconds of a restart might be taken for the bot's own), and
// pacing's per-chat and per-minute spacing. The day's count of
// shop-started messages and a ban pause are kept in the device store.
// Losing the device store (the data directory) unlinks the number: pair
// again.
//
// # Sending
//
// Send delivers at most once. When it returns a *care.RetryAfterError or
// an error with code care.EUnavailable, nothing was sent (not connected,
// paced, banned) and the sender may try again. Any other error after the
// request went out — a timeout waiting for the server, the connection
// dropping mid-send — is returned as a plain error the sender does not
// retry: a message lost is better than a message sent twice.
package whatsapp

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"github.com/mitra-care/mitra/internal/care"
)

// Errors that end Run. Each one needs a person: the message says what to
// do.
var (
	// ErrNotPaired means no phone is linked yet.
	ErrNotPaired = errors.New("no WhatsApp number is paired: run `mitra whatsapp pair`")
	// ErrLoggedOut means the phone (or WhatsApp) unlinked this device.
	ErrLoggedOut = errors.New("WhatsApp logged this device out (unlinked from the phone, or the number was banned): run `mitra whatsapp pair` again")
	// ErrReplaced means another process connected with the same session.
	ErrReplaced = errors.New("another process connected with this WhatsApp session (two Mitra processes sharing one data directory?); this one stopped so they do not fight over the number")
	// ErrOutdated means WhatsApp refuses this client version.
	ErrOutdated = errors.New("WhatsApp refuses this client version (405 client outdated): update go.mau.fi/whatsmeow and rebuild Mitra")
)

// Config wires a Channel.
type Config struct {
	// Store is the device store Open returned.
	Store *Store
	// Pacing limits sending; the zero value means DefaultPacing.
	Pacing Pacing
	// TimeZone is the shop's; the daily cap resets at its midnight.
	// time.Local when nil.
	TimeZone *time.Location
	// Lang is the language of the reply hint under choices when a message
	// has none: "id" (the default) or "en".
	Lang string
	// OnAlert receives what staff must know: logged out, banned, another
	// process took over, client outdated, and the all-clear. It is called
	// on WhatsApp's event goroutine and must return quickly.
	OnAlert func(Alert)
	// HandleTimeout bounds one call of the handler from WhatsApp's event
	// loop before the message moves to the retry queue (default 10 s).
	HandleTimeout time.Duration
	// InboundQueue bounds the messages waiting for the handler while it
	// fails (default 1000). Beyond it messages stay unacknowledged and
	// WhatsApp delivers them again on the next connection.
	InboundQueue int
	// OnCosmeticFailure hears of a call that only changes what the
	// contact sees and that WhatsApp did not take: call is
	// CosmeticPresence, CosmeticTyping or CosmeticRead. Such a failure is
	// logged at debug level and never stops a message. It is called from
	// any goroutine and must return quickly; nil ignores them.
	OnCosmeticFailure func(call string)
	// Leaser, when set, holds the number under the lease LeaseName, so
	// that of several processes sharing the data directory exactly one
	// connects and another takes over when it dies. Nil: no lease, Run
	// connects at once.
	Leaser care.Leaser
	// Owner names this process in the lease; unique per process (default:
	// host name, process id and a random suffix).
	Owner string
	// LeaseTTL is how long the lease outlives its holder's last renewal
	// (default 30 s). The holder renews it every third of it; a process
	// without it tries again every sixth.
	LeaseTTL time.Duration
	// Pseudonyms stand in for contacts in logs and in the errors the
	// adapter returns (they reach the audit); the zero value works, with
	// an empty key.
	Pseudonyms care.Pseudonyms
	// Now and Rand are the clock and the jitter's randomness in [0, 1);
	// tests set them.
	Now  func() time.Time
	Rand func() float64
}

// Status is where the connection to WhatsApp stands.
type Status string

// The connection statuses.
const (
	StatusStopped      Status = "stopped"      // Run is not running
	StatusNotPaired    Status = "not_paired"   // no phone linked
	StatusStandby      Status = "standby"      // another process holds the number's lease
	StatusConnecting   Status = "connecting"   // connecting or waiting to
	StatusConnected    Status = "connected"    // sending and receiving
	StatusReconnecting Status = "reconnecting" // the connection dropped; whatsmeow reconnects
	StatusBanned       Status = "banned"       // temporarily banned; reconnects when it expires
	StatusLoggedOut    Status = "logged_out"   // unlinked: pair again
	StatusReplaced     Status = "replaced"     // another process took the session
	StatusOutdated     Status = "outdated"     // WhatsApp refuses this whatsmeow version
)

// State is the channel's condition for a status page.
type State struct {
	Status Status    `json:"status"`
	Since  time.Time `json:"since"`
	Detail string    `json:"detail,omitempty"`
	// Phone is the paired number, digits only.
	Phone    string    `json:"phone,omitempty"`
	PairedAt time.Time `json:"paired_at,omitzero"`
	// SentToday and DailyCap count the messages the shop started today
	// against the cap (lower during the warm-up).
	SentToday int `json:"sent_today"`
	DailyCap  int `json:"daily_cap"`
	// PausedUntil holds back messages the shop starts (temporary ban).
	PausedUntil time.Time `json:"paused_until,omitzero"`
	// Waiting counts inbound messages queued because the handler failed.
	Waiting int `json:"waiting"`
}

// AlertKind names what an Alert is about, so the app can word it for
// staff in their language.
type AlertKind string

// The alerts.
const (
	AlertLoggedOut AlertKind = "logged_out"
	AlertBanned    AlertKind = "temporary_ban"
	AlertReplaced  AlertKind = "stream_replaced"
	AlertOutdated  AlertKind = "client_outdated"
	// AlertResolved follows any of the others once WhatsApp is connected
	// again.
	AlertResolved AlertKind = "resolved"
)

// Alert is something about the number that staff must hear of, because
// Mitra cannot fix it alone.
type Alert struct {
	Kind    AlertKind `json:"kind"`
	Message string    `json:"message"`
	// Until is when a temporary ban ends, when known.
	Until time.Time `json:"until,omitzero"`
	At    time.Time `json:"at"`
}

// waClient is the part of *whatsmeow.Client the adapter uses, so tests
// can stand in for WhatsApp.
type waClient interface {
	ConnectContext(ctx context.Context) error
	Disconnect()
	GenerateMessageID() types.MessageID
	SendMessage(ctx context.Context, to types.JID, message *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	SendPresence(ctx context.Context, state types.Presence) error
	MarkRead(ctx context.Context, ids []types.MessageID, timestamp time.Time, chat, sender types.JID, receiptTypeExtra ...types.ReceiptType) error
	SendChatPresence(ctx context.Context, jid types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error
	IsOnWhatsApp(ctx context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error)
}

var _ waClient = (*whatsmeow.Client)(nil)

// self is who the paired device is; *store.Device implements it.
type self interface {
	GetJID() types.JID
	GetLID() types.JID
}

// lidMap pairs LIDs with phone numbers; whatsmeow's LID store implements
// it.
type lidMap interface {
	GetPNForLID(ctx context.Context, lid types.JID) (types.JID, error)
	GetLIDForPN(ctx context.Context, pn types.JID) (types.JID, error)
}

// Channel is the WhatsApp channel of one shop number.
type Channel struct {
	cfg   Config
	h     care.Handler
	log   *slog.Logger
	pacer *pacer
	// sleep, after and afterFunc wait; tests replace them so nothing
	// waits for real.
	sleep     func(ctx context.Context, d time.Duration) error
	after     func(d time.Duration) <-chan time.Time
	afterFunc func(d time.Duration, f func()) (stop func() bool)

	mu       sync.Mutex
	client   waClient // nil until Run connects
	me       self
	lids     lidMap
	ctx      context.Context // Run's; bounds inbound handling
	state    State
	alerting bool // an alert was raised and not yet resolved

	signals chan signal // lifecycle events for Run

	sent   *idSet                // ids of messages this adapter sent
	unread map[string]*unread    // per contact: inbound ids not yet marked read
	onWA   map[string]onWhatsApp // per phone: is it on WhatsApp
	in     *inbox                // inbound messages waiting for the handler

	presence presence // online while sending, offline at rest
}

var (
	_ care.Sender    = (*Channel)(nil)
	_ care.Forgetter = (*Channel)(nil)
)

// New returns the channel; Run connects it. A Pacing that fails Validate
// is logged and replaced by DefaultPacing.
func New(cfg Config, h care.Handler, log *slog.Logger) *Channel {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("channel", "whatsapp")
	if cfg.Pacing == (Pacing{}) {
		cfg.Pacing = DefaultPacing()
	} else if err := cfg.Pacing.Validate(); err != nil {
		log.Error("pacing settings rejected, using the defaults", "err", err)
		cfg.Pacing = DefaultPacing()
	}
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.Local
	}
	if cfg.Lang == "" {
		cfg.Lang = "id"
	}
	if cfg.HandleTimeout <= 0 {
		cfg.HandleTimeout = 10 * time.Second
	}
	if cfg.InboundQueue <= 0 {
		cfg.InboundQueue = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	c := &Channel{
		cfg:   cfg,
		h:     h,
		log:   log,
		pacer: newPacer(cfg.Pacing, cfg.TimeZone, cfg.Now, cfg.Rand),
		sleep: sleep,
		after: time.After,
		afterFunc: func(d time.Duration, f func()) func() bool {
			return time.AfterFunc(d, f).Stop
		},
		ctx:     context.Background(),
		signals: make(chan signal, 8),
		sent:    newIDSet(4096),
		unread:  map[string]*unread{},
		onWA:    map[string]onWhatsApp{},
		in:      newInbox(cfg.InboundQueue),
	}
	c.state = State{Status: StatusStopped, Since: cfg.Now()}
	return c
}

// attach gives the channel its WhatsApp client, who it is and Run's
// context.
func (c *Channel) attach(ctx context.Context, client waClient, me self, lids lidMap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ctx, c.client, c.me, c.lids = ctx, client, me, lids
	if me != nil {
		c.state.Phone = me.GetJID().User
	}
}

func (c *Channel) baseCtx() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx
}

// State reports the connection and pacing for a status page.
func (c *Channel) State() State {
	c.mu.Lock()
	s := c.state
	c.mu.Unlock()
	s.SentToday, s.DailyCap, s.PausedUntil = c.pacer.usage()
	if !s.PausedUntil.After(c.cfg.Now()) {
		s.PausedUntil = time.Time{}
	}
	s.Waiting = c.in.len()
	return s
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// idSet remembers the last n ids, to recognise the adapter's own
// messages when WhatsApp shows them again.
type idSet struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string
	next int
}

func newIDSet(n int) *idSet {
	return &idSet{ids: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (s *idSet) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.ids[id] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
}

func (s *idSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ids[id]
	return ok
}
