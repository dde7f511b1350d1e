package flow

import (
	"testing"
	"testing/fstest"
)

// base is a small valid set of flows that tests change file by file.
var base = map[string]string{
	"shop.yaml": `languages: [id, en]
shop:
  name: Warung
  hours: {id: pagi, en: morning}
texts:
  not_text: {id: hanya teks, en: text only}
  truncated: {id: terlalu panjang, en: too long}
  staff_hold: {id: tunggu staf, en: wait for staff}
  optout_line: {id: ketik STOP, en: type STOP}
  greeting: {id: halo, en: hello}
  which: {id: "yang mana?", en: "which one?"}
`,
	"optout.yaml": `flow: optout
steps:
  - id: done
    say: {id: berhenti, en: stopped}
`,
	"optout_ask.yaml": `flow: optout_ask
steps:
  - id: ask
    ask: {id: "berhenti?", en: "stop?"}
    choices:
      - id: "yes"
        label: {id: Ya, en: "Yes"}
        next: withdraw
      - id: "no"
        label: {id: Tidak, en: "No"}
        end: true
  - id: withdraw
    do: consent
    args: {purpose: promotions, grant: "no"}
    flow: optout
`,
	"optin.yaml": `flow: optin
steps:
  - id: ask
    ask: {id: "promo {{mitra.promo_max}}/{{mitra.promo_days}}?", en: "promos {{mitra.promo_max}}/{{mitra.promo_days}}?"}
    choices:
      - id: "yes"
        label: {id: Ya, en: "Yes"}
        next: grant
      - id: "no"
        label: {id: Tidak, en: "No"}
        end: true
  - id: grant
    do: consent
    args: {purpose: promotions, grant: "yes"}
    next: thanks
  - id: thanks
    say: {id: terima kasih, en: thanks}
`,
	"mydata.yaml": `flow: mydata
steps:
  - id: show
    say: {id: "data {{mitra.profile}}", en: "data {{mitra.profile}}"}
`,
	"erase.yaml": `flow: erase
steps:
  - id: confirm
    ask: {id: "hapus?", en: "erase?"}
    choices:
      - id: "yes"
        label: {id: Ya, en: "Yes"}
        next: erase
      - id: "no"
        label: {id: Tidak, en: "No"}
        end: true
  - id: erase
    do: erase
    next: done
  - id: done
    say: {id: dihapus, en: erased}
`,
	"welcome.yaml": `flow: welcome
steps:
  - id: hi
    say: {id: "Halo {{contact.name|Kak}}", en: "Hi {{contact.name|there}}"}
    flow: menu
`,
	"menu.yaml": `flow: menu
steps:
  - id: show
    ask: {id: "Mau apa?", en: "What?"}
    choices:
      - id: hours
        label: {id: Jam buka, en: Hours}
        match: [jam]
        next: hours
      - id: bye
        label: {id: Dadah, en: Bye}
        end: true
  - id: hours
    say: {id: "Buka {{shop.hours}}", en: "Open {{shop.hours}}"}
    next: show
`,
	"help.yaml": `flow: help
steps:
  - id: explain
    say: {id: bantuan, en: help}
    flow: menu
`,
	"fallback.yaml": `flow: fallback
steps:
  - id: check
    branch:
      - when: {var: misses, in: ["1"]}
        next: sorry
      - next: offer
  - id: sorry
    say: {id: maaf, en: sorry}
    return: true
  - id: offer
    ask: {id: "staf?", en: "staff?"}
    choices:
      - id: "yes"
        label: {id: Ya, en: "Yes"}
        next: hand
      - id: "no"
        label: {id: Tidak, en: "No"}
        flow: menu
  - id: hand
    do: escalate
    args: {reason: "{{vars.why|not_understood}}"}
    next: handed
  - id: handed
    say: {id: diteruskan, en: passed on}
`,
}

// testActions mirror the actions the runtime implements.
var testActions = []string{"escalate", "consent", "erase"}

// The names of the runtime's actions and calls the shipped flows use
// besides; the calls do nothing.
var (
	orderActions = []string{"order_place", "feedback", "suggestion", "cod_confirm"}
	orderCalls   = func() map[string]Call {
		m := map[string]Call{}
		for _, name := range []string{"order_catch", "order_start", "order_answer", "order_set", "order_confirm", "order_cancel", "order_again"} {
			m[name] = func(CallIn) CallOut { return CallOut{} }
		}
		return m
	}()
)

// files is base with changes: a file mapped to "" is removed.
func files(changes map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range base {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	for name, data := range changes {
		if data == "" {
			delete(fsys, name)
			continue
		}
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

// load loads base with changes and the escalate action.
func load(t testing.TB, changes map[string]string) *Set {
	t.Helper()
	set, err := Load(files(changes), Options{Actions: testActions})
	if err != nil {
		t.Fatalf("load:\n%v", err)
	}
	return set
}
