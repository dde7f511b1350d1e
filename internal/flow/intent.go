package flow

import (
	"fmt"
	"strings"

	"github.com/mitra-care/mitra/internal/care"
)

// whichFlow is the session's flow while the bot asks which of two
// intents the contact meant; its step holds their names ("a|b").
const whichFlow = "_which"

// intent acts on what the words mean, when the scorer is sure enough:
// a choice of the waiting question st (of flow f; nil when none waits),
// or an intent understood at any time. It reports whether it acted.
func (r *run) intent(f *flowDef, st *step) bool {
	m := r.set.understand
	ask := -1
	if st != nil {
		ask = f.index[st.id]
	}
	best, second := m.guess(r.terms, func(it *intent) (bool, float64) {
		if st != nil && it.flow == f && it.ask == ask {
			return true, localBonus
		}
		return it.global, 0
	})
	if best.intent < 0 || best.score < threshold {
		return false
	}
	if r.sess.Lang == "" && best.lang >= 0 && len(r.words) > 1 {
		r.setLang(r.set.langs[best.lang])
	}
	a := &m.intents[best.intent]
	if second.intent >= 0 && best.score-second.score < margin {
		if b := &m.intents[second.intent]; a.label() != nil && b.label() != nil && a.name != b.name {
			r.askWhich(a, b)
			return true
		}
	}
	r.act(a)
	return true
}

// act does what an intent means: starts its flow, or picks its choice
// as if its question had been asked and answered.
func (r *run) act(it *intent) {
	fd := it.flow
	if r.fresh && r.greets(it) {
		r.say(r.set.texts[TextGreeting])
	}
	if it.ask < 0 && fd.aside {
		// Small talk: answer it, and leave the conversation where it was.
		flow, step, ret := r.sess.Flow, r.sess.Step, r.sess.Return
		r.startFlow(fd)
		r.sess.Flow, r.sess.Step, r.sess.Return = flow, step, ret
		if r.fresh {
			r.understood()
			r.startFlow(r.set.welcome)
		}
		return
	}
	r.understood()
	if it.ask < 0 {
		r.startFlow(fd)
		return
	}
	st := &fd.steps[it.ask]
	c := &st.choices[it.choice]
	r.asked = st
	if st.save != "" {
		r.setVar(st.save, c.id)
	}
	r.follow(fd, c.jump)
}

// greets reports whether answering it first thing deserves a greeting:
// a menu choice or a flow of the shop's, not small talk, the welcome
// (which greets itself) or a keyword's flow.
func (r *run) greets(it *intent) bool {
	if it.ask >= 0 {
		return true
	}
	if it.flow.aside || it.flow == r.set.welcome {
		return false
	}
	for _, k := range globalKeywords {
		if k.flow == it.flow.id {
			return false
		}
	}
	return true
}

// askWhich asks which of two close intents the contact meant.
func (r *run) askWhich(a, b *intent) {
	m := Message{Text: r.render(r.set.texts[TextWhich][r.lang]), Choices: []care.Choice{
		{ID: "1", Label: r.render(a.label()[r.lang])},
		{ID: "2", Label: r.render(b.label()[r.lang])},
	}}
	r.res.Messages = append(r.res.Messages, m)
	r.sess.Flow, r.sess.Step = whichFlow, a.name+"|"+b.name
}

// which takes the answer to "which did you mean?": a tap, the number,
// the label, or words that now lean to one of the two. It reports
// whether the message answered it.
func (r *run) which(in Input, norm string) bool {
	m := r.set.understand
	an, bn, _ := strings.Cut(r.sess.Step, "|")
	a, b := m.named(an), m.named(bn)
	if a == nil || b == nil {
		return false
	}
	pick := func(it *intent) bool {
		r.sess.Flow, r.sess.Step = "", ""
		r.act(it)
		return true
	}
	answer := norm
	if in.Kind == care.KindChoice {
		answer = in.Choice
	}
	for i, it := range []*intent{a, b} {
		if answer == string(rune('1'+i)) {
			return pick(it)
		}
		for _, t := range it.label() {
			if Normalize(r.render(t)) == answer {
				return pick(it)
			}
		}
	}
	best, _ := m.guess(r.terms, func(it *intent) (bool, float64) { return it == a || it == b, 0 })
	if best.intent >= 0 && best.score >= threshold {
		return pick(&m.intents[best.intent])
	}
	return false
}

// named returns the first intent called name, or nil.
func (m *matcher) named(name string) *intent {
	for i := range m.intents {
		if m.intents[i].name == name {
			return &m.intents[i]
		}
	}
	return nil
}

// setLang speaks lang from now on, when it is one of the set's and not
// the one spoken already: a contact who writes the shop's language is
// not tied to it, one who writes another is answered in it, and both
// can ask for a language by name.
func (r *run) setLang(lang string) {
	if lang != "" && lang != r.set.langs[r.lang] {
		r.setVar("lang", lang)
	}
}

// privacyKeyword is the global keyword a sentence means by Privacy:
// stop (or "did you mean stop?"), start, my data, erase; nil for none.
func privacyKeyword(words []string) *globalKeyword {
	p := Privacy(words)
	kw := p.Keyword
	if p.Unsure {
		kw = KeywordStopUnsure
	}
	for i := range globalKeywords {
		if kw != "" && globalKeywords[i].name == kw {
			return &globalKeywords[i]
		}
	}
	return nil
}

// Understand names what the bot takes text to mean as the first message of
// a conversation, the way Step would act on it: a global keyword
// ("stop", "stop_unsure", "help"...), a flow's id, "flow.choice" for a
// choice understood at any time, "a|b" when it would ask which of two
// it meant, or "none" when it would not understand. `mitra flows eval`
// measures the flows with it.
func (s *Set) Understand(text string) string {
	norm, words := Normalize(text), Words(text)
	if g := globalIndex[norm]; g != nil {
		return g.name
	}
	if g := globalIndex[strings.Join(words, " ")]; g != nil && len(words) > 0 {
		return g.name
	}
	if g := privacyKeyword(words); g != nil {
		return g.name
	}
	if k := s.keywords[norm]; k != nil {
		return intentName(k)
	}
	m := s.understand
	best, second := m.guess(terms(words, norm), func(it *intent) (bool, float64) { return it.global, 0 })
	if best.intent < 0 || best.score < threshold {
		return "none"
	}
	a := &m.intents[best.intent]
	if second.intent >= 0 && best.score-second.score < margin {
		if b := &m.intents[second.intent]; a.label() != nil && b.label() != nil && a.name != b.name {
			return a.name + "|" + b.name
		}
	}
	return a.name
}

// Explain says why text is understood as it is: the best two intents
// and their scores, for `mitra flows eval` and for shop owners tuning
// examples.
func (s *Set) Explain(text string) string {
	m := s.understand
	words := terms(Words(text), Normalize(text))
	best, second := m.guess(words, func(it *intent) (bool, float64) { return it.global, 0 })
	var b strings.Builder
	b.WriteString("words: " + strings.Join(words, " "))
	for _, g := range []guess{best, second} {
		if g.intent >= 0 {
			b.WriteString(fmt.Sprintf("; %s %.2f", m.intents[g.intent].name, g.score))
		}
	}
	return b.String()
}

// englishWords and indonesianWords are common words of each language,
// enough to tell which one a short chat message is in.
var (
	englishWords = set("the", "you", "your", "what", "when", "where", "how", "is", "are", "do", "does", "can",
		"i", "im", "me", "my", "thanks", "thank", "hello", "hi", "hey", "want", "would", "like", "have", "has",
		"open", "price", "prices", "order", "buy", "shop", "store", "today", "tomorrow", "much", "there", "any",
		"this", "that", "to", "of", "and", "for", "with", "an", "please", "time", "sell", "talk", "person", "need",
		"good", "morning", "evening", "yes", "no", "not", "dont", "don", "stop", "english", "deliver", "it", "we")
	indonesianWords = set("saya", "apa", "yang", "ada", "mau", "bisa", "tidak", "berapa", "jam", "buka", "harga",
		"pesan", "dan", "di", "ke", "dari", "ini", "itu", "sudah", "belum", "terima", "kasih", "makasih", "tolong",
		"bagaimana", "kapan", "mana", "besok", "hari", "beli", "jual", "kirim", "dengan", "sama", "untuk", "lagi",
		"boleh", "minta", "sekarang", "masih", "toko", "alamat", "bicara", "orang", "pagi", "siang", "sore", "malam",
		"halo", "selamat", "jangan", "kalau", "gimana", "aja", "saja", "juga", "atau", "punya", "stok", "ongkir")
)

// set makes a set of words.
func set(ws ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(ws))
	for _, w := range ws {
		m[w] = struct{}{}
	}
	return m
}

// detectLang tells whether words are English ("en") or Indonesian
// ("id"), or "" when it cannot tell.
func detectLang(words []string) string {
	en, id := 0, 0
	for _, w := range words {
		if _, ok := englishWords[w]; ok {
			en++
		}
		if _, ok := indonesianWords[w]; ok {
			id++
		}
	}
	switch {
	case en >= 2 && en > id:
		return "en"
	case id >= 2 && id > en:
		return "id"
	}
	return ""
}
