package flow

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Limits that keep sessions small and the engine bounded.
const (
	// maxSteps bounds the steps one call runs. Load rejects loops with
	// no ask, so this only guards against what validation missed.
	maxSteps = 50
	// maxVars bounds the variables of a session; a new one beyond it is
	// not stored (the conversation goes on without it).
	maxVars = 32
	// maxValue bounds a stored value, in characters.
	maxValue = 256
)

// run is the state of one Step call.
type run struct {
	set      *Set
	env      Env
	sess     care.Session
	ownsVars bool // sess.Vars is a copy this run may write
	lang     int  // index in set.langs
	input    string
	// words are the text's words (Words), and terms what the scorer
	// compares (terms); nil for a tap or a media message.
	words, terms []string
	// fresh means no conversation is under way and none was lately: a
	// question answered first time gets a greeting.
	fresh bool
	// asked is the question this message answers, the evidence attached
	// to the actions its answer leads to.
	asked *step
	res   Result
}

// Step advances a conversation by one thing the contact did. It is pure:
// no I/O, no clock (env.Now), no randomness, and sess is not modified, so
// the same arguments always give the same result and a step can be
// retried freely.
func (s *Set) Step(sess care.Session, in Input, env Env) Result {
	var norm string
	var words []string
	if in.Kind == care.KindText && in.Start == "" {
		norm = Normalize(in.Text)
		words = Words(in.Text)
	}
	global := globalIndex[norm]
	if global == nil && len(words) > 0 {
		global = globalIndex[strings.Join(words, " ")] // "menu kak", "help dong"
	}
	if global == nil && words != nil && !s.exactAnswer(sess, norm) {
		// Stop, start, my data and erase in a sentence, in any state: a
		// reply that is exactly one of the waiting question's choices
		// ("ya", "tidak") stays that choice.
		global = privacyKeyword(words)
	}
	if env.Now.Before(sess.StaffUntil) && !s.keywordAsk(sess) {
		switch {
		case global == nil:
			return Result{Session: sess, Staff: true}
		case global.name == KeywordHelp:
			// HELP while a person holds the conversation: say who answers
			// and how to get the bot back, and offer no menu whose
			// choices would then get no answer.
			r := run{set: s, env: env, sess: sess, lang: s.langIndex(sess.Lang, env.Lang)}
			r.say(s.texts[TextStaffHold])
			return Result{Session: sess, Messages: r.res.Messages, Keyword: KeywordHelp}
		}
	}
	r := run{set: s, env: env, sess: sess, lang: s.langIndex(sess.Lang, env.Lang), input: in.Text, words: words, terms: terms(words, norm)}
	if in.Kind == care.KindChoice {
		r.input = in.Choice
	}
	r.fresh = sess.Flow == "" && (sess.Updated.IsZero() || env.Now.Sub(sess.Updated) > freshAfter)
	if sess.Lang == "" {
		r.setLang(detectLang(words))
	}
	if in.Truncated {
		r.say(s.texts[TextTruncated])
	}
	switch {
	case global != nil:
		r.res.Keyword = global.name
		if global.release {
			r.sess.StaffUntil = time.Time{}
		}
		r.understood()
		r.startFlow(s.flows[global.flow])
	case in.Start != "":
		f := s.flows[in.Start]
		if f == nil {
			f = s.menu
		}
		r.startFlow(f)
	case !in.Kind.Understood():
		r.say(s.texts[TextNotText])
		r.startFlow(s.menu)
	default:
		r.answer(in, norm)
	}
	r.res.Session = r.sess
	return r.res
}

// freshAfter is how long a pause makes the next message a new
// conversation, which a question answered first time greets.
const freshAfter = 3 * time.Hour

// exactAnswer reports whether norm is exactly one of the choices of the
// question the conversation waits at.
func (s *Set) exactAnswer(sess care.Session, norm string) bool {
	f := s.flows[sess.Flow]
	if f == nil {
		return false
	}
	i, ok := f.index[sess.Step]
	if !ok {
		return false
	}
	_, ok = f.steps[i].words[norm]
	return ok
}

// keywordAsk reports whether the conversation waits at a question of a
// global keyword's flow (erase's "are you sure?", the opt-in question):
// its answer is the bot's even while a person holds the conversation,
// since the bot asked it.
func (s *Set) keywordAsk(sess care.Session) bool {
	if _, ok := s.keywordFlows[sess.Flow]; !ok {
		return false
	}
	f := s.flows[sess.Flow]
	i, ok := f.index[sess.Step]
	return ok && f.steps[i].kind == kindAsk
}

// answer handles an understood message: the answer to the waiting ask,
// or the start of a conversation.
func (r *run) answer(in Input, norm string) {
	if r.sess.Flow == whichFlow {
		if r.which(in, norm) {
			return
		}
		r.end() // not an answer to "which did you mean?": a new message
	}
	f, st := r.waiting()
	if st == nil {
		if k := r.set.keywords[norm]; k != nil {
			r.understood() // a new conversation starts with a clean slate
			r.startFlow(k)
			return
		}
		if r.catch() || r.intent(nil, nil) {
			return
		}
		r.understood()
		r.startFlow(r.set.welcome)
		return
	}
	if st.input {
		if in.Kind != care.KindText || in.Text == "" {
			r.miss(f, st)
			return
		}
		r.understood()
		r.asked = st
		r.setVar(st.save, in.Text)
		r.follow(f, st.jump)
		return
	}
	if c := st.match(in, norm, r.words); c != nil {
		r.understood()
		r.asked = st
		if st.save != "" {
			r.setVar(st.save, c.id)
		}
		r.follow(f, c.jump)
		return
	}
	if k := r.set.keywords[norm]; k != nil {
		r.understood()
		r.startFlow(k)
		return
	}
	if r.catch() || r.intent(f, st) {
		return
	}
	r.miss(f, st)
}

// waiting returns the ask the conversation waits at, or nil when there is
// none (not started, ended, or a position the current flows lack).
func (r *run) waiting() (*flowDef, *step) {
	f := r.set.flows[r.sess.Flow]
	if f == nil {
		return nil, nil
	}
	i, ok := f.index[r.sess.Step]
	if !ok || f.steps[i].kind != kindAsk {
		return nil, nil
	}
	return f, &f.steps[i]
}

// match finds the choice an answer picks: a tapped button's id, or a
// text equal once normalized to a choice's number, id, label or match
// word.
func (st *step) match(in Input, norm string, words []string) *choice {
	if in.Kind == care.KindChoice {
		for i := range st.choices {
			if st.choices[i].id == in.Choice {
				return &st.choices[i]
			}
		}
		return nil
	}
	if i, ok := st.words[norm]; ok {
		return &st.choices[i]
	}
	if i, ok := st.words[strings.Join(words, " ")]; ok && len(words) > 0 {
		return &st.choices[i] // "iya kak", "gak dong"
	}
	return nil
}

// understood ends a run of messages not understood, and the detour
// they caused.
func (r *run) understood() { r.sess.Misses, r.sess.Return = 0, "" }

// miss counts a message that was not understood and detours to the
// fallback flow, which can return to the ask.
func (r *run) miss(f *flowDef, st *step) {
	r.sess.Misses++
	r.sess.Return = f.id + "/" + st.id
	r.startFlow(r.set.fallback)
}

// startFlow runs flow f from its start.
func (r *run) startFlow(f *flowDef) { r.exec(f, f.start) }

// follow takes jump j out of a step of flow f.
func (r *run) follow(f *flowDef, j jump) {
	if f, i, ok := r.target(f, j); ok {
		r.exec(f, i)
		return
	}
	r.end()
}

// target is where jump j out of flow f leads; ok is false when the
// conversation ends.
func (r *run) target(f *flowDef, j jump) (*flowDef, int, bool) {
	switch j.kind {
	case jumpNext:
		return f, j.step, true
	case jumpFlow:
		return j.flow, j.flow.start, true
	case jumpReturn:
		ret := r.sess.Return
		r.sess.Return = ""
		if fid, sid, ok := strings.Cut(ret, "/"); ok {
			if rf := r.set.flows[fid]; rf != nil {
				if i, ok := rf.index[sid]; ok {
					return rf, i, true
				}
			}
		}
		return r.set.menu, r.set.menu.start, true
	}
	return nil, 0, false
}

// exec runs steps from step i of flow f until an ask waits for the
// contact or the conversation ends.
func (r *run) exec(f *flowDef, i int) {
	for range maxSteps {
		st := &f.steps[i]
		j := st.jump
		switch st.kind {
		case kindSay:
			r.say(st.text)
		case kindAsk:
			r.ask(st)
			r.sess.Flow, r.sess.Step = f.id, st.id
			return
		case kindSet:
			for _, a := range st.assigns {
				r.setVar(a.name, r.render(a.value))
			}
		case kindBranch:
			j = r.branch(st)
		case kindDo:
			r.do(st)
		}
		var ok bool
		if f, i, ok = r.target(f, j); !ok {
			r.end()
			return
		}
	}
	r.end()
}

// end ends the conversation: the next message starts afresh.
func (r *run) end() { r.sess.Flow, r.sess.Step = "", "" }

// say adds a message, skipping one that renders empty.
func (r *run) say(t text) {
	if s := r.render(t[r.lang]); s != "" {
		r.res.Messages = append(r.res.Messages, Message{Text: s})
	}
}

// ask adds the question with its choices' labels.
func (r *run) ask(st *step) {
	m := Message{Text: r.render(st.text[r.lang])}
	if len(st.choices) > 0 {
		m.Choices = make([]care.Choice, len(st.choices))
		for i, c := range st.choices {
			m.Choices[i] = care.Choice{ID: c.id, Label: r.render(c.label[r.lang])}
		}
	}
	r.res.Messages = append(r.res.Messages, m)
}

// wording is the question as the contact saw it: its text and the labels
// of its choices, in the language being spoken.
func (st *step) wording(r *run) string {
	var b strings.Builder
	b.WriteString(r.render(st.text[r.lang]))
	for i, c := range st.choices {
		fmt.Fprintf(&b, "\n%d. %s", i+1, r.render(c.label[r.lang]))
	}
	return b.String()
}

// branch returns the jump of the first case that holds.
func (r *run) branch(st *step) jump {
	for _, c := range st.cases {
		if c.when == nil || c.when.holds(r.getVar(c.when.name)) {
			return c.jump
		}
	}
	return jump{} // unreachable for a loaded set: the last case is a default
}

// do runs the step's call, or emits its action for the runtime, with
// its rendered arguments.
func (r *run) do(st *step) {
	if c := r.set.calls[st.action]; c != nil {
		r.call(st, c)
		return
	}
	a := Action{Name: st.action, Args: r.args(st)}
	if r.asked != nil {
		a.Question = r.asked.wording(r)
		a.Version = r.asked.version
	}
	r.res.Actions = append(r.res.Actions, a)
}

// args renders the arguments of a do step; nil when it has none.
func (r *run) args(st *step) map[string]string {
	if len(st.args) == 0 {
		return nil
	}
	args := make(map[string]string, len(st.args))
	for _, arg := range st.args {
		args[arg.key] = r.render(arg.value)
	}
	return args
}

// setVar stores a variable, bounded in length and number. "lang" sets
// the session's language instead, when the value is one of the set's.
func (r *run) setVar(name, value string) {
	if name == "lang" {
		for i, l := range r.set.langs {
			if l == value {
				r.sess.Lang, r.lang = l, i
			}
		}
		return
	}
	value = clip(value, maxValue)
	if _, ok := r.sess.Vars[name]; !ok && len(r.sess.Vars) >= maxVars {
		return
	}
	if !r.ownsVars {
		vars := make(map[string]string, len(r.sess.Vars)+1)
		maps.Copy(vars, r.sess.Vars)
		r.sess.Vars, r.ownsVars = vars, true
	}
	r.sess.Vars[name] = value
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
