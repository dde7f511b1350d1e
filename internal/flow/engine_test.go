package flow

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mitra-care/mitra/internal/care"
)

// orderFlow adds a free-text question, branches, set and do to base.
const orderFlow = `flow: order
keywords: [pesan sekarang]
steps:
  - id: name
    ask: {id: "Nama?", en: "Name?"}
    input: text
    save: name
    next: thanks
  - id: thanks
    say: {id: "Terima kasih, {{input}}.", en: "Thanks, {{input}}."}
    next: who
  - id: who
    branch:
      - when: {var: name, equals: Budi}
        next: budi
      - when: {var: name, in: [Ani, Sari]}
        next: friend
      - when: {var: note, empty: false}
        next: other
      - next: other
  - id: budi
    do: escalate
    args: {who: "{{vars.name}}", when: "{{shop.hours}}"}
    end: true
  - id: friend
    set: {lang: en, greeting: "hi {{vars.name}}"}
    next: other
  - id: other
    say: {id: "lain {{vars.greeting|-}}", en: "other {{vars.greeting|-}}"}
`

var now = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

func engineSet(t testing.TB) *Set {
	return load(t, map[string]string{"order.yaml": orderFlow})
}

func says(s string) Input { return Input{Kind: care.KindText, Text: s} }

func env() Env { return Env{Now: now, Lang: "id"} }

// said renders the messages of a result on one line, choices in [].
func said(res Result) string {
	var parts []string
	for _, m := range res.Messages {
		s := m.Text
		if len(m.Choices) > 0 {
			var cs []string
			for _, c := range m.Choices {
				cs = append(cs, c.ID+"="+c.Label)
			}
			s += " [" + strings.Join(cs, " ") + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

const menuAsk = "Mau apa? [hours=Jam buka bye=Dadah]"

func TestStepNewContact(t *testing.T) {
	set := engineSet(t)
	res := set.Step(care.Session{}, says("halo"), Env{Now: now, Lang: "id", Contact: map[string]string{"name": "Sari"}})
	if got, want := said(res), "Halo Sari | "+menuAsk; got != want {
		t.Errorf("said %q, want %q", got, want)
	}
	if res.Session.Flow != "menu" || res.Session.Step != "show" || res.Staff || len(res.Actions) != 0 {
		t.Errorf("result %+v", res)
	}
	if got := said(set.Step(care.Session{}, says("halo"), env())); !strings.HasPrefix(got, "Halo Kak |") {
		t.Errorf("without a name: %q", got)
	}
}

func TestChoiceMatching(t *testing.T) {
	set := engineSet(t)
	atMenu := care.Session{Flow: "menu", Step: "show"}
	const hours = "Buka pagi | " + menuAsk
	const miss = "maaf | " + menuAsk
	tests := []struct {
		in     Input
		want   string
		misses int
	}{
		{says("1"), hours, 0},
		{says("1."), hours, 0},
		{says("hours"), hours, 0},
		{says("Jam Buka"), hours, 0},
		{says("JAAAM BUKAAA!!!"), hours, 0},
		{says("hours"), hours, 0},
		{says("HOURS"), hours, 0}, // the label in another language
		{says("jam"), hours, 0},   // a match word
		{Input{Kind: care.KindChoice, Choice: "hours"}, hours, 0},
		{says("2"), "", 0}, // bye: end
		{says("dadah"), "", 0},
		{says("jam berapa"), miss, 1},
		{says("3"), miss, 1},
		{says("0"), miss, 1},
		{says("no 1"), miss, 1},
		{says(""), miss, 1},
		{Input{Kind: care.KindChoice, Choice: "Hours"}, miss, 1},
		{Input{Kind: care.KindChoice, Choice: "1"}, miss, 1},
		{Input{Kind: care.KindChoice, Choice: "yes"}, miss, 1}, // a button of another question
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %q", tt.in.Kind, tt.in.Text+tt.in.Choice), func(t *testing.T) {
			res := set.Step(atMenu, tt.in, env())
			if got := said(res); got != tt.want {
				t.Errorf("said %q, want %q", got, tt.want)
			}
			if res.Session.Misses != tt.misses {
				t.Errorf("misses %d, want %d", res.Session.Misses, tt.misses)
			}
		})
	}
}

func TestChoiceSave(t *testing.T) {
	set := load(t, map[string]string{"menu.yaml": strings.Replace(base["menu.yaml"], "    choices:", "    save: picked\n    choices:", 1)})
	res := set.Step(care.Session{Flow: "menu", Step: "show"}, says("jam"), env())
	if res.Session.Vars["picked"] != "hours" {
		t.Errorf("vars %v, want picked=hours", res.Session.Vars)
	}
}

func TestFallbackThenPerson(t *testing.T) {
	set := engineSet(t)
	sess := care.Session{Flow: "menu", Step: "show"}
	res := set.Step(sess, says("apa ini"), env())
	if got := said(res); got != "maaf | "+menuAsk {
		t.Fatalf("first miss said %q", got)
	}
	if s := res.Session; s.Misses != 1 || s.Return != "" || s.Flow != "menu" || s.Step != "show" {
		t.Fatalf("after the first miss: %+v", s)
	}
	res = set.Step(res.Session, says("apa itu"), env())
	if got := said(res); got != "staf? [yes=Ya no=Tidak]" {
		t.Fatalf("second miss said %q", got)
	}
	if s := res.Session; s.Misses != 2 || s.Return != "menu/show" || s.Flow != "fallback" || s.Step != "offer" {
		t.Fatalf("after the second miss: %+v", s)
	}
	res = set.Step(res.Session, says("ya"), env())
	if got := said(res); got != "diteruskan" {
		t.Errorf("yes said %q", got)
	}
	want := []Action{{Name: "escalate", Args: map[string]string{"reason": "not_understood"}, Question: "staf?\n1. Ya\n2. Tidak"}}
	if !reflect.DeepEqual(unversioned(t, res.Actions), want) {
		t.Errorf("actions %+v, want %+v", res.Actions, want)
	}
	if s := res.Session; s.Misses != 0 || s.Return != "" || s.Flow != "" || s.Step != "" {
		t.Errorf("after the hand-over: %+v", s)
	}
}

func TestReturnWithoutReturnStartsMenu(t *testing.T) {
	set := engineSet(t)
	res := set.Step(care.Session{Misses: 1}, Input{Start: "fallback"}, env())
	if got := said(res); got != "maaf | "+menuAsk {
		t.Errorf("said %q", got)
	}
	// A Return naming a step the flows no longer have also starts the menu.
	res = set.Step(care.Session{Misses: 1, Return: "gone/step"}, Input{Start: "fallback"}, env())
	if got := said(res); got != "maaf | "+menuAsk {
		t.Errorf("stale return said %q", got)
	}
}

func TestFreeText(t *testing.T) {
	set := engineSet(t)
	atName := care.Session{Flow: "order", Step: "name"}
	tests := []struct {
		name    string
		in      Input
		want    string
		vars    map[string]string
		lang    string
		actions []Action
		misses  int
		ret     string
	}{
		{"an answer is saved and rendered", says("Rina"), "Terima kasih, Rina. | lain -", map[string]string{"name": "Rina"}, "", nil, 0, ""},
		{"branch equals then do with args", says("Budi"), "Terima kasih, Budi.", map[string]string{"name": "Budi"}, "",
			[]Action{{Name: "escalate", Args: map[string]string{"who": "Budi", "when": "pagi"}, Question: "Nama?"}}, 0, ""},
		{"branch in, then set lang and a var", says("Sari"), "Terima kasih, Sari. | other hi Sari", map[string]string{"name": "Sari", "greeting": "hi Sari"}, "en", nil, 0, ""},
		{"a keyword of a flow is an answer here", says("pesan sekarang"), "Terima kasih, pesan sekarang. | lain -", map[string]string{"name": "pesan sekarang"}, "", nil, 0, ""},
		{"empty text is not understood", says(""), "maaf | Nama?", nil, "", nil, 1, ""},
		{"a button is not an answer", Input{Kind: care.KindChoice, Choice: "hours"}, "maaf | Nama?", nil, "", nil, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := set.Step(atName, tt.in, env())
			if got := said(res); got != tt.want {
				t.Errorf("said %q, want %q", got, tt.want)
			}
			if len(res.Session.Vars) != len(tt.vars) || (tt.vars != nil && !reflect.DeepEqual(res.Session.Vars, tt.vars)) {
				t.Errorf("vars %v, want %v", res.Session.Vars, tt.vars)
			}
			if res.Session.Lang != tt.lang {
				t.Errorf("lang %q, want %q", res.Session.Lang, tt.lang)
			}
			if got := unversioned(t, res.Actions); !reflect.DeepEqual(got, tt.actions) {
				t.Errorf("actions %+v, want %+v", got, tt.actions)
			}
			if res.Session.Misses != tt.misses || res.Session.Return != tt.ret {
				t.Errorf("misses %d return %q, want %d %q", res.Session.Misses, res.Session.Return, tt.misses, tt.ret)
			}
		})
	}
}

func TestFlowKeywords(t *testing.T) {
	set := engineSet(t)
	for _, sess := range []care.Session{{}, {Flow: "menu", Step: "show", Misses: 1}} {
		res := set.Step(sess, says("Pesan sekarang!"), env())
		if got := said(res); got != "Nama?" || res.Session.Misses != 0 {
			t.Errorf("from %+v: said %q, misses %d", sess, got, res.Session.Misses)
		}
	}
}

func TestGlobalKeywordsAndStaffHold(t *testing.T) {
	set := engineSet(t)
	held := care.Session{Flow: "order", Step: "name", Misses: 1, Return: "menu/show", Vars: map[string]string{"name": "x"}, StaffUntil: now.Add(time.Hour)}
	tests := []struct {
		name      string
		sess      care.Session
		in        Input
		want      string
		staff     bool
		held      bool // StaffUntil unchanged
		unchanged bool
	}{
		{"text while held", held, says("halo?"), "", true, true, true},
		{"sticker while held", held, Input{Kind: care.KindSticker}, "", true, true, true},
		{"a start while held", held, Input{Start: "help"}, "", true, true, true},
		{"MENU while held releases", held, says("MENU!!"), menuAsk, false, false, false},
		{"HELP while held says who answers and offers no menu", held, says("help"), "tunggu staf", false, true, true},
		{"after the hold", care.Session{StaffUntil: now}, says("halo"), "Halo Kak | " + menuAsk, false, true, false},
		{"BANTUAN at a free-text question", care.Session{Flow: "order", Step: "name"}, says("BANTUAN"), "bantuan | " + menuAsk, false, true, false},
		{"tolong in a sentence is an answer", care.Session{Flow: "order", Step: "name"}, says("tolong kirim ya"), "Terima kasih, tolong kirim ya. | lain -", false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := set.Step(tt.sess, tt.in, env())
			if got := said(res); got != tt.want {
				t.Errorf("said %q, want %q", got, tt.want)
			}
			if res.Staff != tt.staff {
				t.Errorf("staff %t, want %t", res.Staff, tt.staff)
			}
			if res.Session.StaffUntil.Equal(tt.sess.StaffUntil) != tt.held {
				t.Errorf("StaffUntil %v, was %v", res.Session.StaffUntil, tt.sess.StaffUntil)
			}
			if tt.unchanged && !reflect.DeepEqual(res.Session, tt.sess) {
				t.Errorf("session changed while held: %+v", res.Session)
			}
			if !tt.unchanged && (res.Session.Misses != 0 || res.Session.Return != "") {
				t.Errorf("a keyword should reset misses and return: %+v", res.Session)
			}
		})
	}
}

func TestNotText(t *testing.T) {
	set := engineSet(t)
	res := set.Step(care.Session{Flow: "order", Step: "name", Misses: 1}, Input{Kind: care.KindVoice}, env())
	if got := said(res); got != "hanya teks | "+menuAsk {
		t.Errorf("said %q", got)
	}
	if res.Session.Misses != 1 {
		t.Errorf("misses %d, want 1 (unchanged)", res.Session.Misses)
	}
}

func TestTruncated(t *testing.T) {
	set := engineSet(t)
	in := says("jam")
	in.Truncated = true
	res := set.Step(care.Session{Flow: "menu", Step: "show"}, in, env())
	if got := said(res); got != "terlalu panjang | Buka pagi | "+menuAsk {
		t.Errorf("said %q", got)
	}
}

func TestStart(t *testing.T) {
	set := engineSet(t)
	for _, tt := range []struct{ start, want string }{
		{"order", "Nama?"},
		{"nope", menuAsk},
	} {
		in := Input{Kind: care.KindText, Text: "ignored", Start: tt.start}
		if got := said(set.Step(care.Session{Flow: "menu", Step: "show"}, in, env())); got != tt.want {
			t.Errorf("start %s said %q, want %q", tt.start, got, tt.want)
		}
	}
}

func TestStalePosition(t *testing.T) {
	set := engineSet(t)
	// Positions the flows no longer have, or that are not questions,
	// start the conversation afresh.
	for _, sess := range []care.Session{{Flow: "gone", Step: "x"}, {Flow: "menu", Step: "gone"}, {Flow: "menu", Step: "hours"}} {
		if got := said(set.Step(sess, says("1"), env())); got != "Halo Kak | "+menuAsk {
			t.Errorf("from %s/%s said %q", sess.Flow, sess.Step, got)
		}
	}
}

func TestLanguage(t *testing.T) {
	set := engineSet(t)
	tests := []struct{ sess, env, want string }{
		{"en", "id", "Hi there"},
		{"", "en", "Hi there"},
		{"fr", "en", "Hi there"},
		{"id", "en", "Halo Kak"},
		{"fr", "de", "Halo Kak"},
	}
	for _, tt := range tests {
		res := set.Step(care.Session{Lang: tt.sess}, says("hi"), Env{Now: now, Lang: tt.env})
		if got := res.Messages[0].Text; got != tt.want {
			t.Errorf("session %q env %q: %q, want %q", tt.sess, tt.env, got, tt.want)
		}
		if res.Session.Lang != tt.sess {
			t.Errorf("session language changed to %q", res.Session.Lang)
		}
	}
}

func TestVarLimits(t *testing.T) {
	set := engineSet(t)
	long := strings.Repeat("é", 300)
	res := set.Step(care.Session{Flow: "order", Step: "name"}, says(long), env())
	if got := res.Session.Vars["name"]; utf8.RuneCountInString(got) != maxValue || !strings.HasPrefix(long, got) {
		t.Errorf("saved %d characters, want %d", utf8.RuneCountInString(got), maxValue)
	}
	full := map[string]string{}
	for i := range maxVars {
		full[fmt.Sprint("v", i)] = "x"
	}
	res = set.Step(care.Session{Flow: "order", Step: "name", Vars: full}, says("Rina"), env())
	if _, ok := res.Session.Vars["name"]; ok || len(res.Session.Vars) != maxVars {
		t.Errorf("a new var was added beyond %d: %d vars", maxVars, len(res.Session.Vars))
	}
	full["name"] = "old"
	delete(full, "v0")
	res = set.Step(care.Session{Flow: "order", Step: "name", Vars: full}, says("Rina"), env())
	if res.Session.Vars["name"] != "Rina" {
		t.Errorf("an existing var was not updated at the limit: %q", res.Session.Vars["name"])
	}
}

func TestPurity(t *testing.T) {
	set := engineSet(t)
	sess := care.Session{Flow: "order", Step: "name", Vars: map[string]string{"note": "a"}, Lang: "id"}
	in := says("Sari")
	first := set.Step(sess, in, env())
	if !reflect.DeepEqual(sess.Vars, map[string]string{"note": "a"}) || sess.Lang != "id" || sess.Flow != "order" {
		t.Errorf("the input session was changed: %+v", sess)
	}
	if first.Session.Vars["name"] != "Sari" {
		t.Fatalf("the step did not save: %+v", first.Session)
	}
	for range 3 {
		if again := set.Step(sess, in, env()); !reflect.DeepEqual(again, first) {
			t.Fatalf("same input, different result:\n%+v\n%+v", again, first)
		}
	}
}

func TestLoopGuard(t *testing.T) {
	set := load(t, map[string]string{"loop.yaml": "flow: loop\nsteps:\n  - id: a\n    say: {id: a, en: a}\n    next: b\n  - id: b\n    say: {id: b, en: b}\n"})
	// Validation rejects loops, so make one behind its back.
	f := set.flows["loop"]
	f.steps[1].jump = jump{kind: jumpNext, step: 0}
	res := set.Step(care.Session{}, Input{Start: "loop"}, env())
	if len(res.Messages) != maxSteps {
		t.Errorf("%d messages, want the engine to stop after %d steps", len(res.Messages), maxSteps)
	}
	if res.Session.Flow != "" || res.Session.Step != "" {
		t.Errorf("session %+v, want the conversation ended", res.Session)
	}
}

func TestSystemText(t *testing.T) {
	set := engineSet(t)
	if got := set.SystemText(TextStaffHold, care.Session{Lang: "en"}, env()); got != "wait for staff" {
		t.Errorf("staff_hold in en = %q", got)
	}
	if got := set.SystemText(TextStaffHold, care.Session{}, env()); got != "tunggu staf" {
		t.Errorf("staff_hold by default = %q", got)
	}
	if got := set.SystemText("nope", care.Session{}, env()); got != "" {
		t.Errorf("unknown text = %q", got)
	}
}

// BenchmarkStep measures the engine on the shipped flows with the
// messages of the pipeline benchmark: greeting, menu by number and word,
// help, a sticker, a question it does not understand.
func BenchmarkStep(b *testing.B) {
	set := shipped(b)
	script := []Input{says("halo"), says("2"), says("menu"), says("jam buka"), says("bantuan"), {Kind: care.KindSticker}, says("apakah ada tempe?"), says("menu")}
	e := Env{Now: now, Lang: "id", Contact: map[string]string{"name": "Sari"}}
	sess := care.Session{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sess = set.Step(sess, script[i%len(script)], e).Session
	}
}

// unversioned checks that every action that answers a question carries
// the question's version, and returns the actions without it.
func unversioned(t *testing.T, as []Action) []Action {
	t.Helper()
	var out []Action
	for _, a := range as {
		if (a.Question == "") != (a.Version == "") {
			t.Errorf("action %s: question %q with version %q", a.Name, a.Question, a.Version)
		}
		a.Version = ""
		out = append(out, a)
	}
	return out
}

// TestConsentEvidence checks what a consent action records of the
// question: its exact wording in the contact's language and a version
// that changes with the wording in any language.
func TestConsentEvidence(t *testing.T) {
	e := Env{Now: now, Lang: "id", Mitra: map[string]string{"promo_max": "2", "promo_days": "7"}}
	grant := func(set *Set, lang string) Action {
		t.Helper()
		res := set.Step(care.Session{Lang: lang}, Input{Start: "optin"}, e)
		res = set.Step(res.Session, says("ya"), e)
		if len(res.Actions) != 1 || res.Actions[0].Name != "consent" {
			t.Fatalf("actions %+v, want one consent", res.Actions)
		}
		return res.Actions[0]
	}
	set := load(t, nil)
	id, en := grant(set, "id"), grant(set, "en")
	if id.Question != "promo 2/7?\n1. Ya\n2. Tidak" || en.Question != "promos 2/7?\n1. Yes\n2. No" {
		t.Errorf("questions %q and %q", id.Question, en.Question)
	}
	if id.Version == "" || id.Version != en.Version {
		t.Errorf("versions %q and %q: want one version for both languages", id.Version, en.Version)
	}
	changed := load(t, map[string]string{"optin.yaml": strings.Replace(base["optin.yaml"], "promos {{", "promotions {{", 1)})
	if v := grant(changed, "id").Version; v == id.Version {
		t.Errorf("version %q did not change with the English wording", v)
	}
}

// TestBranchOnMitraValue: a branch tests a value Mitra supplies, and a
// value Mitra does not supply is a problem at load.
func TestBranchOnMitraValue(t *testing.T) {
	welcome := `flow: welcome
steps:
  - id: hi
    branch:
      - when: {var: mitra.usual, empty: false}
        next: usual
      - next: plain
  - id: usual
    say: {id: "Yang biasa: {{mitra.usual}}?", en: "The usual: {{mitra.usual}}?"}
    end: true
  - id: plain
    say: {id: halo, en: hello}
    flow: menu
`
	set := load(t, map[string]string{"welcome.yaml": welcome})
	for usual, want := range map[string]string{"beras 5 kg": "Yang biasa: beras 5 kg?", "": "halo | " + menuAsk} {
		res := set.Step(care.Session{}, says("halo"), Env{Now: now, Lang: "id", Mitra: map[string]string{"usual": usual}})
		if got := said(res); got != want {
			t.Errorf("usual %q: said %q, want %q", usual, got, want)
		}
	}
	_, err := Load(files(map[string]string{"welcome.yaml": strings.Replace(welcome, "mitra.usual, empty", "mitra.usal, empty", 1)}), Options{Actions: testActions})
	if err == nil || !strings.Contains(err.Error(), "welcome.yaml:5: when var mitra.usal: Mitra supplies") {
		t.Errorf("error %v, want the unknown value named", err)
	}
}
