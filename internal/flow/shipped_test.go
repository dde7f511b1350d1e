package flow

import (
	"slices"
	"strings"
	"testing"

	"github.com/mitra-care/mitra/flows"
)

// shipped loads the shipped flows with the names of the runtime's
// actions and calls, for what needs no call to run (the understanding);
// TestShippedFlows runs their conversations with the runtime's calls.
func shipped(t testing.TB) *Set {
	t.Helper()
	set, err := Load(flows.FS, Options{Actions: append(slices.Clone(testActions), orderActions...), Calls: orderCalls})
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
