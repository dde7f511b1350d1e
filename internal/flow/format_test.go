package flow

import (
	"os"
	"strings"
	"testing"
)

// TestFormatExample keeps the README's flow format exact: its shop.yaml
// and flow load, and its conversation test reads.
func TestFormatExample(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(data), "\n## Flows\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for _, part := range strings.Split(section, "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		blocks = append(blocks, block)
	}
	if len(blocks) != 3 {
		t.Fatalf("%d yaml blocks in the README's Flows section, want shop.yaml, a flow and a test", len(blocks))
	}
	set := load(t, map[string]string{"shop.yaml": blocks[0], "menu.yaml": blocks[1]})
	if _, err := RunTests(set, files(map[string]string{"tests/format.yaml": blocks[2]})); err != nil {
		t.Fatalf("the test example does not read:\n%v", err)
	}
}
