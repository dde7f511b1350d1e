package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// staffCmd is `mitra staff`; opts change the accounts' store (tests
// lower the bcrypt cost).
func staffCmd(opts ...redisstore.StaffOption) *cobra.Command {
	c := &cobra.Command{
		Use:   "staff",
		Short: "Manage the staff accounts that log in to the console (MITRA_REDIS_URL)",
		Long: "Manage the accounts of the shop's owner and staff, kept in the Redis of MITRA_REDIS_URL. " +
			"They log in at /login with the account's name and password; programs use a token from `mitra staff token`.\n\n" +
			"A NAME is 1 to 32 letters, digits, '.', '_' or '-', the same in any case. A password has at least 10 characters.",
		Args: cobra.NoArgs,
	}
	with := func(cmd *cobra.Command, fn func(*redisstore.Staff) error) error {
		return withStore(cmd, func(s *redisstore.Store) error { return fn(s.Staff(opts...)) })
	}
	c.AddCommand(staffAddCmd(with), staffListCmd(with), staffRemoveCmd(with), staffResetCmd(with), staffTokenCmd(with), staffLinkCmd())
	return c
}

// staffRunner runs fn with the configured staff accounts.
type staffRunner func(cmd *cobra.Command, fn func(*redisstore.Staff) error) error

func staffAddCmd(withStaff staffRunner) *cobra.Command {
	var role string
	var fromStdin bool
	c := &cobra.Command{
		Use:   "add NAME",
		Short: "Add an account; the password is asked twice, or read from stdin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := care.StaffKey(args[0]); err != nil {
				return err
			}
			r := care.StaffRole(role)
			if !r.Valid() {
				return fmt.Errorf("--role must be %s or %s, not %q", care.RoleOwner, care.RoleStaff, role)
			}
			password, err := readPassword(cmd, fromStdin)
			if err != nil {
				return err
			}
			return withStaff(cmd, func(st *redisstore.Staff) error {
				a, err := st.AddStaff(cmd.Context(), args[0], r, password)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "added %s (%s); they log in at /login\n", a.Name, a.Role)
				return nil
			})
		},
	}
	c.Flags().StringVar(&role, "role", string(care.RoleStaff), "owner (runs the shop: accounts, settings) or staff (answers customers)")
	c.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of asking")
	return c
}

func staffListCmd(withStaff staffRunner) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStaff(cmd, func(st *redisstore.Staff) error {
				list, err := st.StaffAccounts(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(list)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "NAME\tROLE\tCREATED\tPASSWORD SET")
				for _, a := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.Name, a.Role, a.Created.Format(time.RFC3339), a.PasswordChanged.Format(time.RFC3339))
				}
				return w.Flush()
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func staffRemoveCmd(withStaff staffRunner) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an account: its sessions end and its tokens are revoked",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStaff(cmd, func(st *redisstore.Staff) error {
				if err := st.RemoveStaff(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s: logged out everywhere, tokens revoked\n", args[0])
				return nil
			})
		},
	}
}

func staffResetCmd(withStaff staffRunner) *cobra.Command {
	var fromStdin bool
	c := &cobra.Command{
		Use:   "reset-password NAME",
		Short: "Set a new password: the account is logged out everywhere, its tokens stay",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := care.StaffKey(args[0]); err != nil {
				return err
			}
			password, err := readPassword(cmd, fromStdin)
			if err != nil {
				return err
			}
			return withStaff(cmd, func(st *redisstore.Staff) error {
				if err := st.SetStaffPassword(cmd.Context(), args[0], password); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "new password set for %s; they are logged out everywhere\n", args[0])
				return nil
			})
		},
	}
	c.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of asking")
	return c
}

func staffTokenCmd(withStaff staffRunner) *cobra.Command {
	var label, revoke string
	var list bool
	c := &cobra.Command{
		Use:   "token NAME",
		Short: "Make an API token for an account (printed once), or list or revoke its tokens",
		Long: "Make a bearer token for the JSON API under /api/v1/, acting for the account: programs send it as " +
			"\"Authorization: Bearer <token>\". It is printed once, alone on stdout; Mitra keeps only its hash. " +
			"With --list, list the account's tokens; with --revoke ID, revoke one.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStaff(cmd, func(st *redisstore.Staff) error {
				ctx, name := cmd.Context(), args[0]
				switch {
				case list:
					tokens, err := st.StaffTokens(ctx, name)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "ID\tCREATED\tLABEL")
					for _, t := range tokens {
						fmt.Fprintf(w, "%s\t%s\t%s\n", t.ID, t.Created.Format(time.RFC3339), t.Label)
					}
					return w.Flush()
				case revoke != "":
					if err := st.RevokeStaffToken(ctx, name, revoke); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s of %s\n", revoke, name)
					return nil
				}
				t, secret, err := st.CreateStaffToken(ctx, name, label)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "Token %s for %s, shown only now: keep it secret. `mitra staff token %s --revoke %s` revokes it.\n", t.ID, t.Account, name, t.ID)
				fmt.Fprintln(cmd.OutOrStdout(), secret)
				return nil
			})
		},
	}
	c.Flags().StringVar(&label, "label", "", "where the token is used, to tell tokens apart in --list")
	c.Flags().BoolVar(&list, "list", false, "list the account's tokens")
	c.Flags().StringVar(&revoke, "revoke", "", "revoke the account's token with this ID")
	c.MarkFlagsMutuallyExclusive("label", "list", "revoke")
	return c
}

func staffLinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "link NAME",
		Short: "Make a one-time code that links the account's own Telegram or WhatsApp chat, for alerts",
		Long: "Make a code of 6 digits, valid for 15 minutes and once, that links the chat it is sent from to the account. " +
			"The staff member sends LINK and the code to the shop's bot from their own Telegram or WhatsApp (on Telegram, " +
			"t.me/<bot>?start=link-<code> does it too); the bot answers \"Terhubung sebagai NAME\". The chat then gets " +
			"alerts about conversations waiting for staff, with a button or a KLAIM code to take each. An account links " +
			"one chat per channel; a new link replaces the old, and UNLINK in the chat ends it. Five wrong codes from a " +
			"chat lock it out for an hour.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(s *redisstore.Store) error {
				code, expires, err := s.StaffLinkCode(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%s sends this to the shop's bot from their own Telegram or WhatsApp before %s (once):\n",
					args[0], expires.Local().Format("15:04"))
				fmt.Fprintf(cmd.OutOrStdout(), "LINK %s\n", code)
				return nil
			})
		},
	}
}

// readPassword reads a new password: the first line of stdin with
// --password-stdin, otherwise typed twice at the terminal without echo.
// It refuses one that care.CheckStaffPassword refuses, before Redis is
// asked anything.
func readPassword(cmd *cobra.Command, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && (!errors.Is(err, io.EOF) || line == "") {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		password := strings.TrimRight(line, "\r\n")
		return password, care.CheckStaffPassword(password)
	}
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("stdin is not a terminal: type the password at one, or pipe it with --password-stdin")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		return string(b), nil
	}
	password, err := ask("Kata sandi baru (new password): ")
	if err != nil {
		return "", err
	}
	if err := care.CheckStaffPassword(password); err != nil {
		return "", err
	}
	again, err := ask("Ulangi kata sandi (again): ")
	if err != nil {
		return "", err
	}
	if again != password {
		return "", errors.New("the two passwords differ; nothing changed")
	}
	return password, nil
}
