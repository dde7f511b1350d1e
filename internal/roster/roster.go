// Package roster reads and prints the shop's contact records as people
// handle them: an import file of contacts, a consent ledger as evidence,
// the list of messages that could not be sent. The CLI only wires it.
package roster

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Row is one contact of an import file.
type Row struct {
	Address care.Address
	// Name, Lang and TimeZone fill the profile where given.
	Name, Lang, TimeZone string
	// Person is a label the file gives to the rows of one person on
	// several channels: they become one contact.
	Person string
}

// MaxRows bounds one import file.
const MaxRows = 100_000

// ReadCSV parses an import file with a header row and the columns
// channel (whatsapp or telegram) and id (the number with country code,
// or the chat id), and optionally name, lang, timezone and person. Other
// columns, consent among them, are ignored: an import never grants
// consent. Every bad row is reported at once, by line.
func ReadCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["channel"]; !ok {
		return nil, errors.New("header: no channel column")
	}
	if _, ok := col["id"]; !ok {
		return nil, errors.New("header: no id column")
	}
	var out []Row
	var errs []error
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(out) >= MaxRows {
			return nil, fmt.Errorf("more than %d rows: split the file", MaxRows)
		}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		a := care.Address{Channel: care.Channel(strings.ToLower(get("channel"))), ID: strings.TrimPrefix(get("id"), "+")}
		if err := a.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		row := Row{Address: a, Name: get("name"), Lang: get("lang"), TimeZone: get("timezone"), Person: get("person")}
		if row.TimeZone != "" {
			if _, err := time.LoadLocation(row.TimeZone); err != nil {
				errs = append(errs, fmt.Errorf("line %d: timezone %q: not a time zone name like Asia/Jakarta", line, row.TimeZone))
				continue
			}
		}
		out = append(out, row)
	}
	return out, errors.Join(errs...)
}

// People groups the rows that name one person: each group's addresses,
// for rows with a person label shared by more than one row.
func People(rows []Row) [][]care.Address {
	byPerson := map[string][]care.Address{}
	var order []string
	for _, r := range rows {
		if r.Person == "" {
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

// PrintContact writes a contact's profile and current consent.
func PrintContact(w io.Writer, c care.Contact) {
	fmt.Fprintf(w, "%s", c.ID)
	if c.Name != "" {
		fmt.Fprintf(w, " (%s)", c.Name)
	}
	fmt.Fprintln(w)
	for _, a := range c.Addresses {
		fmt.Fprintf(w, "  %-11s %s\n", a.Channel, a.ID)
		if why := c.Unreachable[a.Channel]; why != "" {
			fmt.Fprintf(w, "  %-11s unreachable: %s (until they write again)\n", "", why)
		}
	}
	if c.Blocked {
		fmt.Fprintln(w, "  blocked by the shop")
	}
	if !c.Erasing.IsZero() {
		fmt.Fprintf(w, "  erasing their data since %s\n", c.Erasing.Format(time.RFC3339))
	}
	for _, p := range care.Purposes {
		state := "not given"
		if st, has := c.Consent[p]; has {
			state = map[bool]string{true: "granted", false: "withdrawn"}[st.Granted] + " " + st.At.Format(time.RFC3339)
		} else if p == care.Orders {
			state = "not withdrawn"
		}
		fmt.Fprintf(w, "  %-11s %s\n", p, state)
	}
}

// PrintLedger writes a consent ledger, oldest first, with its evidence.
func PrintLedger(w io.Writer, ledger []care.ConsentEvent) {
	fmt.Fprintf(w, "\nledger (%d events, oldest first):\n", len(ledger))
	for _, e := range ledger {
		verb := "WITHDRAWN"
		if e.Granted {
			verb = "GRANTED"
		}
		fmt.Fprintf(w, "- %s %s %s via %s on %s", e.At.Format(time.RFC3339), e.Purpose, verb, e.Source, e.Channel)
		if e.By != "" {
			fmt.Fprintf(w, " by %s", e.By)
		}
		fmt.Fprintln(w)
		if e.MessageID != "" || e.Text != "" {
			fmt.Fprintf(w, "    message %s: %q\n", e.MessageID, e.Text)
		}
		if e.Question != "" {
			fmt.Fprintf(w, "    question (version %s):\n", e.Version)
			for _, line := range strings.Split(e.Question, "\n") {
				fmt.Fprintf(w, "      | %s\n", line)
			}
		}
	}
}
