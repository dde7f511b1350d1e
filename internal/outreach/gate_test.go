package outreach

import (
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

func TestGateDecide(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		m      care.Outbound
		want   care.Verdict
		reason string
	}{
		{"fresh reply", care.Outbound{Class: care.Reply, InReplyTo: "m1", Created: now.Add(-time.Minute)}, care.Allow, "reply within 24h"},
		{"reply at 24h", care.Outbound{Class: care.Reply, InReplyTo: "m1", Created: now.Add(-ReplyWindow)}, care.Allow, "reply within 24h"},
		{"stale reply", care.Outbound{Class: care.Reply, InReplyTo: "m1", Created: now.Add(-ReplyWindow - time.Second)}, care.Refuse, "reply window closed"},
		{"reply to nothing", care.Outbound{Class: care.Reply, Created: now}, care.Refuse, "reply to no message"},
		{"transactional", care.Outbound{Class: care.Transactional, Created: now}, care.Refuse, "no consent recorded for transactional"},
		{"promotional", care.Outbound{Class: care.Promotional, Created: now}, care.Refuse, "no consent recorded for promotional"},
		{"unknown class", care.Outbound{Class: "spam", Created: now}, care.Refuse, "unknown class spam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, reason := Gate{}.Decide(tt.m, now)
			if v != tt.want || reason != tt.reason {
				t.Errorf("Decide = %s %q, want %s %q", v, reason, tt.want, tt.reason)
			}
		})
	}
}
