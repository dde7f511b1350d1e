package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/bench"
	"github.com/mitra-care/mitra/internal/care"
)

func benchCmd() *cobra.Command {
	opts := bench.Defaults()
	var asJSON, tg, bc bool
	bcOpts := bench.BroadcastDefaults()
	tgOpts := bench.TelegramDefaults()
	var cpuProfile, phases string
	rates := map[string]*care.Rate{}
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure Mitra against a real Redis: inbound to queued, and the whole path to a channel",
		Long: "Push many simulated conversations through the real runtime, the shipped flows and a real Redis. " +
			"Inbound (WhatsApp contacts, no sender): messages per second and latency to replies queued, Redis round trips " +
			"per message and bytes per idle session. Whole path (Telegram contacts, the real sender, gate, rate limits, take " +
			"and settle, audit, and a stub channel that notes when each reply arrives): messages per second, latency to the " +
			"first reply, Redis commands per message as the client sends them (each command of a pipeline counted, a script " +
			"as one) and as Redis counts them (scripts' inner commands too), and the bytes a contact who sent one message " +
			"holds. Then a run at strict rate limits checks every one-second window at the channel. " +
			"Without --redis it starts a redis-server of its own (it must be on PATH).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for flag, r := range rates {
				v, err := bench.ParseRate(cmd.Flag(flag).Value.String())
				if err != nil {
					return fmt.Errorf("--%s: %w", flag, err)
				}
				*r = v
			}
			if phases != "" {
				opts.Phases = strings.Split(phases, ",")
			}
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
			if bc {
				return runBroadcastBench(cmd, bcOpts, opts.RedisURL, asJSON)
			}
			if tg {
				tgOpts.RedisURL = opts.RedisURL
				if !asJSON {
					tgOpts.Progress = os.Stderr
				}
				res, err := bench.RunTelegram(cmd.Context(), tgOpts)
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
				}
				printTelegram(cmd.OutOrStdout(), res)
				return nil
			}
			res, err := bench.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(res)
			}
			printBench(out, opts, res)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&opts.RedisURL, "redis", "", "Redis URL to use (default: start a redis-server of its own); keys go under a fresh prefix and are deleted after")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (read it with go tool pprof)")
	f.StringVar(&phases, "phases", "", "what to run, comma-separated: "+strings.Join(bench.Phases, ",")+" (default all)")
	f.BoolVar(&tg, "telegram", false, "instead, run the whole program (Telegram polling) against an emulated Bot API server on loopback with a round trip of --telegram-delay, and report updates per second and the first reply's latency")
	f.StringVar(&tgOpts.Bot, "telegram-bot", "", "--telegram: measure this bot instead of Mitra: a command, split at spaces and run without a shell, with BOT_TOKEN, API_ROOT, REDIS_URL and REDIS_PREFIX in its environment, such as \"node internal/bench/telegraf/bot.mjs\" (make bench-telegraf)")
	f.DurationVar(&tgOpts.Delay, "telegram-delay", tgOpts.Delay, "--telegram: each Bot API call's round trip")
	f.IntVar(&tgOpts.Conversations, "telegram-conversations", tgOpts.Conversations, "--telegram: conversations at once in the throughput run, each of "+strconv.Itoa(len(tgOpts.Conversation))+" messages")
	f.IntVar(&tgOpts.Light, "telegram-light", tgOpts.Light, "--telegram: conversations one after the other for the latency at light load")
	f.BoolVar(&bc, "broadcast", false, "instead, measure broadcasts: a preview (the planning pass) over --broadcast-contacts contacts seeded with pipelines, the plan a start makes, then a campaign to --broadcast-send of them through the real runner, sender, gate and rate limits to a stub Telegram at --broadcast-rate, every one-second window counted")
	f.IntVar(&bcOpts.Contacts, "broadcast-contacts", bcOpts.Contacts, "--broadcast: contacts in the store")
	f.IntVar(&bcOpts.Send, "broadcast-send", bcOpts.Send, "--broadcast: recipients of the sending run")
	f.IntVar(&opts.Conversations, "conversations", opts.Conversations, "conversations talking at once")
	f.IntVar(&opts.Messages, "messages", opts.Messages, "messages in the inbound throughput run")
	f.IntVar(&opts.Rate, "rate", opts.Rate, "messages per second in the inbound latency run")
	f.DurationVar(&opts.Paced, "paced", opts.Paced, "length of the inbound latency run")
	f.IntVar(&opts.E2EMessages, "e2e-messages", opts.E2EMessages, "messages in the whole-path throughput run")
	f.IntVar(&opts.E2ERate, "e2e-rate", opts.E2ERate, "messages per second in the whole-path latency run")
	f.DurationVar(&opts.E2EPaced, "e2e-paced", opts.E2EPaced, "length of the whole-path latency run")
	f.IntVar(&opts.Samples, "samples", opts.Samples, "new contacts that send one message, for the bytes per contact")
	f.IntVar(&opts.LimitConversations, "limit-conversations", opts.LimitConversations, "conversations in the rate-limit run")
	f.DurationVar(&opts.LimitFor, "limit-for", opts.LimitFor, "length of the rate-limit run")
	rateFlag := func(name string, r *care.Rate, usage string) {
		f.String(name, bench.RateString(*r), usage+" (N/s, N/m, N/h; 0 for none)")
		rates[name] = r
	}
	rateFlag("e2e-overall", &opts.E2EOverall, "Telegram's overall limit in the whole-path runs; none by default, as one limit key books at most one send per millisecond")
	rateFlag("e2e-per-chat", &opts.E2EPerChat, "Telegram's per-chat limit in the whole-path runs")
	rateFlag("limit-overall", &opts.LimitOverall, "Telegram's overall limit in the rate-limit run")
	rateFlag("limit-per-chat", &opts.LimitPerChat, "Telegram's per-chat limit in the rate-limit run")
	rateFlag("broadcast-rate", &bcOpts.Rate, "--broadcast: Telegram's overall limit in the sending run")
	return c
}

// printBench writes the figures with the targets they are held to.
func printBench(out io.Writer, opts bench.Options, res bench.Result) {
	mark := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	ran := func(p string) bool {
		if len(opts.Phases) == 0 {
			return true
		}
		for _, x := range opts.Phases {
			if x == p {
				return true
			}
		}
		return false
	}
	if ran("inbound") {
		fmt.Fprintf(out, "inbound to replies queued (%d conversations, WhatsApp, no sender)\n", res.Conversations)
		fmt.Fprintf(out, "  throughput               %.0f messages/s (%d messages)   target >= 20000: %s\n", res.MsgsPerSec, res.Messages, mark(res.MsgsPerSec >= 20000))
		fmt.Fprintf(out, "  latency at %d msg/s    p50 %.2f ms, p99 %.2f ms\n", res.Rate, res.P50ms, res.P99ms)
		fmt.Fprintf(out, "  redis round trips        %.2f per message under load; a lone message %.0f (known contact), %.0f (new contact)   target <= 2: %s\n",
			res.RoundTripsPerMsg, res.RoundTripsLone, res.RoundTripsFirst, mark(res.RoundTripsLone <= 2 && res.RoundTripsFirst <= 2))
		fmt.Fprintf(out, "  redis commands           %.2f per message under load\n", res.InboundCmdsPerMsg)
		fmt.Fprintf(out, "  cpu                      redis %.1f µs, mitra %.1f µs per message\n", res.InboundRedisCPUusPerMsg, res.InboundGoCPUusPerMsg)
		fmt.Fprintf(out, "  redis memory             %.0f bytes per idle session   target <= 1024: %s\n", res.BytesPerSession, mark(res.BytesPerSession <= 1024))
		fmt.Fprintf(out, "                           %.0f per contact after ~%d messages (what Store.MemoryUsage counts: session, profile, message ids, ledger, transcript)\n",
			res.BytesPerActiveContact, res.Messages/max(1, res.Conversations))
	}
	if ran("e2e") {
		fmt.Fprintf(out, "whole path: inbound, runtime, outbox, sender, gate, limits, take/settle, audit, channel stub (Telegram contacts)\n")
		fmt.Fprintf(out, "  throughput               %.0f messages/s (%d messages, %.2f replies each)   target >= 10000: %s\n",
			res.E2EMsgsPerSec, res.E2EMessages, res.RepliesPerMsg, mark(res.E2EMsgsPerSec >= 10000))
		fmt.Fprintf(out, "  latency at %d msg/s    to first reply p50 %.2f ms, p99 %.2f ms (to queued p99 %.2f ms)   target p99 <= 20: %s\n",
			res.E2ERate, res.E2EP50ms, res.E2EP99ms, res.E2EQueuedP99ms, mark(res.E2EP99ms <= 20))
		if res.E2EUnanswered > 0 {
			fmt.Fprintf(out, "  UNANSWERED               %d messages got no reply at the channel\n", res.E2EUnanswered)
		}
		fmt.Fprintf(out, "  redis commands           %.2f per message as sent (pipelined commands one by one, a script one)   target <= 10: %s\n",
			res.RedisCmdsPerMsg, mark(res.RedisCmdsPerMsg <= 10))
		fmt.Fprintf(out, "                           %s\n", top(res.RedisCmdsByName, 12))
		fmt.Fprintf(out, "  redis calls              %.2f per message as Redis counts them (INFO commandstats: scripts and the commands inside)\n", res.RedisCallsPerMsg)
		fmt.Fprintf(out, "                           %s\n", top(res.RedisCallsByName, 12))
		fmt.Fprintf(out, "  redis round trips        %.2f per message\n", res.RoundTripsE2EPerMsg)
		fmt.Fprintf(out, "  cpu                      redis %.1f µs, mitra %.1f µs per message\n", res.RedisCPUusPerMsg, res.GoCPUusPerMsg)
		fmt.Fprintf(out, "  a lone message          %.2f ms to the first reply, %d replies, %d redis commands, %d round trips\n",
			res.Lone.Ms, res.Lone.Replies, res.Lone.Cmds, res.Lone.RoundTrips)
		fmt.Fprintf(out, "  outcomes                 %s\n", outcomes(res.Outcomes))
		fmt.Fprintf(out, "  redis memory             %.0f bytes per contact who sent one message, all keys and its index entry   target <= 1536: %s\n",
			res.BytesPerContact, mark(res.BytesPerContact <= 1536))
		fmt.Fprintf(out, "                           by kind: %s\n", top(res.BytesByKind, 0))
		fmt.Fprintf(out, "                           (Store.MemoryUsage says %.0f; audit stream %.0f bytes per entry)\n", res.BytesMemoryUsage, res.AuditBytesPerEntry)
	}
	if rl := res.RateLimits; rl.Ran {
		fmt.Fprintf(out, "rate limits at the channel, every one-second window (%s overall, %s per chat)\n", rl.Overall, rl.PerChat)
		fmt.Fprintf(out, "  most sends in a window   %d over all chats, %d to one chat (%d sends, %d deferrals)   %s\n",
			rl.MaxOverall, rl.MaxPerChat, rl.Sends, rl.Deferred, mark(rl.OK))
	}
}

// printTelegram writes the figures of a --telegram run.
func printTelegram(out io.Writer, res bench.TelegramResult) {
	fmt.Fprintf(out, "%s against a Bot API server with a %.0f ms round trip (Telegram polling, no rate limits)\n", res.Bot, res.DelayMs)
	fmt.Fprintf(out, "  throughput               %.0f updates/s (%d conversations at once, %d updates)\n", res.UpdatesPerSec, res.Conversations, res.Updates)
	fmt.Fprintf(out, "  first reply              light load p50 %.1f ms, p99 %.1f ms; under load p50 %.1f ms, p99 %.1f ms\n",
		res.FirstReplyP50ms, res.FirstReplyP99ms, res.LoadedP50ms, res.LoadedP99ms)
	fmt.Fprintf(out, "  bot api calls            %s per update; at most %d sendMessage under way at once\n", top(res.CallsPerUpdate, 0), res.MaxConcurrentSends)
	if res.Unanswered > 0 {
		fmt.Fprintf(out, "  UNANSWERED               %d messages got no reply\n", res.Unanswered)
	}
}

// top renders the largest n entries of m ("name 1.23"); 0 for all.
func top(m map[string]float64, n int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortByValue(keys, m)
	if n > 0 && len(keys) > n {
		keys = keys[:n]
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %g", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func sortByValue(keys []string, m map[string]float64) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && (m[keys[j]] > m[keys[j-1]] || m[keys[j]] == m[keys[j-1]] && keys[j] < keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

func outcomes(m map[string]int64) string {
	f := make(map[string]float64, len(m))
	for k, v := range m {
		f[k] = float64(v)
	}
	return top(f, 0)
}
