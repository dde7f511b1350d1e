package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/redisstore"
)

func auditCmd() *cobra.Command {
	var n int
	var jobs bool
	c := &cobra.Command{
		Use:   "audit",
		Short: "Print the newest decisions on outbound messages, or the durable jobs still to finish (MITRA_REDIS_URL)",
		Long: "Print the newest entries of the audit: what the gate and the channel made of each outbound message " +
			"(allow, defer, refuse, with the reason), and erasures. With --jobs, print the erasures and merges " +
			"that are scheduled and not finished yet.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(s *redisstore.Store) error {
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				if jobs {
					list, err := s.Jobs(cmd.Context())
					if err != nil {
						return err
					}
					fmt.Fprintln(w, "DUE\tJOB\tCONTACT\tFROM")
					for _, j := range list {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", j.Due.Format(time.RFC3339), j.Kind, j.Contact, j.From)
					}
					return w.Flush()
				}
				entries, err := s.Audit(cmd.Context(), n)
				if err != nil {
					return err
				}
				fmt.Fprintln(w, "AT\tCONTACT\tMESSAGE\tCLASS\tVERDICT\tSENT\tREASON")
				for _, e := range entries {
					if e["event"] != "" {
						fmt.Fprintf(w, "%s\t-\t-\t-\t%s\t-\t%s\n", e["at"], e["event"], e["ref"])
						continue
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e["at"], e["c"], e["m"], e["class"], e["verdict"], e["sent"], e["reason"])
				}
				return w.Flush()
			})
		},
	}
	c.Flags().IntVarP(&n, "number", "n", 20, "how many entries, newest last")
	c.Flags().BoolVar(&jobs, "jobs", false, "print the durable jobs (erasures, merges) not finished yet")
	return c
}
