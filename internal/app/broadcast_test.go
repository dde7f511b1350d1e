package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// allMessages returns every message the bot sent a simulated user.
func allMessages(t *testing.T, base, user string) []care.SimMessage {
	t.Helper()
	resp, err := http.Get(base + "/api/sim/messages?user=" + user + "&channel=telegram&after=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r simReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r.Messages
}

// A broadcast through the whole program: the customer who said YA to
// the opt-in question gets it once, with the opt-out line; the one who
// only chatted gets nothing.
func TestBroadcastEndToEnd(t *testing.T) {
	a := start(t, func(c *config.Config) { c.QuietStart, c.QuietEnd = 0, 0 })
	base := a.URL()
	say := func(user, text, id string) {
		t.Helper()
		if resp := post(t, base+"/api/sim/messages", `{"user":"`+user+`","channel":"telegram","text":"`+text+`","id":"`+id+`"}`); resp.StatusCode != 200 {
			t.Fatalf("POST = %s", resp.Status)
		}
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	say("yes", "mulai", "y1")
	wait("the opt-in question", func() bool { return len(allMessages(t, base, "yes")) > 0 })
	say("yes", "ya", "y2")
	wait("the thanks", func() bool {
		ms := allMessages(t, base, "yes")
		return strings.Contains(ms[len(ms)-1].Text, "Terima kasih")
	})
	say("chat", "halo", "c1")
	wait("the greeting", func() bool { return len(allMessages(t, base, "chat")) > 0 })

	ctx := context.Background()
	c, err := a.campaigns.CreateCampaign(ctx, care.Campaign{Name: "Promo", Texts: map[string]string{"id": "Diskon untuk {{contact.name|Kakak}} di {{shop.name}}!"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.campaigns.PreviewCampaign(ctx, c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Recipients != 1 || p.Excluded[care.ExclNoConsent] != 1 {
		t.Fatalf("preview = %+v, want one recipient and one without consent", p)
	}
	if _, err := a.campaigns.StartCampaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	wait("the campaign done", func() bool {
		got, _, err := a.campaigns.Campaign(ctx, c.ID)
		return err == nil && got.State == care.CampaignDone
	})
	promos := func(user string) []care.SimMessage {
		var out []care.SimMessage
		for _, m := range allMessages(t, base, user) {
			if m.Class == care.Promotional {
				out = append(out, m)
			}
		}
		return out
	}
	got := promos("yes")
	if len(got) != 1 || !strings.HasPrefix(got[0].Text, "Diskon untuk yes di Warung Bu Sari!") || !strings.Contains(got[0].Text, "STOP") {
		t.Errorf("the subscriber got %+v, want the campaign once with the opt-out line", got)
	}
	if got := promos("chat"); len(got) != 0 {
		t.Errorf("the customer who never said yes got %+v", got)
	}
}

// A broadcast that pauses itself is told to the owners' linked chats,
// not to other staff's.
func TestBroadcastPauseToldToOwners(t *testing.T) {
	a := start(t, nil)
	ctx := t.Context()
	staff := a.store.Staff(redisstore.WithBcryptCost(bcrypt.MinCost))
	for name, role := range map[string]care.StaffRole{"sari": care.RoleOwner, "budi": care.RoleStaff} {
		if _, err := staff.AddStaff(ctx, name, role, "kopi-susu-2026"); err != nil {
			t.Fatal(err)
		}
		code, _, err := a.store.StaffLinkCode(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := a.store.LinkStaffChat(ctx, care.Address{Channel: care.Telegram, ID: "sim-" + name}, care.Address{}, code, "link-"+name); err != nil || res.Outcome != care.LinkDone {
			t.Fatalf("link %s: %+v, %v", name, res, err)
		}
	}
	c := care.Campaign{ID: "babcdefgh", Name: "Lebaran", State: care.CampaignPaused, Auto: true, Reason: "safety: 6 of 40 people reached withdrew promotions", Updated: time.Now()}
	a.tellOwners(c)
	deadline := time.Now().Add(15 * time.Second)
	for len(allMessages(t, a.URL(), "sari")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the owner was not told")
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := allMessages(t, a.URL(), "sari")
	if len(got) != 1 || got[0].Class != care.StaffAlert || !strings.Contains(got[0].Text, `"Lebaran" (babcdefgh) berhenti sendiri: safety: 6 of 40`) {
		t.Errorf("the owner got %+v", got)
	}
	if got := allMessages(t, a.URL(), "budi"); len(got) != 0 {
		t.Errorf("staff who are not owners got %+v", got)
	}
}
