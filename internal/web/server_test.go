package web

import "testing"

func TestCheckWebhookPath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"/telegram/webhook", true},
		{"/tg/hook-7f3a", true},
		{"", false},
		{"/", false},
		{"telegram", false},
		{"/api/sim/messages", false},
		{"/metrics", false},
		{"/hook/{id}", false},
		{"/static/x", false},
		{"/a//b", false},
	}
	for _, tt := range tests {
		if err := CheckWebhookPath(tt.path); (err == nil) != tt.ok {
			t.Errorf("CheckWebhookPath(%q) = %v, want ok %t", tt.path, err, tt.ok)
		}
	}
}
