// Package catalog is what a shop sells, how it delivers and how it is
// paid, read from catalog.yaml in the flows directory, and the
// understanding of an order written in chat: "min mau pesan beras 5kg
// sama telur sekilo, kirim ke jl mawar 5", a pasted format order (Nama:,
// No HP:, Alamat:, Pesanan:) or a short answer ("setengah kilo aja").
//
// Like the flow engine it is pure: no clock, no store, no I/O beyond
// reading the file. What Parse cannot tell for sure it does not guess;
// it returns it as Unclear, item by item, for the bot to ask.
package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"
)

// File is the name of the catalog in the flows directory.
const File = "catalog.yaml"

// Catalog is a shop's products, delivery and payment, checked and
// indexed for Parse. It is never changed once loaded, so one Catalog
// serves any number of goroutines; a reload makes a new one.
type Catalog struct {
	items    []Item
	byID     map[string]int
	index    map[string]entry // a name, alias or category, in words, to what it names
	longest  int              // the most words of a key in index
	delivery Delivery
	payment  Payment
	// categoryEn are the categories' English names, where catalog.yaml
	// gives them.
	categoryEn map[string]string
}

// entry is what a phrase of the index names: one item, or the items of
// a category ("sayur": bayam, kangkung, sawi).
type entry struct {
	items []int
}

// Item is one product.
type Item struct {
	ID string
	// names are the item's name by language, in file order; a plain
	// name has the language "".
	names []named
	// Price is in whole rupiah, per Unit.
	Price int64
	// Unit is what Price is per: kg, liter, papan, bungkus, ikat, butir,
	// loyang... (see catalog.yaml's comments).
	Unit string
	// unitEn is the item's English word for its unit, singular, when
	// catalog.yaml gives one (unit: {id: papan, en: tray}); "" for the
	// unit's own (see UnitWord).
	unitEn string
	// Category is the item's category, its word normalized ("sayur"),
	// "" for none; CategoryName names it in a language.
	Category string
	// Available is false when the item is out of stock.
	Available bool
	// Stock is how much is left when the shop counts it (stock: N), 0
	// when it does not.
	Stock float64
	// Aliases are the other words customers use for it.
	Aliases []string
	// Min and Max bound the quantity of one order; 0 when not set (Max
	// then defaults to DefaultMax).
	Min, Max float64
	// UnitRequired: a number without a unit is asked about, because it
	// may count pieces ("telur 10": ten eggs, or ten kilos?).
	UnitRequired bool
	// Preorder is set for an item made to order.
	Preorder *Preorder
}

// named is a name in one language.
type named struct{ lang, text string }

// DefaultMax is the most of an item one order may hold when the item
// sets no max: more is asked about, never taken ("beras 1000 kg").
const DefaultMax = 100

// Name returns the item's name in lang, else its first name.
func (it Item) Name(lang string) string {
	for _, n := range it.names {
		if n.lang == lang {
			return n.text
		}
	}
	return it.names[0].text
}

// Preorder is how an item made to order is taken.
type Preorder struct {
	// Closes is the last day orders are taken; Ready the day it is
	// ready (zero when not said). Both are dates at midnight UTC.
	Closes, Ready time.Time
	// Quota is the most that is made, 0 for no limit.
	Quota float64
	// DPPercent is the share of its price paid ahead (down payment).
	DPPercent int
}

// open reports whether orders are still taken on the day today is in
// (its own location). A zero today is not known: open.
func (po *Preorder) open(today time.Time) bool {
	if today.IsZero() {
		return true
	}
	y, m, d := today.Date()
	return !time.Date(y, m, d, 0, 0, 0, 0, time.UTC).After(po.Closes)
}

// Delivery is how orders reach customers.
type Delivery struct {
	// Pickup: customers may collect their order at the shop.
	Pickup bool
	// Flat is the fee to an address no area matches; -1 when the shop
	// delivers only to its areas (elsewhere, staff say the fee).
	Flat int64
	// Areas are fees by area, matched on the words of the address.
	Areas []Area
	// FreeOver waives the fee for a subtotal of at least this much; 0
	// never.
	FreeOver int64
}

// Area is a delivery fee for addresses that name one of its places.
type Area struct {
	Name  string
	Fee   int64
	Match []string // places, normalized: "sleman", "ngaglik"
}

// Payment is how customers pay.
type Payment struct {
	Transfer *Transfer // nil when the shop takes no bank transfer
	QRIS     bool
	// COD is paying in cash on delivery or at pickup.
	COD bool
}

// Transfer is the bank account customers transfer to.
type Transfer struct {
	Bank, Account, Name string
}

// Load reads and checks catalog.yaml at the root of fsys (the flows
// directory). A shop without one takes no orders by chat: Load then
// returns nil and no error. Problems in the file are reported together
// as a *flow.LoadError, each as catalog.yaml:line: message; other errors
// (an unreadable file) are wrapped.
func Load(fsys fs.FS) (*Catalog, error) {
	data, err := fs.ReadFile(fsys, File)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", File, err)
	}
	return parseFile(data)
}

// Items returns the products in file order.
func (c *Catalog) Items() []Item { return slices.Clone(c.items) }

// Item returns the product with the id, or reports false.
func (c *Catalog) Item(id string) (Item, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Item{}, false
	}
	return c.items[i], true
}

// CategoryName returns category cat (an item's Category) as a customer
// reading lang sees it: for "en" its English name when catalog.yaml
// gives one (category: {id: sayur, en: vegetables}), else cat itself.
func (c *Catalog) CategoryName(cat, lang string) string {
	if en := c.categoryEn[cat]; en != "" && lang == "en" {
		return en
	}
	return cat
}

// Delivery returns how the shop delivers.
func (c *Catalog) Delivery() Delivery { return c.delivery }

// Payment returns how the shop is paid.
func (c *Catalog) Payment() Payment { return c.payment }
