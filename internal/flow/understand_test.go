package flow

import (
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// understandFlows give the base menu's choices examples, and add small
// talk and a flow with examples.
var understandFlows = map[string]string{
	"menu.yaml": `flow: menu
steps:
  - id: show
    ask: {id: "Mau apa?", en: "What?"}
    choices:
      - id: hours
        label: {id: Jam buka, en: Hours}
        match: [jam]
        examples: {id: [buka jam berapa, harga promo], en: [what time do you open]}
        next: hours
      - id: price
        label: {id: Daftar harga, en: Price list}
        examples: {id: [harga beras, harga telur, harga promo]}
        next: prices
      - id: bye
        label: {id: Dadah, en: Bye}
        end: true
  - id: hours
    say: {id: "Buka {{shop.hours}}", en: "Open {{shop.hours}}"}
    next: show
  - id: prices
    say: {id: "Beras 15rb", en: "Rice 15k"}
    next: show
`,
	"thanks.yaml": `flow: thanks
aside: true
examples: [makasih, thanks]
steps:
  - id: a
    say: {id: sama-sama, en: welcome}
`,
}

func TestUnderstanding(t *testing.T) {
	set := load(t, understandFlows)
	asked := care.Session{Flow: "menu", Step: "show", Updated: now}
	tests := []struct {
		name string
		sess care.Session
		text string
		want string
		flow string // where the conversation waits after
		lang string
	}{
		{"a question first thing is answered with a greeting", care.Session{}, "kak buka jam berapa?", "halo | Buka pagi | " + "Mau apa? [hours=Jam buka price=Daftar harga bye=Dadah]", "menu", ""},
		{"in a sentence at the menu, with a typo", asked, "bu, hargaa telurnya sekilo brp", "Beras 15rb | Mau apa? [hours=Jam buka price=Daftar harga bye=Dadah]", "menu", ""},
		{"English first thing is answered in English", care.Session{}, "what time do you open?", "hello | Open morning | What? [hours=Hours price=Price list bye=Bye]", "menu", "en"},
		{"small talk leaves the question waiting", asked, "makasih ya kak", "sama-sama", "menu", ""},
		{"small talk first thing, then the welcome", care.Session{}, "makasih", "sama-sama | Halo Kak | Mau apa? [hours=Jam buka price=Daftar harga bye=Dadah]", "menu", ""},
		{"two close meanings: the bot asks which", asked, "harga", "yang mana? [1=Jam buka 2=Daftar harga]", whichFlow, ""},
		{"nothing close falls back", asked, "anak saya lagi sakit", "maaf | Mau apa? [hours=Jam buka price=Daftar harga bye=Dadah]", "menu", ""},
		{"the words of a global keyword", asked, "menu dong kak", "Mau apa? [hours=Jam buka price=Daftar harga bye=Dadah]", "menu", ""},
		{"a choice's word with particles", asked, "jam dong", "Buka pagi | Mau apa? [hours=Jam buka price=Daftar harga bye=Dadah]", "menu", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := set.Step(tt.sess, says(tt.text), env())
			if got := said(res); got != tt.want {
				t.Errorf("said %q, want %q", got, tt.want)
			}
			if res.Session.Flow != tt.flow || res.Session.Lang != tt.lang {
				t.Errorf("session at %q in %q, want %q in %q", res.Session.Flow, res.Session.Lang, tt.flow, tt.lang)
			}
		})
	}
}

func TestWhichAnswered(t *testing.T) {
	set := load(t, understandFlows)
	first := set.Step(care.Session{Flow: "menu", Step: "show", Updated: now}, says("harga"), env())
	for _, tt := range []struct {
		name string
		in   Input
		want string
	}{
		{"by number", says("1"), "Buka pagi"},
		{"by tap", Input{Kind: care.KindChoice, Choice: "2"}, "Beras 15rb"},
		{"by label", says("jam buka"), "Buka pagi"},
		{"by words", says("beras"), "Beras 15rb"},
		{"not an answer: a new message", says("anak saya lagi sakit"), "Halo Kak"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := set.Step(first.Session, tt.in, env())
			if len(res.Messages) == 0 || res.Messages[0].Text != tt.want {
				t.Errorf("said %q, want it to start with %q", said(res), tt.want)
			}
		})
	}
}

func TestStopUnsureAsks(t *testing.T) {
	set := load(t, nil)
	held := care.Session{StaffUntil: now.Add(time.Hour)}
	res := set.Step(held, says("stop dulu"), env())
	if res.Keyword != KeywordStopUnsure || said(res) != "berhenti? [yes=Ya no=Tidak]" || res.Staff {
		t.Fatalf("stop dulu while held: %q, keyword %q", said(res), res.Keyword)
	}
	res = set.Step(res.Session, says("ya"), env())
	if len(res.Actions) != 1 || res.Actions[0].Name != "consent" || res.Actions[0].Args["grant"] != "no" || res.Actions[0].Question == "" {
		t.Errorf("YES to the question: actions %+v", res.Actions)
	}
}

func TestCollisions(t *testing.T) {
	set := load(t, understandFlows)
	ps := set.Collisions()
	if len(ps) != 2 || ps[0].Line != 9 || ps[1].Line != 13 {
		t.Fatalf("collisions %v, want the example hours and price share, once for each", ps)
	}
}

func TestChoiceLabel(t *testing.T) {
	set := load(t, understandFlows)
	at := care.Session{Flow: "menu", Step: "show"}
	for _, tt := range []struct {
		sess     care.Session
		id, lang string
		want     string
	}{
		{at, "hours", "id", "Jam buka"},
		{at, "hours", "en", "Hours"},
		{at, "nope", "id", ""},
		{care.Session{}, "hours", "id", ""},
	} {
		if got := set.ChoiceLabel(tt.sess, tt.id, tt.lang); got != tt.want {
			t.Errorf("ChoiceLabel(%q, %q, %q) = %q, want %q", tt.sess.Flow, tt.id, tt.lang, got, tt.want)
		}
	}
}
