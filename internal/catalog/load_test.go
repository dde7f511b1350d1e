package catalog

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mitra-care/mitra/internal/flow"
)

func TestLoadDemo(t *testing.T) {
	c := demo(t)
	var ids []string
	for _, it := range c.Items() {
		ids = append(ids, it.ID)
	}
	if got := strings.Join(ids, ","); got != "beras,telur,minyak,gula,bayam,kangkung,sawi,tempe,tahu,nasi_bungkus,lapis_legit" {
		t.Errorf("items = %s", got)
	}
	it, ok := c.Item("lapis_legit")
	if !ok || it.Preorder == nil || !it.Preorder.Closes.Equal(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)) ||
		it.Preorder.Quota != 30 || it.Preorder.DPPercent != 50 || it.Name("en") != "Lapis legit layer cake" || it.Name("jv") != "Kue lapis legit" {
		t.Errorf("lapis_legit = %+v, %+v", it, it.Preorder)
	}
	if it, _ := c.Item("telur"); !it.Available || it.Stock != 8 || !it.UnitRequired || it.Max != 10 {
		t.Errorf("telur = %+v", it)
	}
	if it, _ := c.Item("sawi"); it.Available {
		t.Errorf("sawi is available")
	}
	d := c.Delivery()
	if !d.Pickup || d.Flat != -1 || len(d.Areas) != 2 || d.Areas[0].Name != "Sleman" || d.FreeOver != 150000 {
		t.Errorf("delivery = %+v", d)
	}
	p := c.Payment()
	if p.Transfer == nil || *p.Transfer != (Transfer{Bank: "BCA", Account: "1234567890", Name: "Sari Wulandari"}) || !p.QRIS || !p.COD {
		t.Errorf("payment = %+v", p)
	}
}

// TestCategoryName: a category reads in English by the name one of its
// items gives, in Indonesian (and any other language) by its word; a
// category without an English name, or not in the catalog, is its word.
func TestCategoryName(t *testing.T) {
	c := demo(t)
	plain, err := Load(fstest.MapFS{File: {Data: []byte(strings.Replace(small, "    unit: papan\n", "    unit: papan\n    category: Kedelai\n", 1))}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		c         *Catalog
		cat, lang string
		want      string
	}{
		{c, "sayur", "en", "vegetables"},
		{c, "sayur", "id", "sayur"},
		{c, "sayur", "jv", "sayur"},
		{c, "sembako", "en", "groceries"},
		{c, "soto", "en", "soto"},
		{plain, "kedelai", "en", "kedelai"},
		{plain, "kedelai", "id", "kedelai"},
	}
	for _, tt := range tests {
		if got := tt.c.CategoryName(tt.cat, tt.lang); got != tt.want {
			t.Errorf("CategoryName(%q, %q) = %q, want %q", tt.cat, tt.lang, got, tt.want)
		}
	}
	if it, _ := plain.Item("tempe"); it.Category != "kedelai" {
		t.Errorf("a plain category: %q", it.Category)
	}
}

func TestLoadMissing(t *testing.T) {
	c, err := Load(fstest.MapFS{"shop.yaml": {Data: []byte("languages: [id]\n")}})
	if c != nil || err != nil {
		t.Errorf("Load without catalog.yaml = %v, %v; want nil, nil", c, err)
	}
}

func TestLoadUnreadable(t *testing.T) {
	_, err := Load(fstest.MapFS{File: {Mode: fs.ModeDir}})
	var le *flow.LoadError
	if err == nil || errors.As(err, &le) || !strings.HasPrefix(err.Error(), "read catalog.yaml: ") {
		t.Errorf("Load of a directory = %v, want a wrapped read error", err)
	}
}

// small is a valid catalog the problem tests change.
const small = `items:
  - id: beras
    name: {id: Beras, en: Rice}
    price: 15000
    unit: kg
    aliases: [rice, beras pandan]
  - id: tempe
    name: Tempe
    price: 6000
    unit: papan
delivery:
  pickup: true
payment:
  cod: true
`

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		old  string // replaced in small by new; "" replaces the whole file
		new  string
		want []string // every problem, in order
	}{
		{"yaml syntax", "", "items:\n  - id: [beras\n", []string{"catalog.yaml:2: YAML syntax: did not find expected ',' or ']'"}},
		{"empty file", "", "# nothing yet\n", []string{"catalog.yaml: the file is empty: list the items, delivery and payment"}},
		{"not a mapping", "", "- beras\n", []string{"catalog.yaml:1: catalog.yaml must be a mapping (key: value)"}},
		{"sections missing", "", "itemz: []\n", []string{
			`catalog.yaml:1: unknown key "itemz" in catalog.yaml (did you mean "items"?)`,
			"catalog.yaml:1: missing items: list what the shop sells",
			"catalog.yaml:1: missing delivery: say whether customers pick up (pickup: true) and the fees to deliver",
			"catalog.yaml:1: missing payment: say how customers pay (transfer, qris, cod)"}},
		{"no items", "items:\n  - id: beras", "items: []\nx:\n  - id: beras", []string{
			"catalog.yaml:1: items must be a list of products, each starting with - id:",
			`catalog.yaml:2: unknown key "x" in catalog.yaml (known keys: items, delivery, payment)`}},
		{"duplicate id", "id: tempe", "id: beras", []string{`catalog.yaml:7: item "beras" is already defined (line 2)`}},
		{"bad id", "id: tempe", "id: Tempe Goreng", []string{`catalog.yaml:7: item id "Tempe Goreng": use at most 64 lower-case letters, digits, _ and -`}},
		{"missing id and name", "  - id: tempe\n    name: Tempe\n    price: 6000\n", "  - price: 6000\n", []string{
			"catalog.yaml:7: missing id: give the item a short id, such as id: beras",
			"catalog.yaml:7: item: missing name, such as name: {id: Beras pandan wangi, en: Pandan rice}"}},
		{"key typo and twice", "    price: 6000", "    prise: 6000\n    unit: kg", []string{
			`catalog.yaml:7: item "tempe": missing price, in whole rupiah: price: 15000`,
			`catalog.yaml:9: unknown key "prise" in an item (did you mean "price"?)`,
			`catalog.yaml:11: key "unit" appears twice in an item (first at line 10)`}},
		{"price with dots", "price: 6000", "price: 6.000", []string{`catalog.yaml:9: item "tempe": price "6.000": write a whole number, such as 15000 (no dots, no Rp)`}},
		{"price with Rp", "price: 6000", "price: Rp6.000", []string{`catalog.yaml:9: item "tempe": price "Rp6.000": write a whole number, such as 15000 (no dots, no Rp)`}},
		{"price zero", "price: 6000", "price: 0", []string{`catalog.yaml:9: item "tempe": price must be above 0`}},
		{"negative price", "price: 6000", "price: -6000", []string{`catalog.yaml:9: item "tempe": price must be above 0`}},
		{"unit in chat form", "unit: kg", "unit: kilo", []string{`catalog.yaml:5: item "beras": unit "kilo": write it kg`}},
		{"unknown unit", "unit: kg", "unit: karton", []string{`catalog.yaml:5: item "beras": unknown unit "karton" (known units: kg, ons, gram, liter, ml, butir, papan, ikat, bungkus, loyang, porsi, botol, kotak, sachet, karung, pcs)`}},
		{"a count word is no unit", "unit: papan", "unit: lusin", []string{`catalog.yaml:10: item "tempe": unknown unit "lusin"`}},
		{"unit per language without id", "unit: papan", "unit: {en: tray}", []string{`catalog.yaml:10: item "tempe": unit needs id, the unit's name: {id: papan, en: tray}`}},
		{"unit per language, unknown key", "unit: papan", "unit: {id: papan, jv: blabag}", []string{`catalog.yaml:10: unknown key "jv" in item "tempe": unit (did you mean "id"?)`}},
		{"unit per language, empty", "unit: papan", "unit: {id: papan, en: \"\"}", []string{`catalog.yaml:10: item "tempe": unit (en) is empty`}},
		{"category per language without id", "    unit: papan\n", "    unit: papan\n    category: {en: soy foods}\n", []string{
			`catalog.yaml:11: item "tempe": category needs id, the category's word: {id: sayur, en: vegetables}`}},
		{"category per language, unknown key", "    unit: papan\n", "    unit: papan\n    category: {id: kedelai, jv: dele}\n", []string{
			`catalog.yaml:11: unknown key "jv" in item "tempe": category`}},
		{"category without letters", "    unit: papan\n", "    unit: papan\n    category: \"!!\"\n", []string{
			`catalog.yaml:11: item "tempe": category "!!": want a word of 1 to 40 characters with letters, such as sayur`}},
		{"category's English name empty or too long", "    unit: papan\n", "    unit: papan\n    category:\n      id: kedelai\n      en: " + strings.Repeat("soy ", 11) + "\n", []string{
			`catalog.yaml:13: item "tempe": category (en) "soy soy soy soy soy soy soy soy soy soy soy": want an English name of 1 to 40 characters with letters, such as vegetables`}},
		{"category's English name twice, not the same", "    unit: kg\n    aliases: [rice, beras pandan]\n  - id: tempe\n    name: Tempe\n    price: 6000\n    unit: papan\n",
			"    unit: kg\n    category: {id: pokok, en: staples}\n    aliases: [rice, beras pandan]\n  - id: tempe\n    name: Tempe\n    price: 6000\n    unit: papan\n    category: {id: Pokok, en: basics}\n",
			[]string{`catalog.yaml:12: item "tempe": category "pokok" is named "staples" in English already (line 6)`}},
		{"category's English name is another category's", "    unit: kg\n    aliases: [rice, beras pandan]\n  - id: tempe\n    name: Tempe\n    price: 6000\n    unit: papan\n",
			"    unit: kg\n    category: {id: pokok, en: staples}\n    aliases: [rice, beras pandan]\n  - id: tempe\n    name: Tempe\n    price: 6000\n    unit: papan\n    category: Staples\n",
			[]string{`catalog.yaml:6: category "pokok": its English name "staples" is the word of category "staples"`}},
		{"alias of another item", "    unit: papan\n", "    unit: papan\n    aliases: [tempeh, Beras Pandan]\n", []string{
			`catalog.yaml:11: item "tempe": alias "Beras Pandan" is already a name or alias of item "beras" (line 6)`}},
		{"name of another item", "name: Tempe", "name: {id: Tempe, en: Rice}", []string{
			`catalog.yaml:8: item "tempe": name "Rice" is already a name or alias of item "beras" (line 3)`}},
		{"alias that is a unit or a number", "[rice, beras pandan]", "[rice, kg, \"2\", \"!!\"]", []string{
			`catalog.yaml:6: item "beras": alias "kg" is a unit: customers say it of any item`,
			`catalog.yaml:6: item "beras": alias "2" is a number: customers say it of a quantity`,
			`catalog.yaml:6: item "beras": alias "!!" has no letters or digits to match`}},
		{"available and stock", "    unit: papan\n", "    unit: papan\n    available: yes please\n    stock: 2.5\n", []string{
			`catalog.yaml:11: item "tempe": available must be true or false`,
			`catalog.yaml:12: item "tempe": give available or stock, not both`,
			`catalog.yaml:12: item "tempe": stock 2.5: a papan is sold whole`}},
		{"stock and preorder", "    unit: papan\n", "    unit: papan\n    stock: 20\n    preorder: {closes: 2026-12-20, quota: 30}\n", []string{
			`catalog.yaml:12: item "tempe": give stock or preorder, not both: a pre-order's limit is its quota`}},
		{"bounds", "    unit: papan\n", "    unit: papan\n    min: 5\n    max: 2\n", []string{`catalog.yaml:12: item "tempe": max 2 is below min 5`}},
		{"negative max", "    unit: papan\n", "    unit: papan\n    max: -1\n", []string{`catalog.yaml:11: item "tempe": max must be above 0`}},
		{"unit_required", "    unit: papan\n", "    unit: papan\n    unit_required: sometimes\n", []string{`catalog.yaml:11: item "tempe": unit_required must be true or false`}},
		{"preorder without closes", "    unit: papan\n", "    unit: papan\n    preorder: {quota: 30, dp_percent: 150}\n", []string{
			`catalog.yaml:11: item "tempe": a preorder needs closes: the last day orders are taken (YYYY-MM-DD)`,
			`catalog.yaml:11: item "tempe": preorder dp_percent 150 is over 100`}},
		{"preorder dates", "    unit: papan\n", "    unit: papan\n    preorder:\n      closes: 2026-12-32\n      ready: 20 Desember\n", []string{
			`catalog.yaml:12: item "tempe": preorder closes "2026-12-32" is not a date: write YYYY-MM-DD, such as 2026-12-20`,
			`catalog.yaml:13: item "tempe": preorder ready "20 Desember" is not a date: write YYYY-MM-DD, such as 2026-12-20`}},
		{"preorder ready before it closes", "    unit: papan\n", "    unit: papan\n    preorder: {closes: 2026-12-20, ready: 2026-12-19, quota: 1.5, dp: 50}\n", []string{
			`catalog.yaml:11: unknown key "dp" in item "tempe": preorder (known keys: closes, ready, quota, dp_percent)`,
			`catalog.yaml:11: item "tempe": preorder ready 2026-12-19 is before it closes 2026-12-20`,
			`catalog.yaml:11: item "tempe": preorder quota 1.5: a papan is sold whole`}},
		{"no way to get the order", "  pickup: true", "  pickup: false", []string{
			"catalog.yaml:12: delivery: offer pickup: true, a flat fee or areas, or customers cannot get their order"}},
		{"areas", "  pickup: true", "  flat: -5000\n  free_over: 0\n  areas:\n    - {name: Sleman, fee: 8000, match: [sleman, depok]}\n    - {name: Depok, fee: 9.5, match: [Depok]}\n    - {fee: 1000}", []string{
			`catalog.yaml:12: delivery: flat must be 0 or more`,
			`catalog.yaml:13: delivery: free_over must be above 0`,
			`catalog.yaml:16: delivery area Depok: fee "9.5": write a whole number, such as 15000 (no dots, no Rp)`,
			`catalog.yaml:16: delivery area Depok: "Depok" is already matched by area Sleman`,
			`catalog.yaml:16: delivery area Depok: match lists no place: give the words of addresses in it, such as match: [sleman, ngaglik]`,
			`catalog.yaml:17: delivery area: missing name`,
			`catalog.yaml:17: delivery area: match lists no place: give the words of addresses in it, such as match: [sleman, ngaglik]`}},
		{"no way to pay", "  cod: true", "  cod: false", []string{"catalog.yaml:14: payment: offer a transfer, qris: true or cod: true"}},
		{"transfer", "  cod: true", "  transfer: {bank: BCA, account: 123-ABC}", []string{
			`catalog.yaml:14: payment: transfer: missing name`,
			`catalog.yaml:14: payment: transfer account "123-ABC": write the account number in digits, in quotes: account: "1234567890"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.new
			if tt.old != "" {
				if !strings.Contains(small, tt.old) {
					t.Fatalf("%q is not in the catalog", tt.old)
				}
				text = strings.Replace(small, tt.old, tt.new, 1)
			}
			_, err := Load(fstest.MapFS{File: {Data: []byte(text)}})
			var le *flow.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load = %v, want a *flow.LoadError", err)
			}
			var got []string
			for _, p := range le.Problems {
				got = append(got, p.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d:\n got  %s\n want %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}
