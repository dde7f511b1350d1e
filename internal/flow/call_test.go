package flow

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mitra-care/mitra/internal/care"
)

// tallyFlow counts what the customer writes with a call, asks while the
// count is short and says the total; its catch claims any message with
// a digit.
const tallyFlow = `flow: tally
catch: tally_catch
steps:
  - id: read
    do: tally_add
    args: {by: "{{vars.step|1}}"}
    next: route
  - id: route
    branch:
      - when: {var: tally_next, equals: more}
        next: more
      - next: done
  - id: more
    ask: {id: "Lagi? ({{vars.tally}})", en: "More? ({{vars.tally}})"}
    input: text
    save: tally_in
    next: read
  - id: done
    say: {id: "Selesai", en: "Done"}
    end: true
`

// tallyCalls are the calls of tallyFlow: tally_add counts the digits of
// the message, times the arg by, and says so; at three or more it
// removes the count. tally_catch claims a message with a digit.
var tallyCalls = map[string]Call{
	"tally_add": func(in CallIn) CallOut {
		n := len(in.Vars["tally"])
		for _, r := range in.Input {
			if '0' <= r && r <= '9' {
				n += len(in.Args["by"])
			}
		}
		out := CallOut{Set: map[string]string{"tally": strings.Repeat("x", n), "tally_in": "", "tally_next": "more"},
			Say: []string{"", in.Lang + " " + in.Env.Contact["name"] + " " + strings.Repeat("x", n)}}
		if n >= 3 {
			out.Set["tally"], out.Set["tally_next"] = "", "done"
		}
		return out
	},
	"tally_catch": func(in CallIn) CallOut {
		return CallOut{Claim: strings.ContainsAny(in.Input, "0123456789"), Set: map[string]string{"ignored": "x"}, Say: []string{"ignored"}}
	},
}

func tallySet(t *testing.T) *Set {
	t.Helper()
	set, err := Load(files(map[string]string{"tally.yaml": tallyFlow}), Options{Actions: testActions, Calls: tallyCalls})
	if err != nil {
		t.Fatalf("load:\n%v", err)
	}
	return set
}

func TestCalls(t *testing.T) {
	set := tallySet(t)
	e := Env{Now: now, Lang: "id", Contact: map[string]string{"name": "Sari"}}
	res := set.Step(care.Session{}, says("a1"), e)
	if got, want := said(res), "halo | id Sari x | Lagi? (x)"; got != want {
		t.Errorf("first message: said %q, want %q", got, want)
	}
	if v := res.Session.Vars; v["tally"] != "x" || v["tally_next"] != "more" || len(v) != 2 {
		t.Errorf("vars %v, want tally=x tally_next=more only (an empty value removes tally_in)", v)
	}
	sess := res.Session
	sess.Updated = now
	res = set.Step(sess, says("1 2"), e)
	if got, want := said(res), "id Sari xxx | Selesai"; got != want {
		t.Errorf("second message: said %q, want %q", got, want)
	}
	if v := res.Session.Vars; len(v) != 1 || v["tally_next"] != "done" {
		t.Errorf("vars %v, want the count removed", v)
	}
	if sess.Vars["tally"] != "x" {
		t.Errorf("the call changed the session passed to Step: %v", sess.Vars)
	}
}

func TestCatch(t *testing.T) {
	set := tallySet(t)
	atMenu := care.Session{Flow: "menu", Step: "show", Updated: now}
	atMore := care.Session{Flow: "tally", Step: "more", Vars: map[string]string{"tally": "x"}, Updated: now}
	tests := []struct {
		name string
		sess care.Session
		in   Input
		want string
	}{
		{"first thing, greeted", care.Session{}, says("mau 5"), "halo | id  x | Lagi? (x)"},
		{"no digit: the welcome", care.Session{}, says("halo"), "Halo Kak | " + menuAsk},
		{"at the menu, after its choices", atMenu, says("jam 7"), "id  x | Lagi? (x)"},
		{"a choice's number stays the choice", atMenu, says("1"), "Buka pagi | " + menuAsk},
		{"a tap is never caught", atMenu, Input{Kind: care.KindChoice, Choice: "9"}, "maaf | " + menuAsk},
		{"opting out comes first", atMenu, says("stop promo 2"), "berhenti"},
		{"a free-text answer is the answer", atMore, says("7"), "id  xx | Lagi? (xx)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := set.Step(tt.sess, tt.in, env())
			if got := said(res); got != tt.want {
				t.Errorf("said %q, want %q", got, tt.want)
			}
			if res.Session.Vars["ignored"] != "" {
				t.Errorf("a catch set vars: %v", res.Session.Vars)
			}
		})
	}
}

func TestCallProblems(t *testing.T) {
	tests := []struct {
		name, flow, want string
	}{
		{"unknown catch", strings.Replace(tallyFlow, "catch: tally_catch", "catch: tally_catcher", 1),
			`tally.yaml:2: catch: unknown call "tally_catcher" (calls Mitra implements: tally_add, tally_catch)`},
		{"unknown do", strings.Replace(tallyFlow, "do: tally_add", "do: tally_ad", 1),
			`tally.yaml:5: unknown action "tally_ad" (actions Mitra implements: escalate, consent, erase; calls: tally_add, tally_catch)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(files(map[string]string{"tally.yaml": tt.flow}), Options{Actions: testActions, Calls: tallyCalls})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestCallsInConversationTests shows that the conversation tests run a
// flow's calls: they are part of the engine's step.
func TestCallsInConversationTests(t *testing.T) {
	set := tallySet(t)
	fsys := fstest.MapFS{"tests/tally.yaml": {Data: []byte(`tests:
  - name: digits are counted until three
    contact: {name: Sari}
    turns:
      - customer: "2 and 3"
        bot: ["halo", "id Sari xx", "Lagi? (xx)"]
      - customer: "4"
        bot: ["id Sari xxx", "Selesai"]
`)}}
	results, err := RunTests(set, fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if len(r.Failures) > 0 {
			t.Errorf("%s: %s", r.Name, strings.Join(r.Failures, "\n"))
		}
	}
}
