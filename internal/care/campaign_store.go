package care

import (
	"context"
	"time"
)

// Prospect is a live contact looked at for a campaign, with what the
// store counts of them beside the profile.
type Prospect struct {
	Contact
	// Capped counts the promotions counted against the person's cap in
	// its window now.
	Capped int
}

// Planned is a recipient the plan found: the lane their message will
// wait in, and their place in that lane's order (lower goes first).
type Planned struct {
	Contact ContactID
	Lane    Lane
	Order   float64
}

// PlanTotals are what a plan counted.
type PlanTotals struct {
	Planned, Outside int
	Excluded         map[Exclusion]int
}

// RecipientUpdate records what became of one planned recipient before
// the outbox: queued in Lane, or refused with Reason. From is the lane
// the plan put them in.
type RecipientUpdate struct {
	Contact ContactID
	From    Lane
	Lane    Lane
	Status  RecipientStatus
	Reason  string
}

// AfterEvent is something a recipient did within 24 hours after their
// message: withdrew promotions (OptOut) or wrote.
type AfterEvent struct {
	Contact ContactID
	OptOut  bool
	At      time.Time
}

// SentTo is a recipient whose message was sent, and when.
type SentTo struct {
	Contact ContactID
	At      time.Time
}

// LaneProgress is where a campaign stands in one lane.
type LaneProgress struct {
	// Waiting counts recipients not handed to the outbox yet; InFlight
	// those handed over without a final outcome yet.
	Waiting, InFlight int
}

// CampaignStore keeps campaigns, their plans and their recipients'
// outcomes. Package broadcast plans and runs campaigns over it; it
// never sends anything itself (messages go through the Outbox).
type CampaignStore interface {
	// SaveCampaign stores a new campaign (EConflict if the id is
	// taken).
	SaveCampaign(ctx context.Context, c Campaign) error
	// LoadCampaign returns a campaign and its figures (ENotFound).
	LoadCampaign(ctx context.Context, id CampaignID) (Campaign, CampaignTotals, error)
	// CampaignList returns every campaign, newest first; Active the
	// ids of those not final, or final with messages still in flight.
	CampaignList(ctx context.Context) ([]Campaign, error)
	ActiveCampaigns(ctx context.Context) ([]CampaignID, error)
	// ChangeCampaign rewrites a campaign with fn, only over the version
	// fn saw. A final campaign leaves the active set once nothing of it
	// is in flight (Retire).
	ChangeCampaign(ctx context.Context, id CampaignID, fn func(Campaign) (Campaign, error)) (Campaign, error)
	// Retire takes a final campaign out of the active set.
	Retire(ctx context.Context, id CampaignID) error
	// CampaignLanes says, per lane, what waits and what is in flight.
	CampaignLanes(ctx context.Context, id CampaignID) (map[Lane]LaneProgress, error)

	// ScanProspects hands fn every contact of the index, a batch at a
	// time, without holding them all: each person once, those being
	// erased too, merged stubs not. capWindow is the promotion cap's
	// window.
	ScanProspects(ctx context.Context, capWindow time.Duration, fn func([]Prospect) error) error
	// Prospects reads the given contacts as ScanProspects would; ok[i]
	// is false for one that is gone or merged away.
	Prospects(ctx context.Context, ids []ContactID, capWindow time.Duration) ([]Prospect, []bool, error)
	// AddPlanned adds recipients to the campaign's plan; adding one
	// again changes nothing. FinishPlan records the plan's totals and
	// marks it whole.
	AddPlanned(ctx context.Context, id CampaignID, rs []Planned) error
	FinishPlan(ctx context.Context, id CampaignID, t PlanTotals) error
	// Planned reports whether the plan is whole.
	Planned(ctx context.Context, id CampaignID) (bool, error)
	// NextPlanned returns up to n recipients of a lane not queued yet,
	// first in order first.
	NextPlanned(ctx context.Context, id CampaignID, lane Lane, n int) ([]ContactID, error)

	// EnqueueCampaign queues each message to its contact, unless the
	// contact already got one of this campaign: the mark and the
	// message are stored in one step, so a contact gets at most one
	// however often this runs. The error per message is nil when it is
	// queued now or was before, ENotFound when the contact is gone, or
	// another error to retry.
	EnqueueCampaign(ctx context.Context, id CampaignID, ms []Outbound) []error
	// RecordRecipients records updates and takes their recipients off
	// the plan's waiting list.
	RecordRecipients(ctx context.Context, id CampaignID, us []RecipientUpdate) error
	// FoldOutcomes reads the outbox's audit since the last fold and
	// records the campaign's outcomes, each once; it returns how many
	// entries it read.
	FoldOutcomes(ctx context.Context, id CampaignID, max int) (int, error)
	// RecentFailures counts, of the campaign's last 50 delivery
	// attempts the channel answered (sent or failed), those that
	// failed.
	RecentFailures(ctx context.Context, id CampaignID) (failed, of int, err error)
	// ClearRecent forgets the recent attempts (a resume starts afresh).
	ClearRecent(ctx context.Context, id CampaignID) error
	// SentSince returns up to n recipients whose message was sent after
	// since and after the recipient after (in time order, "" from the
	// start).
	SentSince(ctx context.Context, id CampaignID, since time.Time, after SentTo, n int) ([]SentTo, error)
	// RecordAfter records opt-outs and replies, each recipient's first
	// of each.
	RecordAfter(ctx context.Context, id CampaignID, es []AfterEvent) error
	// Reconcile marks gone the recipients in flight whose message left
	// the outbox with no outcome over olderThan ago; it returns how
	// many.
	Reconcile(ctx context.Context, id CampaignID, olderThan time.Duration) (int, error)
	// RecipientPage returns one page of the recipients' lines from
	// cursor (0 first); next is 0 after the last page.
	RecipientPage(ctx context.Context, id CampaignID, cursor uint64, n int) (rs []Recipient, next uint64, err error)
	// AddCampaignTest records that messageID is a test of the campaign,
	// so the gate lets it through whatever the campaign's state.
	AddCampaignTest(ctx context.Context, id CampaignID, messageID string) error
}
