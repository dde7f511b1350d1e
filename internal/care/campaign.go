package care

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A campaign is one promotional message the shop sends to the people in
// an audience who said yes to promotions. It is planned, previewed and
// started by the owner; a runner feeds it to the outbox in batches, and
// every message crosses the gate like any other.

// Campaign limits.
const (
	// MaxCampaignName bounds a campaign's name, in characters.
	MaxCampaignName = 80
	// MaxCampaignText bounds each text of a campaign, in characters,
	// before the opt-out line the sender appends.
	MaxCampaignText = 2000
	// MaxTags bounds the tags of one contact, and of one audience.
	MaxTags = 20
	// maxTag bounds one tag, in characters.
	maxTag = 40
	// maxItemID bounds a catalog item's id, as catalog.yaml does.
	maxItemID = 64
)

// CampaignID names a campaign: "b" and 8 random letters, short enough
// to type in a command.
type CampaignID string

// campaignIDLen is the length of a CampaignID: "b" and 8 letters (40
// random bits; a shop makes a few campaigns a month).
const campaignIDLen = 9

// NewCampaignID returns a fresh random CampaignID.
func NewCampaignID() CampaignID {
	b := make([]byte, 5)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return CampaignID("b" + strings.ToLower(base32.StdEncoding.EncodeToString(b)))
}

// Validate reports why id is not a CampaignID.
func (id CampaignID) Validate() error {
	if len(id) != campaignIDLen || id[0] != 'b' {
		return Errorf(EInvalid, "campaign id %q: want b and 8 letters", clipName(string(id)))
	}
	for _, r := range id[1:] {
		if !('a' <= r && r <= 'z' || '2' <= r && r <= '7') {
			return Errorf(EInvalid, "campaign id %q: want b and 8 letters", clipName(string(id)))
		}
	}
	return nil
}

// CampaignMessageID is the id of the campaign's message to a contact.
// It is the same however often the message is composed, and it names
// the contact the campaign planned, whatever merges happen later.
func CampaignMessageID(id CampaignID, c ContactID) string { return string(id) + "-" + string(c) }

// CampaignTestID is the id of a test of the campaign: a message the
// owner sends to themselves, never counted in the campaign's figures.
func CampaignTestID(id CampaignID) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return string(id) + "-test-" + strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// ParseCampaignMessageID reads a campaign message id back: the contact
// it was planned for, or test for a test message. ok is false for an id
// that is not a campaign's.
func ParseCampaignMessageID(m string) (id CampaignID, c ContactID, test, ok bool) {
	first, rest, found := strings.Cut(m, "-")
	if !found || CampaignID(first).Validate() != nil {
		return "", "", false, false
	}
	if strings.HasPrefix(rest, "test-") {
		return CampaignID(first), "", true, true
	}
	if ContactID(rest).Validate() != nil {
		return "", "", false, false
	}
	return CampaignID(first), ContactID(rest), false, true
}

// CampaignState is where a campaign stands.
type CampaignState string

// The states of a campaign: draft → (scheduled →) running ⇄ paused →
// done, and cancelled from any state before done.
const (
	// CampaignDraft is made and can be previewed and tested; nothing
	// is sent.
	CampaignDraft CampaignState = "draft"
	// CampaignScheduled was started with a time still to come.
	CampaignScheduled CampaignState = "scheduled"
	// CampaignRunning is being fed to the outbox.
	CampaignRunning CampaignState = "running"
	// CampaignPaused sends nothing: its queued messages wait at the
	// gate until it resumes.
	CampaignPaused CampaignState = "paused"
	// CampaignCancelled sends nothing more: its queued messages are
	// refused at the gate.
	CampaignCancelled CampaignState = "cancelled"
	// CampaignDone reached everyone it could: every recipient has an
	// outcome.
	CampaignDone CampaignState = "done"
)

// Final reports whether nothing more is sent in state s.
func (s CampaignState) Final() bool { return s == CampaignCancelled || s == CampaignDone }

// Audience says who a campaign is for. Whoever is in it still gets the
// message only with an active promotions consent, and only as the gate
// allows.
type Audience struct {
	// Tags, when set, keep only contacts that carry every one of them.
	Tags []string `json:"tags,omitempty"`
	// Channel, when set, keeps only contacts reachable on it, and sends
	// there.
	Channel Channel `json:"channel,omitempty"`
	// ActiveDays, when above 0, keeps only contacts who wrote in the
	// last ActiveDays days.
	ActiveDays int `json:"active_days,omitempty"`
	// OrderedDays, when above 0, keeps only contacts who placed an
	// order, not cancelled, in the last OrderedDays days.
	OrderedDays int `json:"ordered_days,omitempty"`
	// Regulars keeps only regular customers: RegularOrders completed
	// orders or more.
	Regulars bool `json:"regulars,omitempty"`
	// Bought, when set, keeps only contacts with a completed order of
	// this catalog item (its id).
	Bought string `json:"bought,omitempty"`
}

// RegularOrders is how many completed orders make a customer a regular:
// the bot greets them with their usual order, and a campaign's audience
// of regulars counts them.
const RegularOrders = 3

// ByOrders reports whether the audience is narrowed by the contacts'
// orders.
func (a Audience) ByOrders() bool { return a.OrderedDays > 0 || a.Regulars || a.Bought != "" }

// String describes the audience for the owner: "promotions consent,
// tags vip; on whatsapp; ordered in the last 30 days".
func (a Audience) String() string {
	parts := []string{"promotions consent"}
	if len(a.Tags) > 0 {
		parts = append(parts, "tags "+strings.Join(a.Tags, ", "))
	}
	if a.Channel != "" {
		parts = append(parts, "on "+string(a.Channel))
	}
	if a.ActiveDays > 0 {
		parts = append(parts, fmt.Sprintf("wrote in the last %d days", a.ActiveDays))
	}
	if a.OrderedDays > 0 {
		parts = append(parts, fmt.Sprintf("ordered in the last %d days", a.OrderedDays))
	}
	if a.Regulars {
		parts = append(parts, fmt.Sprintf("regulars (%d+ completed orders)", RegularOrders))
	}
	if a.Bought != "" {
		parts = append(parts, "bought "+a.Bought)
	}
	return strings.Join(parts, "; ")
}

// Campaign is one broadcast.
type Campaign struct {
	ID   CampaignID `json:"id"`
	Name string     `json:"name"`
	// Texts are the message per language, as templates: {{contact.name}}
	// (with a default after |, as {{contact.name|Kak}}) and
	// {{shop.name}}.
	Texts map[string]string `json:"texts"`
	// Lang is the language of the text sent to a contact whose language
	// has none (the shop's first).
	Lang     string   `json:"lang"`
	Audience Audience `json:"audience"`
	// At, when set, is the earliest time the campaign starts sending
	// once started.
	At    time.Time     `json:"at,omitzero"`
	State CampaignState `json:"state"`
	// Reason says why the campaign was paused or cancelled; Auto means
	// the safety checks paused it, not the owner.
	Reason string `json:"reason,omitempty"`
	Auto   bool   `json:"auto,omitempty"`
	// ResumeAt, for an automatic pause, is when it lifts by itself
	// (the end of a WhatsApp ban).
	ResumeAt time.Time `json:"resume_at,omitzero"`
	// Previewed is when the owner last previewed it: a campaign is
	// started only after a preview.
	Previewed time.Time `json:"previewed,omitzero"`
	// Baseline are the figures the safety checks count from, taken
	// when the campaign last resumed: opt-outs the owner saw and
	// resumed over do not pause it again.
	Baseline Baseline  `json:"baseline,omitzero"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated,omitzero"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
}

// Clean checks a campaign being made for a shop that speaks langs (the
// first is the default) and returns it tidied: a name; a text in the
// default language, each text at most MaxCampaignText characters with
// only the variables RenderCampaign knows; an audience of valid tags, a
// known channel, whole days, an item id of the catalog's form.
func (c Campaign) Clean(langs []string) (Campaign, error) {
	if len(langs) == 0 {
		return Campaign{}, Errorf(EInvalid, "the shop speaks no language")
	}
	out := c
	out.Name = strings.TrimSpace(c.Name)
	if n := utf8.RuneCountInString(out.Name); n == 0 || n > MaxCampaignName {
		return Campaign{}, Errorf(EInvalid, "a campaign's name is 1 to %d characters", MaxCampaignName)
	}
	if out.Lang == "" {
		out.Lang = langs[0]
	}
	if !slices.Contains(langs, out.Lang) {
		return Campaign{}, Errorf(EInvalid, "language %q: the shop speaks %s", clipName(out.Lang), strings.Join(langs, ", "))
	}
	out.Texts = map[string]string{}
	for lang, text := range c.Texts {
		if !slices.Contains(langs, lang) {
			return Campaign{}, Errorf(EInvalid, "a text in %q: the shop speaks %s", clipName(lang), strings.Join(langs, ", "))
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		clean, err := campaignText(text, lang)
		if err != nil {
			return Campaign{}, err
		}
		out.Texts[lang] = clean
	}
	if out.Texts[out.Lang] == "" {
		return Campaign{}, Errorf(EInvalid, "the text in %s (the default language) is required", out.Lang)
	}
	tags, err := CleanTags(c.Audience.Tags)
	if err != nil {
		return Campaign{}, err
	}
	out.Audience.Tags = tags
	if ch := c.Audience.Channel; ch != "" && !ch.Valid() {
		return Campaign{}, Errorf(EInvalid, "channel %q: want whatsapp or telegram", clipName(string(ch)))
	}
	if c.Audience.ActiveDays < 0 {
		return Campaign{}, Errorf(EInvalid, "active days %d: want 0 (anyone) or more", c.Audience.ActiveDays)
	}
	if c.Audience.OrderedDays < 0 {
		return Campaign{}, Errorf(EInvalid, "ordered days %d: want 0 (anyone) or more", c.Audience.OrderedDays)
	}
	out.Audience.Bought = strings.ToLower(strings.TrimSpace(c.Audience.Bought))
	if b := out.Audience.Bought; b != "" && !validItemID(b) {
		return Campaign{}, Errorf(EInvalid, "item %q: a catalog item's id is a-z, 0-9, _ and -", clipName(b))
	}
	return out, nil
}

// validItemID reports whether id has the form of a catalog item's id.
func validItemID(id string) bool {
	return len(id) <= maxItemID && !strings.ContainsFunc(id, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' || r == '-')
	})
}

// campaignText checks and cleans one text of a campaign.
func campaignText(text, lang string) (string, error) {
	if n := utf8.RuneCountInString(strings.TrimSpace(text)); n > MaxCampaignText {
		return "", Errorf(EInvalid, "the %s text has %d characters; at most %d", lang, n, MaxCampaignText)
	}
	clean, _ := CleanText(text, MaxCampaignText)
	rest := clean
	for {
		_, after, ok := strings.Cut(rest, "{{")
		if !ok {
			return clean, nil
		}
		expr, next, ok := strings.Cut(after, "}}")
		if !ok {
			return "", Errorf(EInvalid, "the %s text opens {{ without closing it", lang)
		}
		if name, _ := splitVar(expr); name != "contact.name" && name != "shop.name" {
			return "", Errorf(EInvalid, "the %s text has {{%s}}; a campaign knows only {{contact.name}} (or {{contact.name|Kak}}) and {{shop.name}}", lang, clipName(expr))
		}
		rest = next
	}
}

// splitVar splits the inside of {{ }} into the variable and its default.
func splitVar(expr string) (name, def string) {
	name, def, _ = strings.Cut(expr, "|")
	return strings.TrimSpace(name), strings.TrimSpace(def)
}

// Text is the campaign's template for a contact who speaks lang.
func (c Campaign) Text(lang string) string {
	if t := c.Texts[lang]; t != "" {
		return t
	}
	return c.Texts[c.Lang]
}

// RenderCampaign fills in a campaign's template for one contact: the
// contact's name (the default given after |, else FallbackName, when
// they have none) and the shop's name.
func RenderCampaign(tmpl, contactName, shop string) string {
	contactName = strings.TrimSpace(contactName)
	var b strings.Builder
	for {
		before, after, ok := strings.Cut(tmpl, "{{")
		b.WriteString(before)
		if !ok {
			return b.String()
		}
		expr, rest, ok := strings.Cut(after, "}}")
		if !ok {
			b.WriteString("{{" + after)
			return b.String()
		}
		name, def := splitVar(expr)
		switch name {
		case "contact.name":
			switch {
			case contactName != "":
				b.WriteString(contactName)
			case def != "":
				b.WriteString(def)
			default:
				b.WriteString(FallbackName)
			}
		case "shop.name":
			b.WriteString(shop)
		default:
			b.WriteString("{{" + expr + "}}")
		}
		tmpl = rest
	}
}

// CleanTags checks tags (1 to 40 characters, no ';', '|' or control
// characters, at most MaxTags: what an import takes) and returns them
// trimmed, lower-cased, sorted, each once.
func CleanTags(tags []string) ([]string, error) {
	var out []string
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || utf8.RuneCountInString(t) > maxTag || strings.ContainsAny(t, ";|") || strings.ContainsFunc(t, unicode.IsControl) {
			return nil, Errorf(EInvalid, "tag %q: want 1 to %d characters without ';', '|' or control characters", clipName(t), maxTag)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, Errorf(EInvalid, "%d tags: at most %d", len(out), MaxTags)
	}
	slices.Sort(out)
	return out, nil
}

// Baseline is where a campaign's safety checks start counting.
type Baseline struct {
	Sent     int `json:"sent,omitempty"`
	OptedOut int `json:"opted_out,omitempty"`
}

// Exclusion says why a contact in a campaign's audience gets no message.
type Exclusion string

// The exclusions, as the preview counts them and its CSV names them.
const (
	ExclNoConsent   Exclusion = "no_consent"           // never said yes to promotions
	ExclWithdrawn   Exclusion = "withdrawn"            // said yes, then stop
	ExclOverCap     Exclusion = "over_cap"             // received MITRA_PROMO_CAP promotions in its window already
	ExclSuppressed  Exclusion = "suppressed"           // erased their data before and said no yes since
	ExclUnreachable Exclusion = "unreachable"          // blocked the bot on every channel the campaign may use
	ExclNeverWrote  Exclusion = "whatsapp_never_wrote" // on WhatsApp only, and never wrote to the shop there
	ExclBlocked     Exclusion = "blocked"              // the shop blocked them
	ExclErasing     Exclusion = "erasing"              // erasing their data now
)

// Exclusions lists every exclusion, in the order the preview shows
// them.
var Exclusions = []Exclusion{ExclNoConsent, ExclWithdrawn, ExclOverCap, ExclSuppressed, ExclUnreachable, ExclNeverWrote, ExclBlocked, ExclErasing}

// Excluded is one contact of the audience who gets no message, and why:
// a row of the preview's CSV.
type Excluded struct {
	Contact ContactID
	// Channel is the channel the contact would have been reached on
	// ("" when none was left).
	Channel Channel
	Reason  Exclusion
}

// Preview is what starting a campaign would do now, before anything is
// sent.
type Preview struct {
	Campaign CampaignID `json:"campaign"`
	At       time.Time  `json:"at"`
	// Audience is the campaign's, as it was planned.
	Audience Audience `json:"audience"`
	// Scanned counts the live contacts looked at; Outside those not in
	// the audience (tags, channel, active days, orders).
	Scanned int `json:"scanned"`
	Outside int `json:"outside"`
	// Recipients would get the message: Now as soon as it starts (their
	// channel's pace allowing it the same day), the rest Later, by why.
	Recipients int            `json:"recipients"`
	Now        int            `json:"now"`
	Later      map[string]int `json:"later,omitempty"`
	// Excluded counts the audience left out, by why.
	Excluded map[Exclusion]int `json:"excluded,omitempty"`
	// ByChannel counts the recipients per channel.
	ByChannel map[Channel]int `json:"by_channel,omitempty"`
	// Finish is when the last message should go out, estimated from the
	// channels' pace; Days is how many days the sending spans.
	Finish time.Time `json:"finish"`
	Days   int       `json:"days"`
}

// The reasons a recipient gets the message later, in Preview.Later.
const (
	LaterQuiet  = "quiet_hours"     // the contact's quiet hours are on when it starts
	LaterPacing = "whatsapp_pacing" // WhatsApp's daily cap moves them to a later day
)

// RecipientStatus is what became of a campaign's message to one
// recipient.
type RecipientStatus string

// The recipient statuses. Sent, Refused, Failed, Unknown and Gone are
// final.
const (
	RecipientQueued   RecipientStatus = "queued"
	RecipientDeferred RecipientStatus = "deferred"
	RecipientSent     RecipientStatus = "sent"
	RecipientRefused  RecipientStatus = "refused"
	RecipientFailed   RecipientStatus = "failed"
	// RecipientUnknown: the sender stopped mid-send; the message may or
	// may not have gone out, and is never sent again.
	RecipientUnknown RecipientStatus = "unknown"
	// RecipientGone: the message left the outbox with no outcome (the
	// person erased their data while it waited).
	RecipientGone RecipientStatus = "gone"
)

// Final reports whether nothing more happens to a message of status s.
func (s RecipientStatus) Final() bool {
	return s != RecipientQueued && s != RecipientDeferred && s != ""
}

// Recipient is one recipient's line of a campaign's report.
type Recipient struct {
	Contact ContactID       `json:"contact"`
	Channel Channel         `json:"channel,omitempty"`
	Status  RecipientStatus `json:"status"`
	// Reason is the gate's or the channel's why (refused, deferred,
	// failed); At is when the status was recorded.
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
	// OptedOut and Replied are when the person withdrew promotions, or
	// wrote, within 24 hours after the message was sent; zero if not.
	OptedOut time.Time `json:"opted_out,omitzero"`
	Replied  time.Time `json:"replied,omitzero"`
}

// CampaignTotals are a campaign's figures so far.
type CampaignTotals struct {
	// Planned counts the recipients the plan found; Excluded the
	// audience it left out, by why; Outside those not in the audience.
	Planned  int               `json:"planned"`
	Excluded map[Exclusion]int `json:"excluded,omitempty"`
	Outside  int               `json:"outside"`
	// Waiting counts recipients not handed to the outbox yet; Queued
	// those handed over (outcome pending or final).
	Waiting int `json:"waiting"`
	Queued  int `json:"queued"`
	// By status: what became of the messages.
	Sent     int `json:"sent"`
	Deferred int `json:"deferred"`
	Refused  int `json:"refused"`
	Failed   int `json:"failed"`
	Unknown  int `json:"unknown"`
	Gone     int `json:"gone"`
	// OptedOut and Replied count recipients who withdrew promotions, or
	// wrote, within 24 hours after their message.
	OptedOut int `json:"opted_out"`
	Replied  int `json:"replied"`
	// Runner names the process feeding the campaign now; "" when none
	// holds it.
	Runner string `json:"runner,omitempty"`
}

// Outcomes counts the recipients with a final outcome.
func (t CampaignTotals) Outcomes() int { return t.Sent + t.Refused + t.Failed + t.Unknown + t.Gone }

// CampaignStatus is what the gate needs to know of a message's campaign
// when it is about to be sent, as the store holds it then.
type CampaignStatus struct {
	// State is the campaign's; "" when there is no such campaign.
	State CampaignState
	// Test means the message is a test the owner asked for: it crosses
	// the gate whatever the campaign's state.
	Test bool
}

// Campaigns are the owner's broadcasts: made, previewed, tested,
// started, paused, resumed, cancelled and reported on. The CLI and the
// console use it.
type Campaigns interface {
	// CreateCampaign makes a draft (Clean says what is wrong) and
	// returns it with its id.
	CreateCampaign(ctx context.Context, c Campaign) (Campaign, error)
	// Campaign returns one campaign with its figures (ENotFound).
	Campaign(ctx context.Context, id CampaignID) (Campaign, CampaignTotals, error)
	// ListCampaigns returns every campaign, newest first.
	ListCampaigns(ctx context.Context) ([]Campaign, error)
	// PreviewCampaign says what starting the campaign would do now, and
	// hands excluded each contact left out, if set.
	PreviewCampaign(ctx context.Context, id CampaignID, excluded func(Excluded) error) (Preview, error)
	// TestCampaign queues the campaign's message to one address of a
	// known contact (the owner's own): it crosses the gate like any
	// promotion and is never counted. It returns the message's id.
	TestCampaign(ctx context.Context, id CampaignID, to Address) (string, error)
	// StartCampaign starts a previewed draft: scheduled when its time
	// is still to come, else running.
	StartCampaign(ctx context.Context, id CampaignID) (Campaign, error)
	// PauseCampaign stops feeding and holds its queued messages at the
	// gate; ResumeCampaign lets them go again.
	PauseCampaign(ctx context.Context, id CampaignID) (Campaign, error)
	ResumeCampaign(ctx context.Context, id CampaignID) (Campaign, error)
	// CancelCampaign ends it: nothing more is queued, and what is queued
	// is refused at the gate.
	CancelCampaign(ctx context.Context, id CampaignID) (Campaign, error)
	// CampaignReport hands each recipient's line to each, and returns
	// the totals.
	CampaignReport(ctx context.Context, id CampaignID, each func(Recipient) error) (CampaignTotals, error)
}
