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
	"unicode/utf8"

	"github.com/mitra-care/mitra/internal/care"
)

// Simulator is what the simulator pages need from the rest of Mitra.
type Simulator interface {
	// Submit processes an inbound message and returns once its effect is
	// stored, like any channel would.
	Submit(ctx context.Context, in care.Inbound) error
	// Messages returns what the bot sent to a simulated contact.
	Messages(ctx context.Context, a care.Address, after int64, max int) ([]care.SimMessage, error)
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
	// TimeZone is the shop's: the staff pages show times in it (UTC
	// when nil).
	TimeZone *time.Location
	// Webhooks are the channels' webhook handlers by path (POST only).
	Webhooks map[string]http.Handler
	// Staff, when set, serves the staff login at /login, the console at
	// /console and the staff's JSON API under /api/v1/.
	Staff care.Staff
	// Inbox, with Staff, serves the staff inbox's JSON API under
	// /api/v1/conversations and the owner's staff audit; with Live too,
	// the inbox at /console.
	Inbox care.Inbox
	// Live keeps the console's queue and conversations live, and says
	// who else views a conversation.
	Live care.InboxLive
	// Resume has the bot say at once what it owes a conversation staff
	// handed back (the runtime's Resume).
	Resume func(ctx context.Context, id care.ContactID) error
	// HandbackFlows are the flows staff may have the bot start when
	// they hand a conversation back; the first is the one offered.
	HandbackFlows []string
	// Contacts, with Staff, serves what the JSON API and the owner's
	// pages show of a contact: its profile, its consent ledger.
	Contacts care.Contacts
	// Directory, with Staff and Contacts, serves the owner's list of
	// contacts.
	Directory care.Directory
	// Canned, with Staff, serves the canned replies: the owner keeps
	// them, staff send them.
	Canned care.CannedReplies
	// Campaigns, with Staff, serves the owner's broadcast pages.
	Campaigns care.Campaigns
	// Orders, with Staff and Contacts, serves the orders' JSON API.
	Orders care.OrderBook
	// Fees, with Orders, lets staff set the delivery fee of an order
	// (the API's …/fee, the order panel); PayText then tells the
	// customer how to pay the new total (nil: the total alone).
	Fees    care.OrderFees
	PayText care.PayText
	// OrdersLive, with Orders and the inbox's Live, keeps the orders
	// page up to date.
	OrdersLive care.OrdersLive
	// Feedback, with Staff and Orders, serves the owner's page of scores, comments and suggestions.
	Feedback care.Suggestions
	// TrustProxy says a reverse proxy stands in front of Mitra and only
	// it can reach it: its X-Forwarded-For names the client (for the
	// login throttle) and its X-Forwarded-Proto: https makes cookies
	// Secure.
	TrustProxy bool
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// reserved are the paths Mitra serves itself, which a webhook may not take.
var reserved = []string{"/", "/healthz", "/readyz", "/metrics", "/sim/send", "/api/sim/messages", "/login", "/logout", "/console"}

// CheckWebhookPath reports why path cannot be a channel's webhook: it
// must be absolute, plain (no pattern wildcards) and not one of Mitra's
// own pages.
func CheckWebhookPath(path string) error {
	switch {
	case !strings.HasPrefix(path, "/") || path == "/":
		return fmt.Errorf("webhook path %q: want a path like /telegram/webhook", path)
	case strings.ContainsAny(path, "{}"), strings.Contains(path, "//"), strings.HasPrefix(path, "/static/"), strings.HasPrefix(path, "/api/"), strings.HasPrefix(path, "/console/"):
		return fmt.Errorf("webhook path %q: no braces, empty segments, /static/, /api/ or /console/", path)
	case slices.Contains(reserved, path):
		return fmt.Errorf("webhook path %q is one of Mitra's own pages", path)
	}
	return nil
}

// Server routes Mitra's HTTP requests.
type Server struct {
	cfg Config
	mux *http.ServeMux
	// origins refuses state-changing requests a browser sends from
	// another site.
	origins *http.CrossOriginProtection
	// hub finds changes for the console's live updates.
	hub *hub
}

const (
	// maxBody bounds every request body Mitra reads.
	maxBody = 64 << 10
	// maxQuery bounds a request's query string; Mitra's own pages and
	// API need a few dozen bytes.
	maxQuery = 4 << 10
)

// New returns the HTTP handler for cfg.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), origins: http.NewCrossOriginProtection()}
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
	if cfg.Staff != nil {
		s.routeStaff()
		s.routeAPI()
		s.routeOrders()
		s.routeOwner()
		if s.inboxOn() {
			s.routeInbox()
		}
	}
	// The JSON API answers in JSON even where nothing is routed.
	s.mux.HandleFunc("/api/", apiNotFound)
	return s
}

// ServeHTTP implements http.Handler. Before any handler runs it bounds
// the body and the query, and refuses a state-changing request that a
// browser sent from another site (Sec-Fetch-Site, or an Origin that is
// not the request's host): a page elsewhere must not act for a visitor.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if _, webhook := s.cfg.Webhooks[r.URL.Path]; !webhook {
		// A channel's webhook bounds its own body (a platform's update
		// may be larger than any form of ours).
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	if len(r.URL.RawQuery) > maxQuery {
		refuse(w, r, http.StatusRequestURITooLong, fmt.Sprintf("query longer than %d bytes", maxQuery))
		return
	}
	if err := s.origins.Check(r); err != nil {
		s.cfg.Logger.Warn("cross-site request refused", "method", r.Method, "path", r.URL.Path,
			"origin", clip(r.Header.Get("Origin"), maxEcho), "sec_fetch_site", clip(r.Header.Get("Sec-Fetch-Site"), maxEcho))
		refuse(w, r, http.StatusForbidden, "cross-site request refused: send it from Mitra's own pages, or without a browser's Origin and Sec-Fetch-Site headers")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// refuse answers a request Mitra will not serve: in JSON on the API,
// as plain text elsewhere.
func refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if isAPI(r) {
		writeJSONError(w, status, msg)
		return
	}
	http.Error(w, msg, status)
}

// isAPI reports whether r is for the JSON API.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// apiNotFound answers a JSON API path that does not exist.
func apiNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSONError(w, http.StatusNotFound, fmt.Sprintf("no API at %s", clip(r.URL.Path, maxEcho)))
}

// methodsOnly answers a request to path whose method the JSON API does
// not serve there; allow lists those it does.
func methodsOnly(allow ...string) http.HandlerFunc {
	list := strings.Join(allow, ", ")
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", list)
		writeJSONError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed: use %s", clip(r.Method, maxEcho), list))
	}
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
	case care.EUnreachable:
		return http.StatusUnprocessableEntity
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
	writeJSONError(w, status, msg)
}

// writeJSONError answers with {"error": msg}.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// maxEcho bounds how much of a refused value an error message or a log
// line repeats.
const maxEcho = 64

// clip shortens s to at most max bytes, cut at a character, for an error
// message or a log line.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
