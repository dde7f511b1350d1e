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
