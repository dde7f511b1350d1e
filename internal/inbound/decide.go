package inbound

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/flow"
)

// decide turns a loaded conversation and a message into what to store,
// and what the step's actions leave to do before it is stored
// (Runtime.settle). It does no I/O: x holds what the message needed
// read besides (MY DATA's records, the contact's orders).
func (r *Runtime) decide(id care.ContactID, found care.Resolution, conv care.Conversation, in care.Inbound, now time.Time, x reads) (care.Commit, *step) {
	truncated := in.Clean()
	contact := conv.Contact
	if contact.ID == "" {
		contact = care.Contact{ID: id, FirstSeen: now, Suppressed: found.Suppressed}
	}
	contact.AddAddress(in.Address)
	if in.Alias.ID != "" && found.Other == "" {
		contact.AddAddress(in.Alias) // a different contact's alias joins by the merge
	}
	if in.Kind == care.KindChoice && in.Text == "" {
		// The transcript, MY DATA and the console show the button's
		// label as the contact saw it, not its id.
		in.Text = r.flows.ChoiceLabel(conv.Session, in.Choice, cmp.Or(conv.Session.Lang, contact.Lang, r.cfg.Lang))
	}
	c := r.commitFor(in)
	h := r.handover(contact, conv.Session, now)
	if in.Kind == care.KindStaff {
		// A person at the shop wrote in the chat from the shop's phone:
		// it holds the conversation and the bot keeps quiet.
		if h.State != care.StateHeld || h.Holder != care.ShopPhone {
			h = care.Handover{State: care.StateHeld, Holder: care.ShopPhone, Since: now, Reason: h.Reason, FirstWords: h.FirstWords}
			c.Events = append(c.Events, care.StaffEvent{At: now, Action: care.ActionTookOver, By: care.ShopPhone})
		}
		h.LastStaff = now
		contact.Handover = h
		contact.HeldSince = now
		sess := conv.Session
		// The person answers whatever was asked: the bot's own question
		// (an opt-in, an erasure) no longer waits for an answer.
		sess.Flow, sess.Step, sess.Return = "", "", ""
		r.finish(&c, conv, sess, contact, nil, now)
		r.cfg.Logger.Info("a person at the shop answers from its phone; the bot keeps quiet", "contact", contact.ID)
		return c, &step{}
	}
	if in.Name != "" {
		contact.Name = in.Name
	}
	contact.LastInbound = now
	contact.LastInboundOn = with(contact.LastInboundOn, in.Address.Channel, now)
	if _, ok := contact.Unreachable[in.Address.Channel]; ok {
		// They wrote, so the channel reaches them again.
		contact.Unreachable = maps.Clone(contact.Unreachable)
		delete(contact.Unreachable, in.Address.Channel)
	}

	// The bot answers again when the hold ran out (the sweep had not
	// returned it yet) or staff handed it back: it says so first.
	var before []flow.Message
	notice := false
	active := h.Active(now, r.cfg.StaffIdle)
	if !active && h.State != care.StateBot && h.State != "" {
		c.Events = append(c.Events, care.StaffEvent{At: now, Action: care.ActionReturned, By: care.ByMitra, Reason: "the hold ran out"})
		h, notice = care.Handover{State: care.StateBot}, true
	}
	if h.Resume != nil {
		notice = notice || h.Resume.Notice
		h.Resume = nil
	}
	sess := conv.Session
	sess.StaffUntil = time.Time{}
	if active {
		sess.StaffUntil = h.HoldUntil(r.cfg.StaffIdle)
	}
	if sess.Lang == "" {
		sess.Lang = contact.Lang // the session ran out; the person's language did not
	}

	input := flow.Input{Kind: in.Kind, Text: in.Text, Choice: in.Choice, Truncated: truncated}
	if in.Start != "" {
		input.Start = r.cfg.DeepLinks[in.Start]
		if input.Start == "" {
			input.Start = "welcome"
		}
	}
	env := r.env(contact, sess, x, now)
	if active {
		// HELP meanwhile answers with staff_hold, which may say when.
		env.Mitra[mitraStaffETA] = r.staffETA(cmp.Or(sess.Lang, r.cfg.Lang), now)
	}
	if notice {
		if t := r.staffText(flow.TextStaffBack, sess, env, now); t != "" {
			before = append(before, flow.Message{Text: t})
		}
	}
	if p := x.proof; p != nil {
		// A photo of the payment for an order: kept, and the
		// conversation stays where it was.
		c.Events = append(c.Events, care.StaffEvent{At: now, Action: care.ActionProof, By: care.ByCustomer, Reason: p.number})
		if !p.told {
			lang := cmp.Or(sess.Lang, r.cfg.Lang)
			before = append(before, flow.Message{Text: pick(lang, "Terima kasih, Kak 🙏 Fotonya kami simpan sebagai bukti bayar pesanan %s; staf kami akan mengeceknya.",
				"Thank you 🙏 We have kept the photo as the proof of payment for order %s; our staff will check it.", p.number)})
		}
		contact.Handover = h
		r.finish(&c, conv, sess, contact, before, now)
		return c, &step{}
	}
	res := r.flows.Step(sess, input, env)

	sess = res.Session
	st := &step{r: r, in: in, now: now, sess: &sess, contact: &contact, commit: &c, handover: &h}
	switch {
	case !active:
	case sess.StaffUntil.IsZero():
		// The customer asked for the bot back (MENU).
		h = care.Handover{State: care.StateBot}
		c.Events = append(c.Events, care.StaffEvent{At: now, Action: care.ActionReleased, By: care.ByCustomer})
	case res.Staff:
		r.cfg.Logger.Info("message kept for staff", "contact", contact.ID)
		st.waitedOn()
	}
	if res.Keyword == flow.KeywordStop {
		// Whatever the flows say, STOP withdraws promotions at once.
		st.consent(care.Promotions, false, care.SourceKeyword, flow.Action{})
	}
	st.act(res.Actions)
	msgs := append(append(before, res.Messages...), st.say...)
	switch {
	case st.escalated:
		msgs = append(msgs, flow.Message{Text: r.staffText(flow.TextStaffHold, sess, env, now)})
	case st.remind:
		t := r.staffText(flow.TextStaffReminder, sess, env, now)
		if t == "" {
			t = r.staffText(flow.TextStaffHold, sess, env, now)
		}
		msgs = append(msgs, flow.Message{Text: t})
	}
	contact.Handover = h
	if c.Erase {
		// What stays until the erasure job ends: enough to send the
		// confirmation (the addresses, the reply window) and nothing
		// else. The name, consent and conversation go now.
		contact = care.Contact{ID: contact.ID, Version: contact.Version, Addresses: contact.Addresses, FirstSeen: contact.FirstSeen,
			LastInbound: contact.LastInbound, LastInboundOn: contact.LastInboundOn, Erasing: now}
	}
	if x.records != nil {
		msgs = append(msgs, r.olderMessages(x.records, contact, now)...)
	}
	r.finish(&c, conv, sess, contact, msgs, now)
	return c, st
}

// commitFor starts the commit of a step about in: what every step
// keeps, and for how long.
func (r *Runtime) commitFor(in care.Inbound) care.Commit {
	c := care.Commit{Inbound: in, SessionTTL: r.cfg.SessionTTL, Transcript: r.cfg.Transcript}
	if in.Address.Simulated() {
		// A simulated contact is forgotten a week after its last message.
		c.SessionTTL, c.Transcript = min(c.SessionTTL, simKeep), min(c.Transcript, simKeep)
	}
	return c
}

// env is what the flows know of the world for a step; the time is the
// shop's, so a call tells the shop's day (a pre-order closed).
func (r *Runtime) env(contact care.Contact, sess care.Session, x reads, now time.Time) flow.Env {
	return flow.Env{Now: now.In(r.cfg.TimeZone), Lang: r.cfg.Lang, Contact: map[string]string{"name": contact.Name}, Mitra: r.mitraValues(contact, sess, x, now)}
}

// finish completes the commit c of a step: the session stored over the
// version loaded (never holding the bot back itself: the profile's
// Handover says who answers), the profile, and msgs as replies on the
// step's address.
func (r *Runtime) finish(c *care.Commit, conv care.Conversation, sess care.Session, contact care.Contact, msgs []flow.Message, now time.Time) {
	sess.StaffUntil = time.Time{}
	sess.Version = conv.Session.Version
	sess.Updated = now
	if sess.Lang != "" && !c.Erase {
		contact.Lang = sess.Lang
	}
	c.Session, c.Contact = sess, contact
	c.Outbound = nil
	r.reply(c, msgs)
}

// reply adds msgs to the replies of the step c, on the step's address
// in the session's language; their ids follow from the message's, so
// the same step run again queues the same messages.
func (r *Runtime) reply(c *care.Commit, msgs []flow.Message) {
	in := c.Inbound
	base := outboundID(c.Contact.ID, in.MessageID)
	for _, m := range msgs {
		o := care.Outbound{
			ID:      base + "." + strconv.Itoa(len(c.Outbound)),
			Contact: c.Contact.ID,
			Address: in.Address,
			Class:   care.Reply,
			Text:    m.Text,
			Choices: m.Choices,
			Lang:    cmp.Or(c.Session.Lang, r.cfg.Lang),
			Created: c.Session.Updated,
			Origin:  care.OriginFlow,
		}
		if in.Kind != "" {
			o.InReplyTo = in.MessageID // not for the bot's own step (Resume)
		}
		if c.Erase {
			o.Origin = care.OriginErasure
		}
		c.Outbound = append(c.Outbound, o)
	}
}

// simKeep is how long a simulated contact's conversation is kept.
const simKeep = 7 * 24 * time.Hour

// with returns a copy of m with k set to v.
func with[K comparable, V any](m map[K]V, k K, v V) map[K]V {
	out := make(map[K]V, len(m)+1)
	for x, y := range m {
		out[x] = y
	}
	out[k] = v
	return out
}

// transcriptShown bounds the characters of transcript shown in the MY
// DATA message itself; older steps follow in messages of their own.
const transcriptShown = 2000

// chunk is the most characters of older transcript in one message.
const chunk = 3500

// mitraValues are the {{mitra.x}} values: the caps and when staff would
// answer always, the records when the contact asked for them.
func (r *Runtime) mitraValues(c care.Contact, sess care.Session, x reads, now time.Time) map[string]string {
	m := map[string]string{
		"promo_max":   strconv.Itoa(r.cfg.PromoMax),
		"promo_days":  strconv.Itoa(r.cfg.PromoDays),
		mitraStaffETA: r.staffETA(cmp.Or(sess.Lang, r.cfg.Lang), now),
	}
	if x.orders != nil {
		r.orders.orderValues(m, x.orders, cmp.Or(sess.Lang, r.cfg.Lang))
	}
	bookedValues(m, x.booked)
	rec := x.records
	if rec == nil {
		return m
	}
	day := r.dayFormat(c)
	var b strings.Builder
	for i, a := range c.Addresses {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "• %s %s", a.Channel, a.ID)
	}
	if c.Name != "" {
		fmt.Fprintf(&b, "\n• %s", c.Name)
	}
	if c.Lang != "" {
		fmt.Fprintf(&b, "\n• lang: %s", c.Lang)
	}
	if c.TimeZone != "" {
		fmt.Fprintf(&b, "\n• tz: %s", c.TimeZone)
	}
	if !c.FirstSeen.IsZero() {
		fmt.Fprintf(&b, "\n• %s → %s", day(c.FirstSeen), day(now))
	}
	for _, k := range slices.Sorted(maps.Keys(sess.Vars)) {
		fmt.Fprintf(&b, "\n• %s: %s", k, clip(sess.Vars[k], 80))
	}
	m["profile"] = b.String()
	b.Reset()
	for _, e := range rec.Consent {
		mark := "✗"
		if e.Granted {
			mark = "✓"
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "• %s %s %s (%s", day(e.At), mark, e.Purpose, e.Source)
		if e.Text != "" {
			fmt.Fprintf(&b, ": %q", clip(e.Text, 40))
		}
		b.WriteString(")")
	}
	m["consents"] = b.String()
	m["orders"] = ordersList(x.orders, cmp.Or(sess.Lang, r.cfg.Lang), day)
	lines := transcriptLines(rec, day)
	recent := lines
	for n, i := 0, len(lines)-1; i >= 0; i-- {
		if n += len(lines[i]) + 1; n > transcriptShown {
			recent = lines[i+1:]
			break
		}
	}
	m["messages"] = strings.Join(recent, "\n")
	return m
}

// olderMessages are the transcript steps MY DATA's own message had no
// room for, oldest first, in messages of up to chunk characters: MY
// DATA shows everything kept.
func (r *Runtime) olderMessages(rec *care.Records, c care.Contact, now time.Time) []flow.Message {
	lines := transcriptLines(rec, r.dayFormat(c))
	n, cut := 0, len(lines)
	for i := len(lines) - 1; i >= 0; i-- {
		if n += len(lines[i]) + 1; n > transcriptShown {
			cut = i + 1
			break
		}
	}
	if cut == len(lines) {
		return nil
	}
	var out []flow.Message
	var b strings.Builder
	for _, l := range lines[:cut] {
		if b.Len()+len(l) > chunk && b.Len() > 0 {
			out = append(out, flow.Message{Text: b.String()})
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	if b.Len() > 0 {
		out = append(out, flow.Message{Text: b.String()})
	}
	if room := maxOutbound - 2; len(out) > room {
		out = out[len(out)-room:] // the transcript's bound keeps this rare
	}
	return out
}

// maxOutbound is the most messages one step may queue
// (redisstore.MaxOutbound).
const maxOutbound = 40

// transcriptLines renders the transcript, one line per message.
func transcriptLines(rec *care.Records, day func(time.Time) string) []string {
	out := make([]string, 0, len(rec.Transcript))
	for _, t := range rec.Transcript {
		arrow := "→"
		if t.Inbound {
			arrow = "←"
		}
		out = append(out, fmt.Sprintf("%s %s %s", day(t.At), arrow, clip(t.Text, 80)))
	}
	return out
}

// dayFormat renders times in the contact's time zone, else the shop's.
func (r *Runtime) dayFormat(c care.Contact) func(time.Time) string {
	loc := r.cfg.TimeZone
	if l, err := time.LoadLocation(c.TimeZone); err == nil && c.TimeZone != "" {
		loc = l
	}
	return func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
}

// clip cuts s to n characters, marking the cut.
func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
