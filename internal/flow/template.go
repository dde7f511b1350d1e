package flow

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// namespace says where a template expression takes its value from.
type namespace uint8

const (
	nsLiteral namespace = iota // not an expression: the text itself
	nsContact                  // {{contact.key}}: Env.Contact
	nsShop                     // {{shop.key}}: shop.yaml's shop values
	nsVars                     // {{vars.key}}: Session.Vars
	nsInput                    // {{input}}: the answer being processed
	nsMitra                    // {{mitra.key}}: values Mitra supplies (Env.Mitra)
)

// MitraValues are the keys of {{mitra.key}}: values that come from
// Mitra's configuration and records rather than from the flows.
var MitraValues = map[string]string{
	"promo_max":  "the most promotional messages a contact receives in promo_days (MITRA_PROMO_CAP)",
	"promo_days": "the days over which promo_max counts (MITRA_PROMO_CAP)",
	"staff_eta":  "when staff will answer, from MITRA_STAFF_HOURS: \"biasanya dalam beberapa menit\", \"besok mulai pukul 08.00\" (staff texts)",
	"profile":    "what Mitra keeps of the contact (MY DATA)",
	"consents":   "the contact's consents with their dates (MY DATA)",
	"orders":     "the contact's orders (MY DATA)",
	"messages":   "the contact's recent messages (MY DATA)",
	"last_order": "the contact's last order not cancelled, for ordering it again (the order calls read it)",
	"usual":      "a regular's usual order, in words: their last one, for a contact with three orders completed; empty for others",
}

// MitraBooked prefixes the mitra values that say what the orders of
// every customer hold of an item whose stock or pre-order quota is
// limited: "booked:<item id>" → quantity. The order calls read them; a
// conversation test sets them to stand for other customers' orders.
const MitraBooked = "booked:"

// segment is a literal piece of text or one expression.
type segment struct {
	ns  namespace
	lit string // the text, for nsLiteral
	key string
	def string // rendered when the value is unknown or empty
}

// tmpl is a parsed template: segments rendered one after the other.
type tmpl []segment

// text is a template per language, in the Set's language order.
type text []tmpl

// parseTemplate parses s. shop reports whether a shop value exists, so
// that a typo in {{shop.x}} is caught at load rather than rendering "".
func parseTemplate(s string, shop func(string) bool) (tmpl, error) {
	var t tmpl
	for s != "" {
		open := strings.Index(s, "{{")
		if open < 0 {
			t = append(t, segment{lit: s})
			break
		}
		if open > 0 {
			t = append(t, segment{lit: s[:open]})
		}
		end := strings.Index(s[open:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("unclosed {{ in %q: close it with }}", s[open:])
		}
		seg, err := parseExpr(s[open+2:open+end], shop)
		if err != nil {
			return nil, err
		}
		t = append(t, seg)
		s = s[open+end+2:]
	}
	return t, nil
}

// parseExpr parses the inside of {{ }}: "ns.key" or "input", with an
// optional "|default".
func parseExpr(expr string, shop func(string) bool) (segment, error) {
	path, def, _ := strings.Cut(expr, "|")
	path = strings.TrimSpace(path)
	seg := segment{def: strings.TrimSpace(def)}
	if path == "" {
		return seg, fmt.Errorf("empty {{%s}}: write {{contact.name}}, {{shop.name}}, {{vars.x}} or {{input}}", expr)
	}
	if path == "input" {
		seg.ns = nsInput
		return seg, nil
	}
	ns, key, _ := strings.Cut(path, ".")
	switch ns {
	case "contact":
		seg.ns = nsContact
	case "shop":
		seg.ns = nsShop
	case "vars":
		seg.ns = nsVars
	case "mitra":
		seg.ns = nsMitra
		if _, ok := MitraValues[key]; !ok {
			return seg, fmt.Errorf("{{%s}}: Mitra supplies %s", path, mitraKeyList())
		}
	default:
		return seg, fmt.Errorf("unknown {{%s}}: a value is contact.x, shop.x, vars.x, mitra.x or input", path)
	}
	if key == "" || strings.ContainsAny(key, ". \t") {
		return seg, fmt.Errorf("bad {{%s}}: write %s.name", path, ns)
	}
	if seg.ns == nsShop && !shop(key) {
		return seg, fmt.Errorf("{{%s}}: %q is not among the shop values of shop.yaml", path, key)
	}
	seg.key = key
	return seg, nil
}

// literal returns the template's text when it has no expression.
func (t tmpl) literal() (string, bool) {
	switch {
	case len(t) == 0:
		return "", true
	case len(t) == 1 && t[0].ns == nsLiteral:
		return t[0].lit, true
	}
	return "", false
}

// render renders t for this step; unknown and empty values render as the
// expression's default.
func (r *run) render(t tmpl) string {
	if s, ok := t.literal(); ok {
		return s
	}
	var b strings.Builder
	for _, seg := range t {
		v := r.value(seg)
		if v == "" {
			v = seg.def
		}
		b.WriteString(v)
	}
	return b.String()
}

// value is the text of a segment: a literal's text, an expression's
// current value.
func (r *run) value(seg segment) string {
	switch seg.ns {
	case nsContact:
		return r.env.Contact[seg.key]
	case nsShop:
		return r.set.shop[seg.key][r.lang]
	case nsVars:
		return r.getVar(seg.key)
	case nsInput:
		return r.input
	case nsMitra:
		return r.env.Mitra[seg.key]
	}
	return seg.lit
}

// mitraKeyList names the {{mitra.x}} values, sorted, for problems.
func mitraKeyList() string {
	keys := slices.Sorted(maps.Keys(MitraValues))
	for i, k := range keys {
		keys[i] = "mitra." + k
	}
	return strings.Join(keys, ", ")
}

// getVar reads a variable; "lang" is the language being spoken,
// "misses" the count of messages not understood, and "mitra.x" a value
// Mitra supplies, so a branch can test it.
func (r *run) getVar(name string) string {
	switch name {
	case "lang":
		return r.set.langs[r.lang]
	case "misses":
		return strconv.Itoa(r.sess.Misses)
	}
	if key, ok := strings.CutPrefix(name, "mitra."); ok {
		return r.env.Mitra[key]
	}
	return r.sess.Vars[name]
}
