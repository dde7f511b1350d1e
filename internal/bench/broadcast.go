package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/broadcast"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/outreach"
	"github.com/mitra-care/mitra/internal/redisserver"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// BroadcastOptions say what the broadcast bench measures.
type BroadcastOptions struct {
	// RedisURL is the Redis to use; empty starts a redis-server of its
	// own. Keys go under a fresh prefix and are deleted afterwards.
	RedisURL string
	// Contacts is how many contacts the store holds for the planning
	// run; Send how many of them (tagged) the sending run reaches, at
	// Rate over all chats on a stub Telegram.
	Contacts int
	Send     int
	Rate     care.Rate
	// Progress, when set, receives a line per phase.
	Progress io.Writer
}

// BroadcastDefaults are the options `mitra bench --broadcast` uses
// unless told otherwise.
func BroadcastDefaults() BroadcastOptions {
	return BroadcastOptions{Contacts: 1_000_000, Send: 3000, Rate: care.Rate{N: 100, Per: time.Second}}
}

// BroadcastResult is what the broadcast bench measured.
type BroadcastResult struct {
	// Contacts were seeded in SeedSeconds (not a target).
	Contacts    int     `json:"contacts"`
	SeedSeconds float64 `json:"seed_seconds"`
	// PreviewSeconds is one preview over every contact (the planning
	// pass: stream, read, decide, count), ContactsPerSec its pace;
	// PlanSeconds the plan a start makes (the same pass, writing the
	// recipients' waiting lists). Recipients, Excluded and Outside are
	// what the preview counted.
	PreviewSeconds float64 `json:"preview_seconds"`
	ContactsPerSec float64 `json:"preview_contacts_per_sec"`
	PlanSeconds    float64 `json:"plan_seconds"`
	Recipients     int     `json:"recipients"`
	Excluded       int     `json:"excluded"`
	Outside        int     `json:"outside"`
	// SendRecipients got the sending run's campaign at the limit Rate:
	// Sent arrived at the stub in SendSeconds from the first to the
	// last, SendPerSec of them a second, RateShare of the limit, at most
	// MaxInOneSecond in any one-second window; ExactlyOnce says each
	// recipient got one.
	SendRecipients int     `json:"send_recipients"`
	Rate           string  `json:"send_rate_limit"`
	Sent           int     `json:"sent"`
	SendSeconds    float64 `json:"send_seconds"`
	SendPerSec     float64 `json:"send_per_sec"`
	RateShare      float64 `json:"send_share_of_rate"`
	MaxInOneSecond int     `json:"send_max_in_one_second"`
	ExactlyOnce    bool    `json:"send_exactly_once"`
	// PlanOK, RateOK and WindowOK say whether the targets were met:
	// the preview within PlanTargetSecs, the rate reached at least
	// SendTargetShare of the limit, no second over it.
	PlanOK, RateOK, WindowOK bool    `json:"-"`
	PlanTargetSecs           float64 `json:"-"`
	SendTargetShare          float64 `json:"-"`
}

// RunBroadcast measures a broadcast against a real Redis: a preview and
// a plan over opts.Contacts contacts, then a campaign to opts.Send of
// them through the real runner, outbox, sender, gate and rate limits to
// a stub Telegram, counting the sends in every one-second window.
func RunBroadcast(ctx context.Context, opts BroadcastOptions) (BroadcastResult, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	url := opts.RedisURL
	if url == "" {
		srv, err := redisserver.Start(ctx, redisserver.Options{})
		if err != nil {
			return BroadcastResult{}, err
		}
		defer srv.Close()
		url = srv.URL()
		fmt.Fprintf(progress, "started redis-server at %s\n", srv.Addr())
	}
	client, err := redisstore.Open(url)
	if err != nil {
		return BroadcastResult{}, err
	}
	defer client.Close()
	prefix := "mitrabench-" + randomHex()
	store := redisstore.New(client, prefix)
	if err := store.Ping(ctx); err != nil {
		return BroadcastResult{}, fmt.Errorf("redis: %w", err)
	}
	defer func() {
		if err := store.Purge(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(progress, "cleaning up %s:* failed: %v\n", prefix, err)
		}
	}()
	res := BroadcastResult{Contacts: opts.Contacts, SendRecipients: opts.Send, Rate: RateString(opts.Rate), PlanTargetSecs: 10, SendTargetShare: 0.95}
	fmt.Fprintf(progress, "broadcast: seeding %d contacts\n", opts.Contacts)
	start := time.Now()
	if err := seedContacts(ctx, client, prefix, opts.Contacts, opts.Send); err != nil {
		return res, err
	}
	res.SeedSeconds = time.Since(start).Seconds()

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := broadcast.PlanConfig{TimeZone: time.FixedZone("WIB", 7*3600), Caps: outreach.Caps{Max: 2, Window: 7 * 24 * time.Hour},
		WhatsAppPerMinute: 6, WhatsAppDailyCap: 200, Rates: map[care.Channel]care.Rate{care.Telegram: opts.Rate}}
	svc := broadcast.New(broadcast.Config{Store: store, Planner: broadcast.NewPlanner(cfg), Langs: []string{"id"}, Shop: "Warung Bench", Logger: quiet})
	all, err := svc.CreateCampaign(ctx, care.Campaign{Name: "everyone", Texts: map[string]string{"id": "Promo untuk {{contact.name|Kak}}"}})
	if err != nil {
		return res, err
	}
	fmt.Fprintf(progress, "broadcast: previewing a campaign to everyone\n")
	start = time.Now()
	p, err := svc.PreviewCampaign(ctx, all.ID, nil)
	if err != nil {
		return res, err
	}
	res.PreviewSeconds = time.Since(start).Seconds()
	res.ContactsPerSec = float64(p.Scanned) / res.PreviewSeconds
	res.Recipients, res.Outside = p.Recipients, p.Outside
	for _, n := range p.Excluded {
		res.Excluded += n
	}
	res.PlanOK = res.PreviewSeconds <= res.PlanTargetSecs && p.Scanned == opts.Contacts
	if p.Scanned != opts.Contacts {
		return res, fmt.Errorf("the preview looked at %d contacts of %d", p.Scanned, opts.Contacts)
	}

	// The plan a start makes, then cancelled before a runner feeds it.
	fmt.Fprintf(progress, "broadcast: planning it as a start does (waiting lists of %d recipients)\n", p.Recipients)
	if _, err := svc.StartCampaign(ctx, all.ID); err != nil {
		return res, err
	}
	planner := broadcast.NewRunner(broadcast.RunnerConfig{Service: svc, Owner: "bench-plan", Windows: map[care.Lane]int{"telegram.shop": 1}})
	start = time.Now()
	if err := planner.Plan(ctx, all.ID); err != nil {
		return res, err
	}
	res.PlanSeconds = time.Since(start).Seconds()
	if _, err := svc.CancelCampaign(ctx, all.ID); err != nil {
		return res, err
	}

	fmt.Fprintf(progress, "broadcast: sending to %d recipients at %s\n", opts.Send, RateString(opts.Rate))
	if err := sendRun(ctx, store, svc, opts, &res, quiet); err != nil {
		return res, err
	}
	return res, nil
}

// sendRun runs a campaign to the tagged contacts through the real
// runner and sender, a stub Telegram noting each arrival.
func sendRun(ctx context.Context, store *redisstore.Store, svc *broadcast.Service, opts BroadcastOptions, res *BroadcastResult, log *slog.Logger) error {
	c, err := svc.CreateCampaign(ctx, care.Campaign{Name: "tagged", Texts: map[string]string{"id": "Promo untuk {{contact.name|Kak}}"}, Audience: care.Audience{Tags: []string{"send"}}})
	if err != nil {
		return err
	}
	if _, err := svc.PreviewCampaign(ctx, c.ID, nil); err != nil {
		return err
	}
	if _, err := svc.StartCampaign(ctx, c.ID); err != nil {
		return err
	}
	st := &stub{}
	st.recording(true)
	run, stop := context.WithCancel(ctx)
	defer stop()
	s := outreach.NewSender(outreach.SenderConfig{
		Outbox: store, Limiter: store,
		Channels: map[care.Channel]care.Sender{care.Telegram: st},
		Limits:   map[care.Channel]outreach.Limits{care.Telegram: {Overall: opts.Rate, PerChat: care.Rate{N: 1, Per: time.Second}}},
		Gate:     outreach.NewGate(outreach.GateConfig{TimeZone: time.UTC}),
		Caps:     outreach.Caps{Max: 2, Window: 7 * 24 * time.Hour},
		Consumer: "bench-" + randomHex(), Logger: log,
	})
	r := broadcast.NewRunner(broadcast.RunnerConfig{Service: svc, Owner: "bench-" + randomHex(), Windows: map[care.Lane]int{"telegram.shop": broadcast.WindowFor(opts.Rate)}})
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(run) })
	wg.Go(func() { _ = r.Run(run) })
	defer wg.Wait()
	deadline := time.Now().Add(time.Duration(float64(opts.Send)/float64(opts.Rate.N)*float64(opts.Rate.Per)) + 2*time.Minute)
	for {
		got, _, err := svc.Campaign(ctx, c.ID)
		if err != nil {
			return err
		}
		if got.State == care.CampaignDone {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("broadcast: the campaign is %s after %s: %w", got.State, time.Until(deadline), errTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	arrivals := st.recording(false)
	res.Sent = len(arrivals)
	seen := map[care.ContactID]bool{}
	ts := make([]int64, len(arrivals))
	first, last := int64(0), int64(0)
	for i, a := range arrivals {
		ts[i] = a.at
		seen[a.contact] = true
		if first == 0 || a.at < first {
			first = a.at
		}
		last = max(last, a.at)
	}
	res.ExactlyOnce = len(seen) == len(arrivals) && len(arrivals) == opts.Send
	if len(arrivals) > 1 {
		res.SendSeconds = float64(last-first) / 1e9
		res.SendPerSec = float64(len(arrivals)-1) / res.SendSeconds
		res.RateShare = res.SendPerSec / (float64(opts.Rate.N) * float64(time.Second) / float64(opts.Rate.Per))
	}
	res.MaxInOneSecond = maxInWindow(ts, time.Second)
	res.RateOK = res.RateShare >= res.SendTargetShare
	res.WindowOK = within(res.MaxInOneSecond, opts.Rate)
	return nil
}

// seedContacts writes n contacts straight to Redis in pipelines, as the
// store keeps them (a profile and an index entry each): 60% said yes to
// promotions, 10% withdrew, the rest were never asked; a tenth are on
// WhatsApp, the rest on Telegram. The first send of them, all with
// consent, carry the tag "send".
func seedContacts(ctx context.Context, client redis.UniversalClient, prefix string, n, send int) error {
	const batch = 5000
	index := prefix + ":{d}:addr"
	wrote := time.Now().Add(-2 * time.Hour)
	work := make(chan int)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for from := range work {
				pipe := client.Pipeline()
				for i := from; i < min(n, from+batch); i++ {
					id := benchContactID(i)
					c := care.Contact{ID: id, Name: "Pelanggan " + strconv.Itoa(i), FirstSeen: wrote, LastInbound: wrote}
					a := care.Address{Channel: care.Telegram, ID: strconv.Itoa(100_000_000 + i)}
					if i >= send && i%10 == 0 {
						a = care.Address{Channel: care.WhatsApp, ID: strconv.Itoa(6281_000_000_000 + i)}
					}
					c.Addresses = []care.Address{a}
					c.LastInboundOn = map[care.Channel]time.Time{a.Channel: wrote}
					switch {
					case i < send:
						c.Tags = []string{"send"}
						fallthrough
					case i%10 < 6:
						c.Consent = map[care.Purpose]care.ConsentState{care.Promotions: {Granted: true, At: wrote, Source: care.SourceFlow}}
					case i%10 == 6:
						c.Consent = map[care.Purpose]care.ConsentState{care.Promotions: {Granted: false, At: wrote, Source: care.SourceKeyword}}
					}
					b, err := json.Marshal(c)
					if err != nil {
						errs <- err
						return
					}
					pipe.Set(ctx, prefix+":{c:"+string(id)+"}:p", "1|"+string(b), 0)
					pipe.HSet(ctx, index, a.String(), string(id))
				}
				if _, err := pipe.Exec(ctx); err != nil {
					errs <- fmt.Errorf("seed contacts: %w", err)
					return
				}
			}
		})
	}
	go func() {
		defer close(work)
		for from := 0; from < n; from += batch {
			select {
			case work <- from:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}

// benchContactID is the i-th seeded contact's id: "c" and 16 letters.
func benchContactID(i int) care.ContactID {
	const letters = "abcdefghijklmnopqrstuvwxyz234567"
	b := []byte("cbenchaaaaaaaaaaa")
	for k := len(b) - 1; k > 5 && i > 0; k-- {
		b[k] = letters[i%32]
		i /= 32
	}
	return care.ContactID(b)
}
