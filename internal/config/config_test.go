package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "redis-url")
	if err := os.WriteFile(secret, []byte("redis://:s3cret@db:6379/2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr []string
	}{
		{
			name: "defaults",
			env:  map[string]string{},
			check: func(t *testing.T, c Config) {
				if c.HTTPAddr != "127.0.0.1:8080" || c.Lang != "id" || c.TimeZone.String() != "Asia/Jakarta" ||
					c.SessionTTL != 720*time.Hour || c.Simulator || c.RedisPrefix != "mitra" || c.FeedbackDelay != 2*time.Hour {
					t.Errorf("defaults: %+v", c)
				}
			},
		},
		{
			name: "values",
			env: map[string]string{
				"MITRA_REDIS_URL": "redis://localhost:6390/1", "MITRA_HTTP_ADDR": ":9000", "MITRA_TIMEZONE": "Asia/Makassar",
				"MITRA_LANG": "en", "MITRA_SESSION_TTL": "48h", "MITRA_SIMULATOR": "on", "MITRA_LOG_FORMAT": "json",
			},
			check: func(t *testing.T, c Config) {
				if c.RedisURL != "redis://localhost:6390/1" || c.HTTPAddr != ":9000" || c.TimeZone.String() != "Asia/Makassar" ||
					c.Lang != "en" || c.SessionTTL != 48*time.Hour || !c.Simulator || c.LogFormat != "json" {
					t.Errorf("values: %+v", c)
				}
			},
		},
		{
			name: "secret from a file",
			env:  map[string]string{"MITRA_REDIS_URL_FILE": secret},
			check: func(t *testing.T, c Config) {
				if c.RedisURL != "redis://:s3cret@db:6379/2" {
					t.Errorf("RedisURL = %q", c.RedisURL)
				}
				if r := c.RedactedRedisURL(); strings.Contains(r, "s3cret") {
					t.Errorf("redacted URL shows the password: %s", r)
				}
			},
		},
		{
			name: "feedback asked after a while, or never",
			env:  map[string]string{"MITRA_FEEDBACK_DELAY": "90m"},
			check: func(t *testing.T, c Config) {
				if c.FeedbackDelay != 90*time.Minute {
					t.Errorf("FeedbackDelay = %v", c.FeedbackDelay)
				}
				if off, err := FromEnv(Defaults(), env(map[string]string{"MITRA_FEEDBACK_DELAY": "OFF"})); err != nil || off.FeedbackDelay != 0 {
					t.Errorf("off: %v, %v", off.FeedbackDelay, err)
				}
			},
		},
		{
			name: "pelunasan reminder",
			env:  map[string]string{"MITRA_PELUNASAN_BEFORE": "2d"},
			check: func(t *testing.T, c Config) {
				if c.PelunasanBefore != 48*time.Hour {
					t.Errorf("PelunasanBefore = %v", c.PelunasanBefore)
				}
				for v, want := range map[string]time.Duration{"36h": 36 * time.Hour, "off": 0, "1d": 24 * time.Hour, "24h": 24 * time.Hour} {
					if got, err := FromEnv(Defaults(), env(map[string]string{"MITRA_PELUNASAN_BEFORE": v})); err != nil || got.PelunasanBefore != want {
						t.Errorf("%s: %v, %v; want %v", v, got.PelunasanBefore, err, want)
					}
				}
				for _, v := range []string{"0d", "-1d", "31d", "besok", "1.5d", "3h", "23h59m"} {
					if _, err := FromEnv(Defaults(), env(map[string]string{"MITRA_PELUNASAN_BEFORE": v})); err == nil || !strings.Contains(err.Error(), "MITRA_PELUNASAN_BEFORE") {
						t.Errorf("%s: %v; want refused", v, err)
					}
				}
				if d := Defaults().PelunasanBefore; d != 24*time.Hour {
					t.Errorf("default %v, want 24h", d)
				}
			},
		},
		{
			name:    "both a value and a file",
			env:     map[string]string{"MITRA_REDIS_URL": "redis://x", "MITRA_REDIS_URL_FILE": secret},
			wantErr: []string{"MITRA_REDIS_URL and MITRA_REDIS_URL_FILE are both set"},
		},
		{
			name:    "missing secret file",
			env:     map[string]string{"MITRA_REDIS_URL_FILE": filepath.Join(dir, "nope")},
			wantErr: []string{"MITRA_REDIS_URL_FILE"},
		},
		{
			name: "every bad value is reported",
			env: map[string]string{
				"MITRA_TIMEZONE": "Mars/Olympus", "MITRA_SESSION_TTL": "forever", "MITRA_HTTP_ADDR": "8080",
				"MITRA_SIMULATOR": "maybe", "MITRA_LOG_FORMAT": "xml", "MITRA_LOG_LEVEL": "loud",
				"MITRA_FLOWS_DIR": filepath.Join(dir, "none"), "MITRA_REDIS_PREFIX": "a b", "MITRA_FEEDBACK_DELAY": "soon",
			},
			wantErr: []string{"MITRA_TIMEZONE", "MITRA_SESSION_TTL", "MITRA_HTTP_ADDR", "MITRA_SIMULATOR",
				"MITRA_LOG_FORMAT", "MITRA_LOG_LEVEL", "MITRA_FLOWS_DIR", "MITRA_REDIS_PREFIX", "MITRA_FEEDBACK_DELAY"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(Defaults(), env(tt.env))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want %v", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestRequireRedis(t *testing.T) {
	if err := Defaults().RequireRedis(); err == nil || !strings.Contains(err.Error(), "mitra demo") {
		t.Errorf("RequireRedis = %v, want a hint at mitra demo", err)
	}
}

// TestREADMEListsEveryVariable keeps the README's configuration table true.
func TestREADMEListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		if !strings.Contains(string(readme), "`"+v.Name+"`") {
			t.Errorf("README.md does not document %s", v.Name)
		}
	}
}

func TestParseCap(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		days int
		ok   bool
	}{
		{"2/7d", 2, 7, true},
		{"1/24h", 1, 1, true},
		{"5/168h", 5, 7, true},
		{"2/12h", 0, 0, false},
		{"2/36h", 0, 0, false},
		{"1/200000d", 0, 0, false},
		{"0/7d", 0, 0, false},
		{"2", 0, 0, false},
		{"x/7d", 0, 0, false},
	}
	for _, tt := range tests {
		n, d, err := parseCap(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (n != tt.n || d != time.Duration(tt.days)*24*time.Hour)) {
			t.Errorf("parseCap(%q) = %d, %v, %v", tt.in, n, d, err)
		}
	}
}

func TestParseQuietAndRate(t *testing.T) {
	if s, e, err := parseQuiet("21:00-08:00"); err != nil || s != 21*time.Hour || e != 8*time.Hour {
		t.Errorf("parseQuiet = %v %v %v", s, e, err)
	}
	if s, e, err := parseQuiet("OFF"); err != nil || s != e {
		t.Errorf("parseQuiet(off) = %v %v %v", s, e, err)
	}
	for _, bad := range []string{"21-08", "25:00-08:00", "08:00-08:00", ""} {
		if _, _, err := parseQuiet(bad); err == nil {
			t.Errorf("parseQuiet(%q) accepted", bad)
		}
	}
	if r, err := parseRate("30/s"); err != nil || r.N != 30 || r.Per != time.Second {
		t.Errorf("parseRate = %+v, %v", r, err)
	}
	for _, bad := range []string{"30", "30/d", "0/s", "-1/m"} {
		if _, err := parseRate(bad); err == nil {
			t.Errorf("parseRate(%q) accepted", bad)
		}
	}
}
