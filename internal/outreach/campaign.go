package outreach

import (
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// PausedRecheck is how long a paused campaign's message waits before
// the gate looks at its campaign again.
const PausedRecheck = time.Minute

// campaignHold decides on a campaign's message from the campaign's state
// as the store holds it when the message is about to go, never from the
// message: a running campaign's goes on to the other rules, a paused
// one's waits (held is true), a cancelled, finished or unknown one's is
// refused. A test the owner asked for goes on whatever the state, and
// so does a message whose campaign is a label of another system's, not
// a campaign id.
func campaignHold(d care.Delivery, now time.Time) (dec Decision, held bool) {
	if d.Campaign == "" || care.CampaignID(d.Campaign).Validate() != nil || d.CampaignStatus.Test {
		return Decision{}, false
	}
	switch st := d.CampaignStatus.State; st {
	case care.CampaignRunning:
		return Decision{}, false
	case care.CampaignPaused:
		return Decision{Verdict: care.Defer, Reason: "campaign paused", Until: now.Add(PausedRecheck)}, true
	case "":
		return refuse("campaign not found"), true
	default:
		return refuse("campaign " + string(st)), true
	}
}

// EndsAt returns, when local falls in the quiet hours, the moment they
// end; otherwise the zero time. Planners use it to tell who gets a
// promotion later.
func (q QuietHours) EndsAt(local time.Time) time.Time { return q.until(local) }
