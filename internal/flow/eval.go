package flow

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Eval labels that are not intents of their own.
const (
	// LabelNotStop marks a message that must not be taken for an
	// opt-out ("jangan stop dulu"); anything else the bot makes of it
	// is right.
	LabelNotStop = "not_stop"
	// LabelNone marks a message the bot should not claim to understand.
	LabelNone = "none"
)

// EvalCase is one labelled message of an evaluation set.
type EvalCase struct {
	Line  int
	Label string
	Text  string
	// Got is what the bot made of it (Set.Understand).
	Got string
}

// Right reports whether the bot understood the case: the labelled
// intent, or a question offering it ("a|b"); for not_stop, anything but
// an opt-out or the question about one.
func (c EvalCase) Right() bool {
	if c.Label == LabelNotStop {
		return c.Got != KeywordStop && c.Got != KeywordStopUnsure
	}
	return c.Got == c.Label || slices.Contains(strings.Split(c.Got, "|"), c.Label) && strings.Contains(c.Got, "|")
}

// MissedStop reports an opt-out the bot did not act on (asking about it
// counts as missing it: "stop" must never need a second message).
func (c EvalCase) MissedStop() bool { return c.Label == KeywordStop && c.Got != KeywordStop }

// FalseStop reports a message taken for an opt-out that was not one.
func (c EvalCase) FalseStop() bool { return c.Got == KeywordStop && c.Label != KeywordStop }

// EvalReport is the outcome of an evaluation set.
type EvalReport struct {
	Cases []EvalCase
}

// Accuracy is the share of cases understood right.
func (r EvalReport) Accuracy() float64 {
	if len(r.Cases) == 0 {
		return 0
	}
	n := 0
	for _, c := range r.Cases {
		if c.Right() {
			n++
		}
	}
	return float64(n) / float64(len(r.Cases))
}

// Evaluate reads an evaluation set (lines "label<TAB>message"; # starts
// a comment) and classifies every message with set.Understand.
func Evaluate(set *Set, r io.Reader) (EvalReport, error) {
	var rep EvalReport
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, text, ok := strings.Cut(line, "\t")
		if !ok || label == "" || strings.TrimSpace(text) == "" {
			return rep, fmt.Errorf("line %d: want an intent, a tab and a message", n)
		}
		rep.Cases = append(rep.Cases, EvalCase{Line: n, Label: label, Text: text, Got: set.Understand(text)})
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("read evaluation set: %w", err)
	}
	return rep, nil
}

// Print writes the report: accuracy per intent, the confusions, every
// miss with its line, and the opt-outs missed or invented.
func (r EvalReport) Print(w io.Writer) {
	type tally struct{ right, all int }
	per := map[string]*tally{}
	confused := map[string]int{}
	for _, c := range r.Cases {
		t := per[c.Label]
		if t == nil {
			t = &tally{}
			per[c.Label] = t
		}
		t.all++
		if c.Right() {
			t.right++
		} else {
			confused[c.Label+" → "+c.Got]++
		}
	}
	fmt.Fprintf(w, "%-16s %8s %6s\n", "intent", "right", "share")
	for _, l := range sortedKeys(per) {
		t := per[l]
		fmt.Fprintf(w, "%-16s %4d/%-4d %5.1f%%\n", l, t.right, t.all, 100*float64(t.right)/float64(t.all))
	}
	fmt.Fprintf(w, "%-16s %4d/%-4d %5.1f%%\n", "overall", int(r.Accuracy()*float64(len(r.Cases))+0.5), len(r.Cases), 100*r.Accuracy())
	if len(confused) > 0 {
		fmt.Fprintln(w, "\nconfusions (label → understood as):")
		for _, k := range sortedKeys(confused) {
			fmt.Fprintf(w, "  %3d  %s\n", confused[k], k)
		}
		fmt.Fprintln(w, "\nmisses:")
		for _, c := range r.Cases {
			if !c.Right() {
				fmt.Fprintf(w, "  line %d: %s → %s: %q\n", c.Line, c.Label, c.Got, c.Text)
			}
		}
	}
	missed, invented := 0, 0
	for _, c := range r.Cases {
		if c.MissedStop() {
			missed++
		}
		if c.FalseStop() {
			invented++
		}
	}
	fmt.Fprintf(w, "\nopt-outs missed: %d, false opt-outs: %d\n", missed, invented)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
