package web

import (
	"net/http/httptest"
	"testing"
)

func TestSimStatic(t *testing.T) {
	s := newTestServer(&fakeSim{})
	tests := []struct {
		path, ifNoneMatch string
		status            int
		contentType       string
	}{
		{path: "/static/sim.js", status: 200, contentType: "text/javascript; charset=utf-8"},
		{path: "/static/sim.css", status: 200, contentType: "text/css; charset=utf-8"},
		{path: "/static/sim.css", ifNoneMatch: staticFiles["sim.css"].etag, status: 304},
		{path: "/static/nope.js", status: 404},
		{path: "/static/", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.path+tt.ifNoneMatch, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			if tt.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			rec := do(t, s, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.contentType != "" && rec.Header().Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tt.contentType)
			}
			if tt.status == 200 && (rec.Body.Len() == 0 || rec.Header().Get("ETag") == "") {
				t.Errorf("empty body or no ETag")
			}
		})
	}
}
