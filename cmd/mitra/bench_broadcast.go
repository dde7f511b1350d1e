package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/bench"
)

// runBroadcastBench runs `mitra bench --broadcast` and prints its
// figures with their targets.
func runBroadcastBench(cmd *cobra.Command, opts bench.BroadcastOptions, redisURL string, asJSON bool) error {
	opts.RedisURL = redisURL
	if !asJSON {
		opts.Progress = os.Stderr
	}
	res, err := bench.RunBroadcast(cmd.Context(), opts)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	printBroadcastBench(cmd.OutOrStdout(), res)
	return nil
}

// printBroadcastBench writes the broadcast bench's figures.
func printBroadcastBench(out io.Writer, res bench.BroadcastResult) {
	mark := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	fmt.Fprintf(out, "broadcast planning over %d contacts (seeded in %.1f s)\n", res.Contacts, res.SeedSeconds)
	fmt.Fprintf(out, "  preview                  %.2f s, %.0f contacts/s: %d recipients, %d left out, %d outside   target <= %.0f s: %s\n",
		res.PreviewSeconds, res.ContactsPerSec, res.Recipients, res.Excluded, res.Outside, res.PlanTargetSecs, mark(res.PlanOK))
	fmt.Fprintf(out, "  plan of a start          %.2f s (the same pass, writing %d recipients' waiting lists)\n", res.PlanSeconds, res.Recipients)
	fmt.Fprintf(out, "broadcast sending to %d recipients at %s (stub Telegram, real runner, sender, gate, limits)\n", res.SendRecipients, res.Rate)
	fmt.Fprintf(out, "  rate reached             %.1f messages/s over %.1f s, %.1f%% of the limit   target >= %.0f%%: %s\n",
		res.SendPerSec, res.SendSeconds, 100*res.RateShare, 100*res.SendTargetShare, mark(res.RateOK))
	fmt.Fprintf(out, "  most in one second       %d   target <= the limit: %s\n", res.MaxInOneSecond, mark(res.WindowOK))
	fmt.Fprintf(out, "  exactly once             %d sent to %d recipients   %s\n", res.Sent, res.SendRecipients, mark(res.ExactlyOnce))
}
