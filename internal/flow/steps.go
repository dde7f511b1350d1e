package flow

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// flowDef is one loaded flow.
type flowDef struct {
	id       string
	file     string
	line     int
	keywords []keyword
	// examples are phrases that mean "start this flow", said anywhere in
	// a sentence (understand.go).
	examples []example
	// label names the flow when the bot asks which of two it meant.
	label text
	// aside flows answer small talk (thanks, ok) and leave the
	// conversation where it was: the question waiting still waits.
	aside bool
	// catch names the call that claims messages for the flow (see
	// Call); "" for none.
	catch   string
	start   int // index of the start step
	startID string
	startAt int // line of start:, 0 when the first step starts
	steps   []step
	index   map[string]int // step id → index
}

// keyword is a flow keyword as written, with where.
type keyword struct {
	word string
	line int
}

// kind is what a step does.
type kind uint8

const (
	kindSay kind = iota + 1
	kindAsk
	kindSet
	kindBranch
	kindDo
)

// jumpKind is where a step goes next.
type jumpKind uint8

const (
	jumpNone   jumpKind = iota // the conversation ends
	jumpNext                   // a step of the same flow
	jumpFlow                   // the start of another flow
	jumpEnd                    // the conversation ends
	jumpReturn                 // Session.Return, else the menu
)

// jump is a step's way out, resolved after every flow is read.
type jump struct {
	kind   jumpKind
	target string // the step or flow id as written
	line   int
	step   int      // jumpNext: the step's index, -1 until resolved
	flow   *flowDef // jumpFlow: the flow, nil until resolved
}

// step is one step of a flow.
type step struct {
	id   string
	line int
	kind kind
	text text // say, ask
	jump jump // say, set, do, free-text ask

	choices []choice
	words   map[string]int // normalized reply → index in choices
	input   bool           // a free-text ask
	save    string

	assigns []assign
	cases   []branchCase
	action  string
	args    []arg

	// version fingerprints an ask's texts in every language; consent
	// records it as the version of the question shown.
	version string
}

// choice is one option of an ask.
type choice struct {
	id    string
	line  int
	label text
	match []string
	// examples are phrases that pick the choice within a sentence; a
	// choice of the menu's first question is understood at any time.
	examples []example
	jump     jump
}

// assign is one variable of a set step.
type assign struct {
	name  string
	value tmpl
}

// arg is one argument of a do step.
type arg struct {
	key   string
	value tmpl
}

// branchCase is one case of a branch; when is nil for the default.
type branchCase struct {
	when *cond
	jump jump
}

// condOp is how a case tests its variable.
type condOp uint8

const (
	opEquals condOp = iota + 1
	opIn
	opEmpty
)

// cond is the test of a case.
type cond struct {
	name   string
	op     condOp
	values []string // opEquals: one; opIn: any
	empty  bool     // opEmpty: true tests empty, false non-empty
}

// holds tests the variable's value v.
func (c *cond) holds(v string) bool {
	switch c.op {
	case opEquals, opIn:
		return slices.Contains(c.values, v)
	case opEmpty:
		return (v == "") == c.empty
	}
	return false
}

// The keys each part of a flow file may have.
var (
	flowKeys   = []string{"flow", "keywords", "examples", "label", "aside", "start", "steps", "catch"}
	kindKeys   = []string{"say", "ask", "set", "branch", "do"}
	jumpKeys   = []string{"next", "flow", "end", "return"}
	stepKeys   = slices.Concat([]string{"id"}, kindKeys, []string{"choices", "input", "save", "args"}, jumpKeys)
	choiceKeys = slices.Concat([]string{"id", "label", "match", "examples"}, jumpKeys)
	caseKeys   = slices.Concat([]string{"when"}, jumpKeys)
	whenKeys   = []string{"var", "equals", "in", "empty"}
	// ownedKeys are step keys that belong to one kind.
	ownedKeys = []struct{ key, kind string }{{"choices", "ask"}, {"input", "ask"}, {"save", "ask"}, {"args", "do"}}
)

// flowFile reads one flow file.
func (l *loader) flowFile(name string, data []byte) {
	f := file{l: l, name: name}
	root := f.root(data)
	if root == nil {
		l.broken = true
		return
	}
	m := f.fields(root, "a flow file", flowKeys)
	if m == nil {
		l.broken = true
		return
	}
	fd := &flowDef{file: name, line: root.Line, index: map[string]int{}}
	if v := m["flow"]; v != nil {
		fd.id, _ = f.id(v, "flow id")
		fd.line = v.Line
	} else {
		f.errf(root.Line, "missing flow: give the flow an id, such as flow: menu")
	}
	if v := m["keywords"]; v != nil {
		for _, w := range f.strs(v, "keywords") {
			fd.keywords = append(fd.keywords, keyword{word: w, line: v.Line})
		}
	}
	if v := m["examples"]; v != nil {
		fd.examples = f.examples(v)
	}
	if v := m["label"]; v != nil {
		fd.label = f.text(v, "label")
	}
	if v := m["aside"]; v != nil {
		f.flag(v, "aside")
		fd.aside = true
	}
	if v := m["catch"]; v != nil {
		if name, ok := f.str(v, "catch"); ok {
			if f.l.opts.Calls[name] == nil {
				f.errf(deref(v).Line, "catch: unknown call %q (calls Mitra implements: %s)", name, f.l.callList())
			}
			fd.catch = name
		}
	}
	if v := m["start"]; v != nil {
		fd.startID, _ = f.id(v, "start")
		fd.startAt = v.Line
	}
	if v := m["steps"]; v != nil {
		f.steps(fd, v)
	} else {
		f.errf(root.Line, "missing steps: a flow is a list of steps")
	}
	if fd.id == "" {
		return
	}
	if other := l.set.flows[fd.id]; other != nil {
		f.errf(fd.line, "flow %q is already defined in %s:%d", fd.id, other.file, other.line)
		return
	}
	l.set.flows[fd.id] = fd
	l.order = append(l.order, fd)
	if fd.catch != "" {
		l.set.catches = append(l.set.catches, fd)
	}
}

// steps reads the steps of a flow.
func (f file) steps(fd *flowDef, n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		f.errf(n.Line, "steps must be a list of steps (- id: ...)")
		return
	}
	if len(n.Content) == 0 {
		f.errf(n.Line, "the flow has no steps")
		return
	}
	for _, sn := range n.Content {
		st := f.step(sn)
		if st.id != "" {
			if i, dup := fd.index[st.id]; dup {
				f.errf(st.line, "step %q is already defined at line %d", st.id, fd.steps[i].line)
			} else {
				fd.index[st.id] = len(fd.steps)
			}
		}
		fd.steps = append(fd.steps, st)
	}
}

// step reads one step.
func (f file) step(n *yaml.Node) step {
	n = deref(n)
	st := step{line: n.Line}
	m := f.fields(n, "a step", stepKeys)
	if m == nil {
		return st
	}
	if v := m["id"]; v != nil {
		st.id, _ = f.id(v, "step id")
	} else {
		f.errf(n.Line, "step without id: give every step an id")
	}
	var kinds []string
	for _, k := range kindKeys {
		if m[k] != nil {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		f.errf(n.Line, "step %q has no kind: give it one of %s", st.id, strings.Join(kindKeys, ", "))
		return st
	case 1:
	default:
		f.errf(n.Line, "step %q has %d kinds (%s): a step does one thing, so split it", st.id, len(kinds), strings.Join(kinds, ", "))
		return st
	}
	k := kinds[0]
	for _, o := range ownedKeys {
		if v := m[o.key]; v != nil && o.kind != k {
			f.errf(v.Line, "%s belongs to %s steps, not to %s steps", o.key, o.kind, k)
		}
	}
	st.jump = f.jump(m, n.Line)
	v := m[k]
	switch k {
	case "say":
		st.kind = kindSay
		st.text = f.text(v, "say")
	case "ask":
		f.ask(&st, m, v)
	case "set":
		st.kind = kindSet
		f.assigns(&st, v)
		f.needJump(&st, k)
	case "branch":
		st.kind = kindBranch
		f.cases(&st, v)
		f.noJump(st.jump, "a branch jumps from its cases")
	case "do":
		st.kind = kindDo
		f.action(&st, v, m["args"])
		f.needJump(&st, k)
	}
	return st
}

// jump reads the jump keys of a step, choice or case.
func (f file) jump(m map[string]*yaml.Node, line int) jump {
	j := jump{step: -1}
	var found []string
	for _, k := range jumpKeys {
		v := m[k]
		if v == nil {
			continue
		}
		found = append(found, k)
		j.line = v.Line
		switch k {
		case "next":
			j.kind = jumpNext
			j.target, _ = f.id(v, "next")
		case "flow":
			j.kind = jumpFlow
			j.target, _ = f.id(v, "flow")
		case "end":
			j.kind = jumpEnd
			f.flag(v, "end")
		case "return":
			j.kind = jumpReturn
			f.flag(v, "return")
		}
	}
	if len(found) > 1 {
		f.errf(line, "more than one jump (%s): keep one", strings.Join(found, ", "))
	}
	return j
}

// needJump reports a set or do step with no way out.
func (f file) needJump(st *step, k string) {
	if st.jump.kind == jumpNone {
		f.errf(st.line, "%s step %q needs a jump after it: next, flow, end: true or return: true", k, st.id)
	}
}

// noJump reports a jump where the step's parts carry the jumps.
func (f file) noJump(j jump, why string) {
	if j.kind != jumpNone {
		f.errf(j.line, "%s: move this jump there", why)
	}
}

// ask reads an ask step: choices, or a free-text answer.
func (f file) ask(st *step, m map[string]*yaml.Node, v *yaml.Node) {
	st.kind = kindAsk
	st.text = f.text(v, "ask")
	if v := m["save"]; v != nil {
		st.save = f.varName(v, "save")
	}
	choices, input := m["choices"], m["input"]
	switch {
	case choices != nil && input != nil:
		f.errf(input.Line, "ask %q has both choices and input: keep one", st.id)
	case input != nil:
		st.input = true
		if s, ok := f.str(input, "input"); ok && s != "text" {
			f.errf(input.Line, "input must be text (the only free answer there is), not %q", s)
		}
		if m["save"] == nil {
			f.errf(st.line, "free-text ask %q needs save: <var> to keep the answer", st.id)
		}
		if st.jump.kind == jumpNone {
			f.errf(st.line, "free-text ask %q needs next (or flow, end, return) to follow the answer", st.id)
		}
	case choices != nil:
		f.noJump(st.jump, "an ask with choices jumps from each choice")
		f.choices(st, choices)
	default:
		f.errf(st.line, "ask %q needs choices, or input: text for a free answer", st.id)
	}
}

// choices reads the choices of an ask.
func (f file) choices(st *step, n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		f.errf(n.Line, "choices must be a list of choices (- id: ...)")
		return
	}
	seen := map[string]int{}
	for _, cn := range n.Content {
		cn = deref(cn)
		c := choice{line: cn.Line}
		m := f.fields(cn, "a choice", choiceKeys)
		if m == nil {
			continue
		}
		if v := m["id"]; v != nil {
			c.id, _ = f.id(v, "choice id")
		} else {
			f.errf(cn.Line, "choice without id: give every choice an id")
		}
		if line, dup := seen[c.id]; dup && c.id != "" {
			f.errf(cn.Line, "choice %q is already in this ask at line %d", c.id, line)
			continue
		}
		seen[c.id] = cn.Line
		if v := m["label"]; v != nil {
			c.label = f.text(v, "label")
		} else {
			f.errf(cn.Line, "choice %q needs a label: the text of its button", c.id)
		}
		if v := m["match"]; v != nil {
			c.match = f.strs(v, "match")
		}
		if v := m["examples"]; v != nil {
			c.examples = f.examples(v)
		}
		c.jump = f.jump(m, cn.Line)
		if c.jump.kind == jumpNone {
			f.errf(cn.Line, "choice %q needs a jump: next, flow, end: true or return: true", c.id)
		}
		st.choices = append(st.choices, c)
	}
}

// assigns reads the variables of a set step.
func (f file) assigns(st *step, n *yaml.Node) {
	ps := f.pairs(n, "set")
	if len(ps) == 0 && deref(n).Kind == yaml.MappingNode {
		f.errf(n.Line, "set needs at least one variable: set: {name: value}")
	}
	for _, p := range ps {
		name := f.checkVar(p.key.Line, p.key.Value)
		t := f.template(p.value, "set "+p.key.Value)
		if name == "" || t == nil {
			continue
		}
		if s, ok := t.literal(); ok && name == "lang" && !slices.Contains(f.l.set.langs, s) && len(f.l.set.langs) > 0 {
			f.errf(p.value.Line, "lang %q is not one of the languages (%s)", s, strings.Join(f.l.set.langs, ", "))
		}
		st.assigns = append(st.assigns, assign{name: name, value: t})
	}
}

// cases reads the cases of a branch step.
func (f file) cases(st *step, n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		f.errf(n.Line, "branch must be a list of cases (- when: ...), the default (no when) last")
		return
	}
	for i, cn := range n.Content {
		cn = deref(cn)
		m := f.fields(cn, "a branch case", caseKeys)
		if m == nil {
			continue
		}
		c := branchCase{jump: f.jump(m, cn.Line)}
		if c.jump.kind == jumpNone {
			f.errf(cn.Line, "branch case needs a jump: next, flow, end: true or return: true")
		}
		if w := m["when"]; w != nil {
			c.when = f.when(w)
		} else if i < len(n.Content)-1 {
			f.errf(cn.Line, "the default case (the one without when) must be last")
		}
		st.cases = append(st.cases, c)
	}
	if last := deref(n.Content[len(n.Content)-1]); last.Kind == yaml.MappingNode && !hasKey(last, "when") {
		return
	}
	f.errf(n.Line, "branch needs a default case (one without when) at the end")
}

// hasKey reports whether mapping n has key.
func hasKey(n *yaml.Node, key string) bool { return keyNode(n, key) != nil }

// keyNode returns the node of key in mapping n, which has the key's line.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// when reads the test of a case.
func (f file) when(n *yaml.Node) *cond {
	m := f.fields(n, "when", whenKeys)
	if m == nil {
		return nil
	}
	c := &cond{}
	if v := m["var"]; v != nil {
		c.name, _ = f.str(v, "var")
		if key, ok := strings.CutPrefix(c.name, "mitra."); ok {
			if _, known := MitraValues[key]; !known {
				f.errf(v.Line, "when var %s: Mitra supplies %s", c.name, mitraKeyList())
			}
		}
	} else {
		f.errf(n.Line, "when needs var: the variable to test")
	}
	var ops []string
	for _, k := range whenKeys[1:] {
		v := m[k]
		if v == nil {
			continue
		}
		ops = append(ops, k)
		switch k {
		case "equals":
			c.op = opEquals
			if s, ok := f.str(v, "equals"); ok {
				c.values = []string{s}
			}
		case "in":
			c.op = opIn
			c.values = f.strs(v, "in")
		case "empty":
			c.op = opEmpty
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				f.errf(v.Line, "empty must be true or false")
			}
			c.empty = v.Value == "true"
		}
	}
	if len(ops) != 1 {
		f.errf(n.Line, "when needs exactly one test of equals, in or empty, not %d", len(ops))
	}
	return c
}

// action reads the action of a do step and its arguments.
func (f file) action(st *step, n, args *yaml.Node) {
	if name, ok := f.str(n, "do"); ok {
		st.action = name
		if !slices.Contains(f.l.opts.Actions, name) && f.l.opts.Calls[name] == nil {
			known := "none"
			if len(f.l.opts.Actions) > 0 {
				known = strings.Join(f.l.opts.Actions, ", ")
			}
			if len(f.l.opts.Calls) > 0 {
				known += "; calls: " + f.l.callList()
			}
			f.errf(deref(n).Line, "unknown action %q (actions Mitra implements: %s)", name, known)
			return
		}
	}
	literal := map[string]string{}
	line := deref(n).Line
	if args != nil {
		line = deref(args).Line
		for _, p := range f.pairs(args, "args") {
			if t := f.template(p.value, fmt.Sprintf("args %s", p.key.Value)); t != nil {
				st.args = append(st.args, arg{key: p.key.Value, value: t})
				if s, ok := t.literal(); ok {
					literal[p.key.Value] = s
				}
			}
		}
	}
	if check := f.l.opts.CheckArgs; check != nil && st.action != "" {
		if err := check(st.action, literal); err != nil {
			f.errf(line, "do %s: %v", st.action, err)
		}
	}
}

// callList names the calls of the options, sorted, for problems.
func (l *loader) callList() string {
	if len(l.opts.Calls) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(l.opts.Calls)), ", ")
}
