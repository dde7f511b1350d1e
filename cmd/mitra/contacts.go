package main

import (
	"errors"
	"fmt"
	"io/fs"
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
	c.AddCommand(contactsConsentCmd(), contactsImportCmd(), contactsExportCmd(), contactsLinkCmd(), contactsDeadCmd())
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
	return withConfigStore(cmd, func(_ config.Config, s *redisstore.Store) error { return fn(s) })
}

// withConfigStore runs fn with the configuration and its store.
func withConfigStore(cmd *cobra.Command, fn func(config.Config, *redisstore.Store) error) error {
	cfg, err := config.FromEnv(config.Defaults(), os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	store, closeStore, err := app.OpenStore(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	return fn(cfg, store)
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
		Short: "Add or update contacts from a spreadsheet's CSV file; never grants consent",
		Long: "Add or update contacts from a CSV file as Excel, Google Sheets or WhatsApp Business write it " +
			"(UTF-8 with or without a byte-order mark, comma or semicolon separators, quoted fields, CRLF). " +
			"The header row names the columns channel (whatsapp or telegram) and id (a phone number as people " +
			"write it: 0812-3456-7891 gets the country code of MITRA_DEFAULT_COUNTRY, +62 812 3456 7891 and " +
			"(0812) 3456-7891 work too; a Telegram chat id), and optionally name, lang (a language of the flows), " +
			"timezone (IANA like Asia/Makassar, or WIB, WITA, WIT), tags (separated by ; or |, added to the " +
			"contact's) and person (one label for the rows of one person on several channels: they become one " +
			"contact). A bad row is skipped with its line and reason and the others are imported. A consent " +
			"column is ignored: promotions need the contact's own yes, and an import never gives it. A person " +
			"who erased their data comes back only as a new contact with none of the old records.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withConfigStore(cmd, func(cfg config.Config, s *redisstore.Store) error {
				set, err := app.LoadFlows(cfg.FlowsDir)
				if err != nil {
					return fmt.Errorf("flows are not valid, fix them first:\n%w", err)
				}
				in, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer in.Close()
				file, err := roster.ReadCSV(in, roster.Options{Country: cfg.DefaultCountry, Langs: set.Languages()})
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				sum, err := roster.Import(cmd.Context(), s, file)
				if err == nil {
					_, err = s.Sweep(cmd.Context(), nil)
				}
				sum.Print(cmd.OutOrStdout())
				return err
			})
		},
	}
}

func contactsExportCmd() *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "export",
		Short: "List every contact, or write them to a CSV file for a spreadsheet (--csv)",
		Long: "List every contact: id, name, addresses, language, tags, consent per purpose with when it last " +
			"changed, first seen and last message, in the shop's time zone. With --csv FILE they go to a new " +
			"file (readable by its owner alone) instead, one row a contact. The records of people are the " +
			"owner's to keep safe: this is a command of the server, not of the console.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withConfigStore(cmd, func(cfg config.Config, s *redisstore.Store) error {
				if file == "" {
					n := 0
					err := s.EachContact(cmd.Context(), func(c care.Contact) error {
						n++
						return roster.PrintListed(cmd.OutOrStdout(), c, cfg.TimeZone)
					})
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "contacts listed: %d\n", n)
					return nil
				}
				n, err := exportCSV(cmd, s, file, cfg.TimeZone)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "contacts written to %s: %d\n", file, n)
				return nil
			})
		},
	}
	c.Flags().StringVar(&file, "csv", "", "write the contacts to this new CSV file instead")
	return c
}

// exportCSV writes every contact to a new file, readable by its owner
// alone, and removes it again when the export fails halfway.
func exportCSV(cmd *cobra.Command, s *redisstore.Store, name string, loc *time.Location) (n int, err error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("export: %s exists; an export never writes over a file", name)
	}
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(name) // a partial export is worse than none
		}
	}()
	w, err := roster.NewCSVWriter(f, loc)
	if err != nil {
		return 0, err
	}
	err = s.EachContact(cmd.Context(), func(c care.Contact) error {
		n++
		return w.Write(c)
	})
	if err != nil {
		return 0, err
	}
	return n, w.Flush()
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
