package main

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/roster"
)

func contactsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "contacts",
		Short: "Look at and manage contacts' records (MITRA_REDIS_URL)",
		Long: "Look at and manage the records Mitra keeps about contacts, in the Redis of MITRA_REDIS_URL.\n\n" +
			"A CONTACT is a contact id (c…, as in the logs and the audit) or an address: whatsapp:<number> or telegram:<chat id>.",
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
					what := string(d.Class)
					if what == "" {
						what = "-"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", d.At.Format(time.RFC3339), d.Contact, what, d.Reason, d.Error)
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

// findContact reads a contact id (c…, as in the logs and the audit) or
// an address (whatsapp:<number>, telegram:<chat id>) and returns the
// contact's id.
func findContact(cmd *cobra.Command, s *redisstore.Store, arg string) (care.ContactID, error) {
	if id := care.ContactID(arg); id.Validate() == nil {
		return id, nil
	}
	a, err := care.ParseAddress(arg)
	if err != nil {
		return "", fmt.Errorf("%q: want a contact id (c…) or whatsapp:<number> or telegram:<chat id>", arg)
	}
	id, ok, err := s.Lookup(cmd.Context(), a)
	if err != nil {
		return "", err
	}
	if !ok {
		erased, err := s.Suppressed(cmd.Context(), a)
		if err != nil {
			return "", err
		}
		if !erased.IsZero() {
			return "", fmt.Errorf("no records of %s: the contact erased their data on %s; only a salted hash is kept", arg, erased.Format(time.RFC3339))
		}
		return "", fmt.Errorf("no records of %s: never seen", arg)
	}
	return id, nil
}

func contactsConsentCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "consent CONTACT",
		Short: "Print a contact's consent ledger: every grant and withdrawal with its evidence",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(s *redisstore.Store) error {
				id, err := findContact(cmd, s, args[0])
				if err != nil {
					return err
				}
				c, ok, err := s.Contact(cmd.Context(), id)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("no records of %s", args[0])
				}
				ledger, err := s.Ledger(cmd.Context(), c.ID)
				if err != nil {
					return err
				}
				roster.PrintContact(cmd.OutOrStdout(), c)
				roster.PrintLedger(cmd.OutOrStdout(), ledger)
				return nil
			})
		},
	}
}

func contactsImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Add or update contacts from a CSV file; never grants consent",
		Long: "Add or update contacts from a CSV file with a header row and the columns channel (whatsapp or " +
			"telegram), id (the number with country code, or the chat id), and optionally name, lang, timezone " +
			"(IANA, e.g. Asia/Makassar) and person (one label for the rows of one person on several channels: " +
			"they become one contact). Other columns, consent among them, are ignored: promotions need the " +
			"contact's own yes, and an import never gives it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rows, err := roster.ReadCSV(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return withStore(cmd, func(s *redisstore.Store) error {
				for _, r := range rows {
					if _, err := s.Import(cmd.Context(), r.Address, care.Contact{Name: r.Name, Lang: r.Lang, TimeZone: r.TimeZone}); err != nil {
						return err
					}
				}
				people := roster.People(rows)
				for _, person := range people {
					for _, a := range person[1:] {
						if _, err := s.Link(cmd.Context(), person[0], a); err != nil {
							return err
						}
					}
				}
				if _, err := s.Sweep(cmd.Context(), nil); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "imported %d addresses, %d people on several channels (consent untouched)\n", len(rows), len(people))
				return nil
			})
		},
	}
}

func contactsLinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "link ADDRESS ADDRESS...",
		Short: "Mark addresses as one person: consent, opt-out, caps and erasure then cover all of them",
		Long: "Mark addresses (whatsapp:<number>, telegram:<chat id>) as one person. Their contacts merge into " +
			"the first one's: consent (whichever was given or withdrawn last), ledger, transcript, queued " +
			"messages and the promotion cap. A STOP on any of them then stops promotions on all.",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addrs := make([]care.Address, len(args))
			for i, arg := range args {
				a, err := care.ParseAddress(arg)
				if err != nil {
					return err
				}
				addrs[i] = a
			}
			return withStore(cmd, func(s *redisstore.Store) error {
				var id care.ContactID
				for _, a := range addrs[1:] {
					var err error
					if id, err = s.Link(cmd.Context(), addrs[0], a); err != nil {
						return err
					}
				}
				if _, err := s.Sweep(cmd.Context(), nil); err != nil {
					return err
				}
				c, _, err := s.Contact(cmd.Context(), id)
				if err != nil {
					return err
				}
				roster.PrintContact(cmd.OutOrStdout(), c)
				return nil
			})
		},
	}
}
