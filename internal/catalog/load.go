package catalog

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/mitra-care/mitra/internal/flow"
)

// The keys each mapping of catalog.yaml may have.
var (
	topKeys      = []string{"items", "delivery", "payment"}
	itemKeys     = []string{"id", "name", "price", "unit", "category", "available", "stock", "aliases", "min", "max", "unit_required", "preorder"}
	preorderKeys = []string{"closes", "ready", "quota", "dp_percent"}
	deliveryKeys = []string{"pickup", "flat", "areas", "free_over"}
	areaKeys     = []string{"name", "fee", "match"}
	paymentKeys  = []string{"transfer", "qris", "cod"}
	transferKeys = []string{"bank", "account", "name"}
)

// loader reads catalog.yaml into a Catalog, collecting every problem so
// that one run shows all there is to fix.
type loader struct {
	c        *Catalog
	problems []flow.Problem
	// phraseAt is where each phrase of the index was first given, for
	// the message about a second item claiming it.
	phraseAt map[string]int
	// categories are the items of each category, in file order.
	categories map[string][]int
	// categoryEnAt is where each category's English name was given.
	categoryEnAt map[string]int
	// lines are where each item starts.
	lines []int
}

func (l *loader) errf(line int, format string, args ...any) {
	l.problems = append(l.problems, flow.Problem{File: File, Line: line, Message: fmt.Sprintf(format, args...)})
}

// parseFile checks and indexes the text of catalog.yaml.
func parseFile(data []byte) (*Catalog, error) {
	l := &loader{
		c:            &Catalog{byID: map[string]int{}, index: map[string]entry{}, categoryEn: map[string]string{}},
		phraseAt:     map[string]int{},
		categories:   map[string][]int{},
		categoryEnAt: map[string]int{},
	}
	l.file(data)
	if len(l.problems) > 0 {
		slices.SortStableFunc(l.problems, func(a, b flow.Problem) int { return a.Line - b.Line })
		return nil, &flow.LoadError{Problems: l.problems}
	}
	return l.c, nil
}

func (l *loader) file(data []byte) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.errf(syntaxLine(err), "YAML syntax: %s", syntaxMessage(err))
		return
	}
	if len(doc.Content) == 0 {
		l.errf(0, "the file is empty: list the items, delivery and payment")
		return
	}
	root := doc.Content[0]
	m := l.fields(root, "catalog.yaml", topKeys)
	if m == nil {
		return
	}
	if v := m["items"]; v != nil {
		l.items(v)
	} else {
		l.errf(root.Line, "missing items: list what the shop sells")
	}
	if v := m["delivery"]; v != nil {
		l.delivery(v)
	} else {
		l.errf(root.Line, "missing delivery: say whether customers pick up (pickup: true) and the fees to deliver")
	}
	if v := m["payment"]; v != nil {
		l.payment(v)
	} else {
		l.errf(root.Line, "missing payment: say how customers pay (transfer, qris, cod)")
	}
	l.indexCategories()
}

// syntaxLine and syntaxMessage split a yaml.v3 error "yaml: line N:
// message"; its parser counts lines from 0 in the errors that read "did
// not find expected", from 1 in the others.
func syntaxLine(err error) int {
	rest, ok := strings.CutPrefix(err.Error(), "yaml: line ")
	if !ok {
		return 0
	}
	n, after, ok := strings.Cut(rest, ": ")
	line, aerr := strconv.Atoi(n)
	if !ok || aerr != nil {
		return 0
	}
	if strings.HasPrefix(after, "did not find expected") {
		line++
	}
	return line
}

func syntaxMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if _, after, ok := strings.Cut(rest, ": "); ok {
			return after
		}
	}
	return msg
}

func (l *loader) items(n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.errf(n.Line, "items must be a list of products, each starting with - id:")
		return
	}
	for _, in := range n.Content {
		l.item(in)
	}
}

func (l *loader) item(n *yaml.Node) {
	m := l.fields(n, "an item", itemKeys)
	if m == nil {
		return
	}
	n = deref(n)
	it := Item{Available: true}
	ok := true
	if v := m["id"]; v != nil {
		it.ID, ok = l.id(v)
		if prev, dup := l.c.byID[it.ID]; ok && dup {
			l.errf(v.Line, "item %q is already defined (line %d)", it.ID, l.lines[prev])
			ok = false
		}
	} else {
		l.errf(n.Line, "missing id: give the item a short id, such as id: beras")
		ok = false
	}
	what := "item"
	if it.ID != "" {
		what = fmt.Sprintf("item %q", it.ID)
	}
	nameLine := n.Line
	if v := m["name"]; v != nil {
		it.names, nameLine = l.names(v, what), v.Line
	}
	if len(it.names) == 0 {
		if m["name"] == nil {
			l.errf(n.Line, "%s: missing name, such as name: {id: Beras pandan wangi, en: Pandan rice}", what)
		}
		ok = false
	}
	if v := m["price"]; v != nil {
		var pok bool
		it.Price, pok = l.rupiah(v, what+": price", false)
		ok = ok && pok
	} else {
		l.errf(n.Line, "%s: missing price, in whole rupiah: price: 15000", what)
		ok = false
	}
	var sold *unit
	if v := m["unit"]; v != nil {
		sold, it.unitEn = l.unit(v, what)
		if sold != nil {
			it.Unit = sold.name
		}
	} else {
		l.errf(n.Line, "%s: missing unit: what the price is per (kg, liter, papan...)", what)
	}
	if v := m["category"]; v != nil {
		it.Category = l.category(v, what)
	}
	if v := m["available"]; v != nil {
		it.Available = l.boolean(v, what+": available")
	}
	if v := m["stock"]; v != nil {
		if m["available"] != nil {
			l.errf(v.Line, "%s: give available or stock, not both", what)
		}
		it.Stock = l.quantity(v, what+": stock", sold, true)
		it.Available = it.Stock > 0
	}
	if v := m["min"]; v != nil {
		it.Min = l.quantity(v, what+": min", sold, false)
	}
	if v := m["max"]; v != nil {
		it.Max = l.quantity(v, what+": max", sold, false)
		if it.Min > 0 && it.Max > 0 && it.Min > it.Max {
			l.errf(v.Line, "%s: max %s is below min %s", what, formatQty(it.Max, "en"), formatQty(it.Min, "en"))
		}
	}
	if v := m["unit_required"]; v != nil {
		it.UnitRequired = l.boolean(v, what+": unit_required")
	}
	if v := m["preorder"]; v != nil {
		// One limit an item: the store books an order against one
		// count of it, and a stock's count starts again at a restock,
		// which a quota's must not.
		if m["stock"] != nil {
			l.errf(v.Line, "%s: give stock or preorder, not both: a pre-order's limit is its quota", what)
		}
		it.Preorder = l.preorder(v, what, sold)
	}
	var aliases *yaml.Node
	if v := m["aliases"]; v != nil {
		aliases = deref(v)
		it.Aliases = l.strs(v, what+": aliases")
	}
	if !ok || sold == nil {
		return
	}
	i := len(l.c.items)
	l.c.byID[it.ID] = i
	l.c.items = append(l.c.items, it)
	l.lines = append(l.lines, n.Line)
	for _, nm := range it.names {
		l.phrase(nm.text, i, nameLine, "name")
	}
	if aliases != nil && aliases.Kind == yaml.SequenceNode {
		for _, a := range aliases.Content {
			if a.Kind == yaml.ScalarNode && strings.TrimSpace(a.Value) != "" {
				l.phrase(a.Value, i, a.Line, "alias")
			}
		}
	}
	if it.Category != "" {
		l.categories[it.Category] = append(l.categories[it.Category], i)
	}
}

func (l *loader) preorder(n *yaml.Node, what string, sold *unit) *Preorder {
	m := l.fields(n, what+": preorder", preorderKeys)
	if m == nil {
		return nil
	}
	po := &Preorder{}
	if v := m["closes"]; v != nil {
		po.Closes = l.date(v, what+": preorder closes")
	} else {
		l.errf(deref(n).Line, "%s: a preorder needs closes: the last day orders are taken (YYYY-MM-DD)", what)
	}
	if v := m["ready"]; v != nil {
		po.Ready = l.date(v, what+": preorder ready")
		if !po.Ready.IsZero() && !po.Closes.IsZero() && po.Ready.Before(po.Closes) {
			l.errf(v.Line, "%s: preorder ready %s is before it closes %s", what, po.Ready.Format(time.DateOnly), po.Closes.Format(time.DateOnly))
		}
	}
	if v := m["quota"]; v != nil {
		po.Quota = l.quantity(v, what+": preorder quota", sold, false)
	}
	if v := m["dp_percent"]; v != nil {
		dp, ok := l.whole(v, what+": preorder dp_percent", true, "50 (no %)")
		if ok && dp > 100 {
			l.errf(v.Line, "%s: preorder dp_percent %d is over 100", what, dp)
		}
		po.DPPercent = int(dp)
	}
	return po
}

// date reads a day written YYYY-MM-DD.
func (l *loader) date(n *yaml.Node, what string) time.Time {
	s, ok := l.str(n, what)
	if !ok {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		l.errf(deref(n).Line, "%s %q is not a date: write YYYY-MM-DD, such as 2026-12-20", what, s)
		return time.Time{}
	}
	return d
}

// phrase adds a name or alias of item i to the index.
func (l *loader) phrase(text string, i, line int, what string) {
	key := strings.Join(flow.Words(text), " ")
	it := &l.c.items[i]
	switch {
	case key == "":
		l.errf(line, "item %q: %s %q has no letters or digits to match", it.ID, what, text)
		return
	case unitSays[key] != nil:
		l.errf(line, "item %q: %s %q is a unit: customers say it of any item", it.ID, what, text)
		return
	}
	if _, err := strconv.ParseFloat(key, 64); err == nil {
		l.errf(line, "item %q: %s %q is a number: customers say it of a quantity", it.ID, what, text)
		return
	}
	if e, dup := l.c.index[key]; dup {
		if e.items[0] != i {
			l.errf(line, "item %q: %s %q is already a name or alias of item %q (line %d)", it.ID, what, text, l.c.items[e.items[0]].ID, l.phraseAt[key])
		}
		return
	}
	l.c.index[key] = entry{items: []int{i}}
	l.phraseAt[key] = line
	l.c.longest = max(l.c.longest, strings.Count(key, " ")+1)
}

// categoryKeys are the keys of a category named per language.
var categoryKeys = []string{"id", "en"}

// maxCategoryName bounds a category's name, in characters.
const maxCategoryName = 40

// category reads an item's category: its word (category: sayur), or
// the word and its English name (category: {id: sayur, en:
// vegetables}). Any one item of a category may give its English name;
// two that give it must agree.
func (l *loader) category(n *yaml.Node, what string) string {
	var en *yaml.Node
	if n = deref(n); n.Kind == yaml.MappingNode {
		m := l.fields(n, what+": category", categoryKeys)
		if m == nil {
			return ""
		}
		if m["id"] == nil {
			l.errf(n.Line, "%s: category needs id, the category's word: {id: sayur, en: vegetables}", what)
			return ""
		}
		en, n = m["en"], m["id"]
	}
	s, ok := l.str(n, what+": category")
	if !ok {
		return ""
	}
	cat := flow.Normalize(s)
	if len(flow.Words(cat)) == 0 || utf8.RuneCountInString(cat) > maxCategoryName {
		l.errf(deref(n).Line, "%s: category %q: want a word of 1 to %d characters with letters, such as sayur", what, s, maxCategoryName)
		return ""
	}
	if en == nil {
		return cat
	}
	name, ok := l.str(en, what+": category (en)")
	switch {
	case !ok:
	case len(flow.Words(name)) == 0 || utf8.RuneCountInString(name) > maxCategoryName:
		l.errf(deref(en).Line, "%s: category (en) %q: want an English name of 1 to %d characters with letters, such as vegetables", what, name, maxCategoryName)
	case l.c.categoryEn[cat] == "":
		l.c.categoryEn[cat], l.categoryEnAt[cat] = name, deref(en).Line
	case !strings.EqualFold(l.c.categoryEn[cat], name):
		l.errf(deref(en).Line, "%s: category %q is named %q in English already (line %d)", what, cat, l.c.categoryEn[cat], l.categoryEnAt[cat])
	}
	return cat
}

// indexCategories adds the categories of two items or more ("sayur":
// bayam, kangkung, sawi), by their word and their English name
// ("vegetables"), so that a customer who names one is asked which; a
// name or alias of an item wins over a category. Two categories may
// not share a name.
func (l *loader) indexCategories() {
	owner := map[string]string{} // a category's word or name → the category
	for _, cat := range slices.Sorted(maps.Keys(l.categories)) {
		items := l.categories[cat]
		for _, name := range []string{cat, l.c.categoryEn[cat]} {
			key := strings.Join(flow.Words(name), " ")
			if key == "" {
				continue
			}
			if other, dup := owner[key]; dup && other != cat {
				// One of the two is an English name: the problem is
				// where it was given.
				if name == cat {
					l.errf(l.categoryEnAt[other], "category %q: its English name %q is the word of category %q", other, l.c.categoryEn[other], cat)
				} else {
					l.errf(l.categoryEnAt[cat], "category %q: its English name %q is already a name of category %q", cat, name, other)
				}
				continue
			}
			owner[key] = cat
			if _, taken := l.c.index[key]; len(items) < 2 || taken {
				continue
			}
			l.c.index[key] = entry{items: items}
			l.c.longest = max(l.c.longest, strings.Count(key, " ")+1)
		}
	}
}

func (l *loader) delivery(n *yaml.Node) {
	m := l.fields(n, "delivery", deliveryKeys)
	if m == nil {
		return
	}
	d := Delivery{Flat: -1}
	before := len(l.problems)
	if v := m["pickup"]; v != nil {
		d.Pickup = l.boolean(v, "delivery: pickup")
	}
	if v := m["flat"]; v != nil {
		d.Flat, _ = l.rupiah(v, "delivery: flat", true)
	}
	if v := m["areas"]; v != nil {
		d.Areas = l.areas(v)
	}
	if v := m["free_over"]; v != nil {
		d.FreeOver, _ = l.rupiah(v, "delivery: free_over", false)
	}
	if !d.Pickup && d.Flat < 0 && len(d.Areas) == 0 && len(l.problems) == before {
		l.errf(deref(n).Line, "delivery: offer pickup: true, a flat fee or areas, or customers cannot get their order")
	}
	l.c.delivery = d
}

func (l *loader) areas(n *yaml.Node) []Area {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		l.errf(n.Line, "delivery: areas must be a list: - {name: Sleman, fee: 8000, match: [sleman, depok]}")
		return nil
	}
	var out []Area
	seen := map[string]string{}
	for _, an := range n.Content {
		m := l.fields(an, "a delivery area", areaKeys)
		if m == nil {
			continue
		}
		a := Area{}
		ok := true
		what := "delivery area"
		if v := m["name"]; v != nil {
			a.Name, ok = l.str(v, "delivery area name")
			what += " " + a.Name
		} else {
			l.errf(deref(an).Line, "delivery area: missing name")
			ok = false
		}
		if v := m["fee"]; v != nil {
			var fok bool
			a.Fee, fok = l.rupiah(v, what+": fee", true)
			ok = ok && fok
		} else {
			l.errf(deref(an).Line, "%s: missing fee", what)
			ok = false
		}
		if v := m["match"]; v != nil {
			for i, s := range l.strs(v, what+": match") {
				w := flow.Normalize(s)
				line := deref(v).Content[i].Line
				if prev, dup := seen[w]; dup {
					l.errf(line, "%s: %q is already matched by area %s", what, s, prev)
					continue
				}
				seen[w] = a.Name
				a.Match = append(a.Match, w)
			}
		}
		if len(a.Match) == 0 {
			l.errf(deref(an).Line, "%s: match lists no place: give the words of addresses in it, such as match: [sleman, ngaglik]", what)
			ok = false
		}
		if ok {
			out = append(out, a)
		}
	}
	return out
}

func (l *loader) payment(n *yaml.Node) {
	m := l.fields(n, "payment", paymentKeys)
	if m == nil {
		return
	}
	p := Payment{}
	before := len(l.problems)
	if v := m["transfer"]; v != nil {
		p.Transfer = l.transfer(v)
	}
	if v := m["qris"]; v != nil {
		p.QRIS = l.boolean(v, "payment: qris")
	}
	if v := m["cod"]; v != nil {
		p.COD = l.boolean(v, "payment: cod")
	}
	if p.Transfer == nil && !p.QRIS && !p.COD && len(l.problems) == before {
		l.errf(deref(n).Line, "payment: offer a transfer, qris: true or cod: true")
	}
	l.c.payment = p
}

func (l *loader) transfer(n *yaml.Node) *Transfer {
	m := l.fields(n, "payment: transfer", transferKeys)
	if m == nil {
		return nil
	}
	t := &Transfer{}
	ok := true
	for _, f := range []struct {
		key string
		to  *string
	}{{"bank", &t.Bank}, {"account", &t.Account}, {"name", &t.Name}} {
		v := m[f.key]
		if v == nil {
			l.errf(deref(n).Line, "payment: transfer: missing %s", f.key)
			ok = false
			continue
		}
		s, sok := l.str(v, "payment: transfer "+f.key)
		*f.to, ok = s, ok && sok
	}
	if v := m["account"]; v != nil && strings.Trim(t.Account, "0123456789 -.") != "" {
		l.errf(v.Line, "payment: transfer account %q: write the account number in digits, in quotes: account: \"1234567890\"", t.Account)
		ok = false
	}
	if !ok {
		return nil
	}
	return t
}

// deref follows a YAML alias (*name) to its anchor.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// fields returns the values of a mapping by key, reporting keys given
// twice and keys not in allowed (typos such as "prise"); nil when n is
// not a mapping.
func (l *loader) fields(n *yaml.Node, what string, allowed []string) map[string]*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		l.errf(n.Line, "%s must be a mapping (key: value)", what)
		return nil
	}
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	at := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		switch line, dup := at[k.Value]; {
		case dup:
			l.errf(k.Line, "key %q appears twice in %s (first at line %d)", k.Value, what, line)
		case !slices.Contains(allowed, k.Value):
			l.errf(k.Line, "unknown key %q in %s%s", k.Value, what, flow.SuggestKey(k.Value, allowed))
		default:
			at[k.Value] = k.Line
			m[k.Value] = v
		}
	}
	return m
}

// str reads a non-empty single value.
func (l *loader) str(n *yaml.Node, what string) (string, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		l.errf(n.Line, "%s must be a single value", what)
		return "", false
	}
	if s := strings.TrimSpace(n.Value); n.Tag != "!!null" && s != "" {
		return s, true
	}
	l.errf(n.Line, "%s is empty", what)
	return "", false
}

// strs reads a list of single values.
func (l *loader) strs(n *yaml.Node, what string) []string {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		l.errf(n.Line, "%s must be a list: [a, b]", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if s, ok := l.str(c, what); ok {
			out = append(out, s)
		}
	}
	return out
}

// id reads an item id: it is kept in orders, so it is kept to a safe
// alphabet.
func (l *loader) id(n *yaml.Node) (string, bool) {
	s, ok := l.str(n, "item id")
	if !ok {
		return "", false
	}
	if len(s) > 64 || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) >= 0 {
		l.errf(deref(n).Line, "item id %q: use at most 64 lower-case letters, digits, _ and -", s)
		return "", false
	}
	return s, true
}

// names reads a name: a plain one, or a map of language to name.
func (l *loader) names(n *yaml.Node, what string) []named {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		if s, ok := l.str(n, what+": name"); ok {
			return []named{{text: s}}
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		l.errf(n.Line, "%s: name must be a name, or a map of language to name: {id: Telur ayam, en: Chicken eggs}", what)
		return nil
	}
	var out []named
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if s, ok := l.str(n.Content[i+1], fmt.Sprintf("%s: name (%s)", what, k.Value)); ok {
			out = append(out, named{lang: k.Value, text: s})
		}
	}
	if len(out) == 0 && len(n.Content) == 0 {
		l.errf(n.Line, "%s: name is empty", what)
	}
	return out
}

// rupiah reads an amount of money in whole rupiah: above 0, or 0 too
// when zero is allowed.
func (l *loader) rupiah(n *yaml.Node, what string, zero bool) (int64, bool) {
	return l.whole(n, what, zero, "15000 (no dots, no Rp)")
}

// whole reads a whole number: above 0, or 0 too when zero is allowed.
func (l *loader) whole(n *yaml.Node, what string, zero bool, example string) (int64, bool) {
	n = deref(n)
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 10, 64)
	switch {
	case n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil:
		l.errf(n.Line, "%s %q: write a whole number, such as %s", what, n.Value, example)
	case v < 0 && zero:
		l.errf(n.Line, "%s must be 0 or more", what)
	case v <= 0 && !zero:
		l.errf(n.Line, "%s must be above 0", what)
	default:
		return v, true
	}
	return 0, false
}

// quantity reads an amount of an item: above 0 (or 0 too when zero is
// allowed), and whole when the item is sold in whole units.
func (l *loader) quantity(n *yaml.Node, what string, sold *unit, zero bool) float64 {
	n = deref(n)
	v, err := strconv.ParseFloat(n.Value, 64)
	switch {
	case n.Kind != yaml.ScalarNode || n.Tag != "!!int" && n.Tag != "!!float" || err != nil:
		l.errf(n.Line, "%s %q must be a number", what, n.Value)
	case v < 0 && zero:
		l.errf(n.Line, "%s must be 0 or more", what)
	case v <= 0 && !zero:
		l.errf(n.Line, "%s must be above 0", what)
	case sold != nil && sold.kind == count && v != math.Trunc(v):
		l.errf(n.Line, "%s %s: a %s is sold whole", what, n.Value, sold.name)
	default:
		return v
	}
	return 0
}

// boolean reads true or false.
func (l *loader) boolean(n *yaml.Node, what string) bool {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		l.errf(n.Line, "%s must be true or false", what)
		return false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
}

// unitKeys are the keys of a unit named per language.
var unitKeys = []string{"id", "en"}

// unit reads the unit an item is sold by: its name (kg, papan), or its
// name and the item's English word for it ({id: papan, en: tray}),
// which it returns too.
func (l *loader) unit(n *yaml.Node, what string) (*unit, string) {
	en := ""
	if n = deref(n); n.Kind == yaml.MappingNode {
		m := l.fields(n, what+": unit", unitKeys)
		if m["id"] == nil {
			l.errf(n.Line, "%s: unit needs id, the unit's name: {id: papan, en: tray}", what)
			return nil, ""
		}
		if v := m["en"]; v != nil {
			if s, ok := l.str(v, what+": unit (en)"); ok {
				en = strings.ToLower(s)
				if len(s) > 30 || len(flow.Words(s)) == 0 {
					l.errf(v.Line, "%s: unit (en) %q: want a short English word for one of it, such as tray", what, s)
				}
			}
		}
		n = m["id"]
	}
	s, ok := l.str(n, what+": unit")
	if !ok {
		return nil, ""
	}
	if u := unitNames[s]; u != nil && u.sellable {
		return u, en
	}
	if u := unitSays[flow.Normalize(s)]; u != nil && u.sellable {
		l.errf(deref(n).Line, "%s: unit %q: write it %s", what, s, u.name)
		return nil, ""
	}
	l.errf(deref(n).Line, "%s: unknown unit %q (known units: %s)", what, s, sellableUnits())
	return nil, ""
}
