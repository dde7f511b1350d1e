package inbound

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/flow"
)

// reminderGap is how long after the bot's last word about staff (the
// hand-over, a reminder) or the holder's last message a customer who
// writes again is reminded, once.
const reminderGap = 15 * time.Minute

// sweepBatch bounds the conversations one sweep returns to the bot.
const sweepBatch = 100

// mitraStaffETA is the {{mitra.staff_eta}} value: when staff will
// answer.
const mitraStaffETA = "staff_eta"

// handover is who answers the conversation as the profile says; a
// session of an earlier version that still holds the bot back counts
// as waiting for staff until then.
func (r *Runtime) handover(c care.Contact, sess care.Session, now time.Time) care.Handover {
	if c.Handover.State == "" && sess.StaffUntil.After(now) {
		return care.Handover{State: care.StateWaiting, Since: now, Until: sess.StaffUntil}
	}
	return c.Handover
}

// handOver hands the conversation to staff: it waits StaffHold from
// when staff are next on duty, and the customer hears staff_hold.
func (s *step) handOver(reason string) {
	r, now := s.r, s.now
	h := s.handover
	if h.State == care.StateHeld && h.Active(now, r.cfg.StaffIdle) {
		return // a person has it already
	}
	since := now
	var alerted, ownerAlerted time.Time
	if h.State == care.StateWaiting && h.Active(now, r.cfg.StaffIdle) {
		// Asked again: still waiting since then, and staff were told
		// about this wait already (or will be, once).
		since, alerted, ownerAlerted = h.Since, h.Alerted, h.OwnerAlerted
	}
	*h = care.Handover{State: care.StateWaiting, Since: since, Reason: reason, FirstWords: h.FirstWords,
		Until: r.cfg.StaffHours.Next(now.In(r.cfg.TimeZone)).Add(r.cfg.StaffHold), Alerted: alerted, OwnerAlerted: ownerAlerted}
	s.contact.HeldSince = now
	s.escalated = true
	s.commit.Events = append(s.commit.Events, care.StaffEvent{At: now, Action: care.ActionHandedOver, By: care.ByMitra, Reason: reason})
	r.cfg.Logger.Info("conversation handed to staff", "contact", s.contact.ID, "reason", reason, "until", h.Until)
}

// waitedOn handles a message the customer sent while staff have the
// conversation: the first words are kept for the inbox, and a customer
// who writes again after a quiet while is reminded, once.
func (s *step) waitedOn() {
	h := s.handover
	if h.FirstWords == "" && s.in.Kind == care.KindText {
		h.FirstWords = clip(s.in.Text, care.MaxFirstWords)
	}
	last := h.Since
	for _, t := range []time.Time{h.Reminded, h.LastStaff} {
		if t.After(last) {
			last = t
		}
	}
	if s.now.Sub(last) >= reminderGap {
		h.Reminded = s.now
		s.remind = true
	}
}

// staffText renders one of the shop's texts about staff in the
// session's language, with {{mitra.staff_eta}} for that language; ""
// when shop.yaml has no such text.
func (r *Runtime) staffText(name string, sess care.Session, env flow.Env, now time.Time) string {
	env.Mitra[mitraStaffETA] = r.staffETA(cmp.Or(sess.Lang, r.cfg.Lang), now)
	return r.flows.SystemText(name, sess, env)
}

// etaWords are the words of {{mitra.staff_eta}} in one language.
type etaWords struct {
	soon, today, tomorrow string
	on, at                string // formats: the weekday; the day and the time
	clock                 string // a time.Format layout
	weekdays              [7]string
}

// etas are the words of {{mitra.staff_eta}} per language; a language
// without its own speaks the shop's, or Indonesian.
var etas = map[string]etaWords{
	"id": {soon: "biasanya dalam beberapa menit", today: "hari ini", tomorrow: "besok", on: "hari %s", at: "%s mulai pukul %s", clock: "15.04",
		weekdays: [7]string{"Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"}},
	"en": {soon: "usually within a few minutes", today: "today", tomorrow: "tomorrow", on: "on %s", at: "%s from %s", clock: "15:04",
		weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}},
}

// staffETA says when staff will answer a conversation handed over at
// now: soon while they are on duty, else when they are back ("besok
// mulai pukul 08.00"), in the shop's time.
func (r *Runtime) staffETA(lang string, now time.Time) string {
	w, ok := etas[lang]
	if !ok {
		if w, ok = etas[r.cfg.Lang]; !ok {
			w = etas["id"]
		}
	}
	local := now.In(r.cfg.TimeZone)
	next := r.cfg.StaffHours.Next(local)
	if !next.After(local) {
		return w.soon
	}
	y, m, d := local.Date()
	day := fmt.Sprintf(w.on, w.weekdays[next.Weekday()])
	switch ny, nm, nd := next.Date(); {
	case ny == y && nm == m && nd == d:
		day = w.today
	case time.Date(y, m, d+1, 0, 0, 0, 0, local.Location()).Equal(time.Date(ny, nm, nd, 0, 0, 0, 0, local.Location())):
		day = w.tomorrow
	}
	return fmt.Sprintf(w.at, day, next.Format(w.clock))
}

// Resume says what the bot owes a contact whose conversation came back
// to it (care.Inbox's Handback, a hold nobody answered): the shop's
// staff_back text and the flow staff asked for. It is a conversation
// step of its own, stored like one and once. The console calls it right
// after a hand-back; should that process die first, the bot says it
// with its answer to the customer's next message.
func (r *Runtime) Resume(ctx context.Context, id care.ContactID) error {
	for range maxConflicts {
		convs, err := r.store.LoadMany(ctx, []care.MessageRef{{Contact: id, MessageID: "-"}})
		if err != nil {
			return fmt.Errorf("resume %s: %w", id, err)
		}
		if convs[0].Broken != nil {
			return fmt.Errorf("resume %s: %w", id, convs[0].Broken)
		}
		c, ok := r.resume(convs[0], r.cfg.Now())
		if !ok {
			return nil
		}
		err = r.store.CommitMany(ctx, []care.Commit{c})[0]
		switch {
		case err == nil, errors.Is(err, care.ErrDuplicate):
			return nil
		case !errors.Is(err, care.ErrConflict):
			return fmt.Errorf("resume %s: %w", id, err)
		}
	}
	return fmt.Errorf("resume %s: %w", id, care.ErrConflict)
}

// resume is the bot's step when a conversation came back to it, or
// false when it owes nothing (said already, or staff took it again).
func (r *Runtime) resume(conv care.Conversation, now time.Time) (care.Commit, bool) {
	contact := conv.Contact
	h := contact.Handover
	if !contact.Live() || h.Resume == nil || h.State != care.StateBot {
		return care.Commit{}, false
	}
	addr, ok := contact.ReplyAddress()
	if !ok {
		return care.Commit{}, false
	}
	rs := *h.Resume
	contact.Handover.Resume = nil
	// The step is named after the hand-back, so it is stored once.
	in := care.Inbound{Address: addr, MessageID: "resume." + strconv.FormatInt(rs.At.UnixMilli(), 10), At: now}
	c := r.commitFor(in)
	sess := conv.Session
	sess.StaffUntil = time.Time{}
	env := r.env(contact, sess, reads{}, now)
	var msgs []flow.Message
	if rs.Notice {
		if t := r.staffText(flow.TextStaffBack, sess, env, now); t != "" {
			msgs = append(msgs, flow.Message{Text: t})
		}
	}
	if rs.Flow != "" {
		res := r.flows.Step(sess, flow.Input{Start: rs.Flow}, env)
		sess = res.Session
		st := &step{r: r, in: in, now: now, sess: &sess, contact: &contact, commit: &c, handover: &contact.Handover}
		st.act(res.Actions)
		msgs = append(msgs, res.Messages...)
		if st.escalated {
			msgs = append(msgs, flow.Message{Text: r.staffText(flow.TextStaffHold, sess, env, now)})
		}
	}
	r.finish(&c, conv, sess, contact, msgs, now)
	return c, true
}

// SweepHandovers gives back to the bot the conversations nobody
// answered in time (waiting past their hold, held by someone idle for
// StaffIdle) and says what the bot owes each. Every process runs it
// every few seconds: each return is a write over the profile version
// read, and each step is stored once, so two sweeps never do one twice.
// It returns how many conversations came back.
func (r *Runtime) SweepHandovers(ctx context.Context) (int, error) {
	ids, err := r.store.ReturnLapsed(ctx, r.cfg.Now(), r.cfg.StaffIdle, sweepBatch)
	errs := []error{err}
	for _, id := range ids {
		errs = append(errs, r.Resume(ctx, id))
	}
	return len(ids), errors.Join(errs...)
}
