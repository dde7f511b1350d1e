// Package roster reads and writes the shop's contact records as people
// handle them: an import file of contacts from a spreadsheet, an export
// of them, a consent ledger as evidence. The CLI only wires it.
package roster

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

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
		state, at := consentState(c, p)
		if !at.IsZero() {
			state += " " + at.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "  %-11s %s\n", p, state)
	}
}

// consentState is where the contact's consent for p stands in words
// (granted, withdrawn, not given, or for orders not withdrawn) and when
// it last changed, zero if never.
func consentState(c care.Contact, p care.Purpose) (string, time.Time) {
	st, has := c.Consent[p]
	switch {
	case has && st.Granted:
		return "granted", st.At
	case has:
		return "withdrawn", st.At
	case p == care.Orders:
		return "not withdrawn", time.Time{}
	}
	return "not given", time.Time{}
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
