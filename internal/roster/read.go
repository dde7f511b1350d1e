package roster

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mitra-care/mitra/internal/care"
)

// Row is one contact of an import file.
type Row struct {
	// Line is where the row starts in the file, for what is said of it.
	Line    int
	Address care.Address
	// Name, Lang and TimeZone fill the profile where given.
	Name, Lang, TimeZone string
	// Tags are labels for broadcast audiences, added to the contact's.
	Tags []string
	// Person is a label the file gives to the rows of one person on
	// several channels: they become one contact.
	Person string
}

// Options say how to read an import file.
type Options struct {
	// Country is the calling code that takes the place of a local
	// number's leading 0 (MITRA_DEFAULT_COUNTRY).
	Country string
	// Langs are the languages a row may name: the flows'.
	Langs []string
}

// Skip is a row left out of an import, and why.
type Skip struct {
	Line   int
	Reason string
}

// String renders s as "line N: reason".
func (s Skip) String() string { return fmt.Sprintf("line %d: %s", s.Line, s.Reason) }

// File is what an import file holds: the rows to import, the rows left
// out and what was ignored of it.
type File struct {
	Rows    []Row
	Skipped []Skip
	// Warnings name what is ignored, such as a consent column.
	Warnings []string
}

// MaxRows bounds one import file.
const MaxRows = 100_000

// Bounds of the tags of one row.
const (
	maxTags   = 20
	maxTagLen = 40
)

// ReadCSV reads an import file as spreadsheets write it: UTF-8 with or
// without a byte-order mark, fields separated by commas or semicolons
// (whichever the header line has more of), quoted or not, lines ending
// in CRLF or LF. The header names the columns channel (whatsapp or
// telegram) and id, and optionally name, lang, timezone, person and
// tags, in any order and case. A bad row is left out with its line and
// reason and the rest is read; blank rows are passed over. A consent
// column is ignored with a warning: consent comes only from the person.
// The error is for a file that cannot be read at all.
func ReadCSV(r io.Reader, opt Options) (File, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(2); err == nil && (string(b) == "\xff\xfe" || string(b) == "\xfe\xff") {
		return File{}, errors.New(`the file is UTF-16 text (Excel's "Unicode Text"): save it as "CSV UTF-8"`)
	}
	first, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return File{}, fmt.Errorf("header: %w", err)
	}
	first = strings.TrimPrefix(first, "\uFEFF")
	if strings.TrimSpace(first) == "" {
		return File{}, errors.New("header: the first line is empty; it must name the columns, like channel,id,name")
	}
	if strings.Contains(strings.TrimSuffix(first, "\r\n"), "\r") {
		return File{}, errors.New(`lines end in a carriage return alone (Excel's "CSV (Macintosh)"): save the file as "CSV UTF-8"`)
	}
	cr := csv.NewReader(io.MultiReader(strings.NewReader(first), br))
	cr.Comma = separator(first)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return File{}, fmt.Errorf("header: %w", err)
	}
	col, warnings := columns(header)
	for _, need := range []string{"channel", "id"} {
		if _, ok := col[need]; !ok {
			return File{}, fmt.Errorf("header: no %s column (the columns are %s)", need, strings.Join(header, ", "))
		}
	}
	f := File{Warnings: warnings}
	rows := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			if pe.StartLine != pe.Line {
				return File{}, fmt.Errorf("line %d: a quote opened here runs on to line %d: %w", pe.StartLine, pe.Line, pe.Err)
			}
			f.Skipped = append(f.Skipped, Skip{Line: pe.StartLine, Reason: quoteProblem(pe.Err)})
			continue
		}
		if err != nil {
			return File{}, fmt.Errorf("read: %w", err)
		}
		if blank(rec) {
			continue
		}
		if rows++; rows > MaxRows {
			return File{}, fmt.Errorf("more than %d rows: split the file", MaxRows)
		}
		line, _ := cr.FieldPos(0)
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row, err := parseRow(get, opt)
		if err != nil {
			f.Skipped = append(f.Skipped, Skip{Line: line, Reason: err.Error()})
			continue
		}
		row.Line = line
		f.Rows = append(f.Rows, row)
	}
}

// quoteProblem says what a spreadsheet user can do about a quote the
// CSV reader refused.
func quoteProblem(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a " inside a field that does not start with one: quote the whole field and double the quote ("Toko ""Maju""")`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted field must end with a " right before the separator: double a quote inside it ("")`
	}
	return err.Error()
}

// separator is ';' when the header line has more semicolons than commas
// outside quotes (Excel's CSV where the decimal mark is a comma, as in
// Indonesia), else ','.
func separator(header string) rune {
	commas, semicolons, quoted := 0, 0, false
	for _, r := range header {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == ',':
			commas++
		case r == ';':
			semicolons++
		}
	}
	if semicolons > commas {
		return ';'
	}
	return ','
}

// columns maps each column the header names to its index, the first
// where a name comes twice, and warns of the columns it ignores.
func columns(header []string) (map[string]int, []string) {
	col := map[string]int{}
	var warnings []string
	for i, h := range header {
		name := column(h)
		switch {
		case name == "" && consentColumn(h):
			warnings = append(warnings, fmt.Sprintf("column %q ignored: an import never grants consent; promotions wait for each person's own YA", h))
		case name == "":
			warnings = append(warnings, fmt.Sprintf("column %q ignored: not channel, id, name, lang, timezone, person or tags", h))
		case hasColumn(col, name):
			warnings = append(warnings, fmt.Sprintf("column %q ignored: a %s column comes before it", h, name))
		default:
			col[name] = i
		}
	}
	return col, warnings
}

func hasColumn(col map[string]int, name string) bool {
	_, ok := col[name]
	return ok
}

// column is the column a header cell names, "" for none: case, spaces,
// '_' and '-' aside, so "Time Zone" is timezone.
func column(h string) string {
	switch squash(h) {
	case "channel":
		return "channel"
	case "id":
		return "id"
	case "name":
		return "name"
	case "lang", "language":
		return "lang"
	case "timezone", "tz":
		return "timezone"
	case "person":
		return "person"
	case "tags", "tag":
		return "tags"
	}
	return ""
}

// consentColumn reports whether a header cell names consent, in the
// words shops use for it.
func consentColumn(h string) bool {
	s := squash(h)
	for _, w := range []string{"consent", "promo", "optin", "subscri", "marketing", "setuju", "izin"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// squash lower-cases s and drops spaces, '_' and '-'.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}

// blank reports whether every field of rec is empty, as in the trailing
// ";;;;" rows spreadsheets write.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// parseRow checks one row's fields and reports all of its problems.
func parseRow(get func(string) string, opt Options) (Row, error) {
	var problems []string
	bad := func(err error) { problems = append(problems, err.Error()) }
	for _, k := range []string{"channel", "id", "name", "lang", "timezone", "person", "tags"} {
		if !utf8.ValidString(get(k)) {
			return Row{}, fmt.Errorf(`%s is not UTF-8 text: save the file as "CSV UTF-8"`, k)
		}
	}
	row := Row{Name: get("name"), Person: get("person")}
	ch, err := channel(get("channel"))
	if err != nil {
		bad(err)
	}
	var id string
	switch ch {
	case care.WhatsApp:
		id, err = phoneNumber(get("id"), opt.Country)
	case care.Telegram:
		id, err = chatID(get("id"))
	}
	if err != nil && ch != "" {
		bad(err)
	}
	row.Address = care.Address{Channel: ch, ID: id}
	if v := get("lang"); v != "" {
		row.Lang = strings.ToLower(v)
		if !slices.Contains(opt.Langs, row.Lang) {
			bad(fmt.Errorf("language %q: the flows speak %s", v, strings.Join(opt.Langs, ", ")))
		}
	}
	if v := get("timezone"); v != "" {
		if row.TimeZone, err = timeZone(v); err != nil {
			bad(err)
		}
	}
	if row.Tags, err = tags(get("tags")); err != nil {
		bad(err)
	}
	if len(problems) > 0 {
		return Row{}, errors.New(strings.Join(problems, "; "))
	}
	return row, nil
}

// channel reads a channel's name or its short form (wa, tg).
func channel(s string) (care.Channel, error) {
	switch strings.ToLower(s) {
	case "whatsapp", "wa":
		return care.WhatsApp, nil
	case "telegram", "tg":
		return care.Telegram, nil
	case "":
		return "", errors.New("no channel: want whatsapp or telegram")
	}
	return "", fmt.Errorf("channel %q: want whatsapp or telegram", s)
}

// phoneNumber returns the WhatsApp id of a phone number as people write
// it: +62 812-3456-7891, 62 812 3456 7891, (0812) 3456.7891. A local
// number, with a leading 0, gets the calling code country in place of
// it; a 0 written after the calling code (+62 (0)812…) is dropped. A
// number without + or 0 must start with country: 812… could be a local
// number whose 0 a spreadsheet dropped as well as a number of Japan.
func phoneNumber(s, country string) (string, error) {
	if s == "" {
		return "", errors.New("no number")
	}
	if scientific(s) {
		return "", fmt.Errorf("number %q was turned into a number in scientific notation by the spreadsheet: format the column as text and export again", s)
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '\u00a0', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", fmt.Errorf("number %q: a phone number holds digits, spaces, - . ( ) and a leading + only (one number a row)", s)
		}
	}
	d := b.String()
	switch {
	case d == "":
		return "", fmt.Errorf("number %q has no digits", s)
	case strings.HasPrefix(s, "+"):
	case strings.HasPrefix(d, "00"):
		return "", fmt.Errorf("number %q starts with 00: write another country's number with + and its calling code", s)
	case strings.HasPrefix(d, "0"):
		d = country + d[1:]
	case !strings.HasPrefix(d, country):
		return "", fmt.Errorf("number %q has no + and no leading 0: write a local number with its 0 (0812…) and another country's with + (+65 …); a spreadsheet may have dropped the 0, so format the column as text", s)
	}
	if rest, ok := strings.CutPrefix(d, country+"0"); ok {
		d = country + rest
	}
	switch {
	case d[0] == '0':
		return "", fmt.Errorf("number %q: no calling code starts with 0", s)
	case len(d) < 8 || len(d) > 15:
		return "", fmt.Errorf("number %q has %d digits with its calling code; a phone number has 8 to 15", s, len(d))
	case strings.HasPrefix(d, "62") && (len(d) < 10 || len(d) > 14):
		return "", fmt.Errorf("number %q: an Indonesian number has 8 to 12 digits after 62, this one %d", s, len(d)-2)
	}
	return d, nil
}

// scientific reports whether s is a number a spreadsheet wrote in
// scientific notation, like 6.28123E+12 or 6,28123E+12: its digits are
// lost.
func scientific(s string) bool {
	mant, exp, ok := strings.Cut(strings.ToUpper(strings.ReplaceAll(s, ",", ".")), "E+")
	if !ok {
		return false
	}
	_, errM := strconv.ParseFloat(mant, 64)
	_, errE := strconv.Atoi(exp)
	return errM == nil && errE == nil
}

// chatID returns a Telegram chat id: a person's is a positive number.
func chatID(s string) (string, error) {
	if s == "" {
		return "", errors.New("no chat id")
	}
	if scientific(s) {
		return "", fmt.Errorf("chat id %q was turned into a number in scientific notation by the spreadsheet: format the column as text and export again", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return "", fmt.Errorf("telegram id %q is not a chat id (a number): a @username cannot be messaged; the bot learns the chat id when the person writes to it", s)
	case n <= 0:
		return "", fmt.Errorf("telegram id %q is a group's, not a person's chat", s)
	}
	return strconv.FormatInt(n, 10), nil
}

// timeZone reads an IANA name, or WIB, WITA or WIT, Indonesia's zones.
func timeZone(s string) (string, error) {
	switch strings.ToUpper(s) {
	case "WIB":
		return "Asia/Jakarta", nil
	case "WITA":
		return "Asia/Makassar", nil
	case "WIT":
		return "Asia/Jayapura", nil
	}
	if _, err := time.LoadLocation(s); err != nil || s == "Local" {
		return "", fmt.Errorf("timezone %q: not a time zone name like Asia/Jakarta (or WIB, WITA, WIT)", s)
	}
	return s, nil
}

// tags splits a tags cell at ';' or '|' into lower-case tags, each once.
func tags(s string) ([]string, error) {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' }) {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "" || slices.Contains(out, t):
			continue
		case utf8.RuneCountInString(t) > maxTagLen:
			return nil, fmt.Errorf("tag %q: longer than %d characters", t, maxTagLen)
		}
		out = append(out, t)
	}
	if len(out) > maxTags {
		return nil, fmt.Errorf("%d tags: at most %d a contact", len(out), maxTags)
	}
	return out, nil
}

// People groups the rows that name one person: each group's addresses,
// each once, for person labels that name more than one address.
func People(rows []Row) [][]care.Address {
	byPerson := map[string][]care.Address{}
	var order []string
	for _, r := range rows {
		if r.Person == "" || slices.Contains(byPerson[r.Person], r.Address) {
			continue
		}
		if _, ok := byPerson[r.Person]; !ok {
			order = append(order, r.Person)
		}
		byPerson[r.Person] = append(byPerson[r.Person], r.Address)
	}
	var out [][]care.Address
	for _, p := range order {
		if len(byPerson[p]) > 1 {
			out = append(out, byPerson[p])
		}
	}
	return out
}
