package catalog

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mitra-care/mitra/internal/flow"
)

// fieldKind is a field of a format order.
type fieldKind uint8

const (
	fieldName fieldKind = iota + 1
	fieldPhone
	fieldAddress
	fieldDelivery
	fieldPayment
	fieldOrder
	fieldNote
)

// fieldWords are the words of a format order's keys, by field, in the
// order they are tried: "No HP/WA" is a phone, "Alamat penerima" an
// address, "Nama barang" the order, "Nama penerima" a name, "Metode
// pembayaran" a payment.
var fieldWords = []struct {
	kind  fieldKind
	words []string
}{
	{fieldPhone, []string{"hp", "wa", "telp", "tlp", "telpon", "telepon", "phone", "handphone", "whatsapp", "kontak", "contact", "nohp", "nowa", "mobile"}},
	{fieldAddress, []string{"alamat", "almt", "address"}},
	{fieldOrder, []string{"pesanan", "pesan", "pesenan", "order", "orderan", "list", "daftar", "item", "items", "produk", "barang", "belanja", "belanjaan"}},
	{fieldName, []string{"nama", "name"}},
	{fieldPayment, []string{"pembayaran", "bayar", "payment", "pay"}},
	{fieldDelivery, []string{"pengiriman", "kirim", "dikirim", "delivery", "ambil", "diambil", "pickup", "antar", "diantar", "ekspedisi", "kurir"}},
	{fieldNote, []string{"catatan", "note", "notes", "keterangan", "ket"}},
}

// field splits a format order's line "Key: value", or reports false for
// a line that is not one ("Beras: 5 kg" is an item).
func field(line string) (fieldKind, string, bool) {
	key, val, ok := strings.Cut(line, ":")
	if !ok {
		return 0, "", false
	}
	words := strings.Fields(flow.Normalize(key))
	if len(words) == 0 || len(words) > 4 {
		return 0, "", false
	}
	for _, w := range words {
		if w[0] >= '0' && w[0] <= '9' {
			return 0, "", false
		}
	}
	if addressMarker.MatchString(key) {
		// "Kirim ke: Jl. Mawar 5".
		return fieldAddress, strings.TrimSpace(val), true
	}
	for _, f := range fieldWords {
		for _, w := range words {
			for _, fw := range f.words {
				if w == fw {
					return f.kind, strings.TrimSpace(val), true
				}
			}
		}
	}
	return 0, "", false
}

// field takes the value of a format order's field.
func (r *reader) field(key fieldKind, val string) {
	switch key {
	case fieldName:
		r.p.Name = trimTail(val)
	case fieldPhone:
		if d := digits(val); len(d) >= 8 {
			r.p.Phone = d
		}
	case fieldAddress:
		if h := handoverOf(flow.Words(val), true); h == pickup {
			r.handover(pickup)
		} else if a := trimTail(val); flow.Normalize(a) != "" {
			r.p.Address = a
			r.handover(deliver)
		}
	case fieldDelivery:
		r.handover(handoverOf(flow.Words(val), true))
	case fieldPayment:
		if p := paymentOf(flow.Words(val)); p != "" {
			r.p.Payment = p
		}
	case fieldOrder:
		r.free(val)
	case fieldNote:
		r.p.Note = strings.TrimSpace(val)
	}
}

var (
	// listMarker starts a line of a list: "1. ", "2) ", "- ", "• ".
	listMarker = regexp.MustCompile(`^\s*(?:\d{1,2}[.)]|[-*•·>])\s+`)
	// phoneNumber is an Indonesian mobile number: 0812..., +62 812-...
	phoneNumber = regexp.MustCompile(`(?:\+\s?62|\b62|\b0)\s?8(?:[\s.-]?\d){7,11}\b`)
	// addressMarker comes before an address in a sentence.
	addressMarker = regexp.MustCompile(`(?i)\b(?:(?:di)?(?:kirim(?:kan|in)?|antar(?:kan|in)?|anter(?:in)?)\s+ke(?:\s+alamat)?|alamat(?:nya)?(?:\s+(?:kirim|pengiriman|lengkap|lengkapnya|saya|rumah))?(?:\s+di)?|(?:deliver(?:ed)?|send|ship)(?:\s+(?:it|them|this|everything))?\s+to|(?:my\s+)?address(?:\s+is)?)\s*[:=]?\s*`)
	// addressAfterVerb is the "ke" or "to" before an address after the
	// order it is for: "kirim minyak 2 liter ke rumah, jl. sawo 4",
	// "send 10 rice packs to my office at ...".
	addressAfterVerb = regexp.MustCompile(`(?i)\b(?:(?:di)?(?:kirim(?:kan|in)?|antar(?:kan|in)?|anter(?:in)?)|send|deliver|ship)\b[^.!?\n]*?\s((?:ke|to)\s+)`)
	// addressEnd ends an address in a sentence: what follows is about
	// something else.
	addressEnd = regexp.MustCompile(`(?i)[!?]|[,.]?\s+(?:atas\s+nama|a\.n\.?|a/n|bayar|pembayaran|transfer|tf|cod|qris|makasih|terima\s*kasih|thanks|thank\s+you|thx|ditunggu|nanti|besok|jam|pukul|sama|dan|and|tolong|mohon|ongkir|total|pesan|pesanan|order)\b`)
	// nameMarker comes before the customer's name in a sentence.
	nameMarker = regexp.MustCompile(`(?i)(?:\batas\s+nama|\ba\.n\.|\ba/n|\bnama\s+saya|\bmy\s+name\s+is)\s*:?\s*`)
)

// free reads a line of free text.
func (r *reader) free(line string) {
	line = listMarker.ReplaceAllString(line, "")
	if m := phoneNumber.FindStringIndex(line); m != nil {
		r.p.Phone = digits(line[m[0]:m[1]])
		line = line[:m[0]] + " " + line[m[1]:]
	}
	m := addressMarker.FindStringIndex(line)
	if m == nil {
		if v := addressAfterVerb.FindStringSubmatchIndex(line); v != nil {
			m = v[2:4]
		}
	}
	if m != nil {
		rest := line[m[1]:]
		end := len(rest)
		if e := addressEndAt(rest); e >= 0 {
			end = e
		}
		if a := trimTail(rest[:end]); a != "" && !question(a) && !restIsFiller(flow.Words(a)) {
			r.p.Address = a
			r.handover(deliver)
			line = line[:m[0]] + " . " + rest[end:]
		}
	}
	if m := nameMarker.FindStringIndex(line); m != nil {
		n, end := r.name(line[m[1]:])
		if n != "" {
			r.p.Name = n
			line = line[:m[0]] + " . " + line[m[1]+end:]
		}
	}
	for _, seg := range r.c.segments(line) {
		r.segment(seg)
	}
}

// addressEndAt returns where an address that starts s ends: at a word
// that begins something else, or at a full stop that is not an
// abbreviation's ("Jl.", "No.", "Gg."); -1 at the end of s.
func addressEndAt(s string) int {
	end := -1
	if m := addressEnd.FindStringIndex(s); m != nil {
		end = m[0]
	}
	for i := 0; i < len(s) && (end < 0 || i < end); i++ {
		if s[i] != '.' || i+1 < len(s) && s[i+1] != ' ' {
			continue
		}
		j := i
		for j > 0 && isLetter(s[j-1]) {
			j--
		}
		if !abbreviations[strings.ToLower(s[j:i])] {
			return i
		}
	}
	return end
}

// abbreviations end in a full stop in addresses.
var abbreviations = map[string]bool{
	"jl": true, "jln": true, "no": true, "gg": true, "rt": true, "rw": true, "kel": true, "kec": true,
	"kab": true, "ds": true, "dsn": true, "perum": true, "komp": true, "blk": true, "kav": true, "lt": true,
	"prov": true, "kp": true, "kpg": true, "dk": true, "st": true, "rd": true, "ave": true,
}

// question reports whether an address is a question about one instead
// ("alamatnya di mana?"). An address of filler only ("kirim rekapnya ke
// saya") is none either.
func question(a string) bool {
	for _, w := range flow.Words(a) {
		switch w {
		case "mana", "where", "berapa", "apa", "apakah", "bagaimana", "how":
			return true
		}
	}
	return false
}

// trimTail drops what ends a sentence after an address or a name:
// punctuation, emoji and politeness ("ya kak", "makasih").
func trimTail(s string) string {
	for {
		s = strings.TrimRightFunc(s, func(c rune) bool {
			return !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != ')'
		})
		i := strings.LastIndexFunc(s, func(c rune) bool { return !unicode.IsLetter(c) })
		_, size := utf8.DecodeRuneInString(s[max(i, 0):])
		if i < 0 || !tail[strings.ToLower(s[i+size:])] {
			return strings.TrimSpace(s)
		}
		s = s[:i+size]
	}
}

// tail are the words that end a sentence without saying anything.
var tail = map[string]bool{
	"ya": true, "yaa": true, "yah": true, "kak": true, "ka": true, "kk": true, "min": true, "gan": true,
	"sis": true, "bu": true, "pak": true, "mas": true, "mbak": true, "dong": true, "deh": true, "ok": true,
	"oke": true, "makasih": true, "thanks": true, "thx": true, "tq": true, "please": true, "pls": true,
	"nggih": true, "aja": true, "saja": true, "sekarang": true, "segera": true, "terima": true,
	"kasih": true, "thank": true, "you": true,
}

// name reads a name after "atas nama": up to four words, to a comma or
// a word that is about the order. It returns the name and where it
// ends in s.
func (r *reader) name(s string) (string, int) {
	end, words := 0, 0
	for i := 0; i < len(s) && words < 4; {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != ',' && s[j] != '.' {
			j++
		}
		w := flow.Normalize(s[i:j])
		if w == "" || r.c.index[w].items != nil || unitSays[w] != nil || filler[w] && !honorifics[w] || digits(w) != "" {
			break
		}
		end, words, i = j, words+1, j
		if i < len(s) && (s[i] == ',' || s[i] == '.') {
			break
		}
	}
	return strings.TrimSpace(s[:end]), end
}

// honorifics may start a name: "atas nama Bu Sari".
var honorifics = wordSet("bu ibu pak bapak mas mbak mba kak bang om")

// digits returns the digits of s.
func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// segments splits free text into the parts one item is ordered in, at
// punctuation and at words that join items ("dan", "sama", "and"). A
// part is its words as flow.Words makes them; a number written in
// digits is read whole first, since flow.Words would split "1,5" in two:
// "1,5" and "1.5" are 1.5, "1.000" is 1000, "1/2" and "½" are 0.5.
func (c *Catalog) segments(s string) [][]string {
	var segs [][]string
	var cur []string
	start := 0 // of the text not yet read into cur
	words := func(end int) {
		if start < end {
			cur = append(cur, flow.Words(s[start:end])...)
		}
	}
	cut := func() {
		for len(cur) > 0 {
			i := 0
			for i < len(cur) && !connectors[cur[i]] {
				i++
			}
			if i > 0 {
				segs = append(segs, cur[:i:i])
			}
			if i == len(cur) {
				break
			}
			cur = cur[i+1:]
		}
		cur = nil
	}
	for i := 0; i < len(s); {
		ch, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isDigit(s[i]) && !c.doubled(s, i):
			words(i)
			n, l := readNumber(s[i:])
			cur = append(cur, n)
			i += l
			start = i
			continue
		case fractionRunes[ch] != "":
			words(i)
			cur = append(cur, fractionRunes[ch])
			start = i + size
		case strings.ContainsRune(",;+&/!?()[]|•·\n.", ch) ||
			ch == '-' && i > 0 && s[i-1] == ' ' && i+1 < len(s) && s[i+1] == ' ':
			words(i)
			cut()
			start = i + size
		}
		i += size
	}
	words(len(s))
	cut()
	return segs
}

// doubled reports whether the digit at s[i] is a 2 that doubles the
// word before it ("masing2", "apa2"), which flow.Words reads, rather
// than a number ("beras2kg"). A product's name is never doubled:
// "tempe2" is two tempe.
func (c *Catalog) doubled(s string, i int) bool {
	if s[i] != '2' || i+1 < len(s) && (isDigit(s[i+1]) || isLetter(s[i+1])) {
		return false
	}
	j := i
	for j > 0 && isLetter(s[j-1]) {
		j--
	}
	_, product := c.index[strings.ToLower(s[j:i])]
	return j < i && !product
}

// fractionRunes are the fractions written in one character.
var fractionRunes = map[rune]string{'½': "0.5", '¼': "0.25", '¾': "0.75"}

// connectors join the items of a list.
var connectors = map[string]bool{
	"dan": true, "sama": true, "serta": true, "plus": true, "terus": true, "lalu": true,
	"juga": true, "tambah": true, "and": true, "also": true, "atau": true, "or": true,
	"ganti": true, "diganti": true, "instead": true,
}

// readNumber reads the number that starts s: digits, with a decimal
// comma or point ("1,5", "2.25"), thousands separators ("1.000",
// "10,000") or a fraction ("1/2"). It returns the number as a word and
// the bytes read.
func readNumber(s string) (string, int) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	whole := s[:i]
	if i+1 < len(s) && s[i] == '/' && isDigit(s[i+1]) {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		a, _ := strconv.ParseFloat(whole, 64)
		b, _ := strconv.ParseFloat(s[i+1:j], 64)
		if b > 0 {
			return strconv.FormatFloat(a/b, 'f', -1, 64), j
		}
		return whole, i
	}
	// Groups of three after a separator are thousands; one or two
	// digits are a decimal part.
	for i+1 < len(s) && (s[i] == '.' || s[i] == ',') && isDigit(s[i+1]) {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		switch j - i - 1 {
		case 3:
			whole += s[i+1 : j]
			i = j
			continue
		case 1, 2:
			v, _ := strconv.ParseFloat(whole+"."+s[i+1:j], 64)
			return strconv.FormatFloat(v, 'f', -1, 64), j
		}
		break
	}
	v, _ := strconv.ParseFloat(whole, 64)
	return strconv.FormatFloat(v, 'f', -1, 64), i
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
