package roster

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/mitra-care/mitra/internal/care"
)

// exportHeader names the columns of an export file.
var exportHeader = []string{"id", "name", "whatsapp", "telegram", "lang", "timezone", "tags",
	"orders", "orders_changed", "promotions", "promotions_changed", "first_seen", "last_message"}

// CSVWriter writes contacts as the rows of an export file, one at a
// time, for a spreadsheet: UTF-8 with a byte-order mark (so Excel does
// not take it for another encoding), times in the shop's time zone
// (RFC 3339), several addresses of one channel separated by spaces,
// tags by "; ".
type CSVWriter struct {
	w   *csv.Writer
	loc *time.Location
}

// NewCSVWriter writes the header row to w and returns the writer of the
// rows; loc is the shop's time zone.
func NewCSVWriter(w io.Writer, loc *time.Location) (*CSVWriter, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, fmt.Errorf("export header: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader); err != nil {
		return nil, fmt.Errorf("export header: %w", err)
	}
	return &CSVWriter{w: cw, loc: loc}, nil
}

// Write adds the contact's row.
func (x *CSVWriter) Write(c care.Contact) error {
	rec := []string{string(c.ID), cell(c.Name), addressesOn(c, care.WhatsApp), addressesOn(c, care.Telegram),
		c.Lang, c.TimeZone, cell(strings.Join(c.Tags, "; "))}
	for _, p := range care.Purposes {
		state, at := consentState(c, p)
		rec = append(rec, state, x.time(at))
	}
	rec = append(rec, x.time(c.FirstSeen), x.time(c.LastInbound))
	if err := x.w.Write(rec); err != nil {
		return fmt.Errorf("export %s: %w", c.ID, err)
	}
	return nil
}

// Flush writes out what is buffered and reports any error of writing.
func (x *CSVWriter) Flush() error {
	x.w.Flush()
	if err := x.w.Error(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

func (x *CSVWriter) time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(x.loc).Format(time.RFC3339)
}

// PrintListed writes the contact as one line of a listing: id, name,
// addresses, language, tags, consent with the day it last changed,
// first seen and last message, days in the shop's time zone loc.
func PrintListed(w io.Writer, c care.Contact, loc *time.Location) error {
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(loc).Format(time.DateOnly)
	}
	var b strings.Builder
	b.WriteString(string(c.ID))
	if c.Name != "" {
		fmt.Fprintf(&b, " (%s)", printable(c.Name))
	}
	for _, a := range c.Addresses {
		fmt.Fprintf(&b, "  %s", a)
	}
	if c.Lang != "" {
		fmt.Fprintf(&b, "  lang %s", c.Lang)
	}
	if len(c.Tags) > 0 {
		fmt.Fprintf(&b, "  tags %s", printable(strings.Join(c.Tags, ", ")))
	}
	for _, p := range care.Purposes {
		state, at := consentState(c, p)
		fmt.Fprintf(&b, "  %s %s", p, state)
		if !at.IsZero() {
			fmt.Fprintf(&b, " %s", day(at))
		}
	}
	fmt.Fprintf(&b, "  first seen %s  last message %s\n", day(c.FirstSeen), day(c.LastInbound))
	_, err := io.WriteString(w, b.String())
	return err
}

// printable drops the control characters of a text a person wrote, so
// it cannot move the cursor or recolour the terminal it is listed on.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// addressesOn lists the contact's ids on channel ch, separated by
// spaces.
func addressesOn(c care.Contact, ch care.Channel) string {
	var ids []string
	for _, a := range c.Addresses {
		if a.Channel == ch {
			ids = append(ids, a.ID)
		}
	}
	return strings.Join(ids, " ")
}

// cell keeps a text a person or the shop wrote from being taken for a
// formula by a spreadsheet that opens the file: one starting with = + -
// @ or a control character gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r\n", rune(s[0])) {
		return "'" + s
	}
	return s
}
