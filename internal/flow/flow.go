// Package flow loads the conversation flows a shop writes in YAML, checks
// them before they run, and steps a conversation through them.
//
// A Set is loaded once and then shared: Step is a pure function of the
// session, the contact's input and the environment, so the runtime can
// call it for every inbound message, retry it after a storage conflict,
// and test it without Redis, a clock or a channel.
package flow

import (
	"slices"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Input is one thing the contact did.
type Input struct {
	// Kind is care.KindText, care.KindChoice, or a kind the bot does not
	// read (image, voice, sticker...), which gets a polite reply.
	Kind care.Kind
	// Text is already cleaned: valid UTF-8 of at most care.MaxText
	// characters.
	Text string
	// Choice is the id of a tapped button, for care.KindChoice.
	Choice string
	// Truncated reports that the text was cut at care.MaxText, so the
	// contact is told that only the beginning was read.
	Truncated bool
	// Start, when set, starts that flow now whatever the conversation's
	// state (deep links, tests); Text is then ignored.
	Start string
}

// Env is what the engine knows of the world; it is passed in so that the
// engine itself reads no clock and no configuration.
type Env struct {
	// Now decides whether a person still holds the conversation.
	Now time.Time
	// Lang is the shop's default language, used when the session has
	// none.
	Lang string
	// Contact holds the template values under contact.*, such as "name".
	Contact map[string]string
	// Mitra holds the values under mitra.* (MitraValues).
	Mitra map[string]string
}

// Message is one text the bot says, with the choices it offers (may be
// empty), already rendered in the contact's language.
type Message struct {
	Text    string
	Choices []care.Choice
}

// Action is a named effect that Go code performs after the step, such as
// handing the conversation to a person. Flows name actions; the names Go
// implements are registered at load (Options.Actions).
type Action struct {
	Name string
	Args map[string]string
	// Question and Version are the evidence of what the contact agreed
	// to: the exact wording of the question whose answer led to the
	// action (text and choices, as shown), and a version that changes
	// whenever that question's texts change in any language. Both are
	// empty when no answer led to the action.
	Question string
	Version  string
}

// Result is the outcome of one step: everything the runtime stores and
// sends.
type Result struct {
	// Session is the new session. It may share its Vars map with the
	// session passed to Step when no variable changed; treat it as read
	// only.
	Session  care.Session
	Messages []Message
	Actions  []Action
	// Staff means a person holds the conversation: the runtime passes
	// the message to staff and the bot says nothing.
	Staff bool
	// Keyword names the global keyword the message was (KeywordStop...),
	// so the runtime can act on it whatever the flows do; "" for none.
	Keyword string
}

// Set is a loaded, checked set of flows with the shop's languages, values
// and system texts. It is immutable and safe for concurrent use.
type Set struct {
	langs    []string
	shop     map[string][]string // per language, in langs order
	texts    map[string]text
	flows    map[string]*flowDef
	names    []string
	keywords map[string]*flowDef // normalized flow keyword → flow
	// keywordFlows are the private flows of global keywords, whose
	// questions the bot answers even while a person holds the
	// conversation.
	keywordFlows map[string]struct{}
	menu         *flowDef
	welcome      *flowDef
	// understand scores sentences against the flows' examples.
	understand *matcher
	fallback   *flowDef
	// calls are the runtime's calls by name (Options.Calls); catches
	// the flows with a catch, in file order.
	calls   map[string]Call
	catches []*flowDef
}

// Flows returns the ids of the flows, sorted, for listings such as
// `mitra flows check`.
func (s *Set) Flows() []string { return slices.Clone(s.names) }

// Languages returns the languages every text exists in, the default
// first, so callers can check a configured language against them.
func (s *Set) Languages() []string { return slices.Clone(s.langs) }

// The system texts of shop.yaml. The engine says TextNotText and
// TextTruncated itself; the runtime uses TextStaffHold (SystemText).
const (
	// TextNotText answers stickers, images, voice notes and the like.
	TextNotText = "not_text"
	// TextTruncated tells the contact that only the beginning of a long
	// message was read.
	TextTruncated = "truncated"
	// TextStaffHold is for the runtime to tell the contact a person will
	// answer.
	TextStaffHold = "staff_hold"
	// TextOptOutLine ends every promotional message: how to stop them.
	TextOptOutLine = "optout_line"
	// TextStaffReminder (optional) reminds a customer who writes again
	// while waiting for staff; staff_hold stands in when it is absent.
	TextStaffReminder = "staff_reminder"
	// TextStaffBack (optional) tells the customer the bot answers again.
	TextStaffBack = "staff_back"
	// TextGreeting opens the answer to a question asked first thing
	// ("kak buka jam berapa?"), instead of the whole welcome.
	TextGreeting = "greeting"
	// TextWhich asks which of two close meanings the contact meant.
	TextWhich = "which"
)

// systemTexts lists the system texts shop.yaml must define.
var systemTexts = []string{TextNotText, TextTruncated, TextStaffHold, TextOptOutLine, TextGreeting, TextWhich}

// SystemText renders the system text name (TextStaffHold...) in the
// session's language, so Go code can say what the shop wrote without
// hard-coding words. It returns "" for a name that is not a system text.
func (s *Set) SystemText(name string, sess care.Session, env Env) string {
	t, ok := s.texts[name]
	if !ok {
		return ""
	}
	r := run{set: s, env: env, sess: sess, lang: s.langIndex(sess.Lang, env.Lang)}
	return r.render(t[r.lang])
}

// langIndex picks the language to speak: the session's if known, else
// the environment's if known, else the first.
func (s *Set) langIndex(sess, env string) int {
	if i := slices.Index(s.langs, sess); i >= 0 {
		return i
	}
	if i := slices.Index(s.langs, env); i >= 0 {
		return i
	}
	return 0
}

// ChoiceLabel is the label, in lang, of the choice id of the question
// sess waits at, or "" when it waits at none or has no such choice:
// records show what the contact tapped as they saw it.
func (s *Set) ChoiceLabel(sess care.Session, id, lang string) string {
	f := s.flows[sess.Flow]
	if f == nil {
		return ""
	}
	i, ok := f.index[sess.Step]
	if !ok {
		return ""
	}
	for _, c := range f.steps[i].choices {
		if c.id == id {
			r := run{set: s, sess: sess, lang: s.langIndex(lang, "")}
			return r.render(c.label[r.lang])
		}
	}
	return ""
}

// ShopName is the shop's name in the default language (the shop value
// "name"), or "Mitra" when shop.yaml gives none; pages use it as their
// title.
func (s *Set) ShopName() string {
	if v := s.shop["name"]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	return "Mitra"
}
