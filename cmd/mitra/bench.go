package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/bench"
)

func benchCmd() *cobra.Command {
	opts := bench.Defaults()
	var asJSON bool
	var cpuProfile string
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure the inbound pipeline against a real Redis",
		Long: "Push many simulated conversations through the real runtime, the shipped flows and a real Redis, " +
			"and report messages per second, latency from inbound to reply queued, Redis round trips per message " +
			"and Redis bytes per idle session. Without --redis it starts a redis-server of its own (it must be on PATH).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !asJSON {
				opts.Progress = os.Stderr
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("cpu profile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			res, err := bench.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(res)
			}
			fmt.Fprintf(out, "conversations            %d\n", res.Conversations)
			fmt.Fprintf(out, "throughput               %.0f messages/s (%d messages)\n", res.MsgsPerSec, res.Messages)
			fmt.Fprintf(out, "latency at %d msg/s    p50 %.2f ms, p99 %.2f ms\n", res.Rate, res.P50ms, res.P99ms)
			fmt.Fprintf(out, "redis round trips        %.2f per message\n", res.RoundTripsPerMsg)
			fmt.Fprintf(out, "redis memory             %.0f bytes per idle session (%.0f per idle contact with its profile, recent message ids and transcript)\n", res.BytesPerSession, res.BytesPerContact)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&opts.RedisURL, "redis", "", "Redis URL to use (default: start a redis-server of its own); keys go under a fresh prefix and are deleted after")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (read it with go tool pprof)")
	f.IntVar(&opts.Conversations, "conversations", opts.Conversations, "conversations talking at once")
	f.IntVar(&opts.Messages, "messages", opts.Messages, "messages in the throughput run")
	f.IntVar(&opts.Rate, "rate", opts.Rate, "messages per second in the latency run")
	f.DurationVar(&opts.Paced, "paced", opts.Paced, "length of the latency run")
	return c
}
