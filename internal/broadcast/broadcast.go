// Package broadcast plans and runs campaigns: one promotional message
// to the people of an audience who said yes to promotions. The planner
// streams the contacts and predicts who gets the message, when, and who
// is left out and why; the runner feeds the outbox a batch at a time as
// the lanes drain, under a lease so one process feeds a campaign, and
// pauses a campaign that goes wrong. Nothing here sends: every message
// crosses the outbox and the gate like any other, and the package holds
// no Redis client of its own.
package broadcast

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Store is what campaigns need of the store: their own records, the
// outbox (for tests), the contacts, their orders and leases.
type Store interface {
	PlanStore
	care.Leaser
	Enqueue(ctx context.Context, ms []care.Outbound) error
	Lookup(ctx context.Context, a care.Address) (care.ContactID, bool, error)
}

// Config wires a Service.
type Config struct {
	Store   Store
	Planner *Planner
	// Langs are the shop's languages, the first the default; Shop is
	// its name, for {{shop.name}}.
	Langs []string
	Shop  string
	Now   func() time.Time
	// Logger hears of campaigns the runner pauses (at warn).
	Logger *slog.Logger
}

// Service implements care.Campaigns over a Store.
type Service struct {
	cfg Config
}

var _ care.Campaigns = (*Service)(nil)

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}
}

// Langs are the shop's languages, the first the default.
func (s *Service) Langs() []string { return slices.Clone(s.cfg.Langs) }

// CreateCampaign makes a draft; see care.Campaigns.
func (s *Service) CreateCampaign(ctx context.Context, c care.Campaign) (care.Campaign, error) {
	c, err := c.Clean(s.cfg.Langs)
	if err != nil {
		return care.Campaign{}, err
	}
	now := s.cfg.Now()
	c.ID, c.State, c.Created, c.Updated = care.NewCampaignID(), care.CampaignDraft, now, now
	c.Reason, c.Auto, c.ResumeAt, c.Previewed, c.Started, c.Finished = "", false, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if err := s.cfg.Store.SaveCampaign(ctx, c); err != nil {
		return care.Campaign{}, err
	}
	return c, nil
}

// Campaign returns one campaign with its figures; see care.Campaigns.
func (s *Service) Campaign(ctx context.Context, id care.CampaignID) (care.Campaign, care.CampaignTotals, error) {
	return s.cfg.Store.LoadCampaign(ctx, id)
}

// ListCampaigns returns every campaign, newest first; see
// care.Campaigns.
func (s *Service) ListCampaigns(ctx context.Context) ([]care.Campaign, error) {
	return s.cfg.Store.CampaignList(ctx)
}

// PreviewCampaign says what starting the campaign would do now, and
// records that the owner saw it; see care.Campaigns.
func (s *Service) PreviewCampaign(ctx context.Context, id care.CampaignID, excluded func(care.Excluded) error) (care.Preview, error) {
	c, _, err := s.cfg.Store.LoadCampaign(ctx, id)
	if err != nil {
		return care.Preview{}, err
	}
	start := s.cfg.Now()
	if c.At.After(start) {
		start = c.At
	}
	p, err := s.cfg.Planner.Preview(ctx, s.cfg.Store, c, start, excluded)
	if err != nil {
		return care.Preview{}, fmt.Errorf("preview campaign %s: %w", id, err)
	}
	if c.State == care.CampaignDraft {
		if _, err := s.cfg.Store.ChangeCampaign(ctx, id, func(c care.Campaign) (care.Campaign, error) {
			c.Previewed, c.Updated = s.cfg.Now(), s.cfg.Now()
			return c, nil
		}); err != nil {
			return care.Preview{}, err
		}
	}
	return p, nil
}

// TestCampaign queues the campaign's message to one address of a known
// contact; see care.Campaigns.
func (s *Service) TestCampaign(ctx context.Context, id care.CampaignID, to care.Address) (string, error) {
	if err := to.Validate(); err != nil {
		return "", err
	}
	c, _, err := s.cfg.Store.LoadCampaign(ctx, id)
	if err != nil {
		return "", err
	}
	contact, ok, err := s.cfg.Store.Lookup(ctx, to)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", care.Errorf(care.ENotFound, "that %s address is not a contact of the shop: write to the shop from it first (and say YA to promotions)", to.Channel)
	}
	ps, found, err := s.cfg.Store.Prospects(ctx, []care.ContactID{contact}, 0)
	if err != nil {
		return "", err
	}
	if !found[0] {
		return "", care.Errorf(care.ENotFound, "the contact of that address is gone (erased or merged)")
	}
	m := message(c, ps[0].Contact, to, s.cfg.Shop, s.cfg.Now())
	m.ID = care.CampaignTestID(id)
	if err := s.cfg.Store.AddCampaignTest(ctx, id, m.ID); err != nil {
		return "", err
	}
	if err := s.cfg.Store.Enqueue(ctx, []care.Outbound{m}); err != nil {
		return "", fmt.Errorf("queue the test of campaign %s: %w", id, err)
	}
	return m.ID, nil
}

// message is the campaign's message to contact p at address to, in the
// contact's language when the campaign has a text in it.
func message(c care.Campaign, p care.Contact, to care.Address, shop string, now time.Time) care.Outbound {
	lang := c.Lang
	if c.Texts[p.Lang] != "" {
		lang = p.Lang
	}
	return care.Outbound{
		ID: care.CampaignMessageID(c.ID, p.ID), Contact: p.ID, Address: to, Class: care.Promotional,
		Text: care.RenderCampaign(c.Text(lang), p.Name, shop), Lang: lang, Campaign: string(c.ID),
		Created: now, Origin: care.OriginBroadcast,
	}
}

// StartCampaign starts a previewed draft; see care.Campaigns.
func (s *Service) StartCampaign(ctx context.Context, id care.CampaignID) (care.Campaign, error) {
	return s.cfg.Store.ChangeCampaign(ctx, id, func(c care.Campaign) (care.Campaign, error) {
		if c.State != care.CampaignDraft {
			return c, care.Errorf(care.EConflict, "campaign %s is %s; only a draft starts", id, c.State)
		}
		if c.Previewed.IsZero() {
			return c, care.Errorf(care.EConflict, "campaign %s was never previewed: preview it first, to see who gets it and who does not", id)
		}
		now := s.cfg.Now()
		c.State, c.Updated = care.CampaignRunning, now
		if c.At.After(now) {
			c.State = care.CampaignScheduled
		} else {
			c.Started = now
		}
		return c, nil
	})
}

// PauseCampaign stops a running or scheduled campaign; see
// care.Campaigns.
func (s *Service) PauseCampaign(ctx context.Context, id care.CampaignID) (care.Campaign, error) {
	return s.pause(ctx, id, "paused by the owner", false, time.Time{})
}

// pause pauses a running or scheduled campaign for why; auto marks the
// safety checks' pauses, which lift by themselves at resumeAt if set.
func (s *Service) pause(ctx context.Context, id care.CampaignID, why string, auto bool, resumeAt time.Time) (care.Campaign, error) {
	return s.cfg.Store.ChangeCampaign(ctx, id, func(c care.Campaign) (care.Campaign, error) {
		if c.State != care.CampaignRunning && c.State != care.CampaignScheduled {
			return c, care.Errorf(care.EConflict, "campaign %s is %s; only a running or scheduled one pauses", id, c.State)
		}
		c.State, c.Reason, c.Auto, c.ResumeAt, c.Updated = care.CampaignPaused, why, auto, resumeAt, s.cfg.Now()
		return c, nil
	})
}

// ResumeCampaign lets a paused campaign go on; see care.Campaigns. The
// safety checks count afresh from here: the owner saw why it paused.
func (s *Service) ResumeCampaign(ctx context.Context, id care.CampaignID) (care.Campaign, error) {
	return s.resume(ctx, id, true)
}

// resume lets a paused campaign go on; afresh restarts the safety
// checks' counts.
func (s *Service) resume(ctx context.Context, id care.CampaignID, afresh bool) (care.Campaign, error) {
	_, t, err := s.cfg.Store.LoadCampaign(ctx, id)
	if err != nil {
		return care.Campaign{}, err
	}
	c, err := s.cfg.Store.ChangeCampaign(ctx, id, func(c care.Campaign) (care.Campaign, error) {
		if c.State != care.CampaignPaused {
			return c, care.Errorf(care.EConflict, "campaign %s is %s; only a paused one resumes", id, c.State)
		}
		now := s.cfg.Now()
		c.State, c.Reason, c.Auto, c.ResumeAt, c.Updated = care.CampaignRunning, "", false, time.Time{}, now
		if c.At.After(now) {
			c.State = care.CampaignScheduled
		} else if c.Started.IsZero() {
			c.Started = now
		}
		if afresh {
			c.Baseline = care.Baseline{Sent: t.Sent, OptedOut: t.OptedOut}
		}
		return c, nil
	})
	if err != nil {
		return care.Campaign{}, err
	}
	if afresh {
		if err := s.cfg.Store.ClearRecent(ctx, id); err != nil {
			return care.Campaign{}, err
		}
	}
	return c, nil
}

// CancelCampaign ends a campaign that is not done; see care.Campaigns.
func (s *Service) CancelCampaign(ctx context.Context, id care.CampaignID) (care.Campaign, error) {
	return s.cfg.Store.ChangeCampaign(ctx, id, func(c care.Campaign) (care.Campaign, error) {
		if c.State.Final() {
			return c, care.Errorf(care.EConflict, "campaign %s is %s already", id, c.State)
		}
		now := s.cfg.Now()
		c.State, c.Reason, c.Auto, c.ResumeAt, c.Updated, c.Finished = care.CampaignCancelled, "cancelled by the owner", false, time.Time{}, now, now
		return c, nil
	})
}

// HoldChannel pauses, until until, every running campaign with messages
// waiting or in flight on channel ch (WhatsApp banned the number for a
// while, or locked its reach-outs); each resumes by itself then. It
// returns the campaigns it paused.
func (s *Service) HoldChannel(ctx context.Context, ch care.Channel, until time.Time, why string) ([]care.CampaignID, error) {
	ids, err := s.cfg.Store.ActiveCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	lane := care.Lane(string(ch) + ".shop")
	var paused []care.CampaignID
	for _, id := range ids {
		c, _, err := s.cfg.Store.LoadCampaign(ctx, id)
		if err != nil {
			return paused, err
		}
		if c.State != care.CampaignRunning {
			continue
		}
		lanes, err := s.cfg.Store.CampaignLanes(ctx, id)
		if err != nil {
			return paused, err
		}
		if p := lanes[lane]; p.Waiting == 0 && p.InFlight == 0 {
			continue
		}
		if _, err := s.pause(ctx, id, why, true, until); err != nil {
			if care.ErrorCode(err) == care.EConflict {
				continue // paused or ended meanwhile
			}
			return paused, err
		}
		s.cfg.Logger.Warn("broadcast paused until the channel may send again", "campaign", id, "channel", ch, "until", until, "reason", why)
		paused = append(paused, id)
	}
	return paused, nil
}

// reportPage is how many recipients' lines one round trip of a report
// reads.
const reportPage = 1000

// CampaignReport hands each recipient's line to each and returns the
// totals; see care.Campaigns. Opt-outs and replies the runner has not
// seen yet are looked for now in the sent recipients' profiles, and
// kept.
func (s *Service) CampaignReport(ctx context.Context, id care.CampaignID, each func(care.Recipient) error) (care.CampaignTotals, error) {
	if _, _, err := s.cfg.Store.LoadCampaign(ctx, id); err != nil {
		return care.CampaignTotals{}, err
	}
	var cursor uint64
	for {
		rs, next, err := s.cfg.Store.RecipientPage(ctx, id, cursor, reportPage)
		if err != nil {
			return care.CampaignTotals{}, err
		}
		if err := s.lookAfter(ctx, id, rs); err != nil {
			return care.CampaignTotals{}, err
		}
		for _, r := range rs {
			if err := each(r); err != nil {
				return care.CampaignTotals{}, err
			}
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	_, t, err := s.cfg.Store.LoadCampaign(ctx, id)
	return t, err
}

// lookAfter finds, for sent recipients with neither recorded, an
// opt-out or a reply within 24 hours after their message, records it
// and fills it in.
func (s *Service) lookAfter(ctx context.Context, id care.CampaignID, rs []care.Recipient) error {
	var ids []care.ContactID
	var idx []int
	for i, r := range rs {
		if r.Status == care.RecipientSent && (r.OptedOut.IsZero() || r.Replied.IsZero()) {
			ids, idx = append(ids, r.Contact), append(idx, i)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ps, ok, err := s.cfg.Store.Prospects(ctx, ids, 0)
	if err != nil {
		return err
	}
	var es []care.AfterEvent
	for k, i := range idx {
		if !ok[k] {
			continue
		}
		r := &rs[i]
		out, reply := after(ps[k].Contact, r.At)
		if r.OptedOut.IsZero() && !out.IsZero() {
			r.OptedOut = out
			es = append(es, care.AfterEvent{Contact: r.Contact, OptOut: true, At: out})
		}
		if r.Replied.IsZero() && !reply.IsZero() {
			r.Replied = reply
			es = append(es, care.AfterEvent{Contact: r.Contact, At: reply})
		}
	}
	return s.cfg.Store.RecordAfter(ctx, id, es)
}

// AfterWindow is how long after a campaign's message an opt-out or a
// reply counts as the message's.
const AfterWindow = 24 * time.Hour

// after returns when the person withdrew promotions, and when they last
// wrote, within AfterWindow after sent; zero when they did not.
func after(c care.Contact, sent time.Time) (optOut, reply time.Time) {
	within := func(t time.Time) bool { return t.After(sent) && t.Sub(sent) <= AfterWindow }
	if st, ok := c.Consent[care.Promotions]; ok && !st.Granted && within(st.At) {
		optOut = st.At
	}
	if within(c.LastInbound) {
		reply = c.LastInbound
	}
	return optOut, reply
}
