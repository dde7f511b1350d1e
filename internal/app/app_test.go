package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redistest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// start runs the whole program on a free port against a redis-server of
// its own, the way `mitra serve` does.
func start(t *testing.T, mutate func(*config.Config)) *App {
	t.Helper()
	cfg := config.Defaults()
	cfg.RedisURL = redistest.Server(t).URL()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Simulator = true
	cfg.DataDir = t.TempDir()
	if mutate != nil {
		mutate(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, quiet)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		a.Close()
	})
	return a
}

type simReply struct {
	Messages []care.SimMessage `json:"messages"`
	Last     int64             `json:"last"`
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// waitMessages polls the simulator API until the bot has sent something
// after seq after.
func waitMessages(t *testing.T, base, user string, after int64) simReply {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/sim/messages?user=" + user + "&after=" + strconv.FormatInt(after, 10))
		if err != nil {
			t.Fatal(err)
		}
		var r simReply
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) > 0 {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no bot message for %s after %d", user, after)
	return simReply{}
}

func TestSimulatorConversationEndToEnd(t *testing.T) {
	a := start(t, nil)
	base := a.URL()
	if resp := post(t, base+"/api/sim/messages", `{"user":"e2e","channel":"whatsapp","text":"halo","id":"m1"}`); resp.StatusCode != 200 {
		t.Fatalf("POST = %s", resp.Status)
	}
	r := waitMessages(t, base, "e2e", 0)
	// Wait for the whole greeting: it ends with the menu and its choices.
	for len(r.Messages[len(r.Messages)-1].Choices) == 0 {
		more := waitMessages(t, base, "e2e", r.Messages[len(r.Messages)-1].Seq)
		r.Messages = append(r.Messages, more.Messages...)
	}
	if r.Messages[0].Seq != 1 || r.Messages[0].Class != care.Reply {
		t.Errorf("first message: %+v", r.Messages[0])
	}
	last := r.Messages[len(r.Messages)-1]

	// The same client message id again is processed once: no new replies.
	post(t, base+"/api/sim/messages", `{"user":"e2e","channel":"whatsapp","text":"halo","id":"m1"}`)
	// Tap the first choice: the bot answers it.
	post(t, base+"/api/sim/messages", `{"user":"e2e","channel":"whatsapp","choice":"`+last.Choices[0].ID+`","id":"m2"}`)
	next := waitMessages(t, base, "e2e", last.Seq)
	if next.Messages[0].Seq != last.Seq+1 {
		t.Errorf("sequence jumped from %d to %d", last.Seq, next.Messages[0].Seq)
	}
	if strings.Contains(next.Messages[0].Text, r.Messages[0].Text) {
		t.Errorf("the duplicate delivery was answered again: %q", next.Messages[0].Text)
	}

	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "mitra_messages_in_total"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %s, body lacks %q", path, resp.Status, want)
		}
	}
}

func TestNewRefusesToStart(t *testing.T) {
	badFlows := t.TempDir()
	if err := os.WriteFile(filepath.Join(badFlows, "menu.yaml"), []byte("flow: menu\nsteps:\n  - id: a\n    say: {id: hai}\n    next: nowhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name   string
		mutate func(*config.Config)
		want   string
	}{
		{"no redis configured", func(c *config.Config) { c.RedisURL = "" }, "MITRA_REDIS_URL is not set"},
		{"redis unreachable", func(c *config.Config) { c.RedisURL = "redis://" + deadAddr + "/0" }, "cannot reach Redis"},
		{"bad flows", func(c *config.Config) { c.RedisURL = "redis://" + deadAddr; c.FlowsDir = badFlows }, "menu.yaml:"},
		{"language the flows lack", func(c *config.Config) { c.RedisURL = "redis://" + deadAddr; c.Lang = "fr" }, "MITRA_LANG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Defaults()
			cfg.HTTPAddr = "127.0.0.1:0"
			cfg.DataDir = t.TempDir()
			tt.mutate(&cfg)
			a, err := New(context.Background(), cfg, quiet)
			if err == nil {
				a.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}
