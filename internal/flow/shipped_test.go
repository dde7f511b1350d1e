package flow

import (
	"strings"
	"testing"

	"github.com/mitra-care/mitra/flows"
)

// TestShippedFlows loads the flows Mitra ships and plays their
// conversation tests, so a change to a flow that breaks a conversation
// fails CI.
func TestShippedFlows(t *testing.T) {
	set := shipped(t)
	results, err := RunTests(set, flows.FS)
	if err != nil {
		t.Fatalf("conversation tests:\n%v", err)
	}
	tested := map[string]bool{}
	for _, r := range results {
		tested[strings.TrimSuffix(strings.TrimPrefix(r.File, "tests/"), ".yaml")] = true
		if len(r.Failures) > 0 {
			t.Errorf("%s:%d: %s\n    %s", r.File, r.Line, r.Name, strings.Join(r.Failures, "\n    "))
		}
	}
	for _, f := range set.Flows() {
		if !tested[f] {
			t.Errorf("flow %s has no conversation tests (tests/%s.yaml)", f, f)
		}
	}
}

// shipped loads the shipped flows with the actions the runtime
// implements.
func shipped(t testing.TB) *Set {
	t.Helper()
	set, err := Load(flows.FS, Options{Actions: testActions})
	if err != nil {
		t.Fatalf("shipped flows:\n%v", err)
	}
	return set
}

// TestShippedEval measures the shipped flows on the shipped evaluation
// set of real customer messages: at least 95% understood, and not one
// opt-out missed or invented.
func TestShippedEval(t *testing.T) {
	set := shipped(t)
	f, err := flows.FS.Open("eval.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Evaluate(set, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) < 300 {
		t.Errorf("the evaluation set has %d messages, want at least 300", len(rep.Cases))
	}
	for _, c := range rep.Cases {
		if c.MissedStop() {
			t.Errorf("eval.tsv:%d: opt-out missed: %q understood as %s", c.Line, c.Text, c.Got)
		}
		if c.FalseStop() {
			t.Errorf("eval.tsv:%d: false opt-out: %q (%s)", c.Line, c.Text, c.Label)
		}
	}
	if acc := rep.Accuracy(); acc < 0.95 {
		var b strings.Builder
		rep.Print(&b)
		t.Errorf("understood %.1f%% of the evaluation set, want at least 95%%:\n%s", 100*acc, b.String())
	}
}

// BenchmarkUnderstand is the understanding's own cost per message: the
// normaliser, the privacy rules and the scorer over every example.
func BenchmarkUnderstand(b *testing.B) {
	set := shipped(b)
	msgs := []string{"kak buka jam berapa?", "harga telur sekilo brp?", "min mau pesan beras 5kg sama telur sekilo, kirim ke jl mawar 5",
		"stop dong", "what time do you open?", "makasih kak", "bisa ngobrol sama admin?", "anak saya lagi sakit"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		set.Understand(msgs[i%len(msgs)])
	}
}
