package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mitra-care/mitra/internal/broadcast"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/whatsapp"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/flow"
	"github.com/mitra-care/mitra/internal/outreach"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// Campaigns are the shop's broadcasts over store, with the rules of
// cfg and the flows' languages and shop name: what `mitra serve` runs
// and `mitra broadcast` drives.
func Campaigns(cfg config.Config, set *flow.Set, store *redisstore.Store, log *slog.Logger) *broadcast.Service {
	rates := map[care.Channel]care.Rate{}
	for ch, r := range cfg.Rates {
		rates[ch] = r.Overall
	}
	return broadcast.New(broadcast.Config{
		Store: store,
		Planner: broadcast.NewPlanner(broadcast.PlanConfig{
			Quiet:               outreach.QuietHours{Start: cfg.QuietStart, End: cfg.QuietEnd},
			TimeZone:            cfg.TimeZone,
			WhatsAppUnsolicited: cfg.WhatsAppUnsolicited,
			Caps:                outreach.Caps{Max: cfg.PromoMax, Window: cfg.PromoWindow},
			WhatsAppPerMinute:   cfg.WhatsApp.PerMinute,
			WhatsAppDailyCap:    cfg.WhatsApp.DailyCap,
			Rates:               rates,
		}),
		Langs:  set.Languages(),
		Shop:   set.ShopName(),
		Logger: log,
	})
}

// broadcastWindows bound how many of a campaign's messages wait in each
// lane: a second and a half of Telegram's rate (broadcast.WindowFor), a
// few of WhatsApp's paced messages (each one early is handed back and
// held), many for the simulator.
func broadcastWindows(cfg config.Config) map[care.Lane]int {
	return map[care.Lane]int{"telegram.shop": broadcast.WindowFor(cfg.Rates[care.Telegram].Overall), "whatsapp.shop": 3, "sim.shop": 500}
}

// pausedWords tell the owners that a broadcast paused itself, per
// language: the name, the id, why, and the id again.
var pausedWords = map[string]string{
	"id": "📣 Broadcast %q (%s) berhenti sendiri: %s\nLihat `mitra broadcast report %s`, lalu resume atau cancel.",
	"en": "📣 Broadcast %q (%s) paused itself: %s\nSee `mitra broadcast report %s`, then resume or cancel.",
}

// tellOwners tells the owners that campaign c paused itself, in their
// linked chats (class StaffAlert: the gate sends it only there), beside
// the warning in the log and the reason the campaign keeps for the
// console. It returns at once: the messages are queued on the side.
func (a *App) tellOwners(c care.Campaign) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		chats, err := a.store.StaffChats(ctx)
		if err != nil {
			a.log.Warn("telling the owners that a broadcast paused failed", "campaign", c.ID, "err", err)
			return
		}
		words, ok := pausedWords[a.cfg.Lang]
		if !ok {
			words = pausedWords["en"]
		}
		var ms []care.Outbound
		for i, ch := range chats {
			if ch.Role != care.RoleOwner {
				continue
			}
			ms = append(ms, care.Outbound{ID: fmt.Sprintf("bp-%s-%d-%d", c.ID, c.Updated.UnixMilli(), i), Address: ch.Address,
				Class: care.StaffAlert, Origin: care.OriginSystem, Staff: ch.Account, Lang: a.cfg.Lang, Created: time.Now(),
				Text: fmt.Sprintf(words, c.Name, c.ID, c.Reason, c.ID)})
		}
		if len(ms) == 0 {
			return
		}
		if err := a.store.QueueStaffChat(ctx, ms); err != nil {
			a.log.Warn("telling the owners that a broadcast paused failed", "campaign", c.ID, "err", err)
		}
	}()
}

// holdBroadcasts pauses the campaigns that send on WhatsApp until a ban
// or a reach-out timelock ends; they resume by themselves then.
func (a *App) holdBroadcasts(al whatsapp.Alert) {
	if (al.Kind != whatsapp.AlertBanned && al.Kind != whatsapp.AlertTimelock) || al.Until.IsZero() {
		return
	}
	// OnAlert must return at once: the pause is written on the side.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		paused, err := a.campaigns.HoldChannel(ctx, care.WhatsApp, al.Until, "WhatsApp: "+al.Message)
		if err != nil {
			a.log.Error("pausing the broadcasts on WhatsApp failed; WhatsApp's pause holds their messages meanwhile", "err", err)
		}
		for _, id := range paused {
			if c, _, err := a.campaigns.Campaign(ctx, id); err == nil {
				a.tellOwners(c)
			}
		}
	}()
}
