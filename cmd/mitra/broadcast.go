package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"github.com/schollz/progressbar/v3"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/broadcast"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisstore"
)

func broadcastCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "broadcast",
		Short: "Send one promotion to the people who said yes to promotions (MITRA_REDIS_URL)",
		Long: "Make a campaign, preview who gets it and who does not and why, test it on your own chat, then start it: " +
			"a running `mitra serve` sends it through the outbox and the gate, at each channel's pace, to every contact " +
			"of the audience with an active promotions consent, each at most once, with the opt-out line. It pauses itself " +
			"when too many people opt out or too many messages fail, and while WhatsApp bans the number.\n\n" +
			"An ID is the campaign's (b and 8 letters, as create prints it).",
		Args: cobra.NoArgs,
	}
	c.AddCommand(broadcastCreateCmd(), broadcastListCmd(), broadcastPreviewCmd(), broadcastTestCmd(),
		broadcastStateCmd("start", "Start a previewed campaign: at once, or at its --at time", (*broadcast.Service).StartCampaign),
		broadcastStateCmd("pause", "Pause a campaign: nothing more is queued, and its queued messages wait at the gate", (*broadcast.Service).PauseCampaign),
		broadcastStateCmd("resume", "Resume a paused campaign (one paused by the safety checks counts afresh)", (*broadcast.Service).ResumeCampaign),
		broadcastStateCmd("cancel", "Cancel a campaign: nothing more is sent; its queued messages are refused at the gate", (*broadcast.Service).CancelCampaign),
		broadcastStatusCmd(), broadcastReportCmd(), broadcastTagCmd())
	return c
}

// withCampaigns runs fn with the campaigns over the configured store,
// with the flows' languages and shop name.
func withCampaigns(cmd *cobra.Command, fn func(config.Config, *redisstore.Store, *broadcast.Service) error) error {
	return withConfigStore(cmd, func(cfg config.Config, s *redisstore.Store) error {
		set, err := app.LoadFlows(cfg.FlowsDir)
		if err != nil {
			return fmt.Errorf("flows are not valid, fix them first:\n%w", err)
		}
		log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		return fn(cfg, s, app.Campaigns(cfg, set, s, log))
	})
}

// printJSON writes v as one JSON object.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// campaignID reads a campaign id argument.
func campaignID(arg string) (care.CampaignID, error) {
	id := care.CampaignID(strings.TrimSpace(arg))
	if err := id.Validate(); err != nil {
		return "", fmt.Errorf("%w (as `mitra broadcast create` or `list` prints it)", err)
	}
	return id, nil
}

func broadcastCreateCmd() *cobra.Command {
	var (
		c                 care.Campaign
		text, textID, tEN string
		texts             []string
		channel, at       string
		asJSON            bool
	)
	cmd := &cobra.Command{
		Use:   "create --name NAME --text TEXT [--text-en TEXT] [--tag TAG]... [--channel CH] [--active-days N] [--ordered-days N] [--regulars] [--bought ITEM] [--at TIME]",
		Short: "Make a draft campaign and print its id",
		Long: "Make a draft campaign. --text is the message in the shop's first language (the first of shop.yaml's " +
			"languages); --text-en, --text-id and --text-for LANG=TEXT give it in others, for contacts who speak them. " +
			"A text may hold {{contact.name}} (with a default: {{contact.name|Kak}}) and {{shop.name}}; the opt-out line " +
			"is added when it is sent. The audience is everyone with an active promotions consent, narrowed by --tag " +
			"(the contact carries every tag given), --channel (reachable there, and sent there), --active-days " +
			"(wrote in the last N days), --ordered-days (placed an order, not cancelled, in the last N days), --regulars " +
			"(three completed orders or more) and --bought (a completed order of that catalog item, by its id). --at sets the earliest time it sends once started (RFC 3339, or " +
			"\"2006-01-02 15:04\" in MITRA_TIMEZONE). Nothing is sent until `start`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withCampaigns(cmd, func(cfg config.Config, _ *redisstore.Store, svc *broadcast.Service) error {
				if c.Audience.Bought != "" {
					// A catalog with problems is checked by `mitra flows
					// check`; the id is then taken as given.
					if cat, err := catalog.Load(app.FlowsFS(cfg.FlowsDir)); err == nil && cat != nil {
						if err := broadcast.CheckItem(c.Audience.Bought, cat.Items()); err != nil {
							return fmt.Errorf("--bought: %w", err)
						}
					}
				}
				c.Texts = map[string]string{}
				for _, t := range texts {
					lang, body, ok := strings.Cut(t, "=")
					if !ok {
						return fmt.Errorf("--text-for %q: want LANG=TEXT", t)
					}
					c.Texts[strings.TrimSpace(lang)] = body
				}
				if textID != "" {
					c.Texts["id"] = textID
				}
				if tEN != "" {
					c.Texts["en"] = tEN
				}
				c.Audience.Channel = care.Channel(channel)
				if at != "" {
					t, err := parseWhen(at, cfg.TimeZone)
					if err != nil {
						return err
					}
					c.At = t
				}
				if text != "" {
					c.Texts[svc.Langs()[0]] = text
				}
				made, err := svc.CreateCampaign(cmd.Context(), c)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), map[string]string{"id": string(made.ID)})
				}
				fmt.Fprintln(cmd.OutOrStdout(), made.ID)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.Name, "name", "", "the campaign's name, for you (required)")
	f.StringVar(&text, "text", "", "the message in the shop's first language (required unless given with --text-for or --text-id/--text-en)")
	f.StringVar(&textID, "text-id", "", "the message in Indonesian")
	f.StringVar(&tEN, "text-en", "", "the message in English")
	f.StringArrayVar(&texts, "text-for", nil, "the message in another language of the flows: LANG=TEXT (repeatable)")
	f.StringSliceVar(&c.Audience.Tags, "tag", nil, "only contacts with this tag (repeatable: every one given)")
	f.StringVar(&channel, "channel", "", "only contacts reachable on this channel (whatsapp or telegram), and send there")
	f.IntVar(&c.Audience.ActiveDays, "active-days", 0, "only contacts who wrote in the last N days")
	f.StringVar(&at, "at", "", "the earliest time it sends once started")
	f.IntVar(&c.Audience.OrderedDays, "ordered-days", 0, "only contacts who placed an order, not cancelled, in the last N days")
	f.BoolVar(&c.Audience.Regulars, "regulars", false, "only regular customers: three completed orders or more")
	f.StringVar(&c.Audience.Bought, "bought", "", "only contacts with a completed order of this catalog item (its id in catalog.yaml)")
	f.BoolVar(&asJSON, "json", false, `print {"id": ...}`)
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// parseWhen reads a time as RFC 3339, or as "2006-01-02 15:04" in loc.
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q: want 2006-01-02 15:04 (in MITRA_TIMEZONE) or RFC 3339", s)
	}
	return t, nil
}

func broadcastListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the campaigns, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withCampaigns(cmd, func(cfg config.Config, _ *redisstore.Store, svc *broadcast.Service) error {
				cs, err := svc.ListCampaigns(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					if cs == nil {
						cs = []care.Campaign{}
					}
					return printJSON(cmd.OutOrStdout(), cs)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tSTATE\tCREATED\tNAME")
				for _, c := range cs {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.ID, c.State, c.Created.In(cfg.TimeZone).Format("2006-01-02 15:04"), c.Name)
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func broadcastPreviewCmd() *cobra.Command {
	var csvFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "preview ID [--csv FILE]",
		Short: "Say who would get the campaign now, who later and who not, and why; a campaign starts only after one",
		Long: "Look at every contact now, without sending anything: how many get the campaign as soon as it starts, how " +
			"many later (their quiet hours, WhatsApp's pace and daily cap) with the estimated finish, and how many not, " +
			"per reason: no consent, withdrawn, over the cap, suppressed after erasure, unreachable, WhatsApp contact who " +
			"never wrote, blocked, erasing. --csv writes those left out (contact id, channel, reason) to FILE.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := campaignID(args[0])
			if err != nil {
				return err
			}
			return withCampaigns(cmd, func(cfg config.Config, _ *redisstore.Store, svc *broadcast.Service) error {
				var excluded func(care.Excluded) error
				var file *broadcast.CSV
				if csvFile != "" {
					f, w, err := createCSV(csvFile, broadcast.ExclusionsHeader)
					if err != nil {
						return err
					}
					defer f.Close()
					file = w
					excluded = file.Excluded
				}
				p, err := svc.PreviewCampaign(cmd.Context(), id, excluded)
				if err != nil {
					return err
				}
				if file != nil {
					if err := file.Flush(); err != nil {
						return err
					}
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), p)
				}
				printPreview(cmd.OutOrStdout(), p, cfg.TimeZone)
				if csvFile != "" {
					fmt.Fprintf(cmd.OutOrStdout(), "those left out are in %s\n", csvFile)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&csvFile, "csv", "", "write the contacts left out to this CSV file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// createCSV creates (or empties) the file a --csv flag names and starts
// it with header. The caller flushes the rows and then closes f.
func createCSV(name string, header []string) (*os.File, *broadcast.CSV, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, err
	}
	w, err := broadcast.NewCSV(f, header)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, w, nil
}

// exclusionNames are the exclusions as the owner reads them.
var exclusionNames = map[care.Exclusion]string{
	care.ExclNoConsent: "no consent", care.ExclWithdrawn: "withdrawn", care.ExclOverCap: "over the cap",
	care.ExclSuppressed: "suppressed after erasure", care.ExclUnreachable: "unreachable",
	care.ExclNeverWrote: "WhatsApp, never wrote", care.ExclBlocked: "blocked", care.ExclErasing: "erasing",
}

// printPreview writes a preview for the owner.
func printPreview(w io.Writer, p care.Preview, loc *time.Location) {
	excluded := 0
	for _, n := range p.Excluded {
		excluded += n
	}
	fmt.Fprintf(w, "campaign %s, as of %s\n", p.Campaign, p.At.In(loc).Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "  audience     %s\n", p.Audience)
	fmt.Fprintf(w, "  looked at    %d contacts, %d of them outside the audience\n", p.Scanned, p.Outside)
	fmt.Fprintf(w, "  recipients   %d%s\n", p.Recipients, byChannel(p.ByChannel))
	fmt.Fprintf(w, "    now        %d\n", p.Now)
	later := 0
	for _, n := range p.Later {
		later += n
	}
	fmt.Fprintf(w, "    later      %d", later)
	if n := p.Later[care.LaterQuiet]; n > 0 {
		fmt.Fprintf(w, "  (quiet hours %d", n)
	}
	if n := p.Later[care.LaterPacing]; n > 0 {
		sep := "  ("
		if p.Later[care.LaterQuiet] > 0 {
			sep = ", "
		}
		fmt.Fprintf(w, "%sWhatsApp's pace and daily cap %d", sep, n)
	}
	if later > 0 {
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  left out     %d\n", excluded)
	for _, x := range care.Exclusions {
		if n := p.Excluded[x]; n > 0 {
			fmt.Fprintf(w, "    %-26s %d\n", exclusionNames[x], n)
		}
	}
	if p.Recipients > 0 {
		fmt.Fprintf(w, "  finish       about %s", p.Finish.In(loc).Format("2006-01-02 15:04 MST"))
		if p.Days > 1 {
			fmt.Fprintf(w, ": it needs %d days", p.Days)
		}
		fmt.Fprintln(w)
	}
}

// byChannel renders the recipients per channel: " (telegram 3, whatsapp 2)".
func byChannel(m map[care.Channel]int) string {
	var parts []string
	for ch, n := range m {
		parts = append(parts, fmt.Sprintf("%s %d", ch, n))
	}
	if len(parts) == 0 {
		return ""
	}
	slices.Sort(parts)
	return " (" + strings.Join(parts, ", ") + ")"
}

func broadcastTestCmd() *cobra.Command {
	var to string
	var asJSON bool
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "test ID --to ADDRESS",
		Short: "Send the campaign to one address of yours (a known contact) through the gate; never counted",
		Long: "Queue the campaign's message to ADDRESS (whatsapp:<number> or telegram:<chat id>), which must be a contact " +
			"of the shop: write to the shop from it first, and say YA to promotions, since the gate applies every rule " +
			"of a promotion to a test (consent, quiet hours, the cap). A running `mitra serve` sends it; this command " +
			"waits up to --wait for the gate's verdict. A test is never counted in the campaign's figures.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := campaignID(args[0])
			if err != nil {
				return err
			}
			a, err := care.ParseAddress(to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			return withCampaigns(cmd, func(_ config.Config, s *redisstore.Store, svc *broadcast.Service) error {
				m, err := svc.TestCampaign(cmd.Context(), id, a)
				if err != nil {
					return err
				}
				verdict := waitVerdict(cmd.Context(), s, m, wait)
				if asJSON {
					return printJSON(cmd.OutOrStdout(), map[string]any{"message": m, "outcome": verdict})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "test %s queued\n", m)
				switch {
				case verdict == nil:
					fmt.Fprintf(cmd.OutOrStdout(), "no outcome within %s: is `mitra serve` running? (`mitra audit` shows it later)\n", wait)
				case verdict["sent"] == "true":
					fmt.Fprintln(cmd.OutOrStdout(), "sent")
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s\n", verdict["verdict"], verdict["reason"], verdict["error"])
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "your own address: whatsapp:<number> or telegram:<chat id> (required)")
	cmd.Flags().DurationVar(&wait, "wait", 20*time.Second, "how long to wait for the gate's verdict")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// waitVerdict polls the audit for the first outcome of message m (a
// deferral counts: it says why it waits), up to wait.
func waitVerdict(ctx context.Context, s *redisstore.Store, m string, wait time.Duration) map[string]string {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		entries, err := s.Audit(ctx, 500)
		if err == nil {
			for _, e := range entries {
				if e["m"] == m {
					return e
				}
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return nil
}

// broadcastStateCmd is a command that moves a campaign with change.
func broadcastStateCmd(name, short string, change func(*broadcast.Service, context.Context, care.CampaignID) (care.Campaign, error)) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   name + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := campaignID(args[0])
			if err != nil {
				return err
			}
			return withCampaigns(cmd, func(cfg config.Config, _ *redisstore.Store, svc *broadcast.Service) error {
				c, err := change(svc, cmd.Context(), id)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), c)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s is %s", c.ID, c.State)
				if c.State == care.CampaignScheduled {
					fmt.Fprintf(cmd.OutOrStdout(), " until %s", c.At.In(cfg.TimeZone).Format("2006-01-02 15:04 MST"))
				}
				fmt.Fprintln(cmd.OutOrStdout())
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// campaignStatus is what status prints as JSON.
type campaignStatus struct {
	Campaign care.Campaign       `json:"campaign"`
	Totals   care.CampaignTotals `json:"totals"`
}

func broadcastStatusCmd() *cobra.Command {
	var asJSON, once bool
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Print where a campaign stands; while it runs, a progress bar until it stops (--once: print once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := campaignID(args[0])
			if err != nil {
				return err
			}
			return withCampaigns(cmd, func(cfg config.Config, _ *redisstore.Store, svc *broadcast.Service) error {
				c, t, err := svc.Campaign(cmd.Context(), id)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if asJSON {
					return printJSON(out, campaignStatus{c, t})
				}
				printStatus(out, c, t, cfg.TimeZone)
				f, isFile := out.(*os.File)
				if once || c.State != care.CampaignRunning || !isFile || !term.IsTerminal(int(f.Fd())) {
					return nil
				}
				return followProgress(cmd.Context(), out, svc, id)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&once, "once", false, "print once, no progress bar")
	return cmd
}

// printStatus writes a campaign's state and figures.
func printStatus(w io.Writer, c care.Campaign, t care.CampaignTotals, loc *time.Location) {
	when := func(x time.Time) string { return x.In(loc).Format("2006-01-02 15:04 MST") }
	fmt.Fprintf(w, "%s %q: %s", c.ID, c.Name, c.State)
	switch {
	case c.State == care.CampaignScheduled:
		fmt.Fprintf(w, " for %s", when(c.At))
	case c.State == care.CampaignPaused && c.Auto:
		fmt.Fprintf(w, " by itself: %s", c.Reason)
		if !c.ResumeAt.IsZero() {
			fmt.Fprintf(w, " (resumes by itself at %s)", when(c.ResumeAt))
		}
	case c.Reason != "":
		fmt.Fprintf(w, " (%s)", c.Reason)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  audience     %s\n", c.Audience)
	if !c.Started.IsZero() {
		fmt.Fprintf(w, "  started      %s\n", when(c.Started))
	}
	if !c.Finished.IsZero() {
		fmt.Fprintf(w, "  finished     %s\n", when(c.Finished))
	}
	fmt.Fprintf(w, "  recipients   %d planned: %d waiting, %d handed to the outbox\n", t.Planned, t.Waiting, t.Queued)
	fmt.Fprintf(w, "  outcomes     sent %d, deferred now %d, refused %d, failed %d, unknown %d, gone %d\n", t.Sent, t.Deferred, t.Refused, t.Failed, t.Unknown, t.Gone)
	fmt.Fprintf(w, "  within 24 h  opted out %d, replied %d\n", t.OptedOut, t.Replied)
	if c.State == care.CampaignRunning || c.State == care.CampaignPaused {
		fmt.Fprintf(w, "  fed by       %s\n", cmp.Or(t.Runner, "no process now: is `mitra serve` running?"))
	}
}

// followProgress draws a progress bar of a running campaign's outcomes
// once a second, until it stops running or ctx ends.
func followProgress(ctx context.Context, w io.Writer, svc *broadcast.Service, id care.CampaignID) error {
	bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		c, tot, err := svc.Campaign(ctx, id)
		if err != nil {
			return err
		}
		bar.ChangeMax64(int64(max(tot.Planned, 1)))
		bar.Describe(fmt.Sprintf("sent %d, deferred %d, refused %d, failed %d", tot.Sent, tot.Deferred, tot.Refused, tot.Failed))
		_ = bar.Set64(int64(tot.Outcomes()))
		if c.State != care.CampaignRunning {
			_ = bar.Finish()
			fmt.Fprintf(w, "\n%s is %s\n", id, c.State)
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(w)
			return nil
		case <-t.C:
		}
	}
}

func broadcastReportCmd() *cobra.Command {
	var csvFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "report ID [--csv FILE]",
		Short: "Print what became of a campaign: totals, reasons, opt-outs and replies within 24 h; --csv: one row per recipient",
		Long: "Print what became of a campaign's messages: sent, deferred (and why), refused (with the gate's reason), failed " +
			"(with the channel's), unknown (the sender stopped mid-send), gone (erased while it waited), and who opted out " +
			"or replied within 24 hours after their message. --csv writes one row per recipient (contact id, channel, " +
			"status, reason, when, opted out, replied); the file names contacts by id alone.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := campaignID(args[0])
			if err != nil {
				return err
			}
			return withCampaigns(cmd, func(cfg config.Config, _ *redisstore.Store, svc *broadcast.Service) error {
				var file *broadcast.CSV
				if csvFile != "" {
					f, w, err := createCSV(csvFile, broadcast.RecipientsHeader)
					if err != nil {
						return err
					}
					defer f.Close()
					file = w
				}
				reasons := map[string]int{}
				t, err := svc.CampaignReport(cmd.Context(), id, func(r care.Recipient) error {
					if r.Status != care.RecipientSent && r.Status != care.RecipientQueued {
						reasons[string(r.Status)+": "+cmp.Or(r.Reason, "-")]++
					}
					if file != nil {
						return file.Recipient(r)
					}
					return nil
				})
				if err != nil {
					return err
				}
				if file != nil {
					if err := file.Flush(); err != nil {
						return err
					}
				}
				c, _, err := svc.Campaign(cmd.Context(), id)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), map[string]any{"campaign": c, "totals": t, "reasons": reasons})
				}
				out := cmd.OutOrStdout()
				printStatus(out, c, t, cfg.TimeZone)
				if len(t.Excluded) > 0 {
					fmt.Fprint(out, "  left out     ")
					var parts []string
					for _, x := range care.Exclusions {
						if n := t.Excluded[x]; n > 0 {
							parts = append(parts, fmt.Sprintf("%s %d", exclusionNames[x], n))
						}
					}
					fmt.Fprintln(out, strings.Join(parts, ", "))
				}
				keys := make([]string, 0, len(reasons))
				for k := range reasons {
					keys = append(keys, k)
				}
				slices.SortFunc(keys, func(a, b string) int { return cmp.Or(reasons[b]-reasons[a], strings.Compare(a, b)) })
				for _, k := range keys {
					fmt.Fprintf(out, "    %6d  %s\n", reasons[k], k)
				}
				if csvFile != "" {
					fmt.Fprintf(out, "one row per recipient in %s\n", csvFile)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&csvFile, "csv", "", "write one row per recipient to this CSV file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func broadcastTagCmd() *cobra.Command {
	var add, remove []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tag CONTACT [--add TAG]... [--remove TAG]...",
		Short: "Change a contact's tags, which --tag narrows an audience by",
		Long:  "Add or remove the shop's tags on a contact (a contact id c… or whatsapp:<number> or telegram:<chat id>) and print its tags.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(s *redisstore.Store) error {
				id, err := findContact(cmd, s, args[0])
				if err != nil {
					return err
				}
				tags, err := s.SetTags(cmd.Context(), id, add, remove)
				if err != nil {
					return err
				}
				if asJSON {
					if tags == nil {
						tags = []string{}
					}
					return printJSON(cmd.OutOrStdout(), map[string]any{"contact": id, "tags": tags})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", id, strings.Join(tags, ", "))
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVar(&add, "add", nil, "a tag to add (repeatable)")
	cmd.Flags().StringSliceVar(&remove, "remove", nil, "a tag to take off (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
