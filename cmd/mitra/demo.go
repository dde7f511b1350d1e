package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/demo"
)

func demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Try Mitra with nothing installed: in-memory Redis, shipped flows, the chat simulator",
		Long: "Try Mitra with nothing installed. An in-memory Redis stands in for a real one, so " +
			"nothing is kept when it stops. Open the printed URL to chat as a customer, and log in to the staff " +
			"console as the owner demo with the printed password (a new one each run).\n\n" +
			"MITRA_HTTP_ADDR (default 127.0.0.1:8080), MITRA_FLOWS_DIR, MITRA_LANG and MITRA_LOG_* are read too.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base := config.Defaults()
			base.Simulator = true
			getenv := func(name string) string {
				switch {
				case strings.HasPrefix(name, "MITRA_REDIS_URL"):
					return "" // the demo always uses its own
				case strings.HasPrefix(name, "MITRA_TELEGRAM_TOKEN"), name == "MITRA_WHATSAPP":
					return "" // and talks to no real customer
				}
				return os.Getenv(name)
			}
			base.WhatsApp.Mode = "off"
			cfg, err := config.FromEnv(base, getenv)
			if err != nil {
				return fmt.Errorf("configuration:\n%w", err)
			}
			log := app.NewLogger(cfg.LogFormat, cfg.LogLevel, os.Stderr)
			r, err := demo.StartRedis()
			if err != nil {
				return err
			}
			defer r.Close()
			cfg.RedisURL = r.URL()
			log.Warn("demo mode: data is kept in memory only and is gone when mitra stops")
			a, err := app.New(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer a.Close()
			password, err := addDemoOwner(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nMitra demo is running. Ctrl-C stops it.\n"+
				"  Chat as a customer:  %s/\n"+
				"  Staff console:       %s/login  name %s, password %s\n\n", a.URL(), a.URL(), demoOwner, password)
			return a.Run(cmd.Context())
		},
	}
}

// demoOwner is the name of the demo's owner account.
const demoOwner = "demo"

// addDemoOwner makes the demo's owner account with a random password,
// which it returns for the console's login.
func addDemoOwner(ctx context.Context, cfg config.Config) (string, error) {
	store, closeStore, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer closeStore()
	password := rand.Text()
	if _, err := store.Staff().AddStaff(ctx, demoOwner, care.RoleOwner, password); err != nil {
		return "", fmt.Errorf("demo owner account: %w", err)
	}
	return password, nil
}
