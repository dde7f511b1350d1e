// Package web is Mitra's HTTP side: the simulator page and its JSON
// API, health and readiness probes, and metrics. Later it also serves the
// staff console, the owner's pages and the channel webhooks.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Simulator is what the simulator pages need from the rest of Mitra.
type Simulator interface {
	// Submit processes an inbound message and returns once its effect is
	// stored, like any channel would.
	Submit(ctx context.Context, in care.Inbound) error
	// Messages returns what the bot sent to a simulated contact.
	Messages(ctx context.Context, id care.ContactID, after int64, max int) ([]care.SimMessage, error)
}

// Config says what the server serves.
type Config struct {
	// Simulator, when set, serves the chat simulator at / and /api/sim/.
	Simulator Simulator
	// Ready reports whether the server can do its work (Redis reachable).
	Ready func(ctx context.Context) error
	// Metrics serves /metrics.
	Metrics http.Handler
	// ShopName titles the pages.
	ShopName string
	// Webhooks are the channels' webhook handlers by path (POST only).
	Webhooks map[string]http.Handler
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// reserved are the paths Mitra serves itself, which a webhook may not take.
var reserved = []string{"/", "/healthz", "/readyz", "/metrics", "/sim/send", "/api/sim/messages"}

// CheckWebhookPath reports why path cannot be a channel's webhook: it
// must be absolute, plain (no pattern wildcards) and not one of Mitra's
// own pages.
func CheckWebhookPath(path string) error {
	switch {
	case !strings.HasPrefix(path, "/") || path == "/":
		return fmt.Errorf("webhook path %q: want a path like /telegram/webhook", path)
	case strings.ContainsAny(path, "{}"), strings.Contains(path, "//"), strings.HasPrefix(path, "/static/"):
		return fmt.Errorf("webhook path %q: no braces, empty segments or /static/", path)
	case slices.Contains(reserved, path):
		return fmt.Errorf("webhook path %q is one of Mitra's own pages", path)
	}
	return nil
}

// Server routes Mitra's HTTP requests.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// maxBody bounds every request body Mitra reads.
const maxBody = 64 << 10

// New returns the HTTP handler for cfg.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", cfg.Metrics)
	}
	for path, h := range cfg.Webhooks {
		s.mux.Handle("POST "+path, h) // paths checked by CheckWebhookPath
	}
	if cfg.Simulator != nil {
		s.routeSimulator()
	} else {
		s.mux.HandleFunc("GET /{$}", s.home)
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, webhook := s.cfg.Webhooks[r.URL.Path]; !webhook {
		// A channel's webhook bounds its own body (a platform's update
		// may be larger than any form of ours).
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.cfg.Logger.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("Mitra is running. The simulator is off (MITRA_SIMULATOR=on turns it on).\n"))
}

// errorStatus maps an application error code to an HTTP status, in one
// place for the whole server.
func errorStatus(err error) int {
	switch care.ErrorCode(err) {
	case care.EInvalid:
		return http.StatusBadRequest
	case care.ENotFound:
		return http.StatusNotFound
	case care.EConflict:
		return http.StatusConflict
	case care.EUnavailable:
		return http.StatusServiceUnavailable
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with a JSON error. Internal errors are logged and
// their text is not shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	msg := err.Error()
	if status >= 500 {
		s.cfg.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = http.StatusText(status)
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
			msg = "temporarily unavailable, try again"
		}
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
