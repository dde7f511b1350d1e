package catalog

import (
	"fmt"
	"strings"
)

// Reason is why part of an order is unclear.
type Reason string

// The reasons; Question words each as a question to the customer.
const (
	// UnknownItem: Said names nothing sold; Suggest holds the items a
	// typo away ("telr": telur), if any.
	UnknownItem Reason = "unknown_item"
	// Which: Said is a category of several items (sayur), in Suggest.
	Which Reason = "which"
	// NoQuantity: the item came with no quantity ("mau beras").
	NoQuantity Reason = "no_quantity"
	// NoItem: a quantity came with no item ("2 kg aja").
	NoItem Reason = "no_item"
	// NoUnit: a bare number of an item that needs a unit ("telur 10").
	NoUnit Reason = "no_unit"
	// WrongUnit: Unit does not fit the item ("3 liter beras").
	WrongUnit Reason = "wrong_unit"
	// BadQuantity: zero, or part of what is sold whole ("setengah
	// papan tempe").
	BadQuantity Reason = "bad_quantity"
	// TooMuch: more than the item's max, or DefaultMax (Limit).
	TooMuch Reason = "too_much"
	// TooLittle: less than the item's min (Limit).
	TooLittle Reason = "too_little"
	// NotEnough: more than the stock left (Limit).
	NotEnough Reason = "not_enough"
	// OutOfStock: the item is not available.
	OutOfStock Reason = "out_of_stock"
	// PreorderClosed: the pre-order closed before today.
	PreorderClosed Reason = "preorder_closed"
	// PreorderFull: more than the quota has left (Limit, maybe 0).
	PreorderFull Reason = "preorder_full"
	// Twice: the item was ordered twice (First, then Qty): more, or a
	// correction?
	Twice Reason = "twice"
)

// Unclear is one part of an order to ask the customer about.
type Unclear struct {
	Reason Reason
	Item   string // the item's id; "" when not known
	Said   string // the customer's words, normalized
	// Qty and Unit are the quantity as said ("3", "liter"); Unit is ""
	// when none was said. For Twice both are the item's, the second
	// quantity.
	Qty  float64
	Unit string
	// Limit is the bound passed (TooMuch, TooLittle, NotEnough,
	// PreorderFull), in the item's unit.
	Limit float64
	// First is, for Twice, the quantity said first.
	First float64
	// Suggest are item ids: the close ones (UnknownItem) or the
	// category's (Which).
	Suggest []string
}

// Question words what is unclear as a short question to the customer,
// in Indonesian or, for lang "en", English.
func (c *Catalog) Question(u Unclear, lang string) string {
	en := lang == "en"
	it, _ := c.Item(u.Item)
	name := ""
	if u.Item != "" {
		name = it.Name(lang)
	}
	said := formatQty(u.Qty, lang)
	if u.Unit == it.Unit && u.Item != "" {
		said += " " + it.UnitWord(u.Qty, lang)
	} else if u.Unit != "" {
		said += " " + unitWord(unitNames[u.Unit], u.Qty, lang)
	}
	many := func(q float64) string { return formatQty(q, lang) + " " + it.UnitWord(q, lang) }
	switch u.Reason {
	case UnknownItem:
		if len(u.Suggest) > 0 {
			return pick(en, "Maaf, Kak, maksudnya %s?", "Sorry, did you mean %s?", c.names(u.Suggest, lang))
		}
		return pick(en, "Maaf, Kak, kami tidak menjual %q.", "Sorry, we don't sell %q.", u.Said)
	case Which:
		return pick(en, "%s yang mana, Kak: %s?", "Which %s would you like: %s?", capital(c.whichSaid(u, lang), !en), c.names(u.Suggest, lang))
	case NoItem:
		return pick(en, "%s itu untuk apa, Kak?", "What would you like %s of?", said)
	case NoQuantity:
		return c.howMuch(it, lang, "")
	case NoUnit:
		return pick(en, "%s %s itu %s %s, Kak?", "%s %s: is that %s %s?", name, said, said, it.UnitWord(u.Qty, lang))
	case WrongUnit:
		return c.howMuch(it, lang, pick(en, "%s kami jual per %s, Kak.", "We sell %s by the %s.", name, it.UnitWord(1, lang)))
	case BadQuantity:
		if u.Qty <= 0 {
			return c.howMuch(it, lang, "")
		}
		return c.howMuch(it, lang, pick(en, "%s kami jual per %s utuh, Kak.", "We sell %s by the whole %s.", name, it.UnitWord(1, lang)))
	case TooMuch:
		return c.howMuch(it, lang, pick(en, "%s paling banyak %s per pesanan, Kak.", "We take at most %[2]s of %[1]s per order.", name, many(u.Limit)))
	case TooLittle:
		return c.howMuch(it, lang, pick(en, "%s minimal %s, Kak.", "The least we sell of %[1]s is %[2]s.", name, many(u.Limit)))
	case NotEnough:
		return pick(en, "Stok %s tinggal %s, Kak. Mau %[2]s saja?", "We only have %[2]s of %[1]s left. Would %[2]s do?", name, many(u.Limit))
	case OutOfStock:
		return pick(en, "Maaf, Kak, %s sedang habis.", "Sorry, %s is out of stock.", name)
	case PreorderClosed:
		return pick(en, "Maaf, Kak, PO %s sudah ditutup tanggal %s.", "Sorry, pre-orders for %s closed on %s.", name, formatDate(it.Preorder.Closes, lang))
	case PreorderFull:
		if u.Limit <= 0 {
			return pick(en, "Maaf, Kak, kuota PO %s sudah penuh.", "Sorry, pre-orders for %s are full.", name)
		}
		return pick(en, "Kuota PO %s tinggal %s, Kak. Mau %[2]s?", "Only %[2]s of %[1]s are left to pre-order. Would %[2]s do?", name, many(u.Limit))
	case Twice:
		return pick(en, "%s tertulis dua kali, Kak (%s dan %s). Jadi totalnya berapa %s?", "%s is in your message twice (%s and %s). How much in all, in %s?",
			name, many(u.First), many(u.Qty), it.UnitWord(2, lang))
	}
	return ""
}

// howMuch asks how much of an item, after what has to be said first.
func (c *Catalog) howMuch(it Item, lang, first string) string {
	q := pick(lang == "en", "%s mau berapa %s, Kak?", "How many %[2]s of %[1]s would you like?", it.Name(lang), it.UnitWord(2, lang))
	if lang == "en" && unitNames[it.Unit].kind != count {
		q = fmt.Sprintf("How much %s would you like, in %s?", it.Name(lang), it.UnitWord(2, lang))
	}
	if first == "" {
		return q
	}
	if lang == "en" {
		return first + " " + q
	}
	return first + " Mau berapa " + it.UnitWord(2, lang) + "?"
}

// names lists items by name: "bayam, kangkung atau sawi".
func (c *Catalog) names(ids []string, lang string) string {
	var ns []string
	for _, id := range ids {
		if it, ok := c.Item(id); ok {
			ns = append(ns, it.Name(lang))
		}
	}
	or := " atau "
	if lang == "en" {
		or = " or "
	}
	if len(ns) < 2 {
		return strings.Join(ns, "")
	}
	return strings.Join(ns[:len(ns)-1], ", ") + or + ns[len(ns)-1]
}

// pick formats the Indonesian or the English text.
func pick(en bool, id, english string, args ...any) string {
	if en {
		return fmt.Sprintf(english, args...)
	}
	return fmt.Sprintf(id, args...)
}

// capital upper-cases the first letter when up is set.
func capital(s string, up bool) string {
	if !up || s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// whichSaid is the category a Which question asks about, named in lang
// ("vegetables" to an English customer who wrote "sayur"): the category
// of the items it suggests, else the customer's words.
func (c *Catalog) whichSaid(u Unclear, lang string) string {
	cat := ""
	for i, id := range u.Suggest {
		it, _ := c.Item(id)
		if i > 0 && it.Category != cat || it.Category == "" {
			return u.Said
		}
		cat = it.Category
	}
	if cat == "" {
		return u.Said
	}
	return strings.ToLower(c.CategoryName(cat, lang))
}
