package flow_test

import (
	"strings"
	"testing"

	"github.com/mitra-care/mitra/flows"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
	"github.com/mitra-care/mitra/internal/inbound"
)

// TestShippedFlows loads the flows Mitra ships, with the catalog they
// sell from and the runtime's calls, and plays their conversation
// tests, so a change to a flow that breaks a conversation fails CI.
func TestShippedFlows(t *testing.T) {
	cat, err := catalog.Load(flows.FS)
	if err != nil {
		t.Fatalf("shipped catalog:\n%v", err)
	}
	set, err := flow.Load(flows.FS, inbound.Options(cat))
	if err != nil {
		t.Fatalf("shipped flows:\n%v", err)
	}
	results, err := flow.RunTests(set, flows.FS)
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
