package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// feedbackScan bounds the orders of each fulfilment state read for
// their scores.
const feedbackScan = 500

// feedbackCmd is `mitra feedback`.
func feedbackCmd() *cobra.Command {
	var limit int
	var asJSON bool
	c := &cobra.Command{
		Use:   "feedback",
		Short: "What customers said of their orders, and their suggestions (MITRA_REDIS_URL)",
		Long: "Customers are asked how their order was once it is delivered or picked up (MITRA_FEEDBACK_DELAY): " +
			"a score from 1 to 5 and a comment if they like. SARAN leaves a suggestion for the owner. This prints the " +
			"average score and how many gave each, the comments, and the suggestions, the newest first, of the last " +
			"500 orders delivered and the last 500 picked up.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withConfigStore(cmd, func(cfg config.Config, s *redisstore.Store) error {
				rep, err := readFeedback(cmd.Context(), s, limit)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), rep)
				}
				return rep.print(cmd.OutOrStdout(), cfg.TimeZone)
			})
		},
	}
	c.Flags().IntVarP(&limit, "number", "n", 50, "how many comments and suggestions at most (up to 1000)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// feedbackReport is what customers said.
type feedbackReport struct {
	// Scored is how many orders got a score; Average their mean.
	Scored  int     `json:"scored"`
	Average float64 `json:"average"`
	// Scores counts the orders by score: Scores["5"] gave 5.
	Scores      map[string]int    `json:"scores"`
	Comments    []feedbackComment `json:"comments"`
	Suggestions []care.Suggestion `json:"suggestions"`
}

// feedbackComment is a comment on an order.
type feedbackComment struct {
	At      time.Time `json:"at"`
	Order   string    `json:"order"`
	Score   int       `json:"score"`
	Comment string    `json:"comment"`
}

// readFeedback reads the scores of the orders delivered and picked up,
// and up to limit comments and suggestions.
func readFeedback(ctx context.Context, s *redisstore.Store, limit int) (feedbackReport, error) {
	if limit <= 0 || limit > 1000 {
		return feedbackReport{}, fmt.Errorf("-n %d: want 1 to 1000", limit)
	}
	rep := feedbackReport{Scores: map[string]int{"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}, Comments: []feedbackComment{}}
	seen := map[care.OrderID]bool{}
	sum := 0
	for _, st := range []care.FulfilmentState{care.FulfilmentDelivered, care.FulfilmentPickedUp} {
		orders, err := s.ListOrders(ctx, care.OrderQuery{Status: string(st), Limit: feedbackScan})
		if err != nil {
			return feedbackReport{}, err
		}
		for _, o := range orders {
			f := o.Feedback
			if seen[o.ID] || f == nil || f.Score < 1 || f.Score > 5 {
				continue
			}
			seen[o.ID] = true
			rep.Scored++
			sum += f.Score
			rep.Scores[fmt.Sprint(f.Score)]++
			if f.Comment != "" {
				rep.Comments = append(rep.Comments, feedbackComment{At: f.At, Order: o.Number, Score: f.Score, Comment: f.Comment})
			}
		}
	}
	if rep.Scored > 0 {
		rep.Average = float64(sum) / float64(rep.Scored)
	}
	slices.SortStableFunc(rep.Comments, func(a, b feedbackComment) int { return b.At.Compare(a.At) })
	rep.Comments = rep.Comments[:min(len(rep.Comments), limit)]
	var err error
	if rep.Suggestions, err = s.Suggestions(ctx, limit); err != nil {
		return feedbackReport{}, err
	}
	rep.Suggestions = orEmpty(rep.Suggestions)
	return rep, nil
}

// print writes the report for people, times in loc.
func (rep feedbackReport) print(w io.Writer, loc *time.Location) error {
	day := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	if rep.Scored == 0 {
		fmt.Fprintln(w, "no scores yet")
	} else {
		fmt.Fprintf(w, "%d orders scored, average %.1f / 5\n", rep.Scored, rep.Average)
		for score := 5; score >= 1; score-- {
			n := rep.Scores[fmt.Sprint(score)]
			fmt.Fprintf(w, "  %d %-5s %4d  %s\n", score, strings.Repeat("★", score), n, strings.Repeat("█", bar(n, rep.Scored)))
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(rep.Comments) > 0 {
		fmt.Fprintln(tw, "\ncomments:")
		for _, c := range rep.Comments {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", day(c.At), c.Order, c.Score, oneLine(c.Comment))
		}
	}
	if len(rep.Suggestions) > 0 {
		fmt.Fprintln(tw, "\nsuggestions:")
		for _, s := range rep.Suggestions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", day(s.At), s.Contact, oneLine(s.Text))
		}
	} else {
		fmt.Fprintln(tw, "\nno suggestions yet")
	}
	return tw.Flush()
}

// bar is the length of the bar of n out of all, at most 30.
func bar(n, all int) int {
	if all == 0 {
		return 0
	}
	return (n*30 + all/2) / all
}

// oneLine keeps a customer's words on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
