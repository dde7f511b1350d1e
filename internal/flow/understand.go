package flow

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Understanding a message that is not a menu word: the flows list
// example phrases per intent (a flow to start, or a choice to pick), and
// a message is scored against every example in one pass. The scorer is
// small enough to explain to a shop owner:
//
//   - both sides go through Words (the same normaliser, chat dictionary
//     and particles);
//   - each word weighs its inverse document frequency over the intents,
//     so "harga" (one intent) counts more than "mau" (many);
//   - a word the message misspells by one letter (transposed, missing,
//     extra or wrong; words of five letters or more) still counts, at
//     fuzzyCredit;
//   - an intent's score is mostly how much of its best example the
//     message contains (so an example matches anywhere in a sentence),
//     and partly how much of the message its examples explain (so "mau
//     pesan telur" is an order, not a question about eggs).
//
// Above threshold the intent acts; two intents within margin of each
// other ask which one was meant; below it the message falls back as an
// unknown reply.
const (
	// threshold is the least score that acts on an intent.
	threshold = 0.62
	// margin is how close the runner-up must be to make the bot ask
	// which of the two was meant.
	margin = 0.08
	// localBonus favours the choices of the question that waits over
	// intents understood at any time.
	localBonus = 0.1
	// fuzzyCredit is what a word misspelt by one letter counts.
	fuzzyCredit = 0.75
	// fuzzyMin is the shortest word typos are forgiven in (the longer of
	// the two): shorter words differ by one letter too often ("buka",
	// "bukan"; "salah", "salam").
	fuzzyMin = 6
	// coverWeight is the share of the score that is how much of the best
	// example the message holds; the rest is how much of the message
	// the intent explains.
	coverWeight = 0.6
	// maxWords bounds the words of a message the scorer reads.
	maxWords = 64
)

// example is one phrase of an intent, as written.
type example struct {
	lang int // index in the set's languages; -1 for any
	text string
	line int
}

// examples reads `examples:`: a map of language to phrases, or a list of
// phrases for any language.
func (f file) examples(n *yaml.Node) []example {
	n = deref(n)
	if n.Kind == yaml.SequenceNode {
		var out []example
		for _, c := range n.Content {
			if s, ok := f.str(c, "examples"); ok {
				out = append(out, example{lang: -1, text: s, line: deref(c).Line})
			}
		}
		return out
	}
	if n.Kind != yaml.MappingNode {
		f.errf(n.Line, "examples must be a map of language to phrases ({id: [...], en: [...]}) or a list of phrases")
		return nil
	}
	var out []example
	for _, p := range f.pairs(n, "examples") {
		lang := slices.Index(f.l.set.langs, p.key.Value)
		if lang < 0 {
			f.errf(p.key.Line, "examples: %q is not one of the languages (%s)", p.key.Value, strings.Join(f.l.set.langs, ", "))
			continue
		}
		for _, c := range deref(p.value).Content {
			if s, ok := f.str(c, "examples"); ok {
				out = append(out, example{lang: lang, text: s, line: deref(c).Line})
			}
		}
		if deref(p.value).Kind != yaml.SequenceNode {
			f.errf(p.value.Line, "examples (%s) must be a list: [a, b]", p.key.Value)
		}
	}
	return out
}

// intent is something a message can mean: start a flow, or pick a
// choice of a question.
type intent struct {
	// name is what evaluations and logs call it: the flow's id (a global
	// keyword's name for its flow), or "flow.choice".
	name string
	flow *flowDef
	// ask is the index of the question in flow, -1 for a flow intent.
	ask    int
	choice int
	// global intents are understood at any time: flows, and the
	// choices of the menu's first question. Other choices only while
	// their question waits.
	global bool
	file   string
	// vocab are the words of all its examples, for how much of a
	// message the intent explains.
	vocab map[string]struct{}
}

// label is how the bot names the intent when it asks which was meant;
// nil when it has none (it is then never offered).
func (it *intent) label() text {
	if it.ask < 0 {
		return it.flow.label
	}
	return it.flow.steps[it.ask].choices[it.choice].label
}

// phrase is an example ready to score.
type phrase struct {
	intent int
	lang   int
	words  []string
	weight float64 // the sum of its words' weights
	line   int
	text   string
}

// matcher scores messages against the phrases of every intent. It is
// built at load and read only after.
type matcher struct {
	intents []intent
	phrases []phrase
	idf     map[string]float64
	// unknown is what a message's word no example has weighs in how
	// much of the message an intent explains: half the mean weight.
	unknown float64
	post    map[string][]int    // word → the phrases that contain it
	near    map[string][]string // a word with one letter deleted → vocabulary words
	scratch sync.Pool           // *[]float64 of len(phrases)
}

// guess is an intent a message may mean, with its score.
type guess struct {
	intent int // -1 for none
	score  float64
	lang   int // the language of the best example, -1 when unknown
}

// buildMatcher collects the intents of the flows and indexes their
// examples.
func (l *loader) buildMatcher() *matcher {
	m := &matcher{idf: map[string]float64{}, post: map[string][]int{}, near: map[string][]string{}}
	add := func(it intent, exs []example) {
		if len(exs) == 0 {
			return
		}
		id := len(m.intents)
		it.vocab = map[string]struct{}{}
		for _, e := range exs {
			ws := terms(Words(e.text), Normalize(e.text))
			if len(ws) == 0 {
				l.add(it.file, e.line, "example %q has no word left once particles (kak, dong, ya...) are dropped", e.text)
				continue
			}
			for _, w := range ws {
				it.vocab[w] = struct{}{}
			}
			m.phrases = append(m.phrases, phrase{intent: id, lang: e.lang, words: ws, line: e.line, text: e.text})
		}
		m.intents = append(m.intents, it)
	}
	for _, fd := range l.order {
		add(intent{name: intentName(fd), flow: fd, ask: -1, global: true, file: fd.file}, fd.examples)
		for i := range fd.steps {
			st := &fd.steps[i]
			for c := range st.choices {
				ch := &st.choices[c]
				name := fd.id + "." + ch.id
				if ch.jump.kind == jumpFlow && ch.jump.flow != nil && len(st.choices[c].examples) > 0 {
					name = intentName(ch.jump.flow)
				}
				global := fd.id == "menu" && i == fd.start
				add(intent{name: name, flow: fd, ask: i, choice: c, global: global, file: fd.file}, ch.examples)
			}
		}
	}
	// Weights: a word found in few intents tells more.
	df := map[string]int{}
	for _, it := range m.intents {
		for w := range it.vocab {
			df[w]++
		}
	}
	n := float64(len(m.intents))
	for w, d := range df {
		m.idf[w] = math.Log(1 + n/float64(d))
	}
	for _, v := range m.idf {
		m.unknown += v
	}
	if len(m.idf) > 0 {
		m.unknown /= 2 * float64(len(m.idf))
	}
	for i := range m.phrases {
		p := &m.phrases[i]
		for _, w := range p.words {
			p.weight += m.idf[w]
			m.post[w] = append(m.post[w], i)
		}
	}
	for w := range df {
		if len(w) >= fuzzyMin-1 {
			for _, d := range deletes(w) {
				if !slices.Contains(m.near[d], w) {
					m.near[d] = append(m.near[d], w)
				}
			}
		}
	}
	size := len(m.phrases)
	m.scratch.New = func() any { s := make([]float64, size); return &s }
	return m
}

// intentName names a flow intent: the global keyword that starts the
// flow (so "optin" is "start"), else the flow's id.
func intentName(fd *flowDef) string {
	for _, k := range globalKeywords {
		if k.flow == fd.id && len(k.words) > 0 {
			return k.name
		}
	}
	return fd.id
}

// credit is how much one vocabulary word of a message counts.
type credit struct {
	word  string
	value float64
}

// credits returns the vocabulary words a message's words stand for, and
// how many of its words (not numbers) stand for none.
func (m *matcher) credits(words []string) ([]credit, int) {
	unknown := 0
	out := make([]credit, 0, min(len(words), maxWords))
	give := func(w string, v float64) {
		for i := range out {
			if out[i].word == w {
				out[i].value = max(out[i].value, v)
				return
			}
		}
		out = append(out, credit{w, v})
	}
	for i, w := range words {
		if i == maxWords {
			break
		}
		if _, ok := m.idf[w]; ok {
			give(w, 1)
			continue
		}
		if !hasLetter(w) {
			continue
		}
		n := len(out)
		if len(w) >= fuzzyMin-1 && len(w) <= 24 {
			m.fuzzy(w, give)
		}
		if len(out) == n {
			unknown++
		}
	}
	return out, unknown
}

// fuzzy gives credit to the vocabulary words w misspells by one letter,
// when one of the two has fuzzyMin letters or more.
func (m *matcher) fuzzy(w string, give func(string, float64)) {
	long := func(v string) bool { return max(len(w), len(v)) >= fuzzyMin }
	for _, v := range m.near[w] { // w lacks a letter of v
		if long(v) {
			give(v, fuzzyCredit)
		}
	}
	for _, d := range deletes(w) {
		if _, ok := m.idf[d]; ok && long(d) { // w has a letter too many
			give(d, fuzzyCredit)
		}
		for _, v := range m.near[d] { // one letter differs, or two swapped
			if long(v) && osa(w, v) <= 1 {
				give(v, fuzzyCredit)
			}
		}
	}
}

// guess scores a message's words against the intents allowed, returning
// the best two of different intents.
func (m *matcher) guess(words []string, allowed func(*intent) (ok bool, bonus float64)) (best, second guess) {
	best, second = guess{intent: -1, lang: -1}, guess{intent: -1, lang: -1}
	if m == nil || len(m.phrases) == 0 {
		return best, second
	}
	cs, unknown := m.credits(words)
	if len(cs) == 0 {
		return best, second
	}
	sp := m.scratch.Get().(*[]float64)
	sums := *sp
	var touched []int
	total := float64(unknown) * m.unknown
	for _, c := range cs {
		w := m.idf[c.word] * c.value
		total += w
		for _, p := range m.post[c.word] {
			if sums[p] == 0 {
				touched = append(touched, p)
			}
			sums[p] += w
		}
	}
	type scored struct {
		cover float64
		lang  int
	}
	per := map[int]scored{}
	for _, p := range touched {
		ph := &m.phrases[p]
		cover := sums[p] / ph.weight
		sums[p] = 0
		if s, ok := per[ph.intent]; !ok || cover > s.cover {
			per[ph.intent] = scored{cover, ph.lang}
		}
	}
	m.scratch.Put(sp)
	for id, s := range per {
		it := &m.intents[id]
		ok, bonus := allowed(it)
		if !ok {
			continue
		}
		explained := 0.0
		for _, c := range cs {
			if _, in := it.vocab[c.word]; in {
				explained += m.idf[c.word] * c.value
			}
		}
		g := guess{intent: id, score: coverWeight*s.cover + (1-coverWeight)*explained/total + bonus, lang: s.lang}
		switch {
		case better(g, best):
			best, second = g, best
		case better(g, second):
			second = g
		}
	}
	return best, second
}

// better orders guesses by score, then by intent for determinism.
func better(a, b guess) bool {
	if b.intent < 0 || a.score > b.score {
		return true
	}
	return a.score == b.score && a.intent < b.intent
}

// terms are the words the scorer compares, each once: Words, or the
// plain words of norm when Words left none.
func terms(words []string, norm string) []string {
	if len(words) == 0 {
		words = strings.Fields(norm)
	}
	out := make([]string, 0, len(words))
	for _, w := range words {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// hasLetter reports whether w has a letter (not only digits).
func hasLetter(w string) bool {
	return strings.IndexFunc(w, func(r rune) bool { return r < '0' || r > '9' }) >= 0
}

// deletes returns w with each one of its letters left out.
func deletes(w string) []string {
	rs := []rune(w)
	out := make([]string, 0, len(rs))
	for i := range rs {
		out = append(out, string(rs[:i])+string(rs[i+1:]))
	}
	return out
}

// osa is the optimal string alignment distance between a and b: edits
// of one letter, and swaps of two neighbours.
func osa(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// Collisions lists the examples another intent claims as much as their
// own: such a phrase would make the bot ask which was meant, or pick the
// other. `mitra flows check` prints them as warnings.
func (s *Set) Collisions() []Problem {
	m := s.understand
	var out []Problem
	for _, p := range m.phrases {
		own := &m.intents[p.intent]
		best, second := m.guess(p.words, func(it *intent) (bool, float64) {
			return it.global || (it.flow == own.flow && it.ask == own.ask), 0
		})
		other := best
		if best.intent == p.intent {
			other = second
		}
		if other.intent < 0 || other.score < threshold || best.score-other.score >= margin && best.intent == p.intent {
			continue
		}
		out = append(out, Problem{File: own.file, Line: p.line, Message: fmt.Sprintf(
			"example %q of %s is understood as %s as much (%.2f against %.2f): reword it or remove one",
			p.text, own.name, m.intents[other.intent].name, other.score, m.score(best, p.intent, second))})
	}
	return out
}

// score is the score of intent id among the best two guesses.
func (m *matcher) score(best guess, id int, second guess) float64 {
	if best.intent == id {
		return best.score
	}
	return second.score
}
