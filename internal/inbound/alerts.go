package inbound

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Alerts tell the staff on duty, in their linked chats, about the
// conversations waiting for them, and the owners about those still
// waiting unclaimed a while later (Config.AlertOwner). A conversation
// is marked in its profile when staff were told (care.StaffAlerts), so
// each waiting spell is alerted once of each kind, whichever process
// sweeps. Outside the staff hours nobody is on duty and nobody is
// alerted: the conversations that started waiting overnight are listed
// together, each with since when it waits, in one message at the
// opening.

// alertScan bounds the waiting conversations one sweep looks at;
// alertList those one message lists (the rest are counted).
const (
	alertScan = 100
	alertList = 10
)

// claimCodeTTL is how long a KLAIM code of an alert works.
const claimCodeTTL = 24 * time.Hour

// alertWords are the alerts' texts in one language.
type alertWords struct {
	waiting   string // the count
	overdue   string // the count, how long since staff were told
	line      string // the customer, the channel, since when
	reason    map[string]string
	reply     string // the code
	claim     string // the customer: a button's label
	more      string // the count
	console   string // the link
	proof     string // the order
	fee       string // the order
	yesterday string
	minutes   string
	hours     string
}

// alertTexts are the alerts' texts per language (see deskWords).
var alertTexts = map[string]alertWords{
	"id": {
		waiting: "🔔 %d percakapan menunggu staf:",
		overdue: "⏰ %d percakapan belum diambil staf, %s setelah pemberitahuan:",
		line:    "• %s · %s · sejak %s",
		reason:  map[string]string{"person": "minta bicara dengan staf", "order": "pesanan", "not_understood": "bot tidak mengerti"},
		reply:   "Balas KLAIM %s", claim: "Klaim %s", more: "…dan %d lainnya.", console: "Konsol: %s",
		proof:     "🧾 Bukti bayar %s masuk — cek lalu tandai dibayar",
		fee:       "📦 Ongkir %s belum ada — alamatnya di luar area kirim; tentukan ongkirnya",
		yesterday: "kemarin", minutes: "%d menit", hours: "%d jam",
	},
	"en": {
		waiting: "🔔 %d conversations wait for staff:",
		overdue: "⏰ %d conversations nobody took, %s after the alert:",
		line:    "• %s · %s · since %s",
		reason:  map[string]string{"person": "asked for a person", "order": "an order", "not_understood": "the bot did not understand"},
		reply:   "Reply CLAIM %s", claim: "Claim %s", more: "…and %d more.", console: "Console: %s",
		proof:     "🧾 Payment proof for %s came — check it, then mark it paid",
		fee:       "📦 %s has no delivery fee yet — the address is in no delivery area; set the fee",
		yesterday: "yesterday", minutes: "%d min", hours: "%d h",
	},
}

// SweepAlerts alerts the linked chats of the staff on duty about the
// conversations that started waiting, once each, gathering those that
// start within Config.AlertGather into one message; and the owners'
// chats about conversations still waiting unclaimed Config.AlertOwner
// after staff were told. It returns how many conversations it alerted
// about. One process should sweep at a time (the app holds a lease);
// should two, each conversation is still alerted once, because the mark
// in its profile is written over the version read.
func (r *Runtime) SweepAlerts(ctx context.Context) (int, error) {
	now := r.cfg.Now()
	if r.cfg.StaffHours.Next(now.In(r.cfg.TimeZone)).After(now) {
		return 0, nil // nobody is on duty: they hear at the opening
	}
	chats, err := r.store.StaffChats(ctx)
	if err != nil {
		return 0, fmt.Errorf("alert staff: %w", err)
	}
	if len(chats) == 0 {
		return 0, nil // nobody to tell yet; the first to link hears
	}
	waiting, err := r.store.Conversations(ctx, care.InboxWaiting, alertScan)
	if err != nil {
		return 0, fmt.Errorf("alert staff: %w", err)
	}
	var fresh, overdue []care.InboxEntry
	for _, e := range waiting {
		switch {
		case e.Alerted.IsZero():
			fresh = append(fresh, e)
		case r.cfg.AlertOwner > 0 && e.OwnerAlerted.IsZero() && now.Sub(e.Alerted) >= r.cfg.AlertOwner:
			overdue = append(overdue, e)
		}
	}
	n := 0
	var errs []error
	// The first to wait waits for the others of the next minute, so they
	// come in one message.
	if len(fresh) > 0 && now.Sub(slices.MinFunc(fresh, bySince).Since) >= r.cfg.AlertGather {
		k, err := r.alert(ctx, fresh, chats, false, now)
		n += k
		errs = append(errs, err)
	}
	owners := slices.DeleteFunc(slices.Clone(chats), func(c care.StaffChat) bool { return c.Role != care.RoleOwner })
	if len(overdue) > 0 && len(owners) > 0 {
		k, err := r.alert(ctx, overdue, owners, true, now)
		n += k
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}

func bySince(a, b care.InboxEntry) int { return a.Since.Compare(b.Since) }

// alert marks each conversation alerted (staff's, or with owner the
// owners') and queues one message listing those it marked to each chat
// of to. A mark another sweep made first leaves its conversation out;
// marks whose message could not be queued are taken back, so the next
// sweep tries again.
func (r *Runtime) alert(ctx context.Context, entries []care.InboxEntry, to []care.StaffChat, owner bool, now time.Time) (int, error) {
	var marked []care.InboxEntry
	var errs []error
	for _, e := range entries {
		ok, err := r.store.MarkAlerted(ctx, e.Contact, e.Since, owner, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			marked = append(marked, e)
		}
	}
	if len(marked) == 0 {
		return 0, errors.Join(errs...)
	}
	msgs, err := r.alertMessages(ctx, marked, to, owner, now)
	if err == nil {
		err = r.store.QueueStaffChat(ctx, msgs)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("alert staff: %w", err))
		for _, e := range marked {
			errs = append(errs, r.store.UnmarkAlerted(ctx, e.Contact, e.Since, owner, now))
		}
		return 0, errors.Join(errs...)
	}
	r.cfg.Logger.Info("staff alerted about waiting conversations", "conversations", len(marked), "chats", len(to), "owners", owner)
	return len(marked), errors.Join(errs...)
}

// alertMessages are the alert about entries to each chat of to: on
// Telegram a Klaim button per conversation, on WhatsApp, which has no
// buttons, a KLAIM code per conversation.
func (r *Runtime) alertMessages(ctx context.Context, entries []care.InboxEntry, to []care.StaffChat, owner bool, now time.Time) ([]care.Outbound, error) {
	_, w := r.words()
	shown := entries[:min(len(entries), alertList)]
	var codes []string
	if slices.ContainsFunc(to, func(c care.StaffChat) bool { return c.Address.Channel == care.WhatsApp }) {
		ids := make([]care.ContactID, len(shown))
		for i, e := range shown {
			ids[i] = e.Contact
		}
		var err error
		if codes, err = r.store.ClaimCodes(ctx, ids, claimCodeTTL); err != nil {
			return nil, err
		}
	}
	kind := "staff"
	head := fmt.Sprintf(w.waiting, len(entries))
	if owner {
		kind = "owner"
		head = fmt.Sprintf(w.overdue, len(entries), span(w, r.cfg.AlertOwner))
	}
	out := make([]care.Outbound, 0, len(to))
	for _, c := range to {
		var b strings.Builder
		b.WriteString(head)
		var choices []care.Choice
		var about []care.ContactID
		ids := []string{kind, c.Address.String()}
		for i, e := range shown {
			name := customerName(e.Contact, e.Name)
			about = append(about, e.Contact)
			ids = append(ids, string(e.Contact), e.Since.UTC().Format(time.RFC3339Nano))
			b.WriteString("\n\n")
			fmt.Fprintf(&b, w.line, name, channels(e.Channels), r.when(w, e.Since, now))
			if why := w.reason[e.Reason]; why != "" {
				b.WriteString(" · " + why)
			}
			if e.FirstWords != "" {
				b.WriteString("\n“" + clip(e.FirstWords, care.MaxFirstWords) + "”")
			}
			if c.Address.Channel == care.WhatsApp {
				b.WriteString("\n" + fmt.Sprintf(w.reply, codes[i]))
			} else {
				choices = append(choices, care.Choice{ID: claimChoice + string(e.Contact), Label: fmt.Sprintf(w.claim, clip(name, 24))})
			}
		}
		if more := len(entries) - len(shown); more > 0 {
			b.WriteString("\n\n" + fmt.Sprintf(w.more, more))
		}
		b.WriteString("\n\n" + fmt.Sprintf(w.console, r.consoleLink("")))
		out = append(out, care.Outbound{ID: chatMessageID("a", ids...), Address: c.Address, Class: care.StaffAlert,
			Origin: care.OriginSystem, Staff: c.Account, Text: b.String(), Choices: choices, Lang: r.cfg.Lang, Created: now, About: about})
	}
	return out, nil
}

// channels names the channels a customer wrote on.
func channels(chs []care.Channel) string {
	names := make([]string, len(chs))
	for i, ch := range chs {
		names[i] = map[care.Channel]string{care.WhatsApp: "WhatsApp", care.Telegram: "Telegram"}[ch]
	}
	return strings.Join(names, ", ")
}

// when says since when a conversation waits, in the shop's time: the
// time today, "kemarin" and the time, or the weekday and the time.
func (r *Runtime) when(w alertWords, since, now time.Time) string {
	e := etas[r.cfg.Lang]
	if e.clock == "" {
		e = etas["id"]
	}
	s, n := since.In(r.cfg.TimeZone), now.In(r.cfg.TimeZone)
	at := s.Format(e.clock)
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()) }
	switch days := int(day(n).Sub(day(s)).Hours()+12) / 24; {
	case days <= 0:
		return at
	case days == 1:
		return w.yesterday + " " + at
	default:
		return e.weekdays[s.Weekday()] + " " + at
	}
}

// span says how long d is, in minutes or hours.
func span(w alertWords, d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf(w.minutes, int(d.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf(w.hours, int(d.Round(time.Hour)/time.Hour))
}
