package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/channel/whatsapp"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/flow"
	"github.com/mitra-care/mitra/internal/optin"
)

func optinLinkCmd() *cobra.Command {
	var phone, bot, text, dir string
	var size int
	c := &cobra.Command{
		Use:   "optin-link",
		Short: "Print the opt-in links for promotions and write them as QR codes",
		Long: "Print the links a shop shares so customers can ask for promotions themselves, and write each " +
			"as a QR code PNG (optin-whatsapp.png, optin-telegram.png) for the counter or social media.\n\n" +
			"The WhatsApp link opens a chat with the shop's number and the text MULAI PROMO typed in; the " +
			"Telegram link opens the bot with a Start button. Either way the customer then gets the opt-in " +
			"question and only their YA subscribes them.\n\n" +
			"Without --whatsapp the paired number is used (MITRA_DATA_DIR).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if k, _ := flow.Keyword(text); k != flow.KeywordStart {
				return fmt.Errorf("--text %q is not an opt-in keyword (START, MULAI, MULAI PROMO…): the link would not ask the question", text)
			}
			if phone == "" {
				phone = pairedNumber(cmd)
			}
			links, err := optin.Links(phone, bot, text)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, l := range links {
				path, err := optin.WriteQR(l, dir, size)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%-9s %s\n          QR code: %s\n", l.Channel, l.URL, path)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&phone, "whatsapp", "", "the shop's WhatsApp number with the country code, like 6281234567890")
	f.StringVar(&bot, "telegram", "", "the Telegram bot's username, like toko_sari_bot")
	f.StringVar(&text, "text", "MULAI PROMO", "what the WhatsApp link types in: an opt-in keyword")
	f.StringVar(&dir, "out", ".", "directory for the QR code PNGs")
	f.IntVar(&size, "size", 768, "QR code size in pixels")
	return c
}

// pairedNumber is the WhatsApp number paired in MITRA_DATA_DIR, or "".
func pairedNumber(cmd *cobra.Command) string {
	cfg, err := config.FromEnv(config.Defaults(), os.Getenv)
	if err != nil {
		return ""
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, whatsapp.DBFile)); errors.Is(err, os.ErrNotExist) {
		return "" // never paired: do not create a store here
	}
	st, err := whatsapp.Open(cmd.Context(), cfg.DataDir, nil)
	if err != nil {
		return ""
	}
	defer st.Close()
	d, err := st.Device(cmd.Context())
	if err != nil || !d.Paired {
		return ""
	}
	return d.Phone
}
