package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/mdp/qrterminal/v3"
	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/channel/whatsapp"
	"github.com/mitra-care/mitra/internal/config"
)

func whatsappCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "whatsapp",
		Short: "Link the shop's WhatsApp number to Mitra, check it, unlink it",
		Long: `Mitra answers on the shop's own WhatsApp number as a linked device, like
WhatsApp Web. The link lives in the device store under MITRA_DATA_DIR
(file ` + whatsapp.DBFile + `): whoever has that file has the number, so keep the
directory private and backed up.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(whatsappPairCmd(), whatsappStatusCmd(), whatsappLogoutCmd())
	return cmd
}

func whatsappPairCmd() *cobra.Command {
	var phone string
	cmd := &cobra.Command{
		Use:   "pair",
		Short: "Link the shop's number by scanning a QR code (or typing a code with --phone)",
		Long: `Link the shop's WhatsApp number to Mitra.

Without flags a QR code is drawn here. On the shop's phone open WhatsApp,
then Settings (or the ⋮ menu) > Linked devices > Link a device, and scan
it. The code changes every 20 seconds or so; after about two and a half
minutes WhatsApp stops offering codes: run the command again.

With --phone 62812... Mitra asks WhatsApp for an 8-character pairing code
instead, for when the phone cannot scan this screen. WhatsApp sends the
phone a notification; type the code there, or under Linked devices >
Link a device > Link with phone number instead.

A newly linked number sends few messages the shop starts for its first
week (the warm-up), then more: see the README.`,
		Example: "  mitra whatsapp pair\n  mitra whatsapp pair --phone 6281234567890",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			phone = strings.TrimPrefix(strings.NewReplacer(" ", "", "-", "").Replace(phone), "+")
			if phone != "" {
				if err := whatsapp.ValidatePhone(phone); err != nil {
					return fmt.Errorf("--phone: %w", err)
				}
			}
			st, err := openWhatsAppStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			out := cmd.OutOrStdout()
			opts := whatsapp.PairOptions{
				Phone: phone,
				OnQR: func(code string, valid time.Duration) {
					if isTerminal(out) {
						fmt.Fprint(out, "\033[H\033[2J") // a fresh screen for each code
					}
					fmt.Fprintln(out, "On the shop's phone: WhatsApp > Settings > Linked devices > Link a device, then scan:")
					fmt.Fprintln(out)
					qrterminal.GenerateHalfBlock(code, qrterminal.L, out)
					fmt.Fprintf(out, "\nThis code is replaced in %s. Press Ctrl+C to stop.\n", valid.Round(time.Second))
				},
				OnCode: func(code string) {
					fmt.Fprintf(out, "Pairing code for +%s:\n\n    %s\n\n", phone, code)
					fmt.Fprintln(out, "WhatsApp sends the phone a notification: tap it and type the code. Or on the phone:")
					fmt.Fprintln(out, "WhatsApp > Settings > Linked devices > Link a device > Link with phone number instead.")
					fmt.Fprintln(out, "The code works for about two minutes. Waiting…")
				},
				OnNotice: func(msg string) { fmt.Fprintln(out, msg) },
			}
			dev, err := st.Pair(cmd.Context(), opts)
			switch {
			case errors.Is(err, whatsapp.ErrPairTimeout):
				return errors.New("no phone was linked in time: the codes ran out. Run `mitra whatsapp pair` again with the phone at hand")
			case errors.Is(err, whatsapp.ErrAlreadyPaired):
				return fmt.Errorf("%w (see `mitra whatsapp status`)", err)
			case err != nil:
				return err
			}
			fmt.Fprintf(out, "\nPaired with +%s", dev.Phone)
			if dev.PushName != "" {
				fmt.Fprintf(out, " (%s)", dev.PushName)
			}
			fmt.Fprintln(out, ".")
			fmt.Fprintln(out, "Start Mitra with `mitra serve`. For its first week the number sends few messages the shop starts (the warm-up).")
			return nil
		},
	}
	cmd.Flags().StringVar(&phone, "phone", "", "pair with a code typed on the phone instead of a QR code: the shop's number with country code, like 6281234567890")
	return cmd
}

func whatsappStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show whether a WhatsApp number is paired, which, and since when",
		Long: `Show whether a WhatsApp number is paired, which, and since when. It reads
the device store only and does not connect, so it is safe while
` + "`mitra serve`" + ` runs; the live connection state is on the status page.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openWhatsAppStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			dev, err := st.Device(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !dev.Paired {
				fmt.Fprintf(out, "Not paired (device store %s).\nRun `mitra whatsapp pair` to link the shop's number.\n", st.Path())
				return nil
			}
			fmt.Fprintf(out, "Paired with +%s\n", dev.Phone)
			if dev.PushName != "" {
				fmt.Fprintf(out, "  name:      %s\n", dev.PushName)
			}
			if dev.BusinessName != "" {
				fmt.Fprintf(out, "  business:  %s\n", dev.BusinessName)
			}
			if dev.Platform != "" {
				fmt.Fprintf(out, "  phone app: %s\n", dev.Platform)
			}
			if !dev.PairedAt.IsZero() {
				days := int(time.Since(dev.PairedAt)/(24*time.Hour)) + 1
				fmt.Fprintf(out, "  since:     %s (day %d)\n", dev.PairedAt.Local().Format("2006-01-02 15:04 MST"), days)
			} else {
				fmt.Fprintln(out, "  since:     unknown (the warm-up starts when Mitra first connects)")
			}
			fmt.Fprintf(out, "  store:     %s\n", st.Path())
			return nil
		},
	}
}

func whatsappLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Unlink the shop's number from Mitra and delete the device",
		Long: `Unlink the shop's number: WhatsApp is told (Mitra disappears from the
phone's Linked devices) and the device is deleted from the store. Stop
` + "`mitra serve`" + ` first: a second connection with the same session ends the
first. When WhatsApp cannot be reached the device is deleted here anyway;
then remove "Mitra" under Linked devices on the phone by hand.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openWhatsAppStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			dev, unlinked, err := st.Logout(cmd.Context())
			if errors.Is(err, whatsapp.ErrNotPaired) {
				fmt.Fprintln(cmd.OutOrStdout(), "Not paired: nothing to log out.")
				return nil
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if unlinked {
				fmt.Fprintf(out, "Logged out +%s and deleted the device.\n", dev.Phone)
			} else {
				fmt.Fprintf(out, "Deleted the device of +%s here, but WhatsApp could not be told.\n", dev.Phone)
				fmt.Fprintln(out, "On the phone: WhatsApp > Settings > Linked devices, tap Mitra and log it out.")
			}
			return nil
		},
	}
}

// openWhatsAppStore reads the configuration like `mitra serve` and opens
// the device store under MITRA_DATA_DIR.
func openWhatsAppStore(cmd *cobra.Command) (*whatsapp.Store, error) {
	cfg, err := config.FromEnv(config.Defaults(), os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	st, err := whatsapp.Open(cmd.Context(), cfg.DataDir, cliLogger(cfg))
	if err != nil {
		return nil, err
	}
	return st, nil
}

// cliLogger keeps whatsmeow's chatter off the terminal while a QR code
// is on it, unless debug logs were asked for.
func cliLogger(cfg config.Config) *slog.Logger {
	level := "warn"
	if cfg.LogLevel == "debug" || cfg.LogLevel == "error" {
		level = cfg.LogLevel
	}
	return app.NewLogger(cfg.LogFormat, level, os.Stderr)
}

// isTerminal reports whether w is a terminal, where the screen may be
// cleared between QR codes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
