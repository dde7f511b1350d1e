package care

import (
	"strings"
	"testing"
)

func TestCampaignClean(t *testing.T) {
	langs := []string{"id", "en"}
	ok := Campaign{Name: " Promo Lebaran ", Texts: map[string]string{"id": "Halo {{contact.name|Kak}}, promo {{ shop.name }}!", "en": ""}}
	tests := []struct {
		name string
		c    Campaign
		err  string
	}{
		{"fine", ok, ""},
		{"no name", Campaign{Texts: map[string]string{"id": "x"}}, "name is 1 to"},
		{"a long name", Campaign{Name: strings.Repeat("n", MaxCampaignName+1), Texts: map[string]string{"id": "x"}}, "name is 1 to"},
		{"no text in the default language", Campaign{Name: "p", Texts: map[string]string{"en": "x"}}, "the text in id"},
		{"a language the shop does not speak", Campaign{Name: "p", Texts: map[string]string{"id": "x", "fr": "x"}}, `a text in "fr"`},
		{"an unknown variable", Campaign{Name: "p", Texts: map[string]string{"id": "Halo {{contact.phone}}"}}, "knows only"},
		{"an unclosed variable", Campaign{Name: "p", Texts: map[string]string{"id": "Halo {{contact.name"}}, "without closing"},
		{"a long text", Campaign{Name: "p", Texts: map[string]string{"id": strings.Repeat("x", MaxCampaignText+1)}}, "at most"},
		{"a bad tag", Campaign{Name: "p", Texts: map[string]string{"id": "x"}, Audience: Audience{Tags: []string{"v;ip"}}}, "tag"},
		{"an unknown channel", Campaign{Name: "p", Texts: map[string]string{"id": "x"}, Audience: Audience{Channel: "sms"}}, "channel"},
		{"negative days", Campaign{Name: "p", Texts: map[string]string{"id": "x"}, Audience: Audience{ActiveDays: -1}}, "active days"},
		{"negative ordered days", Campaign{Name: "p", Texts: map[string]string{"id": "x"}, Audience: Audience{OrderedDays: -1}}, "ordered days"},
		{"an item id with spaces", Campaign{Name: "p", Texts: map[string]string{"id": "x"}, Audience: Audience{Bought: "telur ayam"}}, "catalog item's id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Clean(langs)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.Name != "Promo Lebaran" || got.Lang != "id" || len(got.Texts) != 1 {
					t.Errorf("Clean = %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || ErrorCode(err) != EInvalid {
				t.Errorf("Clean: %v, want an invalid error with %q", err, tt.err)
			}
		})
	}
}

func TestAudienceString(t *testing.T) {
	tests := []struct {
		a    Audience
		want string
	}{
		{Audience{}, "promotions consent"},
		{Audience{Tags: []string{"jakarta", "vip"}, Channel: WhatsApp, ActiveDays: 30},
			"promotions consent; tags jakarta, vip; on whatsapp; wrote in the last 30 days"},
		{Audience{OrderedDays: 14, Regulars: true, Bought: "telur"},
			"promotions consent; ordered in the last 14 days; regulars (3+ completed orders); bought telur"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.a, got, tt.want)
		}
		if got := tt.a.ByOrders(); got != (tt.a.OrderedDays > 0 || tt.a.Regulars || tt.a.Bought != "") {
			t.Errorf("%+v: ByOrders %v", tt.a, got)
		}
	}
	c, err := Campaign{Name: "p", Texts: map[string]string{"id": "x"}, Audience: Audience{Bought: " Telur "}}.Clean([]string{"id"})
	if err != nil || c.Audience.Bought != "telur" {
		t.Errorf("Clean of bought %q: %q, %v", " Telur ", c.Audience.Bought, err)
	}
}

func TestRenderCampaign(t *testing.T) {
	tests := []struct {
		tmpl, name, want string
	}{
		{"Halo {{contact.name|Kak}}!", "Sari", "Halo Sari!"},
		{"Halo {{contact.name|Kak}}!", "", "Halo Kak!"},
		{"Hi {{ contact.name | there }}!", " ", "Hi there!"},
		{"Halo {{contact.name}}!", "", "Halo " + FallbackName + "!"},
		{"Promo {{shop.name}}", "x", "Promo Warung"},
		{"{{other}} and {{", "x", "{{other}} and {{"},
	}
	for _, tt := range tests {
		if got := RenderCampaign(tt.tmpl, tt.name, "Warung"); got != tt.want {
			t.Errorf("RenderCampaign(%q, %q) = %q, want %q", tt.tmpl, tt.name, got, tt.want)
		}
	}
}

func TestCampaignIDs(t *testing.T) {
	id := NewCampaignID()
	if err := id.Validate(); err != nil {
		t.Fatal(err)
	}
	c := NewContactID()
	tests := []struct {
		m       string
		contact ContactID
		test    bool
		ok      bool
	}{
		{CampaignMessageID(id, c), c, false, true},
		{CampaignTestID(id), "", true, true},
		{"staff-123", "", false, false},
		{string(id) + "-nobody", "", false, false},
	}
	for _, tt := range tests {
		got, contact, test, ok := ParseCampaignMessageID(tt.m)
		if ok != tt.ok || contact != tt.contact || test != tt.test || ok && got != id {
			t.Errorf("ParseCampaignMessageID(%q) = %s %s %t %t", tt.m, got, contact, test, ok)
		}
	}
	for _, bad := range []CampaignID{"", "b123", "cabcdefgh", "bABCDEFGH"} {
		if bad.Validate() == nil {
			t.Errorf("%q is a campaign id", bad)
		}
	}
}

func TestCleanTags(t *testing.T) {
	got, err := CleanTags([]string{" VIP", "jakarta", "vip"})
	if err != nil || strings.Join(got, ",") != "jakarta,vip" {
		t.Errorf("CleanTags = %v, %v", got, err)
	}
	if got, err := CleanTags([]string{"Pasar Minggu"}); err != nil || got[0] != "pasar minggu" {
		t.Errorf("CleanTags of an imported tag = %v, %v", got, err)
	}
	for _, bad := range [][]string{{""}, {"a;b"}, {"a|b"}, {strings.Repeat("t", 41)}} {
		if _, err := CleanTags(bad); err == nil {
			t.Errorf("CleanTags(%q) took it", bad)
		}
	}
}
