package flow

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize reduces a message to the form replies are matched in, so
// that "MENUUU!!", "Menu", " menu. " and "ＭＥＮＵ" all mean the same:
//
//   - Unicode compatibility forms folded (NFKC): full-width and styled
//     letters become plain ones;
//   - invisible characters removed, not turned into spaces (zero-width
//     spaces and joiners, the byte order mark, soft hyphens, variation
//     selectors), so "S\u200bT\u200bO\u200bP" is "stop";
//   - accents dropped from Latin, Greek and Cyrillic letters: "café"
//     is "cafe";
//   - lower case;
//   - punctuation, symbols and emoji turned to spaces, whitespace
//     collapsed and trimmed;
//   - a letter repeated three or more times squeezed to one: "stoppp"
//     is "stop", while "aa" and "2000" stay.
//
// It runs on every message, so plain ASCII takes a fast path that
// allocates nothing when the text is already normalized.
func Normalize(text string) string {
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			return normalizeUnicode(text)
		}
	}
	return normalizeASCII(text)
}

// asciiFold maps each ASCII byte to its lower case letter or digit, or
// to 0 for a separator.
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c
	}
	for c := byte('a'); c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = c, c
	}
	return t
}()

// normalizeASCII is Normalize for text of ASCII bytes only.
func normalizeASCII(text string) string {
	var stack [64]byte
	buf := stack[:0]
	if len(text) > len(stack) {
		buf = make([]byte, 0, len(text))
	}
	var last byte // the last letter or digit written; 0 after a separator
	run := 0      // how many times in a row last was seen
	space := false
	for i := 0; i < len(text); i++ {
		c := asciiFold[text[i]]
		if c == 0 {
			space = len(buf) > 0
			last, run = 0, 0
			continue
		}
		if space {
			buf = append(buf, ' ')
			space = false
		}
		if c != last {
			last, run = c, 1
			buf = append(buf, c)
			continue
		}
		run++
		switch {
		case run < 3 || c <= '9':
			buf = append(buf, c)
		case run == 3:
			// The third in a row: take back the second, so one is left.
			buf = buf[:len(buf)-1]
		}
	}
	if string(buf) == text {
		return text
	}
	return string(buf)
}

// normalizeUnicode is Normalize for text with non-ASCII characters.
// Each character is replaced by its compatibility decomposition (NFKD):
// "Ｓ" becomes "S" and "é" becomes "e" and a combining accent. Accents
// on Latin, Greek and Cyrillic letters and invisible characters are
// then dropped, and what remains outside ASCII is recomposed (NFC), so
// that scripts whose marks are part of the letter (Japanese "プ",
// Devanagari) come out whole.
func normalizeUnicode(text string) string {
	n := normalizer{buf: make([]byte, 0, len(text)), ascii: true}
	for i := 0; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			n.add(rune(c))
			i++
			continue
		}
		p := norm.NFKD.PropertiesString(text[i:])
		d := p.Decomposition()
		if d == nil {
			r, size := utf8.DecodeRuneInString(text[i:])
			n.add(r)
			i += size
			continue
		}
		for _, r := range string(d) {
			n.add(r)
		}
		i += p.Size()
	}
	if n.ascii {
		return string(n.buf)
	}
	return norm.NFC.String(string(n.buf))
}

// normalizer is the state of normalizeUnicode.
type normalizer struct {
	buf      []byte
	last     rune // the last letter or digit written; 0 after a separator
	run      int  // how many times in a row last was seen
	accented bool // the last letter takes accents that are dropped
	space    bool // a separator waits to be written
	ascii    bool // buf is all ASCII
}

// add adds one decomposed character.
func (n *normalizer) add(r rune) {
	switch {
	case r < utf8.RuneSelf:
		if r = rune(asciiFold[r]); r == 0 {
			n.space = len(n.buf) > 0
			n.last, n.run = 0, 0
			return
		}
		n.accented = true
	case invisible(r), n.accented && unicode.Is(unicode.Mn, r):
		return
	case unicode.IsMark(r):
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		r = unicode.ToLower(r)
		n.accented = unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
	default:
		// Space, punctuation, symbols, emoji: a separator.
		n.space = len(n.buf) > 0
		n.last, n.run = 0, 0
		return
	}
	if n.space {
		n.buf = append(n.buf, ' ')
		n.space = false
	}
	if r == n.last {
		n.run++
	} else {
		n.last, n.run = r, 1
	}
	switch {
	case n.run < 3 || !unicode.IsLetter(r):
		n.buf = utf8.AppendRune(n.buf, r)
		n.ascii = n.ascii && r < utf8.RuneSelf
	case n.run == 3:
		// The third in a row: take back the second, so one is left.
		n.buf = n.buf[:len(n.buf)-utf8.RuneLen(r)]
	}
}

// invisible reports whether r is dropped from a message without a
// trace: format characters (zero-width space, joiners, the byte order
// mark, soft hyphen, bidirectional marks), variation selectors, the
// other characters Unicode says to ignore when not supported (Hangul
// fillers, the combining grapheme joiner), and enclosing marks (the
// keycap of "1️⃣").
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point, unicode.Me)
}

// Words splits a message into the words matching is done on, so that
// the many ways a customer types the same thing meet: "gw ga mau
// promonya lg kak" gives [saya tidak mau promo lagi]. After Normalize:
//
//   - English negations come back whole: "don't" is "dont", "can't" is
//     "cant";
//   - chat spellings become standard words, from dictionary.txt: "gak"
//     is "tidak", "dimana" is "di mana", "terima kasih" and "thx" are
//     "makasih";
//   - the suffix -nya is cut: "harganya" is "harga", while "punya"
//     and "hanya" stay (see cutNya);
//   - a word doubled with a 2 is doubled: "apa2" is "apa apa";
//   - digits are split from letters: "2kg" is "2" and "kg";
//   - numbers in words become digits: "dua puluh lima" is "25",
//     "setengah" is "0.5", "sekilo" is "1" and "kilo", "twelve" is "12";
//   - particles, honorifics and politeness that carry no meaning for
//     matching are dropped: see particles.
//
// A message made only of particles ("ya", "kak") keeps them, so that a
// bare "ya" still answers a question.
func Words(text string) []string {
	n := Normalize(text)
	if n == "" {
		return nil
	}
	words := make([]string, 0, strings.Count(n, " ")+4)
	for rest := n; rest != ""; {
		w := rest
		if i := strings.IndexByte(rest, ' '); i >= 0 {
			w, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		words = appendWord(words, w)
	}
	return reduce(words)
}

// appendWord appends the words one normalized word stands for.
func appendWord(words []string, w string) []string {
	if last := len(words) - 1; last >= 0 {
		// Normalize cut "don't" in two at the apostrophe; thanks come in
		// two words.
		var j string
		switch w {
		case "t":
			j = contractions[words[last]]
		case "kasih":
			if words[last] == "terima" {
				j = "makasih"
			}
		case "you":
			if words[last] == "thank" {
				j = "makasih"
			}
		case "s", "m", "re", "ve", "ll", "d":
			// "that's", "I'm", "I'd": the verb adds nothing.
			if pronouns[words[last]] {
				return words
			}
		}
		if j != "" {
			words[last] = j
			return words
		}
	}
	if to, ok := lookupDictionary(w); ok {
		return append(words, to...)
	}
	// "harganya" is "harga", "brgnya" is "barang": what is left is read
	// as a word of its own.
	w = cutNya(w)
	// "apa2" is "apa apa", "kirim2" is "kirim kirim".
	if n := len(w); n >= 3 && w[n-1] == '2' && onlyLetters(w[:n-1]) {
		for range 2 {
			if to, ok := lookupDictionary(w[:n-1]); ok {
				words = append(words, to...)
			} else {
				words = append(words, w[:n-1])
			}
		}
		return words
	}
	// "sekilo" is "1 kilo", "sebungkus" is "1 bungkus".
	if len(w) > 2 && w[:2] == "se" && measures[w[2:]] {
		return append(words, "1", w[2:])
	}
	// "st0p" is "stop", "pr0mo" is "promo": a zero between letters is
	// the letter o.
	w = zeroAsO(w)
	// "2kg" is "2" and "kg", "20rb" is "20" and "rb".
	for w != "" {
		i := 1
		for i < len(w) && isDigit(w[i]) == isDigit(w[0]) {
			i++
		}
		if to, ok := lookupDictionary(w[:i]); ok {
			words = append(words, to...)
		} else {
			words = append(words, w[:i])
		}
		w = w[i:]
	}
	return words
}

// cutNya returns w without the suffix -nya ("the", "its"), which adds
// nothing to match on: "harganya" is "harga", "semuanya" is "semua",
// "promonyaa" is "promo". Three letters at least must be left, so that
// "punya", "hanya" and "tanya" stay whole; so do the words of rootNya.
func cutNya(w string) string {
	stem, ok := strings.CutSuffix(w, "nya")
	if !ok {
		stem, ok = strings.CutSuffix(w, "nyaa")
	}
	if !ok || len(stem) < 3 || rootNya[w] {
		return w
	}
	return stem
}

// rootNya are the longer words whose "nya" is not a suffix to cut:
// their own letters ("bertanya" is not "berta", "nyonya" not "nyo"),
// or a word of its own ("selamanya" is forever, "selama" during).
var rootNya = map[string]bool{"bertanya": true, "ditanya": true, "penanya": true, "nyonya": true, "selamanya": true}

// zeroAsO turns each 0 with a letter on both sides into an o.
func zeroAsO(w string) string {
	for i := 1; i+1 < len(w); i++ {
		if w[i] == '0' && !isDigit(w[i-1]) && !isDigit(w[i+1]) {
			w = w[:i] + "o" + w[i+1:]
		}
	}
	return w
}

// contractions are English words that end in "n't", without it: "don"
// of "don't" gives "dont".
var contractions = map[string]string{
	"don": "dont", "doesn": "doesnt", "didn": "didnt", "won": "wont",
	"can": "cant", "isn": "isnt", "aren": "arent", "wasn": "wasnt",
	"shouldn": "shouldnt", "wouldn": "wouldnt", "couldn": "couldnt",
	"haven": "havent", "hasn": "hasnt",
}

// pronouns are the English words that an apostrophe joins to a verb:
// "that's", "I'm", "we'll".
var pronouns = map[string]bool{
	"i": true, "you": true, "we": true, "they": true, "he": true, "she": true, "it": true,
	"that": true, "what": true, "there": true, "here": true, "let": true, "who": true, "where": true,
}

// lookupDictionary returns the standard words for a chat spelling or a
// particle, or reports false. A word stretched by one letter ("yaa",
// "dongg", "gakk") is looked up without it too; Normalize already
// squeezed longer runs.
func lookupDictionary(w string) ([]string, bool) {
	if to := lexicon[w].to; to != nil {
		return to, true
	}
	if n := len(w); n >= 3 && w[n-1] == w[n-2] && !isDigit(w[n-1]) {
		if to := lexicon[w[:n-1]].to; to != nil {
			return to, true
		}
	}
	return nil, false
}

// lexeme is what Words knows of a word, gathered from dictionary,
// particles, numberWords and fractions so that one look-up tells all.
type lexeme struct {
	to       []string   // its standard words; a particle's is itself
	particle bool       // it is dropped
	number   numberWord // its part in a number
	fraction string     // its value, if it is a fraction
}

// lexicon is every word Words knows.
var lexicon = func() map[string]lexeme {
	m := make(map[string]lexeme, len(dictionary)+len(particles)+len(numberWords)+len(fractions))
	for w, to := range dictionary {
		m[w] = lexeme{to: to}
	}
	for w := range particles {
		m[w] = lexeme{to: []string{w}, particle: true}
	}
	for w, n := range numberWords {
		m[w] = lexeme{number: n}
	}
	for w, f := range fractions {
		m[w] = lexeme{fraction: f}
	}
	return m
}()

// dictionaryText is the chat dictionary: one chat spelling and its
// standard words a line.
//
//go:embed dictionary.txt
var dictionaryText string

// dictionary maps chat spellings to standard words.
var dictionary = mustParseDictionary(dictionaryText)

// parseDictionary reads the chat dictionary: "from to..." a line, blank
// lines and # comments skipped. A spelling may stand for several words
// ("dimana di mana"), but must be one word itself, and may appear once.
func parseDictionary(text string) (map[string][]string, error) {
	m := map[string][]string{}
	for i, line := range strings.Split(text, "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
			continue
		case len(f) == 1:
			return nil, fmt.Errorf("dictionary line %d: %q has no standard word", i+1, f[0])
		case m[f[0]] != nil:
			return nil, fmt.Errorf("dictionary line %d: %q is already mapped", i+1, f[0])
		}
		for _, w := range f {
			if Normalize(w) != w {
				return nil, fmt.Errorf("dictionary line %d: %q is not normalized", i+1, w)
			}
		}
		m[f[0]] = f[1:]
	}
	return m, nil
}

// mustParseDictionary is parseDictionary for the shipped dictionary,
// which the tests check.
func mustParseDictionary(text string) map[string][]string {
	m, err := parseDictionary(text)
	if err != nil {
		panic(err)
	}
	return m
}

// particles are the words Words drops: they soften or address, and
// carry nothing that matching needs. Honorifics: kak, kakak, ka, kk,
// min, mimin, gan, agan, sis, sist, bu, pak, mas, mbak, mba, bang, om.
// Particles: dong, donk, ya, yah, deh, sih, nih, kok, lho, loh, tuh, kan,
// lah, and nya cut from its word ("promo nya"). English politeness: please, pls, plz, plis. Laughter: haha, hehe,
// hihi, wkwk, wkwkwk.
//
// "admin" is kept: "bisa ngobrol sama admin" asks for a person. "aja"
// is kept as "saja" ("satu aja" is "only one"); the privacy rules skip
// it. "tolong" and "mohon" are kept: "tolong" alone asks for help.
var particles = map[string]bool{
	"kak": true, "kakak": true, "ka": true, "kk": true, "min": true, "mimin": true,
	"gan": true, "agan": true, "sis": true, "sist": true, "bu": true, "pak": true,
	"mas": true, "mbak": true, "mba": true, "bang": true, "om": true,
	"dong": true, "donk": true, "ya": true, "yah": true, "deh": true, "sih": true,
	"nih": true, "kok": true, "lho": true, "loh": true, "tuh": true, "kan": true, "lah": true, "nya": true,
	"please": true, "pls": true, "plz": true, "plis": true,
	"haha": true, "hehe": true, "hihi": true, "wkwk": true, "wkwkwk": true,
}

// numberWord is the meaning of a word in a number: a value, or a
// multiplier that scales the value before it.
type numberWord struct {
	kind  numberKind
	value int
}

// numberKind tells how a number word combines with its neighbours.
type numberKind uint8

const (
	numUnit  numberKind = iota + 1 // satu, two: a digit waiting for what follows
	numWhole                       // sepuluh, seratus, twenty: adds to the number
	numTeen                        // belas: the unit before plus ten
	numTimes                       // puluh, ratus, hundred: multiplies the unit before
	numScale                       // ribu, juta, thousand: multiplies all before
)

// numberWords are the Indonesian and English number words.
var numberWords = func() map[string]numberWord {
	m := map[string]numberWord{
		"sepuluh": {numWhole, 10}, "sebelas": {numWhole, 11}, "seratus": {numWhole, 100},
		"belas": {numTeen, 10}, "puluh": {numTimes, 10}, "ratus": {numTimes, 100}, "hundred": {numTimes, 100},
		"seribu": {numScale, 1000}, "sejuta": {numScale, 1000000},
		"ribu": {numScale, 1000}, "juta": {numScale, 1000000}, "thousand": {numScale, 1000},
	}
	for i, w := range strings.Fields("nol satu dua tiga empat lima enam tujuh delapan sembilan") {
		m[w] = numberWord{numUnit, i}
	}
	for i, w := range strings.Fields("zero one two three four five six seven eight nine") {
		m[w] = numberWord{numUnit, i}
	}
	for i, w := range strings.Fields("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen") {
		m[w] = numberWord{numWhole, 10 + i}
	}
	for i, w := range strings.Fields("twenty thirty forty fifty sixty seventy eighty ninety") {
		m[w] = numberWord{numWhole, 20 + 10*i}
	}
	return m
}()

// fractions are the fraction words, written as decimals.
var fractions = map[string]string{"setengah": "0.5", "seperempat": "0.25", "half": "0.5"}

// measures are the units and classifiers that "se-" (one) joins:
// "sekilo" is "1 kilo", "sebungkus" is "1 bungkus". Words that only look
// like it ("sekali", "sepak", "semua") are not listed.
var measures = map[string]bool{
	"kilo": true, "ons": true, "liter": true, "lusin": true, "kodi": true,
	"buah": true, "biji": true, "butir": true, "porsi": true, "bungkus": true,
	"botol": true, "dus": true, "kotak": true, "karton": true, "potong": true,
	"lembar": true, "pasang": true, "gelas": true, "piring": true, "mangkok": true,
	"ekor": true, "paket": true, "karung": true, "renceng": true, "batang": true,
	"ikat": true, "meter": true, "hari": true, "minggu": true, "bulan": true,
	"tahun": true, "jam": true, "menit": true,
}

// reduce replaces number words with digits and drops particles, in
// place: each number takes the place of its first word. A message of
// particles only is returned whole.
func reduce(words []string) []string {
	out := words[:0]
	var total, group, unit int // unit is -1 when no digit waits
	unit = -1
	active := false // a number is being read
	flush := func() {
		if active {
			out = append(out, strconv.Itoa(total+group+max(unit, 0)))
		}
		total, group, unit, active = 0, 0, -1, false
	}
	for _, w := range words {
		lex := lexicon[w]
		nw := lex.number
		switch {
		case lex.particle:
			flush()
		case nw.kind == 0:
			flush()
			if lex.fraction != "" {
				w = lex.fraction
			}
			out = append(out, w)
		case nw.kind == numUnit:
			if unit >= 0 {
				flush() // "dua lima" is two numbers
			}
			unit, active = nw.value, true
		case nw.kind == numWhole:
			if unit >= 0 || group%100 != 0 {
				flush() // "lima sepuluh", "twenty twenty"
			}
			group += nw.value
			active = true
		case (nw.kind == numTeen || nw.kind == numTimes) && unit > 0:
			if nw.kind == numTeen {
				group += nw.value + unit
			} else {
				group += nw.value * unit
			}
			unit = -1
		case nw.kind == numScale && w[:2] == "se":
			flush()
			total, active = nw.value, true
		case nw.kind == numScale && active:
			total += (group + max(unit, 0)) * nw.value
			group, unit = 0, -1
		default:
			// "puluh" or "ribu" with no number before: a word.
			flush()
			out = append(out, w)
		}
	}
	flush()
	if len(out) == 0 {
		return words // nothing was written over
	}
	return out
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// onlyLetters reports whether s has no digit.
func onlyLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return false
		}
	}
	return true
}
