package flow

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadBase(t *testing.T) {
	set := load(t, nil)
	if got := strings.Join(set.Flows(), ","); got != "erase,fallback,help,menu,mydata,optin,optout,optout_ask,welcome" {
		t.Errorf("Flows() = %s", got)
	}
	if got := strings.Join(set.Languages(), ","); got != "id,en" {
		t.Errorf("Languages() = %s", got)
	}
}

func TestLoadLeavesTheCatalog(t *testing.T) {
	set := load(t, map[string]string{"catalog.yaml": "items:\n  - id: beras\n"})
	if got := strings.Join(set.Flows(), ","); got != "erase,fallback,help,menu,mydata,optin,optout,optout_ask,welcome" {
		t.Errorf("Flows() = %s", got)
	}
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]string
		want    []string // substrings of LoadError.Error(), one per problem
	}{
		{"yaml syntax", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: [explain\n"},
			[]string{"help.yaml:3: YAML syntax: did not find expected ',' or ']'"}},
		{"unknown key", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: hi\n    nxt: explain\n"},
			[]string{`help.yaml:5: unknown key "nxt" in a step (did you mean "next"?)`, "help.yaml:4: say has one language"}},
		{"unknown key far from any", map[string]string{"help.yaml": "flow: help\ncolour: red\nsteps:\n  - id: explain\n    say: {id: a, en: b}\n    flow: menu\n"},
			[]string{`help.yaml:2: unknown key "colour" in a flow file (known keys: flow, keywords, examples, label, aside, start, steps, catch)`}},
		{"key twice", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: a, en: b, id: c}\n    flow: menu\n"},
			[]string{`help.yaml:4: key "id" appears twice in say (first at line 4)`}},
		{"duplicate flow id across files", map[string]string{"zz.yaml": "flow: menu\nsteps:\n  - id: a\n    say: {id: a, en: b}\n"},
			[]string{`zz.yaml:1: flow "menu" is already defined in menu.yaml:1`}},
		{"duplicate step id", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: a, en: b}\n    next: explain2\n  - id: explain2\n    say: {id: a, en: b}\n    flow: menu\n  - id: explain\n    say: {id: a, en: b}\n"},
			[]string{`help.yaml:9: step "explain" is already defined at line 3`}},
		{"duplicate choice id", map[string]string{"menu.yaml": strings.Replace(base["menu.yaml"], "id: bye", "id: hours", 1)},
			[]string{`menu.yaml:10: choice "hours" is already in this ask at line 6`}},
		{"unknown step", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: a, en: b}\n    next: nowhere\n"},
			[]string{`help.yaml:5: next: no step "nowhere" in flow "help"`}},
		{"unknown flow", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: a, en: b}\n    flow: menuu\n"},
			[]string{`help.yaml:5: flow: no flow "menuu"`}},
		{"unknown start", map[string]string{"help.yaml": "flow: help\nstart: begin\nsteps:\n  - id: explain\n    say: {id: a, en: b}\n"},
			[]string{`help.yaml:2: start: no step "begin" in flow "help"`}},
		{"unreachable step", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: a, en: b}\n  - id: orphan\n    say: {id: a, en: b}\n"},
			[]string{`help.yaml:5: step "orphan" is never reached: no next leads to it from the start step "explain"`}},
		{"missing translation", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: bantuan}\n    flow: menu\n"},
			[]string{`help.yaml:4: say has no "en" translation`}},
		{"unknown language", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: a, en: b, jv: c}\n    flow: menu\n"},
			[]string{`help.yaml:4: say: "jv" is not one of the languages (id, en)`}},
		{"plain text with two languages", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: bantuan\n    flow: menu\n"},
			[]string{`help.yaml:4: say has one language; give every language: {id: "...", en: "..."}`}},
		{"unclosed template", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: \"Halo {{contact.name\", en: b}\n    flow: menu\n"},
			[]string{`help.yaml:4: say (id): unclosed {{ in "{{contact.name": close it with }}`}},
		{"unknown namespace", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: \"{{user.name}}\", en: b}\n    flow: menu\n"},
			[]string{`help.yaml:4: say (id): unknown {{user.name}}: a value is contact.x, shop.x, vars.x, mitra.x or input`}},
		{"undefined shop value", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: \"{{shop.phone}}\", en: b}\n    flow: menu\n"},
			[]string{`help.yaml:4: say (id): {{shop.phone}}: "phone" is not among the shop values of shop.yaml`}},
		{"empty template", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: \"a {{ }} b\", en: \"{{|x}}\"}\n    flow: menu\n"},
			[]string{`help.yaml:4: say (id): empty {{ }}`, `help.yaml:4: say (en): empty {{|x}}`}},
		{"bad template key", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: \"{{contact}}\", en: b}\n    flow: menu\n"},
			[]string{`help.yaml:4: say (id): bad {{contact}}: write contact.name`}},
		{"unknown action", map[string]string{"fallback.yaml": strings.Replace(base["fallback.yaml"], "do: escalate", "do: escalte", 1)},
			[]string{`fallback.yaml:21: unknown action "escalte" (actions Mitra implements: escalate, consent, erase)`}},
		{"step with no kind", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    flow: menu\n"},
			[]string{`help.yaml:3: step "explain" has no kind: give it one of say, ask, set, branch, do`}},
		{"step with two kinds", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: explain\n    say: {id: a, en: b}\n    do: escalate\n    flow: menu\n"},
			[]string{`help.yaml:3: step "explain" has 2 kinds (say, do): a step does one thing, so split it`}},
		{"step without id", map[string]string{"help.yaml": "flow: help\nsteps:\n  - say: {id: a, en: b}\n    flow: menu\n"},
			[]string{`help.yaml:3: step without id`}},
		{"ask without choices or input", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    ask: {id: a, en: b}\n"},
			[]string{`help.yaml:3: ask "q" needs choices, or input: text for a free answer`}},
		{"free-text ask without save or next", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    ask: {id: a, en: b}\n    input: text\n"},
			[]string{`help.yaml:3: free-text ask "q" needs save: <var>`, `help.yaml:3: free-text ask "q" needs next`}},
		{"free-text ask with other input", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    ask: {id: a, en: b}\n    input: number\n    save: n\n    end: true\n"},
			[]string{`help.yaml:5: input must be text`}},
		{"ask with choices and input", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    ask: {id: a, en: b}\n    input: text\n    save: x\n    choices:\n      - id: a\n        label: {id: a, en: b}\n        end: true\n"},
			[]string{`help.yaml:5: ask "q" has both choices and input: keep one`}},
		{"ask with choices and a jump", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    ask: {id: a, en: b}\n    next: q\n    choices:\n      - id: a\n        label: {id: a, en: b}\n        end: true\n"},
			[]string{`help.yaml:5: an ask with choices jumps from each choice: move this jump there`}},
		{"choice without label or jump", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    ask: {id: a, en: b}\n    choices:\n      - id: a\n"},
			[]string{`help.yaml:6: choice "a" needs a label`, `help.yaml:6: choice "a" needs a jump`}},
		{"choices on a say", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    say: {id: a, en: b}\n    save: x\n    flow: menu\n"},
			[]string{`help.yaml:5: save belongs to ask steps, not to say steps`}},
		{"two jumps", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    say: {id: a, en: b}\n    flow: menu\n    end: true\n"},
			[]string{`help.yaml:3: more than one jump (flow, end): keep one`}},
		{"end false", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    say: {id: a, en: b}\n    end: false\n"},
			[]string{`help.yaml:5: end must be true (or left out)`}},
		{"set without jump and bad lang", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    set: {lang: jv, Bad-Name: x}\n"},
			[]string{`help.yaml:3: set step "q" needs a jump after it`, `help.yaml:4: lang "jv" is not one of the languages (id, en)`, `help.yaml:4: variable "Bad-Name": use at most 32 lower-case letters`}},
		{"writing misses", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: q\n    set: {misses: \"0\"}\n    flow: menu\n"},
			[]string{`help.yaml:4: variable "misses" is kept by the engine`}},
		{"branch without default", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: b\n    branch:\n      - when: {var: x, equals: a}\n        flow: menu\n"},
			[]string{`help.yaml:5: branch needs a default case (one without when) at the end`}},
		{"branch default not last", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: b\n    branch:\n      - flow: menu\n      - when: {var: x, equals: a, empty: true}\n        flow: menu\n"},
			[]string{`help.yaml:5: the default case (the one without when) must be last`, `help.yaml:5: branch needs a default case`, `help.yaml:6: when needs exactly one test of equals, in or empty, not 2`}},
		{"branch with a step jump", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: b\n    branch:\n      - flow: menu\n    end: true\n"},
			[]string{`help.yaml:6: a branch jumps from its cases: move this jump there`}},
		{"loop without an ask", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: a\n    say: {id: a, en: b}\n    next: b\n  - id: b\n    set: {x: \"1\"}\n    flow: help\n"},
			[]string{`help.yaml:3: steps loop without an ask, so the bot would never stop talking: help/a → help/b → help/a`}},
		{"loop across flows", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: a\n    say: {id: a, en: b}\n    flow: welcome\n", "welcome.yaml": "flow: welcome\nsteps:\n  - id: hi\n    say: {id: a, en: b}\n    flow: help\n"},
			[]string{`help.yaml:3: steps loop without an ask, so the bot would never stop talking: help/a → welcome/hi → help/a`}},
		{"required flow missing", map[string]string{"help.yaml": "", "welcome.yaml": "flow: welcome\nsteps:\n  - id: hi\n    say: {id: a, en: b}\n"},
			[]string{`missing flow "help": the keywords HELP, BANTUAN, TOLONG start it`}},
		{"required flows missing", map[string]string{"menu.yaml": "", "fallback.yaml": "", "welcome.yaml": "", "help.yaml": "flow: help\nsteps:\n  - id: a\n    say: {id: a, en: b}\n"},
			[]string{`missing flow "welcome"`, `missing flow "menu"`, `missing flow "fallback"`}},
		{"system text missing", map[string]string{"shop.yaml": "languages: [id, en]\nshop: {hours: x}\ntexts:\n  not_text: {id: a, en: b}\n  staff_hold: {id: a}\n  hello: {id: a, en: b}\n"},
			[]string{`shop.yaml:3: missing system text truncated under texts`, `shop.yaml:3: missing system text optout_line under texts`, `shop.yaml:3: missing system text greeting under texts`, `shop.yaml:3: missing system text which under texts`, `shop.yaml:5: text staff_hold has no "en" translation`, `shop.yaml:6: unknown system text "hello"`}},
		{"shop.yaml missing", map[string]string{"shop.yaml": ""},
			[]string{`shop.yaml: missing: it lists the languages`}},
		{"shop.yaml without languages", map[string]string{"shop.yaml": "shop: {hours: x}\ntexts: {}\n"},
			[]string{`shop.yaml:1: missing languages`, `shop.yaml:2: missing system text not_text`, `shop.yaml:2: missing system text truncated`, `shop.yaml:2: missing system text staff_hold`, `shop.yaml:2: missing system text optout_line`, `shop.yaml:2: missing system text greeting`, `shop.yaml:2: missing system text which`}},
		{"shop value missing a translation", map[string]string{"shop.yaml": strings.Replace(base["shop.yaml"], "{id: pagi, en: morning}", "{id: pagi}", 1)},
			[]string{`shop.yaml:4: shop value hours has no "en" translation`}},
		{"reply that picks two choices", map[string]string{"menu.yaml": strings.Replace(base["menu.yaml"], "match: [jam]", "match: [jam, \"Dadah!\"]", 1)},
			[]string{`menu.yaml:10: choice "bye": the reply "dadah" already picks choice "hours"`}},
		{"keyword that is global", map[string]string{"help.yaml": "flow: help\nkeywords: [Menu!, tanya, tanya]\nsteps:\n  - id: a\n    say: {id: a, en: b}\n    flow: menu\n"},
			[]string{`help.yaml:2: keyword "Menu!" is already a global keyword (menu)`, `help.yaml:2: keyword "tanya" already starts flow "help"`}},
		{"bad ids", map[string]string{"help.yaml": "flow: help me\nsteps:\n  - id: a/b\n    say: {id: a, en: b}\n"},
			[]string{`help.yaml:1: flow id "help me": use at most 64 letters, digits, _ and -`, `help.yaml:3: step id "a/b"`, `missing flow "help"`}},
		{"empty text", map[string]string{"help.yaml": "flow: help\nsteps:\n  - id: a\n    say:\n    flow: [menu]\n"},
			[]string{`help.yaml:4: say is empty`, `help.yaml:5: flow must be a single value`}},
		{"no steps", map[string]string{"help.yaml": "flow: help\nsteps: []\n"},
			[]string{`help.yaml:2: the flow has no steps`}},
		{"bad languages", map[string]string{"shop.yaml": strings.Replace(base["shop.yaml"], "[id, en]", "[id, EN, id, en]", 1)},
			[]string{`shop.yaml:1: language "EN": use a lower-case code such as id or en`, `shop.yaml:1: language "id" is listed twice`}},
		{"yml file", map[string]string{"promo.yml": "flow: promo\n"},
			[]string{`promo.yml: flow files end in .yaml: rename it promo.yaml`}},
		{"empty flow file", map[string]string{"help.yaml": "# nothing yet\n"},
			[]string{`help.yaml: the file is empty`}},
		{"examples in an unknown language", map[string]string{"help.yaml": "flow: help\nexamples: {fr: [aide]}\nsteps:\n  - id: a\n    say: {id: a, en: b}\n    flow: menu\n"},
			[]string{`help.yaml:2: examples: "fr" is not one of the languages (id, en)`}},
		{"examples not a list", map[string]string{"help.yaml": "flow: help\nexamples: bantu\nsteps:\n  - id: a\n    say: {id: a, en: b}\n    flow: menu\n"},
			[]string{`help.yaml:2: examples must be a map of language to phrases`}},
		{"an aside flow that asks", map[string]string{"thanks.yaml": "flow: thanks\naside: true\nsteps:\n  - id: a\n    ask: {id: a, en: b}\n    input: text\n    save: x\n    end: true\n"},
			[]string{`thanks.yaml:4: step "a": an aside flow only says things`}},
		{"flow without id or steps", map[string]string{"zz.yaml": "keywords: [x]\n"},
			[]string{`zz.yaml:1: missing flow: give the flow an id`, `zz.yaml:1: missing steps`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(files(tt.changes), Options{Actions: testActions})
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load = %v, want a *LoadError", err)
			}
			got := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems do not contain %q:\n%s", w, got)
				}
			}
			if len(le.Problems) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%s", len(le.Problems), len(tt.want), got)
			}
		})
	}
}

func TestLoadErrorListsEveryProblemSorted(t *testing.T) {
	_, err := Load(files(map[string]string{
		"help.yaml":    "flow: help\nsteps:\n  - id: a\n    say: {id: a}\n    nxt: a\n",
		"welcome.yaml": "flow: welcome\nsteps:\n  - id: hi\n    say: {id: \"{{shop.nope}}\", en: b}\n    flow: menuu\n",
	}), Options{})
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("Load = %v, want a *LoadError", err)
	}
	want := []string{
		`erase.yaml:13: unknown action "erase" (actions Mitra implements: none)`,
		`fallback.yaml:21: unknown action "escalate" (actions Mitra implements: none)`,
		`help.yaml:4: say has no "en" translation`,
		`help.yaml:5: unknown key "nxt" in a step (did you mean "next"?)`,
		`optin.yaml:13: unknown action "consent" (actions Mitra implements: none)`,
		`optout_ask.yaml:13: unknown action "consent" (actions Mitra implements: none)`,
		`welcome.yaml:4: say (id): {{shop.nope}}: "nope" is not among the shop values of shop.yaml`,
		`welcome.yaml:5: flow: no flow "menuu"`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("Load error:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// brokenFS fails to read one file.
type brokenFS struct {
	fstest.MapFS
	bad string
}

var errDisk = errors.New("disk on fire")

func (b brokenFS) ReadFile(name string) ([]byte, error) {
	if name == b.bad {
		return nil, errDisk
	}
	return b.MapFS.ReadFile(name)
}

func TestLoadUnreadable(t *testing.T) {
	_, err := Load(brokenFS{files(nil), "menu.yaml"}, Options{Actions: testActions})
	var le *LoadError
	if !errors.Is(err, errDisk) || errors.As(err, &le) || !strings.Contains(err.Error(), "menu.yaml") {
		t.Fatalf("Load = %v, want the read error of menu.yaml, wrapped", err)
	}
	if _, err := RunTests(load(t, nil), brokenFS{files(map[string]string{"tests/a.yaml": "tests: []"}), "tests/a.yaml"}); !errors.Is(err, errDisk) {
		t.Fatalf("RunTests = %v, want the read error, wrapped", err)
	}
}
