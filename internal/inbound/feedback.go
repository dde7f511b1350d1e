package inbound

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/flow"
)

// Once staff mark an order delivered or picked up, its customer is
// asked how it was, Config.FeedbackDelay later and never in the quiet
// hours of their day: the bot starts the feedback flow in a step of its
// own, with the order's number in vars.feedback_order, and its messages
// are about the order (transactional), so they go out after the 24-hour
// reply window too. The score and an optional comment are kept on the
// order (care.Feedback); a score of two or less hands the conversation
// to staff (the flow's escalate). Apart from that, a customer's
// suggestion ("saran") is kept for the owner.

// The actions and the flow of feedback.
const (
	// ActionFeedback keeps the score (vars.feedback_score, 1 to 5) and
	// the comment, when one was asked (vars.feedback_comment), on the
	// order of vars.feedback_order.
	ActionFeedback = "feedback"
	// ActionSuggestion keeps vars.suggestion for the owner.
	ActionSuggestion = "suggestion"
	feedbackFlow     = "feedback"
)

// The variables of the feedback flows.
const (
	varFeedbackOrder   = "feedback_order"
	varFeedbackScore   = "feedback_score"
	varFeedbackComment = "feedback_comment"
	varSuggestion      = "suggestion"
)

// Bounds of asking for feedback.
const (
	// feedbackMaxAge: an order received longer ago than this past its
	// delay is not asked about any more (Mitra was down, the delay
	// changed).
	feedbackMaxAge = 3 * 24 * time.Hour
	// feedbackScan bounds the orders one sweep looks at, per state.
	feedbackScan = 200
	// feedbackBusy: a conversation under way this recently is not
	// interrupted; its customer is asked at a later sweep.
	feedbackBusy = 30 * time.Minute
	// lowScore and below hand the conversation to staff.
	lowScore = 2
	// maxComment bounds a comment, in characters.
	maxComment = 1000
)

var (
	feedbackAction   = action{do: func(s *step, _ flow.Action) { s.keepFeedback() }}
	suggestionAction = action{do: func(s *step, _ flow.Action) { s.keepSuggestion() }}
)

// feedbackWrite is what a step keeps on an order (Runtime.writeFeedback).
type feedbackWrite struct {
	number  string
	score   int
	comment string
}

// keepFeedback prepares the score, and the comment once it was asked,
// for Runtime.writeFeedback; the feedback's variables go when it is
// done.
func (s *step) keepFeedback() {
	vars := s.sess.Vars
	score, _ := strconv.Atoi(vars[varFeedbackScore])
	if vars[varFeedbackOrder] == "" || score < 1 || score > 5 {
		s.r.cfg.Logger.Error("feedback without an order or a score; nothing kept", "contact", s.contact.ID)
		return
	}
	w := &feedbackWrite{number: vars[varFeedbackOrder], score: score}
	comment, commented := vars[varFeedbackComment]
	if commented && !skipped(comment) {
		w.comment, _ = care.CleanText(comment, maxComment)
	}
	s.feedback = w
	if commented || score <= lowScore {
		s.drop(varFeedbackOrder, varFeedbackScore, varFeedbackComment)
	}
}

// keepSuggestion keeps the customer's suggestion as an event of their
// conversation, for the owner (Runtime.Suggested indexes it).
func (s *step) keepSuggestion() {
	text, _ := care.CleanText(s.sess.Vars[varSuggestion], care.MaxSuggestion)
	s.drop(varSuggestion)
	if text == "" {
		return
	}
	s.commit.Events = append(s.commit.Events, care.StaffEvent{At: s.now, Action: care.ActionSuggested, By: care.ByCustomer, Reason: text})
	s.suggested = true
}

// drop removes variables from the step's session.
func (s *step) drop(names ...string) {
	vars := maps.Clone(s.sess.Vars)
	for _, n := range names {
		delete(vars, n)
	}
	s.sess.Vars = vars
}

// skipped reports whether a comment is none: LEWATI, "tidak ada", "-".
func skipped(comment string) bool {
	switch strings.Join(flow.Words(comment), " ") {
	case "", "lewati", "lewat", "skip", "tidak", "tidak ada", "no", "none", "nothing", "ga", "sudah", "cukup":
		return true
	}
	return false
}

// writeFeedback keeps a score or a comment on its order. An order gone
// (erased) keeps nothing.
func (r *Runtime) writeFeedback(ctx context.Context, w *feedbackWrite, now time.Time) error {
	_, err := r.store.UpdateOrder(ctx, w.number, func(o care.Order) (care.Order, error) {
		f := care.Feedback{Asked: now}
		if o.Feedback != nil {
			f = *o.Feedback
		}
		f.Score, f.At = w.score, now
		if w.comment != "" {
			f.Comment = w.comment
		}
		o.Feedback = &f
		return o, nil
	})
	if care.ErrorCode(err) == care.ENotFound {
		r.cfg.Logger.Info("feedback about an order that is gone; nothing kept", "order", w.number)
		return nil
	}
	if err != nil {
		return fmt.Errorf("keep the feedback on %s: %w", w.number, err)
	}
	return nil
}

// errAsked: the order's customer was asked already.
var errAsked = errors.New("asked already")

// SweepFeedback asks the customers of the orders received
// Config.FeedbackDelay ago how they were, each order once, outside the
// quiet hours of the customer's day and never in the middle of a
// conversation (they are asked at a later sweep). It returns how many
// were asked. Two sweeps at once still ask once: an order is marked
// asked over the version read before its step, which is itself stored
// once.
func (r *Runtime) SweepFeedback(ctx context.Context) (int, error) {
	if r.cfg.FeedbackDelay <= 0 || !slices.Contains(r.flows.Flows(), feedbackFlow) {
		return 0, nil
	}
	now := r.cfg.Now()
	due := func(o care.Order) bool {
		at, ok := feedbackDue(o, r.cfg.FeedbackDelay)
		return ok && !now.Before(at) && now.Sub(at) <= feedbackMaxAge
	}
	asked := 0
	var errs []error
	for _, st := range []care.FulfilmentState{care.FulfilmentDelivered, care.FulfilmentPickedUp} {
		n, err := r.sweepOrders(ctx, string(st), feedbackScan, now, due, r.askFeedback)
		asked += n
		if err != nil {
			errs = append(errs, fmt.Errorf("orders %s: %w", st, err))
		}
	}
	return asked, errors.Join(errs...)
}

// feedbackDue is when to ask about o: the delay after its goods were
// received; ok is false for an order not to ask about (asked already,
// cancelled, kept for the books alone).
func feedbackDue(o care.Order, delay time.Duration) (time.Time, bool) {
	if o.Feedback != nil || o.Contact == "" || o.State == care.OrderCancelled {
		return time.Time{}, false
	}
	for i := len(o.History) - 1; i >= 0; i-- {
		if e := o.History[i]; e.What == care.FieldFulfilment && (e.To == string(care.FulfilmentDelivered) || e.To == string(care.FulfilmentPickedUp)) {
			return e.At.Add(delay), true
		}
	}
	return time.Time{}, false
}

// askFeedback asks o's customer how it was, unless it is their quiet
// hours or their conversation is under way; it reports whether it
// asked.
func (r *Runtime) askFeedback(ctx context.Context, o care.Order, now time.Time) (bool, error) {
	msgID := "feedback." + string(o.ID)
	for range maxConflicts {
		convs, err := r.store.LoadMany(ctx, []care.MessageRef{{Contact: o.Contact, MessageID: msgID}})
		if err != nil {
			return false, fmt.Errorf("feedback on %s: %w", o.Number, err)
		}
		conv := convs[0]
		if conv.Broken != nil {
			return false, fmt.Errorf("feedback on %s: %w", o.Number, conv.Broken)
		}
		if conv.Seen || !conv.Contact.Live() || r.busy(conv, now) {
			return false, nil
		}
		c, ok := r.orderStep(conv, o, msgID, feedbackFlow, map[string]string{varFeedbackOrder: o.Number}, now)
		if !ok {
			return false, nil
		}
		if o.Feedback == nil {
			_, err := r.store.UpdateOrder(ctx, o.Number, func(cur care.Order) (care.Order, error) {
				if cur.Feedback != nil {
					return care.Order{}, errAsked
				}
				cur.Feedback = &care.Feedback{Asked: now}
				return cur, nil
			})
			switch {
			case errors.Is(err, errAsked), care.ErrorCode(err) == care.ENotFound:
				return false, nil
			case err != nil:
				return false, fmt.Errorf("mark %s asked: %w", o.Number, err)
			}
			o.Feedback = &care.Feedback{Asked: now}
		}
		err = r.store.CommitMany(ctx, []care.Commit{c})[0]
		switch {
		case err == nil:
			r.cfg.Logger.Info("customer asked how their order was", "contact", o.Contact, "order", o.Number)
			return true, nil
		case errors.Is(err, care.ErrDuplicate):
			return false, nil
		case !errors.Is(err, care.ErrConflict):
			return false, fmt.Errorf("ask about %s: %w", o.Number, err)
		}
	}
	return false, fmt.Errorf("ask about %s: %w", o.Number, care.ErrConflict)
}

// busy reports whether the customer is not to be asked now: staff hold
// their conversation, one is under way, or it is the quiet hours of
// their day.
func (r *Runtime) busy(conv care.Conversation, now time.Time) bool {
	c, sess := conv.Contact, conv.Session
	return c.Handover.Active(now, r.cfg.StaffIdle) || inQuiet(now.In(r.location(c)), r.cfg.QuietStart, r.cfg.QuietEnd) ||
		sess.Flow != "" && sess.Flow != "menu" && now.Sub(sess.Updated) < feedbackBusy
}

// inQuiet reports whether local falls in the quiet hours from start to
// end (offsets from midnight; equal means none).
func inQuiet(local time.Time, start, end time.Duration) bool {
	if start == end {
		return false
	}
	y, m, d := local.Date()
	off := local.Sub(time.Date(y, m, d, 0, 0, 0, 0, local.Location()))
	if start < end {
		return off >= start && off < end
	}
	return off >= start || off < end
}

// orderStep is the bot's step that asks about o: the flow name started
// with vars (the order's number), its messages about the order; ok is
// false when the customer cannot be reached.
func (r *Runtime) orderStep(conv care.Conversation, o care.Order, msgID, name string, vars map[string]string, now time.Time) (care.Commit, bool) {
	contact := conv.Contact
	addr, ok := contact.ReplyAddress()
	if !ok {
		return care.Commit{}, false
	}
	c := r.commitFor(care.Inbound{Address: addr, MessageID: msgID, At: now})
	sess := conv.Session
	sess.Vars = maps.Clone(sess.Vars)
	if sess.Vars == nil {
		sess.Vars = map[string]string{}
	}
	maps.Copy(sess.Vars, vars)
	if sess.Lang == "" {
		sess.Lang = contact.Lang
	}
	res := r.flows.Step(sess, flow.Input{Start: name}, r.env(contact, sess, reads{}, now))
	r.finish(&c, conv, res.Session, contact, res.Messages, now)
	for i := range c.Outbound {
		c.Outbound[i].Class, c.Outbound[i].Order, c.Outbound[i].Origin = care.Transactional, o.Number, care.OriginSystem
	}
	return c, true
}
