package flow

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// systemTextInfo says what each system text is for, in problems.
var systemTextInfo = map[string]string{
	TextNotText:       "the reply to stickers, images, voice notes and other messages that are not text",
	TextTruncated:     "tells the contact that only the first 4096 characters of a long message were read",
	TextStaffHold:     "tells the contact that a person from the shop will answer",
	TextOptOutLine:    "ends every promotional message, saying how to stop them (e.g. \"Ketik STOP untuk berhenti.\")",
	TextStaffReminder: "optional: reminds a customer who writes again while waiting for staff (else staff_hold)",
	TextStaffBack:     "optional: tells the customer the bot answers again after staff handed back or did not answer",
	TextGreeting:      "opens the answer to a question asked first thing, instead of the whole welcome (e.g. \"Halo, Kak! 👋\")",
	TextWhich:         "asks which of two close meanings the customer meant, above the two as choices (e.g. \"Maksud Kakak yang mana?\")",
}

// shopFile reads shop.yaml: the languages, the shop values and the
// system texts.
func (l *loader) shopFile(data []byte) {
	f := file{l: l, name: shopYAML}
	root := f.root(data)
	if root == nil {
		return
	}
	m := f.fields(root, shopYAML, []string{"languages", "shop", "texts"})
	if m == nil {
		return
	}
	if v := m["languages"]; v != nil {
		f.languages(v)
	} else {
		f.errf(root.Line, "missing languages: list them, the default first: languages: [id, en]")
	}
	if v := m["shop"]; v != nil {
		f.shopValues(v)
	}
	l.shopRead = true
	texts := map[string]bool{}
	line := root.Line
	if v := m["texts"]; v != nil {
		line = keyNode(deref(root), "texts").Line
		for _, p := range f.pairs(v, "texts") {
			name := p.key.Value
			if _, ok := systemTextInfo[name]; !ok {
				f.errf(p.key.Line, "unknown system text %q (known: %s)", name, strings.Join(systemTexts, ", "))
				continue
			}
			texts[name] = true
			if t := f.text(p.value, "text "+name); t != nil {
				l.set.texts[name] = t
			}
		}
	}
	for _, name := range systemTexts {
		if !texts[name] {
			f.errf(line, "missing system text %s under texts: %s", name, systemTextInfo[name])
		}
	}
}

// languages reads `languages:`, the default first.
func (f file) languages(n *yaml.Node) {
	for _, lang := range f.strs(n, "languages") {
		switch {
		case len(lang) > 8 || strings.IndexFunc(lang, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '-') }) >= 0:
			f.errf(n.Line, "language %q: use a lower-case code such as id or en", lang)
		case slices.Contains(f.l.set.langs, lang):
			f.errf(n.Line, "language %q is listed twice", lang)
		default:
			f.l.set.langs = append(f.l.set.langs, lang)
		}
	}
	if len(f.l.set.langs) == 0 && deref(n).Kind == yaml.SequenceNode {
		f.errf(n.Line, "languages is empty: list at least one, the default first")
	}
}

// shopValues reads `shop:`: values that are the same in every language
// (a plain string) or per language (a map).
func (f file) shopValues(n *yaml.Node) {
	langs := f.l.set.langs
	for _, p := range f.pairs(n, "shop") {
		key := p.key.Value
		if f.checkVar(p.key.Line, key) == "" {
			continue
		}
		v := p.value
		if v.Kind == yaml.ScalarNode {
			if s, ok := f.str(v, "shop value "+key); ok {
				f.l.set.shop[key] = slices.Repeat([]string{strings.TrimSpace(s)}, max(len(langs), 1))
			}
			continue
		}
		if v.Kind != yaml.MappingNode {
			f.errf(v.Line, "shop value %s must be a text, or a map of language to text", key)
			continue
		}
		if len(langs) == 0 { // reported under languages
			f.l.set.shop[key] = nil
			continue
		}
		vals := make([]string, len(langs))
		present := make([]bool, len(langs))
		for _, q := range f.pairs(v, "shop value "+key) {
			i := slices.Index(langs, q.key.Value)
			s, good := f.str(q.value, "shop value "+key+" ("+q.key.Value+")")
			switch {
			case i < 0:
				f.errf(q.key.Line, "shop value %s: %q is not one of the languages (%s)", key, q.key.Value, strings.Join(langs, ", "))
			case good:
				present[i] = true
				vals[i] = strings.TrimSpace(s)
			default:
				present[i] = true // reported by str
			}
		}
		for i, lang := range langs {
			if !present[i] {
				f.errf(v.Line, "shop value %s has no %q translation", key, lang)
			}
		}
		// Keep the key even when broken, so templates using it do not
		// report a second problem.
		f.l.set.shop[key] = vals
	}
}
