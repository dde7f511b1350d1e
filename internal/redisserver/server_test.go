package redisserver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartStopRestartClose(t *testing.T) {
	ctx := context.Background()
	srv, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "redis://127.0.0.1:") || !strings.HasSuffix(srv.URL(), "/0") || strings.Contains(srv.Addr(), ":6379") {
		t.Errorf("URL = %q, Addr = %q", srv.URL(), srv.Addr())
	}
	steps := []struct {
		name  string
		do    func() error
		alive bool
	}{
		{"started", func() error { return nil }, true},
		{"stopped", srv.Stop, false},
		{"stopped twice", srv.Stop, false},
		{"restarted", func() error { return srv.Restart(ctx) }, true},
		{"closed", srv.Close, false},
		{"closed twice", srv.Close, false},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if err := ping(ctx, srv.Addr()); (err == nil) != st.alive {
			t.Errorf("%s: ping = %v, want alive %v", st.name, err, st.alive)
		}
	}
	if _, err := os.Stat(srv.dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s left after Close (stat: %v)", srv.dir, err)
	}
	if err := srv.Restart(ctx); err == nil {
		t.Error("Restart after Close succeeded")
	}
}

func TestRestartWhileRunning(t *testing.T) {
	srv, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Restart(context.Background()); err == nil || !strings.Contains(err.Error(), "Stop first") {
		t.Errorf("Restart while running = %v, want an error asking to Stop first", err)
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string // PATH; empty keeps it
		opts Options
		want string
	}{
		{"not installed", dir, Options{}, `redis-server not found on PATH: install it with "apt-get install redis-server" (Debian/Ubuntu) or "brew install redis" (macOS)`},
		{"bad argument shows the log", "", Options{Args: []string{"--no-such-option", "1"}}, "its log ends:\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path != "" {
				t.Setenv("PATH", tt.path)
			}
			srv, err := Start(context.Background(), tt.opts)
			if err == nil {
				srv.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestGivenDirIsKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("given dir removed by Close: %v", err)
	}
}
