package main

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/flow"
)

func flowsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "flows",
		Short: "Check and test conversation flows",
	}
	c.AddCommand(&cobra.Command{
		Use:   "check [DIR]",
		Short: "Validate the flows in DIR (default: the shipped flows) and list every problem",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := app.LoadFlows(dirArg(args))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d flows (%s) in %s\n",
				len(set.Flows()), strings.Join(set.Flows(), ", "), strings.Join(set.Languages(), ", "))
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
	return c
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
