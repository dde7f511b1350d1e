package inbound

import (
	"maps"
	"slices"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
)

// action is one flow action the runtime implements, in a file of its
// own (action_*.go).
type action struct {
	// check checks the action's plain-text arguments at load; nil
	// accepts any.
	check func(args map[string]string) error
	// do applies the action to the step being decided. It does no I/O.
	do func(s *step, a flow.Action)
}

// actions are the flow actions the runtime implements, by name.
var actions = map[string]action{
	ActionEscalate:   escalateAction,
	ActionConsent:    consentAction,
	ActionErase:      eraseAction,
	ActionOrderPlace: orderPlaceAction,
	ActionFeedback:   feedbackAction,
	ActionSuggestion: suggestionAction,
	ActionCODConfirm: codConfirmAction,
}

// Actions lists the flow actions the runtime implements; flows are
// loaded with it (and CheckArgs) so a flow naming another action, or an
// action with wrong arguments, fails at load.
var Actions = slices.Sorted(maps.Keys(actions))

// FlowOptions load flows for a runtime of a shop that takes no orders
// by chat (no catalog.yaml); see Options.
var FlowOptions = Options(nil)

// Options load flows for a runtime selling what cat lists (nil: the
// shop takes no orders by chat, and the order flow hands ordering to
// staff): its actions, their arguments checked, and its calls. The
// runtime must be given the same catalog (Config.Catalog).
func Options(cat *catalog.Catalog) flow.Options {
	return flow.Options{Actions: Actions, CheckArgs: CheckArgs, Calls: newOrderDesk(cat).calls()}
}

// CheckArgs checks the plain-text arguments of a flow's do step at load.
func CheckArgs(name string, args map[string]string) error {
	if a := actions[name]; a.check != nil {
		return a.check(args)
	}
	return nil
}

// step is a conversation step being decided: what actions change.
type step struct {
	r       *Runtime
	in      care.Inbound
	now     time.Time
	sess    *care.Session
	contact *care.Contact
	commit  *care.Commit
	// handover is who answers the conversation after the step; the
	// step stores it in the profile.
	handover *care.Handover
	// escalated: the step handed the conversation to staff; remind: the
	// customer, waiting for staff, is reminded that they will answer.
	escalated, remind bool
	// say are messages actions add after the flows'.
	say []flow.Message
	// place is the order the step places (order_place); nil for none.
	place *placement
	// feedback is what the step keeps on an order (feedback); nil for
	// none. suggested: the step kept a suggestion (suggestion).
	feedback  *feedbackWrite
	suggested bool
	// cod is the order the customer confirmed, paid on delivery
	// (cod_confirm); "" for none.
	cod string
}

// act applies the flows' actions to the step, in order.
func (s *step) act(as []flow.Action) {
	for _, a := range as {
		if act, ok := actions[a.Name]; ok {
			act.do(s, a)
		}
	}
}

// consent records a consent event with its evidence: the contact's
// message, and the question they answered when a is a flow's action.
func (s *step) consent(p care.Purpose, granted bool, src care.Source, a flow.Action) {
	e := care.ConsentEvent{Purpose: p, Granted: granted, At: s.now, Channel: s.in.Address.Channel, Source: src,
		MessageID: s.in.MessageID, Text: consentText(s.in), Question: a.Question, Version: a.Version}
	s.commit.Consent = append(s.commit.Consent, e)
	*s.contact = s.contact.Apply(e)
	s.r.cfg.Logger.Info("consent recorded", "contact", s.contact.ID, "purpose", p, "granted", granted, "source", src)
}

// consentText is the contact's message as evidence: the text, or the
// button they tapped.
func consentText(in care.Inbound) string {
	if in.Kind == care.KindChoice {
		return "[" + in.Choice + "]"
	}
	return in.Text
}
