package app

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/flows"
	"github.com/mitra-care/mitra/internal/config"
)

func TestReloadSwapsFlowsAndKeepsThemWhenBroken(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, flows.FS); err != nil {
		t.Fatal(err)
	}
	a := start(t, func(c *config.Config) { c.FlowsDir = dir })
	base := a.URL()
	const old = "Ada yang bisa kami bantu, Kak?"
	menu := filepath.Join(dir, "menu.yaml")
	setText := func(from, to string) {
		t.Helper()
		b, err := os.ReadFile(menu)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), from) {
			t.Fatalf("menu.yaml lacks %q", from)
		}
		if err := os.WriteFile(menu, []byte(strings.Replace(string(b), from, to, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var seq int64
	ask := func(id, want string) {
		t.Helper()
		resp := post(t, base+"/api/sim/messages", `{"user":"hup","channel":"whatsapp","text":"menu utama","id":"`+id+`"}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST = %s", resp.Status)
		}
		seq = waitText(t, base, "hup", seq, want)
	}
	ask("m1", old)

	const next = "Mau dibantu apa hari ini, Kak?"
	setText(old, next)
	if err := a.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	ask("m2", next)

	// A broken file: the flows stay those loaded last.
	setText(next, "Teks yang tidak boleh terlihat")
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("flow: broken\nsteps:\n  - id: a\n    say: {id: hai}\n    next: nowhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err == nil || !strings.Contains(err.Error(), "broken.yaml:") {
		t.Fatalf("Reload = %v, want the problem of broken.yaml", err)
	}
	ask("m3", next)
}

// waitText polls the simulator until the bot has sent, after seq after,
// a message containing want, and returns the last seq it read.
func waitText(t *testing.T, base, user string, after int64, want string) int64 {
	t.Helper()
	var got []string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		r := waitMessages(t, base, user, after)
		for _, m := range r.Messages {
			got = append(got, m.Text)
			after = m.Seq
			if strings.Contains(m.Text, want) {
				return after
			}
		}
	}
	t.Fatalf("no bot message with %q after %d; got %q", want, after, got)
	return after
}
