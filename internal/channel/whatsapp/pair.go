package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/mitra-care/mitra/internal/care"
)

// Errors of pairing.
var (
	// ErrAlreadyPaired means a number is linked already; unlink it first
	// so two numbers never share one store.
	ErrAlreadyPaired = errors.New("a WhatsApp number is already paired")
	// ErrPairTimeout means no phone linked before WhatsApp stopped
	// offering codes (about two and a half minutes).
	ErrPairTimeout = errors.New("no phone was linked before the codes ran out")
)

// PairOptions says how to show the pairing to the person holding the
// shop's phone.
type PairOptions struct {
	// Phone, when set, pairs with an 8-character code typed on the phone
	// instead of a QR code scanned with it: for a phone whose camera
	// cannot see the screen, or a server reached over SSH. Digits with
	// the country code: 6281234567890.
	Phone string
	// OnQR shows a QR code; WhatsApp replaces it with a new one after
	// valid, and OnQR is called again.
	OnQR func(code string, valid time.Duration)
	// OnCode shows the pairing code, like "ABCD-EFGH".
	OnCode func(code string)
	// OnNotice shows a message while pairing goes on.
	OnNotice func(msg string)
}

// waitLogin bounds the wait for the first login after the phone linked;
// the link is stored either way.
const waitLogin = 60 * time.Second

// Pair links Mitra to the shop's number as a companion device, the way
// WhatsApp Web is linked, and records when, for the warm-up. It connects
// to WhatsApp only while pairing.
func (s *Store) Pair(ctx context.Context, opt PairOptions) (Device, error) {
	dev, err := s.device(ctx)
	if err != nil {
		return Device{}, err
	}
	if dev.ID != nil {
		d, _ := s.describe(ctx, dev)
		return d, fmt.Errorf("%w (+%s): run `mitra whatsapp logout` first", ErrAlreadyPaired, dev.ID.User)
	}
	if opt.Phone != "" {
		if err := ValidatePhone(opt.Phone); err != nil {
			return Device{}, err
		}
	}
	notice := func(msg string) {
		if opt.OnNotice != nil {
			opt.OnNotice(msg)
		}
	}
	prepare(ctx, s.log)
	client := whatsmeow.NewClient(dev, newWALogger(s.log, care.Pseudonyms{}))
	qr, err := client.GetQRChannel(ctx)
	if err != nil {
		return Device{}, fmt.Errorf("whatsapp pair: %w", err)
	}
	// A customer may write in the minute this client is logged in after
	// pairing: leave such messages unacknowledged, so WhatsApp delivers
	// them again to `mitra serve`.
	client.SynchronousAck = true
	client.EnableDecryptedEventBuffer = true
	loggedIn := make(chan struct{})
	var once sync.Once
	id := client.AddEventHandlerWithSuccessStatus(func(evt any) bool {
		switch evt.(type) {
		case *events.Connected:
			once.Do(func() { close(loggedIn) })
		case *events.Message:
			return false
		}
		return true
	})
	defer client.RemoveEventHandler(id)
	if err := client.ConnectContext(ctx); err != nil {
		return Device{}, fmt.Errorf("whatsapp pair: connect to WhatsApp: %w", err)
	}
	defer client.Disconnect()

	asked := false
	for item := range qr {
		switch item.Event {
		case whatsmeow.QRChannelEventCode:
			if opt.Phone == "" {
				if opt.OnQR != nil {
					opt.OnQR(item.Code, item.Timeout)
				}
				continue
			}
			if asked {
				continue
			}
			asked = true
			code, err := client.PairPhone(ctx, opt.Phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
			if err != nil {
				return Device{}, fmt.Errorf("whatsapp pair: ask for a pairing code for +%s: %w", opt.Phone, err)
			}
			if opt.OnCode != nil {
				opt.OnCode(code)
			}
		case whatsmeow.QRChannelSuccess.Event:
			if client.Store.ID == nil {
				return Device{}, errors.New("whatsapp pair: WhatsApp reported success but no device was stored")
			}
			if err := s.setPairedAt(context.WithoutCancel(ctx), *client.Store.ID, time.Now()); err != nil {
				return Device{}, err
			}
			notice("Linked. Finishing the first login…")
			select {
			case <-loggedIn:
			case <-time.After(waitLogin):
			case <-ctx.Done():
			}
			return s.describe(context.WithoutCancel(ctx), client.Store)
		case whatsmeow.QRChannelTimeout.Event:
			return Device{}, ErrPairTimeout
		case whatsmeow.QRChannelClientOutdated.Event:
			return Device{}, fmt.Errorf("whatsapp pair: %w (whatsmeow %s)", ErrOutdated, whatsmeowVersion())
		case whatsmeow.QRChannelScannedWithoutMultidevice.Event:
			notice("The phone's WhatsApp is too old for linked devices: update WhatsApp on the phone, then scan again.")
		case whatsmeow.QRChannelErrUnexpectedEvent.Event:
			return Device{}, errors.New("whatsapp pair: WhatsApp answered as if this device were already linked; run `mitra whatsapp logout`, then pair again")
		case whatsmeow.QRChannelEventPasskeyRequest, whatsmeow.QRChannelEventPasskeyResponse:
			return Device{}, errors.New("whatsapp pair: WhatsApp asked to confirm the link with a passkey, which Mitra cannot do; try again, or pair with --phone")
		case whatsmeow.QRChannelEventError:
			return Device{}, fmt.Errorf("whatsapp pair: %w", item.Error)
		default:
			s.log.Debug("unknown pairing event", "event", item.Event)
		}
	}
	if ctx.Err() != nil {
		return Device{}, fmt.Errorf("whatsapp pair: stopped: %w", ctx.Err())
	}
	return Device{}, ErrPairTimeout
}

// ValidatePhone checks a number given for code pairing: digits with the
// country code, no leading 0 (0812… is 62812… in Indonesia).
func ValidatePhone(phone string) error {
	if phone == "" || strings.Trim(phone, "0123456789") != "" {
		return fmt.Errorf("phone %q: want digits only, with the country code, like 6281234567890", phone)
	}
	if phone[0] == '0' {
		return fmt.Errorf("phone %q: want the international form without the leading 0, like 62%s", phone, phone[1:])
	}
	if len(phone) < 7 || len(phone) > 15 {
		return fmt.Errorf("phone %q: a phone number with its country code has 7 to 15 digits", phone)
	}
	return nil
}

// Logout unlinks the number: it tells WhatsApp (the phone then drops
// Mitra from "Linked devices") and deletes the device from the store.
// When WhatsApp cannot be reached the device is deleted anyway and
// unlinked reports false: remove it on the phone by hand. Stop `mitra
// serve` first: a second connection with the same session ends the
// first.
func (s *Store) Logout(ctx context.Context) (d Device, unlinked bool, err error) {
	dev, err := s.device(ctx)
	if err != nil {
		return Device{}, false, err
	}
	if dev.ID == nil {
		return Device{}, false, ErrNotPaired
	}
	d, err = s.describe(ctx, dev)
	if err != nil {
		return Device{}, false, err
	}
	prepare(ctx, s.log)
	client := whatsmeow.NewClient(dev, newWALogger(s.log, care.Pseudonyms{}))
	client.EnableAutoReconnect = false
	if err := client.ConnectContext(ctx); err != nil {
		s.log.Warn("could not reach WhatsApp to unlink; deleting the device here only", "err", err)
	} else if !client.WaitForConnection(20 * time.Second) {
		s.log.Warn("WhatsApp did not log in in time to unlink; deleting the device here only")
	} else if err := client.Logout(ctx); err != nil {
		s.log.Warn("WhatsApp refused to unlink; deleting the device here only", "err", err)
	} else {
		unlinked = true
	}
	client.Disconnect()
	if !unlinked && !dev.Deleted {
		if err := dev.Delete(context.WithoutCancel(ctx)); err != nil {
			return d, false, fmt.Errorf("whatsapp logout: delete the device from %s: %w", s.path, err)
		}
	}
	if err := s.remove(context.WithoutCancel(ctx), keyPairing); err != nil {
		return d, unlinked, err
	}
	return d, unlinked, nil
}
