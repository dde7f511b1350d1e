package broadcast

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/outreach"
)

// PlanConfig holds the rules a plan predicts: the gate's, the caps and
// the channels' pace.
type PlanConfig struct {
	// Quiet, TimeZone and WhatsAppUnsolicited are the gate's (see
	// outreach.GateConfig).
	Quiet               outreach.QuietHours
	TimeZone            *time.Location
	WhatsAppUnsolicited bool
	// Caps bound promotions per person (MITRA_PROMO_CAP).
	Caps outreach.Caps
	// WhatsAppPerMinute and WhatsAppDailyCap are the number's pace for
	// messages the shop starts (MITRA_WHATSAPP_PER_MINUTE, the day's
	// cap, lower during the warm-up).
	WhatsAppPerMinute, WhatsAppDailyCap int
	// Rates are the channels' overall limits, for the estimated finish.
	Rates map[care.Channel]care.Rate
}

// Planner decides who a campaign reaches, on which address, in which
// order, and predicts when. It is pure: the store streams the contacts.
type Planner struct {
	cfg PlanConfig
}

// NewPlanner returns a planner applying cfg.
func NewPlanner(cfg PlanConfig) *Planner {
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.UTC
	}
	return &Planner{cfg: cfg}
}

// placement is what a plan makes of one contact.
type placement struct {
	// outside: not in the audience.
	outside bool
	// excl, when set, says why the contact gets nothing.
	excl care.Exclusion
	// channel is the channel the contact is (or would have been)
	// reached on; addr and lane where the message goes.
	channel care.Channel
	addr    care.Address
	lane    care.Lane
	// order places the recipient in its lane: lower goes first.
	order float64
	// quiet, when set, is when the contact's quiet hours end.
	quiet time.Time
}

// inAudience reports whether the contact is in the audience a at now;
// buyers are the contacts a's order rules keep (nil: a has none).
func inAudience(c care.Contact, a care.Audience, buyers customers, now time.Time) bool {
	if buyers != nil && !buyers[c.ID] {
		return false
	}
	for _, t := range a.Tags {
		if !slices.Contains(c.Tags, t) {
			return false
		}
	}
	if a.Channel != "" && !slices.ContainsFunc(c.Addresses, func(x care.Address) bool { return x.Channel == a.Channel }) {
		return false
	}
	if a.ActiveDays > 0 && (c.LastInbound.IsZero() || now.Sub(c.LastInbound) > time.Duration(a.ActiveDays)*24*time.Hour) {
		return false
	}
	return true
}

// place decides about one contact of the audience at now: excluded and
// why, or where the message goes. The rules are the gate's (a test
// holds them together), plus the person's cap, which a campaign does
// not queue behind: someone who had their promotions is left out.
func (pl *Planner) place(p care.Prospect, only care.Channel, now time.Time) placement {
	c := p.Contact
	out := pl.pick(c, only)
	switch promo, ok := c.Consent[care.Promotions]; {
	case !c.Erasing.IsZero():
		out.excl = care.ExclErasing
	case c.Blocked:
		out.excl = care.ExclBlocked
	case !ok:
		out.excl = care.ExclNoConsent
	case !promo.Granted:
		out.excl = care.ExclWithdrawn
	case !c.Suppressed.IsZero() && !promo.At.After(c.Suppressed):
		out.excl = care.ExclSuppressed
	case pl.cfg.Caps.Max > 0 && p.Capped >= pl.cfg.Caps.Max:
		out.excl = care.ExclOverCap
	}
	if out.excl != "" || out.addr.ID == "" {
		return out
	}
	out.quiet = pl.cfg.Quiet.EndsAt(now.In(pl.location(c)))
	return out
}

// pick chooses the address a contact is reached on: of the channels
// allowed (only, or any) that can reach them, the one they wrote on
// last (Telegram on a tie: no ban to fear). A WhatsApp number that
// never wrote counts as unable, unless configured otherwise. When none
// is left, excl says why.
func (pl *Planner) pick(c care.Contact, only care.Channel) placement {
	var out placement
	best := time.Time{}
	neverWrote := false
	for _, ch := range []care.Channel{care.Telegram, care.WhatsApp} {
		if only != "" && ch != only {
			continue
		}
		a, ok := addressOn(c, ch)
		if !ok {
			continue
		}
		if out.channel == "" {
			out.channel = ch // for the exclusions' CSV: where they would have been reached
		}
		if c.Unreachable[ch] != "" {
			continue
		}
		last := c.LastInboundOn[ch]
		if ch == care.WhatsApp && last.IsZero() && !pl.cfg.WhatsAppUnsolicited {
			neverWrote = true
			continue
		}
		if out.addr.ID == "" || last.After(best) {
			out.addr, out.channel, best = a, ch, last
		}
	}
	switch {
	case out.addr.ID != "":
		out.lane = care.LaneOf(out.addr, care.Promotional)
		if out.lane == care.Lane("whatsapp.shop") {
			// Warm contacts first: the latest to write goes first.
			out.order = -float64(best.UnixMilli())
		}
	case neverWrote:
		out.excl = care.ExclNeverWrote
	default:
		out.excl = care.ExclUnreachable
	}
	return out
}

// addressOn is the contact's address on ch: a WhatsApp phone number
// before its LID.
func addressOn(c care.Contact, ch care.Channel) (care.Address, bool) {
	var found care.Address
	for _, a := range c.Addresses {
		if a.Channel != ch {
			continue
		}
		if found.ID == "" || strings.HasPrefix(found.ID, "lid-") && !strings.HasPrefix(a.ID, "lid-") {
			found = a
		}
	}
	return found, found.ID != ""
}

// location is the contact's time zone, else the shop's.
func (pl *Planner) location(c care.Contact) *time.Location {
	if c.TimeZone != "" {
		if loc, err := time.LoadLocation(c.TimeZone); err == nil {
			return loc
		}
	}
	return pl.cfg.TimeZone
}

// tally accumulates a preview over the contacts a scan hands it.
type tally struct {
	p        care.Preview
	quiet    int
	perLane  map[care.Lane]int
	quietEnd time.Time
}

// add counts one contact's placement.
func (t *tally) add(pl placement) {
	switch {
	case pl.outside:
		t.p.Outside++
	case pl.excl != "":
		t.p.Excluded[pl.excl]++
	default:
		t.p.Recipients++
		t.p.ByChannel[pl.channel]++
		t.perLane[pl.lane]++
		if !pl.quiet.IsZero() {
			t.quiet++
			if pl.quiet.After(t.quietEnd) {
				t.quietEnd = pl.quiet
			}
		}
	}
}

// Preview says what starting campaign c at start would do, streaming
// the contacts from store; excluded, if set, hears of each contact left
// out. See care.Campaigns.
func (pl *Planner) Preview(ctx context.Context, store PlanStore, c care.Campaign, start time.Time, excluded func(care.Excluded) error) (care.Preview, error) {
	t := &tally{p: care.Preview{Campaign: c.ID, Audience: c.Audience, At: start, Excluded: map[care.Exclusion]int{}, ByChannel: map[care.Channel]int{}},
		perLane: map[care.Lane]int{}}
	buyers, err := ordered(ctx, store, c.Audience, start)
	if err != nil {
		return care.Preview{}, err
	}
	err = store.ScanProspects(ctx, pl.cfg.Caps.Window, func(ps []care.Prospect) error {
		for _, p := range ps {
			t.p.Scanned++
			if !inAudience(p.Contact, c.Audience, buyers, start) {
				t.add(placement{outside: true})
				continue
			}
			placed := pl.place(p, c.Audience.Channel, start)
			t.add(placed)
			if placed.excl != "" && excluded != nil {
				if err := excluded(care.Excluded{Contact: p.ID, Channel: placed.channel, Reason: placed.excl}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return care.Preview{}, err
	}
	pl.estimate(t, start)
	return t.p, nil
}

// estimate fills in who gets the message now or later, and when the
// last one goes: WhatsApp at its pace outside the quiet hours and
// within its daily cap, the other channels at their rate.
func (pl *Planner) estimate(t *tally, start time.Time) {
	p := &t.p
	p.Later = map[string]int{}
	if t.quiet > 0 {
		p.Later[care.LaterQuiet] = t.quiet
	}
	finish := start
	if !t.quietEnd.IsZero() {
		finish = t.quietEnd
	}
	if n := t.perLane[care.Lane("whatsapp.shop")]; n > 0 {
		firstDay, last := pl.whatsappSchedule(n, start)
		if later := n - firstDay; later > 0 {
			p.Later[care.LaterPacing] = later
		}
		if last.After(finish) {
			finish = last
		}
	}
	if n := t.perLane[care.Lane("telegram.shop")]; n > 0 {
		from := start
		if end := pl.cfg.Quiet.EndsAt(start.In(pl.cfg.TimeZone)); !end.IsZero() {
			from = end
		}
		if last := from.Add(sendTime(n, pl.cfg.Rates[care.Telegram])); last.After(finish) {
			finish = last
		}
	}
	later := 0
	for _, n := range p.Later {
		later += n
	}
	p.Now = max(0, p.Recipients-later)
	if len(p.Later) == 0 {
		p.Later = nil
	}
	p.Finish = finish
	y1, m1, d1 := start.In(pl.cfg.TimeZone).Date()
	y2, m2, d2 := finish.In(pl.cfg.TimeZone).Date()
	p.Days = int(time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)).Hours()/24) + 1
}

// sendTime is how long n sends take at rate r (none: at once).
func sendTime(n int, r care.Rate) time.Duration {
	if r.Zero() {
		return 0
	}
	return time.Duration(math.Ceil(float64(n) * float64(r.Per) / float64(r.N)))
}

// maxPlanDays bounds the WhatsApp estimate: a campaign that needs more
// is reported as needing that many.
const maxPlanDays = 366

// whatsappSchedule estimates, for n WhatsApp messages the shop starts
// from start, how many go on the first day and when the last goes: a
// minute apart per WhatsAppPerMinute, never in the quiet hours (the
// shop's time), at most the daily cap per day from midnight.
func (pl *Planner) whatsappSchedule(n int, start time.Time) (firstDay int, last time.Time) {
	per := max(1, pl.cfg.WhatsAppPerMinute)
	dayCap := pl.cfg.WhatsAppDailyCap
	if dayCap <= 0 {
		dayCap = math.MaxInt
	}
	loc := pl.cfg.TimeZone
	at := start.In(loc).Truncate(time.Minute)
	left := n
	for day := 0; day < maxPlanDays && left > 0; day++ {
		y, m, d := at.Date()
		midnight := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		sent := 0
		for ; at.Before(midnight) && left > 0 && sent < dayCap; at = at.Add(time.Minute) {
			if end := pl.cfg.Quiet.EndsAt(at); !end.IsZero() {
				at = end.Add(-time.Minute)
				continue
			}
			k := min(per, left, dayCap-sent)
			sent += k
			left -= k
			last = at.Add(time.Duration(k-1) * time.Minute / time.Duration(per))
		}
		if day == 0 {
			firstDay = sent
		}
		at = midnight
	}
	if left > 0 {
		last = start.Add(maxPlanDays * 24 * time.Hour)
	}
	return firstDay, last
}
