package catalog

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mitra-care/mitra/internal/care"
)

// mentionKind is what a run of words in a segment is.
type mentionKind uint8

const (
	mItem    mentionKind = iota + 1 // an item or a category
	mQty                            // a quantity
	mUnknown                        // words that are neither, nor filler
)

// mention is a run of words of a segment.
type mention struct {
	kind  mentionKind
	entry          // mItem: what it names
	q     *qty     // mQty
	words []string // mUnknown: its words
	said  string   // the words as written, normalized
	// wanted: unknown words right after an order verb ("mau pesan
	// berass").
	wanted bool
}

// qty is a quantity a customer wrote: 2, "dua kilo", "setengah liter".
type qty struct {
	n    float64
	unit *unit // nil when none was said
	said string
}

// segment reads the part of a sentence one item or a few are ordered
// in.
func (r *reader) segment(words []string) {
	r.handover(handoverOf(words, false))
	if p := paymentOf(words); p != "" {
		r.p.Payment = p
	}
	var ms []mention
	each, cancel, verb := false, false, false
	unknownEnd := -2 // the index of the last unknown word read
	for i := 0; i < len(words); {
		w := words[i]
		if n, e := r.c.lookup(words[i:]); n > 0 && !(n == 1 && knowing(words, i)) {
			ms = append(ms, mention{kind: mItem, entry: e, said: strings.Join(words[i:i+n], " ")})
			i += n
			continue
		}
		if q, n := readQty(words, i); n > 0 {
			if q != nil {
				ms = append(ms, mention{kind: mQty, q: q})
			}
			i += n
			continue
		}
		k := len(ms) - 1
		switch {
		case w == "masing" || w == "each":
			each = true
		case cancelAt(words, i):
			cancel = true
		case orderVerbs[w]:
			verb = true
		case unitSays[w] != nil && k > 0 && ms[k].kind == mItem && ms[k-1].kind == mQty && ms[k-1].q.unit == nil:
			// "3 tempeh blocks": the unit of the number before.
			ms[k-1].q.unit = unitSays[w]
			ms[k-1].q.said += " " + w
		case filler[w] || unitSays[w] != nil || connectors[w]:
		case unknownEnd == i-1 && ms[k].kind == mUnknown:
			ms[k].words = append(ms[k].words, w)
			ms[k].said += " " + w
			unknownEnd = i
		default:
			ms = append(ms, mention{kind: mUnknown, words: []string{w}, said: w, wanted: verb && (k < 0 || ms[k].kind == mUnknown)})
			unknownEnd = i
		}
		i++
	}
	if cancel {
		for _, m := range ms {
			if m.kind == mItem && len(m.items) == 1 {
				r.p.Cancel = append(r.p.Cancel, r.c.items[m.items[0]].ID)
			}
		}
		return
	}
	for _, w := range pair(ms) {
		if w.m.kind == mUnknown && w.q == nil {
			if w.m.wanted {
				r.loose = append(r.loose, w.m)
			}
			continue
		}
		w.each = each
		r.wants = append(r.wants, w)
	}
}

// pair matches the quantities of a segment with the items they are of.
// Customers write both "beras 5kg" and "5kg beras", so both directions
// are tried and the one that gives more items a quantity wins (item
// first on a tie, the commoner in chat); words in between that are not
// items ("beras 5kg yang pandan") do not separate them. An unknown word
// takes a quantity next to it, to be asked about ("telr 2 kg").
func pair(ms []mention) []want {
	best, bestItems, bestAll := []want(nil), -1, -1
	for _, itemFirst := range []bool{true, false} {
		ws, items, all := pairIn(ms, itemFirst)
		if items > bestItems || items == bestItems && all > bestAll {
			best, bestItems, bestAll = ws, items, all
		}
	}
	return best
}

// pairIn pairs in one direction, then pairs what is left in the other
// ("beras 5 kg 2 kg telur"). It returns the wants in the order of the
// segment, and how many items and mentions were paired.
func pairIn(ms []mention, itemFirst bool) ([]want, int, int) {
	with := make([]int, len(ms)) // index+1 of the mention each is paired with
	items, all := 0, 0
	link := func(a, b int) {
		with[a], with[b] = b+1, a+1
		all++
		if ms[a].kind == mItem || ms[b].kind == mItem {
			items++
		}
	}
	leads := []mentionKind{mItem, mQty}
	if !itemFirst {
		leads = []mentionKind{mQty, mItem}
	}
	for pass, lead := range leads {
		for i := range ms {
			if ms[i].kind == lead && with[i] == 0 {
				if j := partner(ms, with, i); j >= 0 {
					link(i, j)
				}
			}
		}
		if pass > 0 {
			break
		}
		// Unknown words take only a quantity right next to them.
		for i := range ms {
			if ms[i].kind != mUnknown || with[i] != 0 {
				continue
			}
			for _, j := range []int{i + 1, i - 1} {
				if j >= 0 && j < len(ms) && ms[j].kind == mQty && with[j] == 0 {
					link(i, j)
					break
				}
			}
		}
	}
	var ws []want
	for i, m := range ms {
		switch j := with[i] - 1; {
		case j < 0 && m.kind == mQty:
			ws = append(ws, want{q: m.q})
		case j < 0:
			ws = append(ws, want{m: m})
		case m.kind != mQty:
			ws = append(ws, want{m: m, q: ms[j].q})
		}
	}
	return ws, items, all
}

// partner finds the mention after i that i pairs with: for an item the
// next quantity, for a quantity the next item, skipping unknown words
// but no other item or quantity; -1 when there is none.
func partner(ms []mention, with []int, i int) int {
	for j := i + 1; j < len(ms); j++ {
		switch {
		case ms[j].kind == mUnknown:
			continue
		case ms[j].kind != ms[i].kind && with[j] == 0:
			return j
		}
		return -1
	}
	return -1
}

// lookup finds the longest name, alias or category at the start of
// words, and returns how many words it takes. A word stretched by one
// letter ("telurr", "tahuu") is read without it.
func (c *Catalog) lookup(words []string) (int, entry) {
	for n := min(c.longest, len(words)); n > 0; n-- {
		if e, ok := c.index[strings.Join(words[:n], " ")]; ok {
			return n, e
		}
	}
	w := words[0]
	if n := len(w); n >= 4 && w[n-1] == w[n-2] {
		if e, ok := c.index[w[:n-1]]; ok {
			return 1, e
		}
	}
	return 0, entry{}
}

// knowing reports whether the word at i is the verb "tahu" (to know)
// rather than the product: "gak tau", "mau tahu harganya".
func knowing(words []string, i int) bool {
	if words[i] != "tahu" {
		return false
	}
	if i > 0 {
		switch words[i-1] {
		case "tidak", "belum", "ingin", "biar", "supaya", "agar", "kasih", "sudah", "cari", "pengen":
			return true
		}
	}
	if i+1 < len(words) {
		switch words[i+1] {
		case "harga", "berapa", "apa", "kapan", "bagaimana", "di", "kalau", "info", "stok", "ongkir", "alamat", "cara", "soal", "tentang":
			return true
		}
	}
	return false
}

// readQty reads a quantity at words[i]: a number, a fraction after it
// ("satu setengah", "sekilo setengah"), its unit ("2 kg", "half a
// kilo"), "sepapan", "a dozen", "x2". It returns the words read: 0 when
// there is no number; some with a nil qty for a number that is not a
// quantity (a time, a price, an address number, days or people).
func readQty(words []string, i int) (*qty, int) {
	w := words[i]
	next := func(j int) string {
		if j < len(words) {
			return words[j]
		}
		return ""
	}
	switch {
	case (w == "per" || w == "tiap" || w == "setiap") && unitSays[next(i+1)] != nil:
		// "Rp15.000 per kg": a price's unit.
		return nil, 2
	case (w == "a" || w == "an") && unitSays[next(i+1)] != nil:
		return newQty(1, unitSays[next(i+1)], words[i:i+2]), 2
	case len(w) > 4 && w[:2] == "se" && unitSays[w[2:]] != nil:
		// "sepapan", "seloyang": flow.Words splits "sekilo" but not these.
		return newQty(1, unitSays[w[2:]], words[i:i+1]), 1
	case w == "x" && isNumber(next(i+1)):
		n, _ := strconv.ParseFloat(next(i+1), 64)
		return newQty(n, nil, words[i:i+2]), 2
	case !isNumber(w):
		return nil, 0
	}
	n, _ := strconv.ParseFloat(w, 64)
	j := i + 1
	if f, ok := fraction(next(j)); ok && n == float64(int64(n)) {
		n, j = n+f, j+1
	}
	if (next(j) == "a" || next(j) == "an") && unitSays[next(j+1)] != nil {
		j++
	}
	u := unitSays[next(j)]
	if u != nil {
		j++
		if f, ok := fraction(next(j)); ok && n == float64(int64(n)) {
			n, j = n+f, j+1
		}
	} else if next(j) == "x" {
		j++ // "tempe 2x"
	}
	switch {
	case i > 0 && notQtyBefore[words[i-1]], u == nil && notQtyAfter[next(j)], u == nil && n >= 10000:
		return nil, j - i
	}
	return newQty(n, u, words[i:j]), j - i
}

func newQty(n float64, u *unit, said []string) *qty {
	return &qty{n: n, unit: u, said: strings.Join(said, " ")}
}

// isNumber reports whether w is a number as flow.Words and segments
// write them: digits, maybe with a decimal point.
func isNumber(w string) bool {
	if w == "" || !isDigit(w[0]) {
		return false
	}
	_, err := strconv.ParseFloat(w, 64)
	return err == nil
}

// fraction reads a fraction below one: "0.5" from "setengah".
func fraction(w string) (float64, bool) {
	if !isNumber(w) {
		return 0, false
	}
	f, _ := strconv.ParseFloat(w, 64)
	return f, f > 0 && f < 1
}

// notQtyBefore are the words after which a number is not a quantity:
// "jam 10", "no 5", "rt 3", "Rp 15000".
var notQtyBefore = wordSet("jam pukul tanggal tgl no nomor rt rw blok gang gg lantai kamar rp harga jl jalan km kode pin meja umur ongkir total bayar")

// notQtyAfter are the words before which a number with no unit is not
// a quantity: "20 rb", "2 hari", "10 orang", "5k".
var notQtyAfter = wordSet("rb ribu k rp rupiah jt juta ribuan hari menit jam minggu bulan tahun orang pm am wib pagi siang sore malam persen km")

// orderVerbs say that a message orders something.
var orderVerbs = wordSet("mau pesan pesanan order beli minta ingin buy want get need ambil")

// filler are the words around an order that name nothing: verbs of
// ordering, pronouns, greetings, particles, times.
var filler = wordSet(`mau pesan pesanan order orderan beli membeli minta tolong mohon ingin saya kami kita
	juga saja yang untuk buat ada masih stok apa itu ini lagi dulu sudah belum bisa boleh halo hai hallo hi
	selamat pagi siang sore malam permisi assalamualaikum assalamualaikum ass wr wb makasih oke ok okay sip
	siap nggih iya yes jadi total semua jumlah harga berapa kirim dikirim kirimi antar diantar anter dianter
	ambil diambil sendiri nanti besok sekarang hari lusa tadi kemarin segera cepat ke di dari pada atas
	dengan pakai eh hmm kak kakak ka kk min mimin gan agan sis sist bu pak mas mbak mba bang om dong donk ya
	yah deh sih nih kok lho loh tuh kan lah nya please pls plz plis haha hehe wkwk ibu bapak
	i want would like to buy get need some of the a an me my we our can could have hello hey thanks thank
	you just only deliver delivery send pickup pick up it them is are be will let lets kindly today
	tomorrow for with total please x kiloan eceran lagi tidak usah perlu jangan kasih terima
	rekap aku gue order ordering orders pesen pesenan ya udah oh bayar transfer qris cod cash tunai ditempat
	tempat tahun bulan minggu jam menit tanya sini situ sana`)

// wordSet makes a set of the words of s.
func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// cancelAt reports whether the words at i take an item back: "tidak
// jadi", "batal", "cancel", "tidak usah" (but "tidak usah dikirim"
// is about delivery).
func cancelAt(words []string, i int) bool {
	next := func(j int) string {
		if j < len(words) {
			return words[j]
		}
		return ""
	}
	switch words[i] {
	case "batal", "batalkan", "dibatalkan", "cancel":
		return true
	case "tidak":
		switch next(i + 1) {
		case "jadi":
			return true
		case "usah", "perlu":
			return !deliverWords[next(i+2)] && !pickupStart(next(i+2))
		}
	}
	return false
}

// deliverWords say that the order is to be delivered.
var deliverWords = wordSet("dikirim kirim kirimi diantar antar anter dianter antarkan diantarkan deliver delivered delivery send ship")

// nonDelivery are the things "kirim" sends that are not the order:
// "kirim nomor rekening", "kirim rekapnya".
var nonDelivery = wordSet("nomor rekening foto bukti qris kode total rekap invoice harga info pesan link struk gambar daftar menu katalog")

// pickupStart reports whether w starts a pickup ("ambil sendiri").
func pickupStart(w string) bool { return w == "ambil" || w == "diambil" || w == "pickup" }

// places after "ambil di" or "ambil ke" that are the shop.
var shopPlaces = wordSet("toko warung tempat sana situ lokasi kios")

// handoverOf tells delivery or pickup from the words of a sentence,
// the last said winning. In a format order's field ("Pengiriman:
// ambil") a bare "ambil" is a pickup.
func handoverOf(words []string, inField bool) handover {
	h := unsaid
	at := func(j int) string {
		if j >= 0 && j < len(words) {
			return words[j]
		}
		return ""
	}
	for i, w := range words {
		switch {
		case w == "diambil" && at(i-1) != "tidak",
			w == "ambil" && (at(i+1) == "sendiri" || inField || restIsFiller(words[i+1:])),
			w == "ambil" && (at(i+1) == "di" || at(i+1) == "ke") && shopPlaces[at(i+2)],
			w == "pickup" || w == "collect" || w == "takeaway" || w == "take" && at(i+1) == "away",
			w == "pick" && (at(i+1) == "up" || at(i+2) == "up"),
			(w == "tidak" || w == "jangan") && (deliverWords[at(i+1)] || (at(i+1) == "usah" || at(i+1) == "perlu") && deliverWords[at(i+2)]):
			h = pickup
		case deliverWords[w] && !slices.Contains([]string{"tidak", "usah", "perlu", "jangan"}, at(i-1)) && !nonDelivery[at(i+1)]:
			h = deliver
		}
	}
	return h
}

// restIsFiller reports whether words are all filler: "nanti saya
// ambil ya" ends with ambil, "saya ambil 2 kg" does not.
func restIsFiller(words []string) bool {
	for _, w := range words {
		if !filler[w] {
			return false
		}
	}
	return true
}

// paymentOf tells the way to pay a sentence names, the last winning.
func paymentOf(words []string) care.PaymentMethod {
	var p care.PaymentMethod
	for i, w := range words {
		switch {
		case w == "transfer":
			p = care.MethodTransfer
		case w == "qris":
			p = care.MethodQRIS
		case w == "cod" || w == "cash" || w == "tunai" || w == "ditempat",
			w == "bayar" && i+2 < len(words) && words[i+1] == "di" && words[i+2] == "tempat":
			p = care.MethodCOD
		}
	}
	return p
}

// suggest returns the items whose names or aliases are a typo away from
// the words ("telr" for telur, "minyk goreng" for minyak goreng),
// closest first. The words are taken together: "ayam goreng" is not a
// typo of bayam.
func (c *Catalog) suggest(words []string) []string {
	type hit struct {
		item, d int
	}
	var hits []hit
	said := strings.Join(words, " ")
	for key, e := range c.index {
		if len(e.items) == 1 && near(said, key) {
			hits = append(hits, hit{e.items[0], distance(said, key)})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return a.item - b.item
	})
	var out []string
	for _, h := range hits {
		if id := c.items[h.item].ID; !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// near reports whether a is a typo of b: one letter wrong in words of
// four letters or more (a letter missing or extra in four, any in five),
// two in seven or more. "sari" is not "sawi", "telr" is "telur".
func near(a, b string) bool {
	la, lb := len(a), len(b)
	if min(la, lb) < 4 || la-lb > 2 || lb-la > 2 {
		return false
	}
	switch d := distance(a, b); {
	case d == 1:
		return la != lb || la >= 5
	case d == 2:
		return min(la, lb) >= 7
	}
	return false
}

// distance is the number of letters added, dropped, changed or swapped
// with the next that turn a into b (optimal string alignment).
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
