// Package app wires Mitra's parts into one running program. cmd/mitra
// only parses flags and calls it; end-to-end tests start it whole on port
// 0 with a Redis of their own.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/mitra-care/mitra/flows"
	"github.com/mitra-care/mitra/internal/broadcast"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/channel/sim"
	"github.com/mitra-care/mitra/internal/channel/telegram"
	"github.com/mitra-care/mitra/internal/channel/whatsapp"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/flow"
	"github.com/mitra-care/mitra/internal/inbound"
	"github.com/mitra-care/mitra/internal/metrics"
	"github.com/mitra-care/mitra/internal/outreach"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/web"
)

// App is a running Mitra: runtime, sender and HTTP server over one Redis.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	store   *redisstore.Store
	closeDB func() error
	rt      *inbound.Runtime
	sender  *outreach.Sender
	tg      *telegram.Channel // nil when Telegram is off
	wa      *whatsapp.Channel // nil when WhatsApp is off or not paired
	waStore *whatsapp.Store
	srv     *http.Server
	ln      net.Listener
	metrics *metrics.Metrics
	// pseudonyms name people in the logs.
	pseudonyms care.Pseudonyms
	// consumer names this process to the outbox and the WhatsApp lease.
	consumer string
	// campaigns are the broadcasts; broadcasts feeds them.
	campaigns  *broadcast.Service
	broadcasts *broadcast.Runner
}

// LoadFlows reads and validates the flows of dir, or the shipped flows
// when dir is empty, with the calls of the catalog they sell from; a
// catalog.yaml with problems (catalog.Load lists them) counts as none.
func LoadFlows(dir string) (*flow.Set, error) {
	cat, _ := catalog.Load(FlowsFS(dir))
	return flow.Load(FlowsFS(dir), inbound.Options(cat))
}

// LoadShop reads and validates the flows of dir (the shipped ones when
// dir is empty) and their catalog.yaml, reporting the problems of both:
// the catalog is nil when there is none, and the shop takes no orders
// by chat.
func LoadShop(dir string) (*flow.Set, *catalog.Catalog, error) {
	cat, cerr := catalog.Load(FlowsFS(dir))
	set, err := flow.Load(FlowsFS(dir), inbound.Options(cat))
	if err := errors.Join(err, cerr); err != nil {
		return nil, nil, err
	}
	return set, cat, nil
}

// FlowsFS is the flows directory dir, or the shipped flows when dir is
// empty.
func FlowsFS(dir string) fs.FS {
	if dir == "" {
		return flows.FS
	}
	return os.DirFS(dir)
}

// New connects to Redis, loads the flows, makes the channels and listens
// on cfg.HTTPAddr. It fails with a clear message when Redis is
// unreachable, a flow is wrong or a channel cannot start. Run starts the
// work.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *App, err error) {
	set, cat, err := LoadShop(cfg.FlowsDir)
	if err != nil {
		return nil, fmt.Errorf("flows are not valid, fix them first:\n%w", err)
	}
	if !slices.Contains(set.Languages(), cfg.Lang) {
		return nil, fmt.Errorf("MITRA_LANG=%q: the flows speak %v", cfg.Lang, set.Languages())
	}
	store, closeDB, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if n, err := store.Migrate(ctx); err != nil {
		closeDB()
		return nil, fmt.Errorf("bring the records in Redis up to date: %w", err)
	} else if n > 0 {
		log.Info("records of an earlier version moved to the current layout", "contacts", n)
	}
	pseudonyms, err := store.Pseudonyms(ctx)
	if err != nil {
		closeDB()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		closeDB()
		return nil, fmt.Errorf("MITRA_HTTP_ADDR: %w", err)
	}
	host, _ := os.Hostname()
	a := &App{cfg: cfg, log: log, store: store, closeDB: closeDB, ln: ln, metrics: metrics.New(), pseudonyms: pseudonyms,
		consumer: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), care.NewContactID()[1:7])}
	a.metrics.WatchLanes(a.laneStats)
	a.rt = inbound.New(inbound.Config{
		Lang:            cfg.Lang,
		SessionTTL:      cfg.SessionTTL,
		StaffHold:       cfg.StaffHold,
		StaffHours:      cfg.StaffHours,
		StaffIdle:       cfg.StaffIdle,
		Transcript:      cfg.Transcript,
		PromoMax:        cfg.PromoMax,
		PromoDays:       int(cfg.PromoWindow / (24 * time.Hour)),
		TimeZone:        cfg.TimeZone,
		AlertOwner:      cfg.StaffAlertOwner,
		AlertGather:     cfg.StaffAlertGather,
		PublicURL:       cfg.PublicURL,
		Catalog:         cat,
		FeedbackDelay:   cfg.FeedbackDelay,
		PelunasanBefore: cfg.PelunasanBefore,
		QuietStart:      cfg.QuietStart,
		QuietEnd:        cfg.QuietEnd,
		Logger:          log,
		Recorder:        a.metrics,
		Pseudonyms:      pseudonyms,
	}, set, store)
	defer func() {
		if err != nil {
			a.rt.Close()
			_ = a.Close()
		}
	}()

	a.campaigns = Campaigns(cfg, set, store, log)
	a.broadcasts = broadcast.NewRunner(broadcast.RunnerConfig{Service: a.campaigns, Owner: a.consumer, Windows: broadcastWindows(cfg), OnPause: a.tellOwners})

	var simulator care.Sender
	ccfg := web.Config{Ready: store.Ping, Metrics: a.metrics.Handler(), ShopName: set.ShopName(), TimeZone: cfg.TimeZone, Logger: log, Webhooks: map[string]http.Handler{},
		TrustProxy: cfg.TrustProxy, Staff: store.Staff(redisstore.WithSessionTTL(cfg.StaffSessionTTL)), Inbox: store, Contacts: store, Directory: store, Canned: store, Orders: store,
		Live: store, Resume: a.resume, HandbackFlows: handbackFlows(set)}
	ccfg.Campaigns = a.campaigns
	ccfg.Feedback = store
	ccfg.Fees, ccfg.PayText, ccfg.OrdersLive = store, a.rt.PayText, store
	if cfg.Simulator {
		simulator = sim.New(store, nil)
		ccfg.Simulator = simulatorAPI{rt: a.rt, inbox: store}
	}
	channels := map[care.Channel]care.Sender{}
	if err := a.startTelegram(ctx, cfg, channels, ccfg.Webhooks); err != nil {
		return nil, err
	}
	if err := a.startWhatsApp(ctx, cfg, channels); err != nil {
		return nil, err
	}
	limits := map[care.Channel]outreach.Limits{}
	for ch, r := range cfg.Rates {
		limits[ch] = outreach.Limits{Overall: r.Overall, PerChat: r.PerChat}
	}
	a.sender = outreach.NewSender(outreach.SenderConfig{
		Outbox:    store,
		Limiter:   store,
		Channels:  channels,
		Limits:    limits,
		Simulator: simulator,
		Gate: outreach.NewGate(outreach.GateConfig{
			Quiet:               outreach.QuietHours{Start: cfg.QuietStart, End: cfg.QuietEnd},
			TimeZone:            cfg.TimeZone,
			WhatsAppUnsolicited: cfg.WhatsAppUnsolicited,
		}),
		Caps:       outreach.Caps{Max: cfg.PromoMax, Window: cfg.PromoWindow},
		OptOutLine: optOutLine(a.rt, cfg.Lang),
		Consumer:   a.consumer,
		Active:     a.active,
		Logger:     log,
		Recorder:   a.metrics,
		Pseudonyms: pseudonyms,
	})
	handler := web.New(ccfg)
	a.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// The console's live streams end at shutdown, not at its deadline.
	a.srv.RegisterOnShutdown(handler.EndStreams)
	return a, nil
}

// OpenStore connects to the configured Redis for the commands that read
// or change records without running Mitra (contacts). Call close when
// done.
func OpenStore(ctx context.Context, cfg config.Config) (store *redisstore.Store, close func() error, err error) {
	if err := cfg.RequireRedis(); err != nil {
		return nil, nil, err
	}
	client, err := redisstore.Open(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("MITRA_REDIS_URL: %w", err)
	}
	store = redisstore.New(client, cfg.RedisPrefix, redisstore.WithTranscript(cfg.Transcript))
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := store.Ping(pingCtx); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("cannot reach Redis at %s: %w", cfg.RedactedRedisURL(), err)
	}
	return store, client.Close, nil
}

// handbackFlows are the flows staff may have the bot start when they
// hand a conversation back: the main menu first, which a customer back
// with the bot most often wants.
func handbackFlows(set *flow.Set) []string {
	const menu = "menu" // every set has it (flow.Load checks)
	names := set.Flows()
	if i := slices.Index(names, menu); i > 0 {
		names = append([]string{menu}, slices.Delete(names, i, i+1)...)
	}
	return names
}

// optOutLine renders the opt-out line of the flows loaded last in a
// language.
func optOutLine(rt *inbound.Runtime, lang string) func(string) string {
	return func(l string) string {
		return rt.Current().Flows().SystemText(flow.TextOptOutLine, care.Session{Lang: l}, flow.Env{Lang: lang})
	}
}

// resume gives a conversation back to the bot on the flows loaded last.
func (a *App) resume(ctx context.Context, id care.ContactID) error {
	return a.rt.Current().Resume(ctx, id)
}

// URL is the address the HTTP server listens on.
func (a *App) URL() string { return "http://" + a.ln.Addr().String() }

// Run serves until ctx ends, then shuts down in order: stop taking HTTP
// requests, finish the queued messages, stop the sender.
func (a *App) Run(ctx context.Context) error {
	a.log.Info("mitra is running", "url", a.URL(), "redis", a.cfg.RedactedRedisURL(), "simulator", a.cfg.Simulator,
		"staff_hours", a.cfg.StaffHours.String())
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.sender.Run(work) })
	wg.Go(func() { a.sweepLoop(work) })
	wg.Go(func() { _ = a.broadcasts.Run(work) })
	wg.Go(func() { a.recoverOnce(work) })
	errc := make(chan error, 1)
	go func() { errc <- fmt.Errorf("http server: %w", a.srv.Serve(a.ln)) }()
	recv, stopRecv := context.WithCancel(ctx)
	var chans sync.WaitGroup
	if a.tg != nil {
		chans.Go(func() {
			// Like WhatsApp, Telegram stopping (a revoked token) does not
			// stop the shop's other channels.
			if err := a.tg.Run(recv); err != nil {
				a.log.Error("telegram stopped; the other channels go on", "err", err)
			}
		})
	}
	if a.wa != nil {
		chans.Go(func() {
			// WhatsApp stopping (logged out, session taken over) does not
			// stop the shop's other channels; it is alerted and logged.
			if err := a.wa.Run(recv); err != nil {
				a.log.Error("whatsapp stopped; the other channels go on", "err", err)
			}
		})
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	// Channels stop taking messages first, then the HTTP server lets
	// in-flight requests (webhooks, the simulator) finish, then the
	// runtime, then the sender.
	stopRecv()
	chans.Wait()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(shutdown)
	a.rt.Close()
	stopWork()
	wg.Wait()
	a.log.Info("mitra stopped")
	return err
}

// recoverLease is how long one process's start-up recovery keeps the
// others' from scanning again.
const recoverLease = 10 * time.Minute

// recoverOnce re-queues messages whose lane entry was lost (see
// redisstore.Store.Recover): only a Redis Cluster failover loses one,
// so it runs at start-up, in one process of those starting together.
func (a *App) recoverOnce(ctx context.Context) {
	if ok, err := a.store.Acquire(ctx, "recover", a.consumer, recoverLease); err != nil || !ok {
		return // another process scans, or Redis is away (the next start tries)
	}
	if n, err := a.store.Recover(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("outbox recovery failed", "err", err)
	} else if n > 0 {
		a.log.Info("outbox recovery re-queued messages", "count", n)
	}
}

// sweepEvery is how often due durable jobs (erasures, merges) are run,
// lapsed staff holds returned to the bot and staff alerted.
const sweepEvery = 5 * time.Second

// alertLease is how long the process that alerts staff keeps the
// others from doing it too; it renews it every sweep.
const alertLease = 3 * sweepEvery

// feedbackEvery is how often the process holding the alerts' lease
// looks for orders to ask about: each look reads the lists of orders
// delivered and picked up.
const feedbackEvery = time.Minute

// sweepLoop finishes durable jobs (erasures, merges) as they come due,
// also those a crashed process left half-done, gives back to the bot
// the conversations staff did not answer in time, and alerts staff
// about the conversations waiting for them. Every process sweeps: a job
// is claimed by one, a conversation returned by one write over its
// profile's version. Alerts are one process's, under a lease, so the
// conversations that start waiting together are listed together; the
// same process asks, once a minute, the customers whose orders arrived
// how they were, those whose COD orders staff confirmed whether to
// send them, and reminds those whose pre-orders are nearly ready of the
// balance.
func (a *App) sweepLoop(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	var asked time.Time // the last feedback sweep
	for {
		if n, err := a.store.Sweep(ctx, a.forgetters()); err != nil && ctx.Err() == nil {
			a.log.Warn("a durable job failed; it runs again shortly", "err", err)
		} else if n > 0 {
			a.log.Info("durable jobs done", "count", n)
		}
		if n, err := a.rt.Current().SweepHandovers(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("returning conversations staff did not answer failed; tried again shortly", "err", err)
		} else if n > 0 {
			a.log.Info("conversations staff did not answer went back to the bot", "count", n)
		}
		if ok, err := a.store.Acquire(ctx, "alerts", a.consumer, alertLease); err != nil && ctx.Err() == nil {
			a.log.Warn("the lease to alert staff failed; tried again shortly", "err", err)
		} else if ok {
			if _, err := a.rt.Current().SweepAlerts(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("alerting staff failed; tried again shortly", "err", err)
			}
			if time.Since(asked) >= feedbackEvery {
				asked = time.Now()
				if _, err := a.rt.Current().SweepFeedback(ctx); err != nil && ctx.Err() == nil {
					a.log.Warn("asking customers how their orders were failed; tried again shortly", "err", err)
				}
				if _, err := a.rt.Current().SweepCOD(ctx); err != nil && ctx.Err() == nil {
					a.log.Warn("asking customers to confirm their COD orders failed; tried again shortly", "err", err)
				}
				if _, err := a.rt.Current().SweepBalances(ctx); err != nil && ctx.Err() == nil {
					a.log.Warn("reminding customers of their pre-orders' balance failed; tried again shortly", "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// forgetters are the channels' own stores that an erasure cleans.
func (a *App) forgetters() []care.Forgetter {
	if a.wa == nil {
		return nil
	}
	return []care.Forgetter{a.wa}
}

// active reports whether this process sends on ch now: WhatsApp only
// while it holds the number's lease, so a standby process leaves the
// number's messages to the one that runs it.
func (a *App) active(ch care.Channel) bool {
	if ch == care.WhatsApp && a.wa != nil {
		return a.wa.State().Status != whatsapp.StatusStandby
	}
	return true
}

// laneStats reads the outbox lanes for /metrics.
func (a *App) laneStats() ([]metrics.LaneStats, int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	lanes, held, err := a.store.Lanes(ctx)
	out := make([]metrics.LaneStats, len(lanes))
	for i, l := range lanes {
		out[i] = metrics.LaneStats{Lane: string(l.Lane), Waiting: l.Waiting, Pending: l.Pending}
	}
	return out, held, err
}

// Close releases the listener and Redis. Call it after Run returns, or
// instead of Run.
func (a *App) Close() error {
	err := a.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	if a.waStore != nil {
		err = errors.Join(err, a.waStore.Close())
	}
	return errors.Join(err, a.closeDB())
}

// startTelegram makes the Telegram channel when a token is set, and
// registers its webhook path when it has one.
func (a *App) startTelegram(ctx context.Context, cfg config.Config, channels map[care.Channel]care.Sender, webhooks map[string]http.Handler) error {
	if cfg.Telegram.Token == "" {
		return nil
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tg, err := telegram.New(tctx, telegram.Config{
		Token: cfg.Telegram.Token, APIURL: cfg.Telegram.APIURL, Mode: cfg.Telegram.Mode,
		WebhookURL: cfg.Telegram.WebhookURL, WebhookSecret: cfg.Telegram.WebhookSecret,
		Pseudonyms: a.pseudonyms,
		Limiter:    a.store, LimitKey: string(care.Telegram), Rate: cfg.Rates[care.Telegram].Overall,
		OnCosmeticFailure: func(call string) { a.metrics.Cosmetic(care.Telegram, call) },
	}, a.rt, a.log)
	if err != nil {
		return fmt.Errorf("telegram: %w", err)
	}
	if p := tg.WebhookPath(); p != "" {
		if err := web.CheckWebhookPath(p); err != nil {
			return fmt.Errorf("MITRA_TELEGRAM_WEBHOOK_URL: %w", err)
		}
		webhooks[p] = tg
	}
	a.tg = tg
	channels[care.Telegram] = tg
	return nil
}

// startWhatsApp opens the device store and makes the WhatsApp channel
// when a number is paired (or says clearly that none is).
func (a *App) startWhatsApp(ctx context.Context, cfg config.Config, channels map[care.Channel]care.Sender) error {
	if cfg.WhatsApp.Mode == "off" {
		return nil
	}
	pacing := whatsapp.DefaultPacing()
	w := cfg.WhatsApp
	pacing.ReplyGap, pacing.ShopPerMinute, pacing.Jitter = w.ReplyGap, w.PerMinute, w.Jitter
	pacing.DailyCap, pacing.WarmupCap, pacing.WarmupDays = w.DailyCap, w.WarmupCap, w.WarmupDays
	if err := pacing.Validate(); err != nil {
		return fmt.Errorf("whatsapp pacing (MITRA_WHATSAPP_*): %w", err)
	}
	st, err := whatsapp.Open(ctx, cfg.DataDir, a.log)
	if err != nil {
		return fmt.Errorf("whatsapp device store: %w", err)
	}
	dev, err := st.Device(ctx)
	if err != nil {
		st.Close()
		return fmt.Errorf("whatsapp device store: %w", err)
	}
	if !dev.Paired {
		st.Close()
		if w.Mode == "on" {
			return errors.New("MITRA_WHATSAPP=on but no WhatsApp number is paired: run `mitra whatsapp pair` first")
		}
		a.log.Info("WhatsApp is not paired, so it is off: run `mitra whatsapp pair`, then restart")
		return nil
	}
	a.waStore = st
	a.wa = whatsapp.New(whatsapp.Config{
		Store: st, Pacing: pacing, TimeZone: cfg.TimeZone, Lang: cfg.Lang,
		Leaser: a.store, Owner: a.consumer, Pseudonyms: a.pseudonyms,
		OnCosmeticFailure: func(call string) { a.metrics.Cosmetic(care.WhatsApp, call) },
		OnAlert: func(al whatsapp.Alert) {
			a.metrics.Alert(care.WhatsApp, string(al.Kind))
			a.log.Error("WHATSAPP ALERT for the shop's staff", "kind", al.Kind, "message", al.Message)
			a.holdBroadcasts(al)
		},
	}, a.rt, a.log)
	channels[care.WhatsApp] = a.wa
	return nil
}

// simulatorAPI joins the runtime and the simulator inbox for the console.
type simulatorAPI struct {
	rt    *inbound.Runtime
	inbox care.SimInbox
}

func (s simulatorAPI) Submit(ctx context.Context, in care.Inbound) error {
	return s.rt.Handle(ctx, in)
}

func (s simulatorAPI) Messages(ctx context.Context, a care.Address, after int64, max int) ([]care.SimMessage, error) {
	return s.inbox.After(ctx, a, after, max)
}
