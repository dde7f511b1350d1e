package catalog

import "strings"

// kind groups the units a quantity converts between: a customer may say
// grams of what is sold by the kilo, never litres of it.
type kind uint8

const (
	mass   kind = iota + 1 // kg, ons, gram
	volume                 // liter, ml
	count                  // papan, ikat, bungkus...: each is its own
)

// unit is a unit of sale, or a word customers measure with.
type unit struct {
	name string
	kind kind
	// size is the unit in its kind's base (kg, liter); for the count
	// words lusin and kodi, how many pieces they are.
	size float64
	// piece: one piece is one of it, so a count in pcs, buah or biji
	// ("nasi bungkus 3 pcs") is a count of it. Not so for a papan of
	// tahu, which is cut into pieces, or an ikat of greens.
	piece bool
	// sellable: a catalog may sell by it. The count words lusin and
	// kodi are only said by customers.
	sellable bool
	// en and enPlural are its English words, singular and plural: how
	// an English customer is shown it (an item may name it otherwise,
	// Item.UnitWord).
	en, enPlural string
	// says are the chat forms customers write, normalized.
	says []string
}

// units are the units Mitra knows; catalog.yaml sells by their names.
var units = []unit{
	{name: "kg", kind: mass, size: 1, sellable: true, en: "kg", enPlural: "kg",
		says: []string{"kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramme"}},
	{name: "ons", kind: mass, size: 0.1, sellable: true, en: "ons", enPlural: "ons",
		says: []string{"ons"}},
	{name: "gram", kind: mass, size: 0.001, sellable: true, en: "g", enPlural: "g",
		says: []string{"gram", "grams", "gr", "grm", "g", "gm"}},
	{name: "liter", kind: volume, size: 1, sellable: true, en: "litre", enPlural: "litres",
		says: []string{"liter", "liters", "litre", "litres", "ltr", "lt", "l"}},
	{name: "ml", kind: volume, size: 0.001, sellable: true, en: "ml", enPlural: "ml",
		says: []string{"ml", "mililiter", "milliliter", "millilitre"}},
	{name: "butir", kind: count, piece: true, sellable: true, en: "piece", enPlural: "pieces",
		says: []string{"butir", "btr"}},
	{name: "papan", kind: count, sellable: true, en: "block", enPlural: "blocks",
		says: []string{"papan", "block", "blocks", "tray", "trays", "slab", "slabs"}},
	{name: "ikat", kind: count, sellable: true, en: "bunch", enPlural: "bunches",
		says: []string{"ikat", "iket", "ikt", "bunch", "bunches"}},
	{name: "bungkus", kind: count, piece: true, sellable: true, en: "pack", enPlural: "packs",
		says: []string{"bungkus", "bks", "bgks", "bngks", "bkus", "pack", "packs", "packet", "packets", "bag", "bags"}},
	{name: "loyang", kind: count, piece: true, sellable: true, en: "cake", enPlural: "cakes",
		says: []string{"loyang", "lyg", "pan", "pans", "tin", "tins"}},
	{name: "porsi", kind: count, piece: true, sellable: true, en: "portion", enPlural: "portions",
		says: []string{"porsi", "portion", "portions", "serving", "servings"}},
	{name: "botol", kind: count, piece: true, sellable: true, en: "bottle", enPlural: "bottles",
		says: []string{"botol", "btl", "bottle", "bottles"}},
	{name: "kotak", kind: count, piece: true, sellable: true, en: "box", enPlural: "boxes",
		says: []string{"kotak", "box", "boxes", "dus", "carton", "cartons"}},
	{name: "sachet", kind: count, piece: true, sellable: true, en: "sachet", enPlural: "sachets",
		says: []string{"sachet", "saset", "sachets"}},
	{name: "karung", kind: count, sellable: true, en: "sack", enPlural: "sacks",
		says: []string{"karung", "sack", "sacks"}},
	{name: "pcs", kind: count, piece: true, sellable: true, en: "pc", enPlural: "pcs",
		says: []string{"pcs", "pc", "buah", "bh", "biji", "bj", "piece", "pieces"}},
	{name: "lusin", kind: count, size: 12, en: "dozen", enPlural: "dozen",
		says: []string{"lusin", "lsn", "dozen", "dozens"}},
	{name: "kodi", kind: count, size: 20, en: "score", enPlural: "score",
		says: []string{"kodi"}},
}

// unitNames maps a unit's name to it; unitSays maps every chat form.
var unitNames, unitSays = func() (map[string]*unit, map[string]*unit) {
	names, says := map[string]*unit{}, map[string]*unit{}
	for i := range units {
		u := &units[i]
		names[u.name] = u
		for _, s := range u.says {
			says[s] = u
		}
	}
	return names, says
}()

// sellableUnits lists the units a catalog may sell by, for messages.
func sellableUnits() string {
	var names []string
	for _, u := range units {
		if u.sellable {
			names = append(names, u.name)
		}
	}
	return strings.Join(names, ", ")
}

// convert turns qty of the unit a customer said into the unit an item is
// sold by, or reports false when they do not convert (litres of rice,
// pieces of tahu): then the customer is asked, never guessed for.
func convert(qty float64, said, sold *unit) (float64, bool) {
	switch {
	case said == sold:
		return qty, true
	case said.kind != sold.kind:
		return 0, false
	case said.kind != count:
		return roundQty(qty * said.size / sold.size), true
	case !sold.piece:
		return 0, false
	case said.name == "pcs":
		return qty, true
	case said.size > 0:
		// A dozen of what is sold by the piece is twelve of it.
		return qty * said.size, true
	}
	return 0, false
}

// UnitWord writes the unit an item is sold by for a quantity q, in
// lang: the unit's name in Indonesian ("ikat"); in English ("en") the
// item's own word for it when catalog.yaml gives one (unit: {id: papan,
// en: tray}), else the unit's English word, singular for 1 and plural
// otherwise ("bunch", "bunches").
func (it Item) UnitWord(q float64, lang string) string {
	if lang == "en" && it.unitEn != "" {
		if q == 1 {
			return it.unitEn
		}
		return englishPlural(it.unitEn)
	}
	return unitWord(unitNames[it.Unit], q, lang)
}

// englishPlural is the plural of an English unit word: trays, boxes,
// bunches, pieces; a word of several ("whole cake") changes its last.
func englishPlural(w string) string {
	switch {
	case strings.HasSuffix(w, "s"), strings.HasSuffix(w, "x"), strings.HasSuffix(w, "ch"), strings.HasSuffix(w, "sh"):
		return w + "es"
	case strings.HasSuffix(w, "y") && len(w) > 1 && !strings.ContainsRune("aeiou", rune(w[len(w)-2])):
		return w[:len(w)-1] + "ies"
	}
	return w + "s"
}
