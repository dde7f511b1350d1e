package flow

import (
	"unicode"
	"unicode/utf8"
)

// globalKeyword is a word that acts whatever the conversation's state,
// even while a person holds it.
type globalKeyword struct {
	// name is the canonical name Keyword returns.
	name string
	// words are the whole messages that mean it (compared normalized).
	words []string
	// flow is the flow it starts.
	flow string
	// release ends a staff hold: the contact asks for the bot back.
	release bool
}

// globalKeywords is the table of global keywords. Add a row to add one;
// Load then requires its flow in every set.
var globalKeywords = []globalKeyword{
	{name: "help", words: []string{"help", "bantuan", "tolong"}, flow: "help"},
	{name: "menu", words: []string{"menu"}, flow: "menu", release: true},
}

// globalIndex maps each normalized word of globalKeywords to its row.
var globalIndex = func() map[string]*globalKeyword {
	m := map[string]*globalKeyword{}
	for i := range globalKeywords {
		for _, w := range globalKeywords[i].words {
			m[Normalize(w)] = &globalKeywords[i]
		}
	}
	return m
}()

// Keyword reports which global keyword text is ("help", "menu"), so
// other packages can recognise the same words the engine does. The whole
// message must be the keyword once normalized: "MENU!!" is, "tolong
// kirim ya" is not.
func Keyword(text string) (string, bool) {
	k, ok := globalIndex[Normalize(text)]
	if !ok {
		return "", false
	}
	return k.name, true
}

// Normalize reduces a message to the form replies are matched in, so
// that "MENUUU!!", "Menu" and " menu. " all mean the same: lower case,
// punctuation and symbols (emoji) turned to spaces, whitespace collapsed
// and trimmed, and a letter repeated three or more times squeezed to
// one.
func Normalize(text string) string {
	buf := make([]byte, 0, len(text))
	var last rune // the last letter or digit seen; 0 after a separator
	run := 0      // how many times in a row last was seen
	space := false
	for _, r := range text {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
			// Space, punctuation, symbols, emoji: a separator.
			space = len(buf) > 0
			last, run = 0, 0
			continue
		}
		r = unicode.ToLower(r)
		if space {
			buf = append(buf, ' ')
			space = false
		}
		if r == last {
			run++
		} else {
			last, run = r, 1
		}
		switch {
		case run < 3 || !unicode.IsLetter(r):
			buf = utf8.AppendRune(buf, r)
		case run == 3:
			// The third in a row: take back the second, so one is left.
			buf = buf[:len(buf)-utf8.RuneLen(r)]
		}
	}
	return string(buf)
}
