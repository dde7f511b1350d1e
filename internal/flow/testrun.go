package flow

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mitra-care/mitra/internal/care"
)

// How the test runner stands in for the runtime.
const (
	// testsDir holds the conversation tests, next to the flows.
	testsDir = "tests"
	// escalateAction hands the conversation to a person; the runner
	// applies it as the runtime does, holding the conversation for
	// escalateHold.
	escalateAction = "escalate"
	escalateHold   = 4 * time.Hour
	// turnGap is the time between two turns of a test.
	turnGap = time.Minute
)

// testStart is the clock of every test's first turn unless it says
// another (at): 2026-01-01 10:00 WIB, a plain morning in the shop's
// time zone.
var testStart = time.Date(2026, 1, 1, 10, 0, 0, 0, time.FixedZone("WIB", 7*60*60))

// testTimeLayout is how a test's at is written.
const testTimeLayout = "2006-01-02 15:04"

// bookedKey reports whether k is a mitra value of what other
// customers' orders hold of an item (MitraBooked and its id).
func bookedKey(k string) bool {
	item, ok := strings.CutPrefix(k, MitraBooked)
	return ok && item != ""
}

// TestResult is the outcome of one conversation test.
type TestResult struct {
	File string
	Line int
	Name string
	// Failures says what went wrong, one line each; empty when the test
	// passed.
	Failures []string
}

// convTest is one conversation test as read.
type convTest struct {
	name    string
	line    int
	lang    string
	contact map[string]string
	mitra   map[string]string
	// vars are the conversation's variables at the start, as the
	// runtime sets them for a flow it starts itself.
	vars map[string]string
	// at is the first turn's time (testStart unless the test says).
	at    time.Time
	turns []turn
}

// testMitra are the {{mitra.x}} values of a test unless it says others:
// Mitra's default caps.
var testMitra = map[string]string{"promo_max": "2", "promo_days": "7"}

// turn is one thing the customer does and what the bot must answer.
type turn struct {
	line    int
	in      Input
	bot     []wantMessage
	hasBot  bool
	actions []string
	hasActs bool
	staff   *bool
}

// wantMessage is what one bot message must be.
type wantMessage struct {
	text     string // exact
	contains string
	choices  []string // labels, exact and in order, when hasCh
	hasCh    bool
}

// RunTests runs the conversation tests in tests/*.yaml of fsys against
// set, so a shop can change its flows and know that customers still get
// the answers they should. The runner stands in for the runtime: it
// steps the engine turn after turn from 2026-01-01 10:00 WIB, one minute
// apart, and applies the escalate action by holding the conversation for
// four hours. The error reports unreadable or malformed test files only
// (as a *LoadError); failed expectations are in the results.
func RunTests(set *Set, fsys fs.FS) ([]TestResult, error) {
	names, err := fs.Glob(fsys, testsDir+"/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list conversation tests: %w", err)
	}
	l := &loader{set: set}
	var results []TestResult
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		for _, t := range l.testFile(name, data) {
			results = append(results, TestResult{File: name, Line: t.line, Name: t.name, Failures: set.runTest(t)})
		}
	}
	if len(l.problems) > 0 {
		return nil, l.err()
	}
	return results, nil
}

// runTest plays one test and returns its failures.
func (s *Set) runTest(t convTest) []string {
	var failures []string
	sess := care.Session{Lang: t.lang, Vars: t.vars}
	mitra := maps.Clone(testMitra)
	maps.Copy(mitra, t.mitra)
	env := Env{Now: t.at, Lang: s.langs[0], Contact: t.contact, Mitra: mitra}
	for n, tu := range t.turns {
		res := s.Step(sess, tu.in, env)
		for _, a := range res.Actions {
			if a.Name == escalateAction {
				res.Session.StaffUntil = env.Now.Add(escalateHold)
			}
		}
		sess = res.Session
		sess.Updated = env.Now // as the runtime stores it
		env.Now = env.Now.Add(turnGap)
		failures = append(failures, tu.check(res, fmt.Sprintf("turn %d (line %d)", n+1, tu.line))...)
	}
	return failures
}

// check compares a result with the turn's expectations.
func (tu turn) check(res Result, where string) []string {
	var out []string
	fail := func(format string, args ...any) {
		out = append(out, where+": "+fmt.Sprintf(format, args...))
	}
	if tu.hasBot {
		if len(res.Messages) != len(tu.bot) {
			fail("the bot said %d messages, want %d:%s", len(res.Messages), len(tu.bot), transcript(res.Messages))
		} else {
			for i, w := range tu.bot {
				m := res.Messages[i]
				switch {
				case w.contains != "" && !strings.Contains(m.Text, w.contains):
					fail("message %d %q does not contain %q", i+1, m.Text, w.contains)
				case w.contains == "" && m.Text != w.text:
					fail("message %d is %q, want %q", i+1, m.Text, w.text)
				}
				if labels := labels(m.Choices); w.hasCh && !slices.Equal(labels, w.choices) {
					fail("message %d offers %q, want %q", i+1, labels, w.choices)
				}
			}
		}
	}
	if tu.hasActs {
		var got []string
		for _, a := range res.Actions {
			got = append(got, a.Name)
		}
		if !slices.Equal(got, tu.actions) {
			fail("actions %q, want %q", got, tu.actions)
		}
	}
	if tu.staff != nil && res.Staff != *tu.staff {
		fail("staff is %t, want %t", res.Staff, *tu.staff)
	}
	return out
}

// labels lists the labels of choices.
func labels(cs []care.Choice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Label
	}
	return out
}

// transcript renders messages for a failure, one per line.
func transcript(ms []Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n        %q", m.Text)
		if len(m.Choices) > 0 {
			fmt.Fprintf(&b, " %q", labels(m.Choices))
		}
	}
	return b.String()
}

// testFile reads one file of conversation tests.
func (l *loader) testFile(name string, data []byte) []convTest {
	f := file{l: l, name: name}
	root := f.root(data)
	if root == nil {
		return nil
	}
	m := f.fields(root, "a test file", []string{"tests"})
	if m == nil {
		return nil
	}
	v := m["tests"]
	if v == nil || deref(v).Kind != yaml.SequenceNode || len(deref(v).Content) == 0 {
		f.errf(root.Line, "tests must be a list of tests (- name: ...)")
		return nil
	}
	var out []convTest
	for _, tn := range deref(v).Content {
		if t, ok := f.test(deref(tn)); ok {
			out = append(out, t)
		}
	}
	return out
}

// test reads one test.
func (f file) test(n *yaml.Node) (convTest, bool) {
	before := len(f.l.problems)
	t := convTest{line: n.Line, at: testStart}
	m := f.fields(n, "a test", []string{"name", "lang", "at", "contact", "mitra", "vars", "turns"})
	if m == nil {
		return t, false
	}
	if v := m["name"]; v != nil {
		t.name, _ = f.str(v, "name")
	} else {
		f.errf(n.Line, "test without name: say what it shows")
	}
	if v := m["lang"]; v != nil {
		if s, ok := f.str(v, "lang"); ok {
			if !slices.Contains(f.l.set.langs, s) {
				f.errf(v.Line, "lang %q is not one of the languages (%s)", s, strings.Join(f.l.set.langs, ", "))
			}
			t.lang = s
		}
	}
	if v := m["at"]; v != nil {
		if s, ok := f.str(v, "at"); ok {
			at, err := time.ParseInLocation(testTimeLayout, s, testStart.Location())
			if err != nil {
				f.errf(v.Line, "at %q: want the shop's date and time, like 2026-12-21 10:00", s)
			}
			t.at = at
		}
	}
	if v := m["contact"]; v != nil {
		t.contact = map[string]string{}
		for _, p := range f.pairs(v, "contact") {
			t.contact[p.key.Value], _ = f.str(p.value, "contact "+p.key.Value)
		}
	}
	if v := m["mitra"]; v != nil {
		t.mitra = map[string]string{}
		for _, p := range f.pairs(v, "mitra") {
			if _, ok := MitraValues[p.key.Value]; !ok && !bookedKey(p.key.Value) {
				f.errf(p.key.Line, "mitra.%s: Mitra supplies %s", p.key.Value, mitraKeyList())
			}
			t.mitra[p.key.Value], _ = f.str(p.value, "mitra "+p.key.Value)
		}
	}
	if v := m["vars"]; v != nil {
		t.vars = map[string]string{}
		for _, p := range f.pairs(v, "vars") {
			t.vars[f.checkVar(p.key.Line, p.key.Value)], _ = f.str(p.value, "vars "+p.key.Value)
		}
	}
	if v := m["turns"]; v != nil && deref(v).Kind == yaml.SequenceNode && len(deref(v).Content) > 0 {
		for _, tn := range deref(v).Content {
			t.turns = append(t.turns, f.turn(deref(tn)))
		}
	} else {
		f.errf(n.Line, "test %q needs turns: a list of - customer: ... with bot: [...]", t.name)
	}
	return t, len(f.l.problems) == before
}

// turn reads one turn.
func (f file) turn(n *yaml.Node) turn {
	tu := turn{line: n.Line}
	m := f.fields(n, "a turn", []string{"customer", "choice", "kind", "start", "truncated", "bot", "actions", "staff"})
	if m == nil {
		return tu
	}
	var inputs []string
	for _, k := range []string{"customer", "choice", "kind", "start"} {
		v := m[k]
		if v == nil {
			continue
		}
		inputs = append(inputs, k)
		s, _ := f.str(v, k)
		switch k {
		case "customer":
			tu.in.Kind = care.KindText
			tu.in.Text, _ = care.CleanText(s, care.MaxText)
		case "choice":
			tu.in = Input{Kind: care.KindChoice, Choice: s}
		case "kind":
			tu.in = Input{Kind: care.Kind(s)}
		case "start":
			tu.in = Input{Kind: care.KindText, Start: s}
		}
	}
	if len(inputs) != 1 {
		f.errf(n.Line, "a turn needs exactly one of customer, choice, kind or start, not %d", len(inputs))
	}
	if v := m["truncated"]; v != nil {
		f.flag(v, "truncated")
		tu.in.Truncated = true
	}
	if v := m["bot"]; v != nil {
		tu.hasBot = true
		tu.bot = f.wantMessages(v)
	}
	if v := m["actions"]; v != nil {
		tu.hasActs = true
		if deref(v).Kind != yaml.SequenceNode || len(deref(v).Content) > 0 {
			tu.actions = f.strs(v, "actions")
		}
	}
	if v := m["staff"]; v != nil {
		if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
			f.errf(v.Line, "staff must be true or false")
		}
		staff := v.Value == "true"
		tu.staff = &staff
	}
	return tu
}

// wantMessages reads the bot's expected messages.
func (f file) wantMessages(n *yaml.Node) []wantMessage {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		f.errf(n.Line, "bot must be a list of messages ([] for none)")
		return nil
	}
	out := make([]wantMessage, 0, len(n.Content))
	for _, mn := range n.Content {
		mn = deref(mn)
		var w wantMessage
		if mn.Kind == yaml.ScalarNode {
			w.text, _ = f.str(mn, "a bot message")
			out = append(out, w)
			continue
		}
		m := f.fields(mn, "a bot message", []string{"text", "contains", "choices"})
		if m == nil {
			continue
		}
		switch text, contains := m["text"], m["contains"]; {
		case text != nil && contains != nil:
			f.errf(mn.Line, "a bot message takes text or contains, not both")
		case text != nil:
			w.text, _ = f.str(text, "text")
		case contains != nil:
			w.contains, _ = f.str(contains, "contains")
		default:
			f.errf(mn.Line, "a bot message needs text (exact) or contains")
		}
		if v := m["choices"]; v != nil {
			w.hasCh = true
			if deref(v).Kind != yaml.SequenceNode || len(deref(v).Content) > 0 {
				w.choices = f.strs(v, "choices")
			}
		}
		out = append(out, w)
	}
	return out
}
