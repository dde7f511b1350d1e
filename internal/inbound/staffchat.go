package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// The staff desk is the bot's side of a staff member's own chat with it
// (care.StaffChats): LINK and a code from any chat links it, and what a
// linked chat writes is a command, never a customer's message. Nothing
// here reaches the flows, consent or the inbox; the answers are
// care.StaffAlert messages, through the outbox and the gate like every
// other.

// claimChoice starts the id of an alert's button that claims a
// conversation: "claim:<contact id>".
const claimChoice = "claim:"

// deskWords are the staff desk's texts in one language.
type deskWords struct {
	linked    string // the account
	wrong     string
	throttled string // the time to try again
	unlinked  string // the account
	help      string // the account
	claimed   string // the customer, the console link
	taken     string // the holder, the customer
	gone      string
	noCode    string // the code, the console link
	noAccount string
}

// desks are the desk's texts per language; a language without its own
// speaks Indonesian.
var desks = map[string]deskWords{
	"id": {
		linked:    "✅ Terhubung sebagai %s. Di chat ini Anda akan menerima pemberitahuan percakapan yang menunggu staf. Ketik UNLINK untuk berhenti.",
		wrong:     "Kode itu salah atau sudah kedaluwarsa, jadi chat ini belum terhubung. Minta kode baru (berlaku 15 menit), lalu kirim LINK dan kodenya.",
		throttled: "Terlalu banyak kode salah dari chat ini. Coba lagi setelah pukul %s.",
		unlinked:  "Chat ini tidak lagi terhubung dengan akun %s; pemberitahuan berhenti.",
		help:      "Ini chat staf Mitra untuk %s.\n• KLAIM <kode> — ambil percakapan dari pemberitahuan\n• UNLINK — berhenti menerima pemberitahuan di chat ini",
		claimed:   "✅ Percakapan dengan %s sekarang Anda pegang. Balas di konsol: %s",
		taken:     "%s sudah mengambil percakapan dengan %s.",
		gone:      "Percakapan itu sudah tidak ada.",
		noCode:    "Kode KLAIM %s tidak dikenal atau sudah kedaluwarsa. Lihat yang menunggu di konsol: %s",
		noAccount: "Akun staf chat ini sudah dihapus, jadi chat ini tidak lagi terhubung.",
	},
	"en": {
		linked:    "✅ Linked as %s. This chat will get alerts about conversations waiting for staff. Send UNLINK to stop.",
		wrong:     "That code is wrong or expired, so this chat is not linked. Ask for a new code (it lasts 15 minutes), then send LINK and the code.",
		throttled: "Too many wrong codes from this chat. Try again after %s.",
		unlinked:  "This chat is no longer linked to %s; the alerts stop.",
		help:      "This is Mitra's staff chat for %s.\n• CLAIM <code> — take a conversation from an alert\n• UNLINK — stop the alerts in this chat",
		claimed:   "✅ The conversation with %s is yours now. Reply in the console: %s",
		taken:     "%s has taken the conversation with %s already.",
		gone:      "That conversation is gone.",
		noCode:    "Claim code %s is unknown or expired. See who waits in the console: %s",
		noAccount: "This chat's staff account was removed, so the chat is no longer linked.",
	},
}

// words are the desk's and the alerts' texts in the shop's language.
func (r *Runtime) words() (deskWords, alertWords) {
	lang := r.cfg.Lang
	if _, ok := desks[lang]; !ok {
		lang = "id"
	}
	return desks[lang], alertTexts[lang]
}

// linkCode is the code of a message that links a chat: "LINK 123456" in
// any case (Telegram's /link too), or Telegram's deep link /start
// link-123456. ok is false for any other message.
func linkCode(in care.Inbound) (code string, ok bool) {
	if in.Kind != care.KindText {
		return "", false
	}
	start := strings.ToLower(in.Start)
	for _, p := range []string{"link-", "link_"} {
		if c, found := strings.CutPrefix(start, p); found && digitsOnly(c) {
			return c, true
		}
	}
	f := strings.Fields(strings.ToLower(in.Text))
	if len(f) == 2 && f[0] == "link" && digitsOnly(f[1]) {
		return f[1], true
	}
	return "", false
}

// digitsOnly reports whether s is 1 to 12 decimal digits.
func digitsOnly(s string) bool {
	return s != "" && len(s) <= 12 && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

// desk handles a message to the staff desk: a LINK code from any chat
// (account is ""), or whatever the chat linked to account writes. A
// LINK counts as handled in the step that links, so one delivered again
// never links or counts against the chat twice; any other message is
// answered before it counts as handled, so one delivered again after a
// failure is answered then. One handled already is a duplicate.
func (r *Runtime) desk(ctx context.Context, in care.Inbound, account string) error {
	in.Clean()
	now := r.cfg.Now()
	if code, ok := linkCode(in); ok {
		return r.link(ctx, in, code, now)
	}
	seen, err := r.store.StaffMessageSeen(ctx, in.Address, in.MessageID)
	if err != nil {
		return fmt.Errorf("staff chat: %w", err)
	}
	if seen {
		return care.ErrDuplicate
	}
	w, _ := r.words()
	if live, err := r.accountLive(ctx, account); err != nil {
		return fmt.Errorf("staff chat: %w", err)
	} else if !live {
		// Linked with a code of an account removed since: it acts for
		// nobody.
		if _, err := r.store.UnlinkStaffChat(ctx, in.Address, in.MessageID); err != nil {
			return fmt.Errorf("staff chat: %w", err)
		}
		return r.answer(ctx, in, "", now, w.noAccount)
	}
	f := strings.Fields(strings.ToLower(in.Text))
	var text string
	var about []care.ContactID // the customer a claim's answer names
	switch {
	case in.Kind == care.KindChoice && strings.HasPrefix(in.Choice, claimChoice):
		id := care.ContactID(strings.TrimPrefix(in.Choice, claimChoice))
		about = []care.ContactID{id}
		text, err = r.claim(ctx, account, id)
	case in.Kind == care.KindText && len(f) == 2 && (f[0] == "klaim" || f[0] == "claim"):
		id, ok, err2 := r.store.ClaimCode(ctx, f[1])
		switch {
		case err2 != nil:
			err = err2
		case !ok:
			text = fmt.Sprintf(w.noCode, f[1], r.consoleLink(""))
		default:
			about = []care.ContactID{id}
			text, err = r.claim(ctx, account, id)
		}
	case in.Kind == care.KindText && len(f) == 1 && f[0] == "unlink":
		// The answer first: once unlinked, the chat's messages are a
		// customer's, and one delivered again would reach the flows.
		if err := r.answer(ctx, in, account, now, fmt.Sprintf(w.unlinked, account)); err != nil {
			return err
		}
		if _, err := r.store.UnlinkStaffChat(ctx, in.Address, in.MessageID); err != nil {
			return fmt.Errorf("staff chat: %w", err)
		}
		r.cfg.Logger.Info("staff chat unlinked", "account", account, "chat", r.cfg.Pseudonyms.Of(in.Address))
		return nil
	default:
		text = fmt.Sprintf(w.help, account)
	}
	if err != nil {
		return fmt.Errorf("staff chat: %w", err)
	}
	if err := r.answer(ctx, in, account, now, text, about...); err != nil {
		return err
	}
	if err := r.store.StaffMessageDone(ctx, in.Address, in.MessageID); err != nil {
		return fmt.Errorf("staff chat: %w", err)
	}
	return nil
}

// accountLive reports whether account exists and has a linked chat.
func (r *Runtime) accountLive(ctx context.Context, account string) (bool, error) {
	chats, err := r.store.StaffChats(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(chats, func(c care.StaffChat) bool { return strings.EqualFold(c.Account, account) }), nil
}

// link links the chat with code and says how it went.
func (r *Runtime) link(ctx context.Context, in care.Inbound, code string, now time.Time) error {
	res, err := r.store.LinkStaffChat(ctx, in.Address, in.Alias, code, in.MessageID)
	if err != nil {
		return fmt.Errorf("link a staff chat: %w", err)
	}
	if res.Repeat {
		return care.ErrDuplicate // answered the first time
	}
	w, _ := r.words()
	if res.Outcome == care.LinkDone {
		// A code outlives an account removed within its 15 minutes.
		live, err := r.accountLive(ctx, res.Account)
		if err != nil {
			return fmt.Errorf("link a staff chat: %w", err)
		}
		if !live {
			if _, err := r.store.UnlinkStaffChat(ctx, in.Address, in.MessageID); err != nil {
				return fmt.Errorf("link a staff chat: %w", err)
			}
			res = care.LinkResult{Outcome: care.LinkWrong}
		}
	}
	var text string
	switch res.Outcome {
	case care.LinkDone:
		text = fmt.Sprintf(w.linked, res.Account)
		r.cfg.Logger.Info("staff chat linked", "account", res.Account, "chat", r.cfg.Pseudonyms.Of(in.Address))
	case care.LinkThrottled:
		text = fmt.Sprintf(w.throttled, res.Until.In(r.cfg.TimeZone).Format("15.04"))
	default:
		text = w.wrong
		r.cfg.Logger.Info("a wrong code to link a staff chat", "chat", r.cfg.Pseudonyms.Of(in.Address))
	}
	return r.answer(ctx, in, res.Account, now, text)
}

// claim takes the conversation over for account, through the inbox
// like the console does (exactly one of two claims wins), and says how
// it went.
func (r *Runtime) claim(ctx context.Context, account string, id care.ContactID) (string, error) {
	w, _ := r.words()
	if id.Validate() != nil {
		return w.gone, nil
	}
	c, err := r.store.Takeover(ctx, id, account)
	switch care.ErrorCode(err) {
	case "":
		r.cfg.Logger.Info("a conversation claimed from a staff chat", "contact", id, "staff", account)
		return fmt.Sprintf(w.claimed, customerName(c.ID, c.Name), r.consoleLink(id)), nil
	case care.ENotFound:
		return w.gone, nil
	case care.EConflict:
		cur, ok, err2 := r.store.Contact(ctx, id)
		if err2 != nil {
			return "", fmt.Errorf("claim %s: %w", id, err2)
		}
		if h := cur.Handover; ok && h.State == care.StateHeld && h.Holder != "" {
			return fmt.Sprintf(w.taken, h.Holder, customerName(cur.ID, cur.Name)), nil
		}
	}
	return "", fmt.Errorf("claim %s: %w", id, err)
}

// answer queues the desk's answer to in, which tells of the customers
// about (care.Outbound.About).
func (r *Runtime) answer(ctx context.Context, in care.Inbound, account string, now time.Time, text string, about ...care.ContactID) error {
	m := care.Outbound{ID: chatMessageID("d", in.Address.String(), in.MessageID), Address: in.Address, Class: care.StaffAlert,
		Origin: care.OriginSystem, Staff: account, InReplyTo: in.MessageID, Text: text, Lang: r.cfg.Lang, Created: now, About: about}
	if err := r.store.QueueStaffChat(ctx, []care.Outbound{m}); err != nil {
		return fmt.Errorf("answer a staff chat: %w", err)
	}
	return nil
}

// consoleLink is the console's page of a conversation ("" for its
// list), under the public URL when there is one.
func (r *Runtime) consoleLink(id care.ContactID) string {
	if id == "" {
		return r.cfg.PublicURL + "/console"
	}
	return r.cfg.PublicURL + "/console/c/" + string(id)
}

// customerName is how staff are told whom a conversation is with: the
// name the platform gave, or a short form of the contact's id.
func customerName(id care.ContactID, name string) string {
	if name = strings.TrimSpace(name); name != "" {
		return clip(name, 40)
	}
	if len(id) > 7 {
		return "#" + string(id[1:7])
	}
	return "#" + string(id)
}

// chatMessageID is a stable id for a message to a staff chat: kind ("d"
// for an answer, "a" for an alert) and a hash of the parts, so a step
// run again yields the same id.
func chatMessageID(kind string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return kind + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
}
