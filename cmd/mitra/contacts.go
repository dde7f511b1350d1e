package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisstore"
)

func contactsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "contacts",
		Short: "Look at and manage contacts' records (MITRA_REDIS_URL)",
		Long: "Look at and manage the records Mitra keeps about contacts, in the Redis of MITRA_REDIS_URL.\n\n" +
			"A CONTACT is wa.<number> or tg.<chat id>, as in the logs (whatsapp:<number> and telegram:<id> work too).",
		Args: cobra.NoArgs,
	}
	c.AddCommand(contactsConsentCmd(), contactsImportCmd(), contactsLinkCmd(), contactsDeadCmd())
	return c
}

func contactsDeadCmd() *cobra.Command {
	var n int
	c := &cobra.Command{
		Use:   "dead",
		Short: "List the newest messages that could not be sent, with the platform's reason",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(s *redisstore.Store) error {
				dead, err := s.DeadLetters(cmd.Context(), n)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "AT\tCONTACT\tCLASS\tREASON\tERROR")
				for _, d := range dead {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", d.At.Format(time.RFC3339), d.Contact, d.Class, d.Reason, d.Error)
				}
				return w.Flush()
			})
		},
	}
	c.Flags().IntVarP(&n, "number", "n", 20, "how many, newest last")
	return c
}

// withStore runs fn with the configured store.
func withStore(cmd *cobra.Command, fn func(*redisstore.Store) error) error {
	cfg, err := config.FromEnv(config.Defaults(), os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	store, closeStore, err := app.OpenStore(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	return fn(store)
}

// parseContact reads wa.<id>, tg.<id>, whatsapp:<id> or telegram:<id>.
func parseContact(s string) (care.ContactID, error) {
	if ch, id, ok := strings.Cut(s, ":"); ok {
		a := care.Address{Channel: care.Channel(ch), ID: strings.TrimPrefix(id, "+")}
		if err := a.Validate(); err != nil {
			return "", err
		}
		return a.ContactID(), nil
	}
	id := care.ContactID(s)
	if _, err := id.Address(); err != nil {
		return "", err
	}
	return id, nil
}

func contactsConsentCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "consent CONTACT",
		Short: "Print a contact's consent ledger: every grant and withdrawal with its evidence",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseContact(args[0])
			if err != nil {
				return err
			}
			return withStore(cmd, func(s *redisstore.Store) error {
				c, ok, err := s.Contact(cmd.Context(), id)
				if err != nil {
					return err
				}
				ledger, err := s.Ledger(cmd.Context(), id)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if !ok && len(ledger) == 0 {
					a, _ := id.Address()
					erased, err := s.Suppressed(cmd.Context(), a)
					if err != nil {
						return err
					}
					if !erased.IsZero() {
						return fmt.Errorf("no records of %s: the contact erased their data on %s; only a salted hash is kept", id, erased.Format(time.RFC3339))
					}
					return fmt.Errorf("no records of %s: never seen", id)
				}
				fmt.Fprintf(out, "%s", id)
				if c.Name != "" {
					fmt.Fprintf(out, " (%s)", c.Name)
				}
				fmt.Fprintln(out)
				if c.Unreachable != "" {
					fmt.Fprintf(out, "  unreachable: %s (until they write again)\n", c.Unreachable)
				}
				if c.Blocked {
					fmt.Fprintln(out, "  blocked by the shop")
				}
				for _, p := range care.Purposes {
					state := "not given"
					if st, has := c.Consent[p]; has {
						state = map[bool]string{true: "granted", false: "withdrawn"}[st.Granted] + " " + st.At.Format(time.RFC3339)
					} else if p == care.Orders {
						state = "not withdrawn"
					}
					fmt.Fprintf(out, "  %-11s %s\n", p, state)
				}
				fmt.Fprintf(out, "\nledger (%d events, oldest first):\n", len(ledger))
				for _, e := range ledger {
					printEvent(out, e)
				}
				return nil
			})
		},
	}
}

func printEvent(w io.Writer, e care.ConsentEvent) {
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

func contactsImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Add or update contacts from a CSV file; never grants consent",
		Long: "Add or update contacts from a CSV file with a header row and the columns channel (whatsapp or " +
			"telegram), id (the number with country code, or the chat id), and optionally name, lang, timezone " +
			"(IANA, e.g. Asia/Makassar) and person (one value for the contacts of one person on several channels, " +
			"so caps count across them). Other columns, consent among them, are ignored: promotions need the " +
			"contact's own yes, and an import never gives it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			contacts, err := readContacts(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return withStore(cmd, func(s *redisstore.Store) error {
				for _, c := range contacts {
					if err := s.Import(cmd.Context(), c); err != nil {
						return err
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "imported %d contacts (consent untouched)\n", len(contacts))
				return nil
			})
		},
	}
}

// maxImportRows bounds one import file.
const maxImportRows = 100_000

// readContacts parses an import file, reporting every bad row at once.
func readContacts(r io.Reader) ([]care.Contact, error) {
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
	var out []care.Contact
	var errs []error
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(out) >= maxImportRows {
			return nil, fmt.Errorf("more than %d rows: split the file", maxImportRows)
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
		c := care.Contact{ID: a.ContactID(), Address: a, Name: get("name"), Lang: get("lang"), TimeZone: get("timezone"), Person: get("person")}
		if c.TimeZone != "" {
			if _, err := time.LoadLocation(c.TimeZone); err != nil {
				errs = append(errs, fmt.Errorf("line %d: timezone %q: not a time zone name like Asia/Jakarta", line, c.TimeZone))
				continue
			}
		}
		if strings.ContainsAny(c.Person, "{} ") {
			errs = append(errs, fmt.Errorf("line %d: person %q: no spaces or braces", line, c.Person))
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

func contactsLinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "link PERSON CONTACT...",
		Short: "Mark contacts as one person on several channels, so caps count across them",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			person := args[0]
			if strings.ContainsAny(person, "{} ") {
				return fmt.Errorf("person %q: no spaces or braces", person)
			}
			return withStore(cmd, func(s *redisstore.Store) error {
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				for _, arg := range args[1:] {
					id, err := parseContact(arg)
					if err != nil {
						return err
					}
					a, _ := id.Address()
					if err := s.Import(cmd.Context(), care.Contact{ID: id, Address: a, Person: person}); err != nil {
						return err
					}
					fmt.Fprintf(w, "%s\tis %s\n", id, person)
				}
				return w.Flush()
			})
		},
	}
}
