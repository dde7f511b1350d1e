package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/config"
)

func serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run Mitra against your Redis, configured from the environment",
		Long:  "Run Mitra against your Redis. Configuration comes from the environment:\n\n" + envHelp(),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv(config.Defaults(), os.Getenv)
			if err != nil {
				return fmt.Errorf("configuration:\n%w", err)
			}
			log := app.NewLogger(cfg.LogFormat, cfg.LogLevel, os.Stderr)
			a, err := app.New(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer a.Close()
			stop := reloadOnHangup(a)
			defer stop()
			return a.Run(cmd.Context())
		},
	}
}

// reloadOnHangup reloads a's flows and catalog on each SIGHUP (Reload
// logs what went wrong) until stop is called.
func reloadOnHangup(a *app.App) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				_ = a.Reload()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
	}
}

func envHelp() string {
	var b strings.Builder
	for _, v := range config.Vars {
		def := v.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(&b, "  %-20s %s (default %s)\n", v.Name, v.Help, def)
	}
	b.WriteString("\nEach variable can instead be read from a file named by NAME_FILE (for secrets).\n")
	return b.String()
}
