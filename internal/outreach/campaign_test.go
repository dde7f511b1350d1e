package outreach

import (
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

func TestGateCampaignState(t *testing.T) {
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC) // 10:00 WIB
	tg := care.Address{Channel: care.Telegram, ID: "42"}
	granted := map[care.Purpose]care.ConsentState{care.Promotions: {Granted: true, At: now.Add(-48 * time.Hour)}}
	withdrawn := map[care.Purpose]care.ConsentState{care.Promotions: {Granted: false, At: now.Add(-time.Hour)}}
	promo := func(campaign string, st care.CampaignStatus, consent map[care.Purpose]care.ConsentState) care.Delivery {
		p := care.Contact{ID: "ctg00000000000001", Addresses: []care.Address{tg}, Consent: consent}
		return care.Delivery{Outbound: care.Outbound{ID: "m", Contact: p.ID, Address: tg, Class: care.Promotional, Campaign: campaign, Created: now},
			Profile: p, CampaignStatus: st}
	}
	g := NewGate(GateConfig{TimeZone: time.UTC})
	tests := []struct {
		name   string
		d      care.Delivery
		want   care.Verdict
		reason string
		until  time.Time
	}{
		{"a promotion of no campaign", promo("", care.CampaignStatus{}, granted), care.Allow, "promotions consent", time.Time{}},
		{"a label that is no campaign id", promo("spring", care.CampaignStatus{}, granted), care.Allow, "promotions consent", time.Time{}},
		{"running", promo("babcdefgh", care.CampaignStatus{State: care.CampaignRunning}, granted), care.Allow, "promotions consent", time.Time{}},
		{"paused: held and looked at again", promo("babcdefgh", care.CampaignStatus{State: care.CampaignPaused}, granted), care.Defer, "campaign paused", now.Add(PausedRecheck)},
		{"cancelled", promo("babcdefgh", care.CampaignStatus{State: care.CampaignCancelled}, granted), care.Refuse, "campaign cancelled", time.Time{}},
		{"done", promo("babcdefgh", care.CampaignStatus{State: care.CampaignDone}, granted), care.Refuse, "campaign done", time.Time{}},
		{"a draft sends nothing", promo("babcdefgh", care.CampaignStatus{State: care.CampaignDraft}, granted), care.Refuse, "campaign draft", time.Time{}},
		{"no such campaign", promo("babcdefgh", care.CampaignStatus{}, granted), care.Refuse, "campaign not found", time.Time{}},
		{"a test of a draft", promo("babcdefgh", care.CampaignStatus{State: care.CampaignDraft, Test: true}, granted), care.Allow, "promotions consent", time.Time{}},
		{"a test still needs consent", promo("babcdefgh", care.CampaignStatus{State: care.CampaignRunning, Test: true}, withdrawn), care.Refuse, "no promotions consent", time.Time{}},
		{"consent first, then the campaign", promo("babcdefgh", care.CampaignStatus{State: care.CampaignPaused}, withdrawn), care.Refuse, "no promotions consent", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := g.Decide(tt.d, now)
			if got.Verdict != tt.want || got.Reason != tt.reason || !got.Until.Equal(tt.until) {
				t.Errorf("Decide = %+v, want %s %q until %s", got, tt.want, tt.reason, tt.until)
			}
		})
	}
}
