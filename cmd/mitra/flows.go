package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
)

func flowsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "flows",
		Short: "Check and test conversation flows",
	}
	c.AddCommand(&cobra.Command{
		Use:   "check [DIR]",
		Short: "Validate the flows and the catalog in DIR (default: the shipped flows) and list every problem",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := dirArg(args)
			set, err := app.LoadFlows(dir)
			cat, cerr := catalog.Load(app.FlowsFS(dir))
			if err := errors.Join(err, cerr); err != nil {
				return err
			}
			for _, p := range set.Collisions() {
				fmt.Fprintf(cmd.OutOrStdout(), "warning: %s\n", p)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d flows (%s) in %s\n",
				len(set.Flows()), strings.Join(set.Flows(), ", "), strings.Join(set.Languages(), ", "))
			fmt.Fprintln(cmd.OutOrStdout(), catalogSummary(cat))
			return nil
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the conversation tests in DIR/tests (default: the shipped flows and tests)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := dirArg(args)
			set, err := app.LoadFlows(dir)
			if err != nil {
				return err
			}
			fsys := app.FlowsFS(dir)
			if _, err := fs.Stat(fsys, "tests"); err != nil {
				return fmt.Errorf("no tests directory in %s: conversation tests go in tests/*.yaml", displayDir(dir))
			}
			results, err := flow.RunTests(set, fsys)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			failed := 0
			for _, r := range results {
				if len(r.Failures) == 0 {
					continue
				}
				failed++
				fmt.Fprintf(out, "FAIL %s:%d: %s\n", r.File, r.Line, r.Name)
				for _, f := range r.Failures {
					fmt.Fprintf(out, "    %s\n", f)
				}
			}
			fmt.Fprintf(out, "%d passed, %d failed\n", len(results)-failed, failed)
			if failed > 0 {
				return fmt.Errorf("%d conversation tests failed", failed)
			}
			return nil
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "eval FILE.tsv [DIR]",
		Short: "Measure how well the flows in DIR (default: the shipped flows) understand the labelled messages of FILE.tsv",
		Long: "Each line of FILE.tsv is an intent, a tab and a message as a customer would write it; # starts a comment. " +
			"Intents are flow ids, global keywords (stop, start, my_data, erase, help, menu), menu.<choice>, " +
			"stop_unsure, not_stop (anything but an opt-out) and none (not understood). " +
			"Prints accuracy per intent, the confusions and every miss, and fails on a missed or false opt-out.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := app.LoadFlows(dirArg(args[1:]))
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rep, err := flow.Evaluate(set, f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			rep.Print(cmd.OutOrStdout())
			for _, c := range rep.Cases {
				if c.MissedStop() || c.FalseStop() {
					return fmt.Errorf("an opt-out was missed or invented (line %d: %q)", c.Line, c.Text)
				}
			}
			return nil
		},
	})
	return c
}

// catalogSummary says what the catalog holds, or that there is none.
func catalogSummary(c *catalog.Catalog) string {
	if c == nil {
		return "no " + catalog.File + ": the shop takes no orders by chat"
	}
	var ids []string
	for _, it := range c.Items() {
		ids = append(ids, it.ID)
	}
	var ways []string
	d := c.Delivery()
	if d.Pickup {
		ways = append(ways, "pickup")
	}
	for _, a := range d.Areas {
		ways = append(ways, fmt.Sprintf("%s Rp%d", a.Name, a.Fee))
	}
	if d.Flat >= 0 {
		ways = append(ways, fmt.Sprintf("elsewhere Rp%d", d.Flat))
	}
	if d.FreeOver > 0 {
		ways = append(ways, fmt.Sprintf("free from Rp%d", d.FreeOver))
	}
	var pays []string
	p := c.Payment()
	if p.Transfer != nil {
		pays = append(pays, "transfer to "+p.Transfer.Bank)
	}
	if p.QRIS {
		pays = append(pays, "qris")
	}
	if p.COD {
		pays = append(pays, "cod")
	}
	return fmt.Sprintf("ok: %s: %d items (%s); delivery: %s; payment: %s",
		catalog.File, len(ids), strings.Join(ids, ", "), strings.Join(ways, ", "), strings.Join(pays, ", "))
}

func dirArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return ""
}

func displayDir(dir string) string {
	if dir == "" {
		return "the shipped flows"
	}
	return dir
}
