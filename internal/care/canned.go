package care

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Canned reply limits: a shop keeps a short list the owner looks after,
// not a library.
const (
	// MaxCannedReplies is how many canned replies a shop keeps.
	MaxCannedReplies = 200
	// MaxCannedText bounds each text of a canned reply, in characters.
	MaxCannedText = 1000
	// MaxCannedName bounds a canned reply's name.
	MaxCannedName = 32
	// maxCannedLangs bounds the languages of one canned reply.
	maxCannedLangs = 8
)

// The variables a canned reply may hold, filled in when staff pick it
// for a contact.
const (
	// VarContactName is the contact's name, FallbackName when they have
	// none.
	VarContactName = "{{contact.name}}"
	// VarShopName is the shop's name.
	VarShopName = "{{shop.name}}"
	// FallbackName stands for a contact whose name is unknown: the
	// polite "Kak" of Indonesian shops.
	FallbackName = "Kak"
)

// CannedReply is a reply the owner wrote once for staff to send again
// ("Ongkir ke Jakarta Rp10.000, Kak {{contact.name}}").
type CannedReply struct {
	// Name is what staff pick it by (CannedKey checks it).
	Name string `json:"name"`
	// Text is the reply in every language that Texts does not name.
	Text string `json:"text"`
	// Texts are the reply in other languages, by language code ("en").
	Texts map[string]string `json:"texts,omitempty"`
	// Updated is when it was last saved, and By who saved it.
	Updated time.Time `json:"updated,omitzero"`
	By      string    `json:"by,omitempty"`
}

// CannedKey checks a canned reply's name (1 to MaxCannedName letters,
// digits, '-', '_' or '.') and returns it lower-cased: the one spelling
// it is filed and compared under, and safe in a URL's path.
func CannedKey(name string) (string, error) {
	if name == "" || len(name) > MaxCannedName {
		return "", Errorf(EInvalid, "a canned reply's name is 1 to %d characters", MaxCannedName)
	}
	for _, b := range []byte(name) {
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '.' || b == '_' || b == '-') {
			return "", Errorf(EInvalid, "a canned reply's name has only letters a-z, digits, '.', '_' and '-' (like ongkir or jam-buka)")
		}
	}
	return strings.ToLower(name), nil
}

// Clean checks r and returns it with its name lower-cased and its
// texts cleaned (CleanText): a text is required, every text at most
// MaxCannedText characters, and the only variables VarContactName and
// VarShopName, so a typo shows when the reply is saved, not when a
// customer reads it.
func (r CannedReply) Clean() (CannedReply, error) {
	name, err := CannedKey(r.Name)
	if err != nil {
		return CannedReply{}, err
	}
	out := CannedReply{Name: name, Updated: r.Updated, By: r.By}
	if out.Text, err = cannedText(r.Text, ""); err != nil {
		return CannedReply{}, err
	}
	if len(r.Texts) > maxCannedLangs {
		return CannedReply{}, Errorf(EInvalid, "a canned reply has at most %d languages", maxCannedLangs)
	}
	for lang, text := range r.Texts {
		if !validLang(lang) {
			return CannedReply{}, Errorf(EInvalid, "language %q: want a code like en", clipName(lang))
		}
		if strings.TrimSpace(text) == "" {
			continue // an empty box of the form: Text serves
		}
		clean, err := cannedText(text, lang)
		if err != nil {
			return CannedReply{}, err
		}
		if out.Texts == nil {
			out.Texts = map[string]string{}
		}
		out.Texts[lang] = clean
	}
	return out, nil
}

// cannedText checks and cleans one text of a canned reply in lang ("":
// the main text).
func cannedText(text, lang string) (string, error) {
	what := "the text"
	if lang != "" {
		what = "the " + lang + " text"
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(text)); n > MaxCannedText {
		return "", Errorf(EInvalid, "%s has %d characters; at most %d", what, n, MaxCannedText)
	}
	clean, _ := CleanText(text, MaxCannedText)
	if clean == "" {
		return "", Errorf(EInvalid, "%s is empty", what)
	}
	rest := clean
	for {
		_, after, ok := strings.Cut(rest, "{{")
		if !ok {
			return clean, nil
		}
		v, next, ok := strings.Cut(after, "}}")
		if !ok {
			return "", Errorf(EInvalid, "%s opens {{ without closing it", what)
		}
		if v := "{{" + strings.TrimSpace(v) + "}}"; v != VarContactName && v != VarShopName {
			return "", Errorf(EInvalid, "%s has %s; a canned reply knows only %s and %s", what, clipName(v), VarContactName, VarShopName)
		}
		rest = next
	}
}

// validLang reports whether lang looks like a language code: 2 to 8
// lower-case letters.
func validLang(lang string) bool {
	if len(lang) < 2 || len(lang) > 8 {
		return false
	}
	for _, b := range []byte(lang) {
		if b < 'a' || b > 'z' {
			return false
		}
	}
	return true
}

// clipName shortens something a person typed for an error message.
func clipName(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

// Render is r's text for a contact who speaks lang, with the variables
// filled in: the contact's name (FallbackName when unknown) and the
// shop's.
func (r CannedReply) Render(lang, contactName, shop string) string {
	text := r.Text
	if t := r.Texts[lang]; t != "" {
		text = t
	}
	if contactName = strings.TrimSpace(contactName); contactName == "" {
		contactName = FallbackName
	}
	var b strings.Builder
	for {
		before, after, ok := strings.Cut(text, "{{")
		b.WriteString(before)
		if !ok {
			return b.String()
		}
		v, rest, ok := strings.Cut(after, "}}")
		switch v = "{{" + strings.TrimSpace(v) + "}}"; {
		case ok && v == VarContactName:
			b.WriteString(contactName)
		case ok && v == VarShopName:
			b.WriteString(shop)
		default: // not a variable: left as written
			b.WriteString("{{")
			text = after
			continue
		}
		text = rest
	}
}

// CannedReplies keeps the shop's canned replies. The owner changes
// them; staff read them.
type CannedReplies interface {
	// CannedReplies lists every canned reply, by name.
	CannedReplies(ctx context.Context) ([]CannedReply, error)
	// SaveCannedReply adds r, or replaces the reply of the same name
	// (r is cleaned first: EInvalid says why it cannot be saved). A new
	// reply beyond MaxCannedReplies is EConflict.
	SaveCannedReply(ctx context.Context, r CannedReply) (CannedReply, error)
	// DeleteCannedReply removes the reply of that name (ENotFound if
	// none).
	DeleteCannedReply(ctx context.Context, name string) error
}
