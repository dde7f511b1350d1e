package flow

import (
	"errors"
	"strings"
	"testing"
)

func TestRunTests(t *testing.T) {
	set := load(t, nil)
	fsys := files(map[string]string{"tests/a.yaml": `tests:
  - name: passes
    contact: {name: Sari}
    turns:
      - customer: halo
        bot:
          - Halo Sari
          - {text: "Mau apa?", choices: [Jam buka, Dadah]}
        actions: []
        staff: false
      - customer: x
      - customer: "y"
        bot: [{contains: staf, choices: ["Ya", "Tidak"]}]
      - choice: "yes"
        actions: [escalate]
      - kind: sticker
        bot: []
        staff: true
      - customer: menu
        bot: ["Mau apa?"]
  - name: fails
    lang: en
    turns:
      - customer: hi
        bot: ["Hi there", {text: "What?", choices: [Hours]}]
        actions: [escalate]
        staff: true
      - customer: hours
        bot: ["Open"]
      - customer: "1"
        truncated: true
        bot: [{contains: "too long"}, {contains: "nope"}, "What?"]
`})
	results, err := RunTests(set, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	if r := results[0]; r.File != "tests/a.yaml" || r.Line != 2 || r.Name != "passes" || len(r.Failures) != 0 {
		t.Errorf("first result %+v", r)
	}
	want := []string{
		`turn 1 (line 24): message 2 offers ["Hours" "Bye"], want ["Hours"]`,
		`turn 1 (line 24): actions [], want ["escalate"]`,
		`turn 1 (line 24): staff is false, want true`,
		`turn 2 (line 28): the bot said 2 messages, want 1:` + "\n" + `        "Open morning"` + "\n" + `        "What?" ["Hours" "Bye"]`,
		`turn 3 (line 30): message 2 "Open morning" does not contain "nope"`,
	}
	if got := results[1]; got.Line != 21 || strings.Join(got.Failures, "\n") != strings.Join(want, "\n") {
		t.Errorf("failures at line %d:\n%s\nwant:\n%s", got.Line, strings.Join(got.Failures, "\n"), strings.Join(want, "\n"))
	}
}

func TestRunTestsMalformed(t *testing.T) {
	set := load(t, nil)
	fsys := files(map[string]string{
		"tests/a.yaml": `tests:
  - name: bad turns
    lang: fr
    turns:
      - customer: halo
        choice: hours
      - bot: ["x"]
      - customer: hi
        said: [x]
        staff: maybe
      - customer: hi
        bot: [{text: a, contains: b}, {choices: [a]}]
  - name: no turns
`,
		"tests/b.yaml": "tests: [\n",
		"tests/c.yaml": "test: []\n",
	})
	_, err := RunTests(set, fsys)
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("RunTests = %v, want a *LoadError", err)
	}
	want := []string{
		`tests/a.yaml:3: lang "fr" is not one of the languages (id, en)`,
		`tests/a.yaml:5: a turn needs exactly one of customer, choice, kind or start, not 2`,
		`tests/a.yaml:7: a turn needs exactly one of customer, choice, kind or start, not 0`,
		`tests/a.yaml:9: unknown key "said" in a turn (known keys: customer, choice, kind, start, truncated, bot, actions, staff)`,
		`tests/a.yaml:10: staff must be true or false`,
		`tests/a.yaml:12: a bot message takes text or contains, not both`,
		`tests/a.yaml:12: a bot message needs text (exact) or contains`,
		`tests/a.yaml:13: test "no turns" needs turns`,
		`tests/b.yaml:2: YAML syntax: did not find expected node content`,
		`tests/c.yaml:1: unknown key "test" in a test file (did you mean "tests"?)`,
		`tests/c.yaml:1: tests must be a list of tests`,
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("errors do not contain %q:\n%s", w, got)
		}
	}
	if len(le.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(le.Problems), len(want), got)
	}
}
