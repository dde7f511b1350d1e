package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// requiredFlows are the flows the engine starts by itself, with why.
// The flows of global keywords are required too.
var requiredFlows = []struct{ id, why string }{
	{"welcome", "it starts every new conversation"},
	{"menu", "it is the main menu: MENU, a sticker and an unknown link start it"},
	{"fallback", "it runs when a reply is not understood"},
}

// link resolves the jumps between flows and checks what needs every flow
// read: jumps, reachability, replies of choices, keywords, required flows
// and loops.
func (l *loader) link() {
	for _, fd := range l.order {
		f := file{l: l, name: fd.file}
		f.resolveStart(fd)
		for i := range fd.steps {
			st := &fd.steps[i]
			f.resolve(fd, &st.jump)
			for c := range st.choices {
				f.resolve(fd, &st.choices[c].jump)
			}
			for c := range st.cases {
				f.resolve(fd, &st.cases[c].jump)
			}
			if st.kind == kindAsk && !st.input {
				f.words(st)
			}
			if st.kind == kindAsk {
				st.version = fingerprint(fd.id, st)
			}
		}
		f.reach(fd)
		f.keywords(fd)
		f.aside(fd)
	}
	s := l.set
	s.welcome, s.menu, s.fallback = s.flows["welcome"], s.flows["menu"], s.flows["fallback"]
	for id := range s.flows {
		s.names = append(s.names, id)
	}
	slices.Sort(s.names)
	l.loops()
	s.understand = l.buildMatcher()
	if l.broken {
		return
	}
	for _, r := range requiredFlows {
		if s.flows[r.id] == nil {
			l.add("", 0, "missing flow %q: %s", r.id, r.why)
		}
	}
	s.keywordFlows = map[string]struct{}{}
	for _, k := range globalKeywords {
		if k.private {
			s.keywordFlows[k.flow] = struct{}{}
		}
		if s.flows[k.flow] == nil && !slices.ContainsFunc(requiredFlows, func(r struct{ id, why string }) bool { return r.id == k.flow }) {
			if len(k.words) == 0 {
				l.add("", 0, "missing flow %q: a message that may mean %s starts it", k.flow, k.name)
				continue
			}
			words := strings.ToUpper(strings.Join(k.words[:min(3, len(k.words))], ", "))
			if len(k.words) > 3 {
				words += "…"
			}
			l.add("", 0, "missing flow %q: the keywords %s start it", k.flow, words)
		}
	}
}

// fingerprint is the version of an ask: the first 12 hex digits of a
// SHA-256 over its flow, id, texts and choice labels in every language,
// so any change of wording gives a new version.
func fingerprint(flowID string, st *step) string {
	h := sha256.New()
	put := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	text := func(t text) {
		for _, tm := range t {
			for _, seg := range tm {
				put(strconv.Itoa(int(seg.ns)) + seg.lit + "\x01" + seg.key + "\x01" + seg.def)
			}
			put("\x02")
		}
	}
	put(flowID)
	put(st.id)
	text(st.text)
	for _, c := range st.choices {
		put(c.id)
		text(c.label)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// resolveStart finds the flow's start step.
func (f file) resolveStart(fd *flowDef) {
	if fd.startID == "" {
		return
	}
	i, ok := fd.index[fd.startID]
	if !ok {
		f.errf(fd.startAt, "start: no step %q in flow %q", fd.startID, fd.id)
		return
	}
	fd.start = i
}

// resolve links a jump to its step or flow.
func (f file) resolve(fd *flowDef, j *jump) {
	switch {
	case j.target == "":
	case j.kind == jumpNext:
		i, ok := fd.index[j.target]
		if !ok {
			f.errf(j.line, "next: no step %q in flow %q", j.target, fd.id)
			return
		}
		j.step = i
	case j.kind == jumpFlow:
		j.flow = f.l.set.flows[j.target]
		if j.flow == nil && !f.l.broken {
			f.errf(j.line, "flow: no flow %q", j.target)
		}
	}
}

// reach reports steps no path from the start leads to. Other flows only
// enter at the start, so the start is the only way in.
func (f file) reach(fd *flowDef) {
	if len(fd.steps) == 0 {
		return
	}
	seen := make([]bool, len(fd.steps))
	todo := []int{fd.start}
	seen[fd.start] = true
	for len(todo) > 0 {
		st := &fd.steps[todo[len(todo)-1]]
		todo = todo[:len(todo)-1]
		for _, j := range st.jumps() {
			if j.kind == jumpNext && j.step >= 0 && !seen[j.step] {
				seen[j.step] = true
				todo = append(todo, j.step)
			}
		}
	}
	for i, ok := range seen {
		if id := fd.steps[i].id; !ok && id != "" && fd.index[id] == i {
			f.errf(fd.steps[i].line, "step %q is never reached: no next leads to it from the start step %q", id, fd.steps[fd.start].id)
		}
	}
}

// jumps lists every way out of a step.
func (st *step) jumps() []jump {
	out := []jump{st.jump}
	for _, c := range st.choices {
		out = append(out, c.jump)
	}
	for _, c := range st.cases {
		out = append(out, c.jump)
	}
	return out
}

// words builds the replies that pick each choice of an ask: its number,
// id, labels in every language and match words. A reply that would pick
// two choices is a problem.
func (f file) words(st *step) {
	st.words = map[string]int{}
	r := run{set: f.l.set}
	for i, c := range st.choices {
		add := func(w string) {
			w = Normalize(w)
			if w == "" {
				return
			}
			if j, dup := st.words[w]; dup && j != i {
				f.errf(c.line, "choice %q: the reply %q already picks choice %q", c.id, w, st.choices[j].id)
				return
			}
			st.words[w] = i
		}
		add(strconv.Itoa(i + 1))
		add(c.id)
		for lang, t := range c.label {
			r.lang = lang
			add(r.render(t))
		}
		for _, w := range c.match {
			add(w)
		}
	}
}

// keywords registers the flow's keywords.
func (f file) keywords(fd *flowDef) {
	for _, k := range fd.keywords {
		w := Normalize(k.word)
		switch other := f.l.set.keywords[w]; {
		case w == "":
			f.errf(k.line, "keyword %q has no letter or digit", k.word)
		case globalIndex[w] != nil:
			f.errf(k.line, "keyword %q is already a global keyword (%s)", k.word, globalIndex[w].name)
		case other != nil:
			f.errf(k.line, "keyword %q already starts flow %q", k.word, other.id)
		default:
			f.l.set.keywords[w] = fd
		}
	}
}

// pos is a step of a flow.
type pos struct {
	f *flowDef
	i int
}

// loops reports cycles of steps that do not wait for the contact (say,
// set, branch, do): the engine would run them forever.
func (l *loader) loops() {
	const (
		onStack = 1
		done    = 2
	)
	state := map[pos]int{}
	var stack []pos
	var visit func(p pos)
	visit = func(p pos) {
		st := &p.f.steps[p.i]
		if st.kind == kindAsk || state[p] == done {
			return
		}
		if state[p] == onStack {
			k := slices.Index(stack, p)
			names := make([]string, 0, len(stack)-k+1)
			for _, q := range append(stack[k:], p) {
				names = append(names, q.f.id+"/"+q.f.steps[q.i].id)
			}
			l.add(p.f.file, st.line, "steps loop without an ask, so the bot would never stop talking: %s", strings.Join(names, " → "))
			return
		}
		state[p] = onStack
		stack = append(stack, p)
		for _, j := range st.jumps() {
			if q, ok := l.next(p, j); ok {
				visit(q)
			}
		}
		stack = stack[:len(stack)-1]
		state[p] = done
	}
	for _, fd := range l.order {
		for i := range fd.steps {
			visit(pos{fd, i})
		}
	}
}

// next is where a jump out of p may lead, as far as load can tell. A
// return goes back to an ask, or to the menu when there is none.
func (l *loader) next(p pos, j jump) (pos, bool) {
	switch {
	case j.kind == jumpNext && j.step >= 0:
		return pos{p.f, j.step}, true
	case j.kind == jumpFlow && j.flow != nil && len(j.flow.steps) > 0:
		return pos{j.flow, j.flow.start}, true
	case j.kind == jumpReturn && l.set.menu != nil && len(l.set.menu.steps) > 0:
		return pos{l.set.menu, l.set.menu.start}, true
	}
	return pos{}, false
}

// aside checks that a small-talk flow only says things: it leaves the
// conversation where it was, so it cannot ask, act or jump away.
func (f file) aside(fd *flowDef) {
	if !fd.aside {
		return
	}
	for _, st := range fd.steps {
		if st.kind != kindSay || (st.jump.kind != jumpNone && st.jump.kind != jumpNext && st.jump.kind != jumpEnd) {
			f.errf(st.line, "step %q: an aside flow only says things (say steps, next or end), then the conversation goes on where it was", st.id)
		}
	}
}
