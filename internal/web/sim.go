package web

import (
	"context"
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/mitra-care/mitra/internal/care"
)

const (
	// maxSimUser bounds the visitor's id in the simulator.
	maxSimUser = 64
	// simSubmitTimeout bounds how long a send waits for the runtime; past
	// it the visitor is told to try again (the same id is processed once).
	simSubmitTimeout = 10 * time.Second
)

// simKinds are the message kinds a visitor can simulate.
var simKinds = []care.Kind{
	care.KindText, care.KindChoice, care.KindImage, care.KindVoice, care.KindSticker,
	care.KindVideo, care.KindDocument, care.KindLocation, care.KindContact,
}

// routeSimulator serves the chat simulator: the page, its no-JavaScript
// form, its JSON API and its static files.
func (s *Server) routeSimulator() {
	s.mux.HandleFunc("GET /{$}", s.simPage)
	s.mux.HandleFunc("POST /sim/send", s.simForm)
	s.mux.HandleFunc("GET /api/sim/messages", s.simList)
	s.mux.HandleFunc("POST /api/sim/messages", s.simPost)
	s.mux.HandleFunc("/api/sim/messages", methodsOnly(http.MethodGet, http.MethodPost))
	s.mux.HandleFunc("GET /static/{name}", serveStatic)
}

// simRequest is one message from the visitor, as the JSON API and the
// form receive it.
type simRequest struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
	Text    string `json:"text"`
	Choice  string `json:"choice"`
	Kind    string `json:"kind"`
	// ID is the client's message id; the same id is processed once.
	ID string `json:"id"`
}

// simAddress validates the visitor's id and channel (whatsapp when empty)
// and returns the simulated contact's address.
func simAddress(user, channel string) (care.Address, error) {
	if !validToken(user, maxSimUser) {
		return care.Address{}, care.Errorf(care.EInvalid, "user must be 1 to %d letters, digits, '-' or '_'", maxSimUser)
	}
	ch := care.Channel(channel)
	if ch == "" {
		ch = care.WhatsApp
	}
	if !ch.Valid() {
		return care.Address{}, care.Errorf(care.EInvalid, "channel must be whatsapp or telegram, not %q", clip(channel, maxEcho))
	}
	return care.Address{Channel: ch, ID: care.SimPrefix + user}, nil
}

// validToken reports whether s is 1 to max ASCII letters, digits, '-' or '_'.
func validToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !(r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// inbound turns a visitor's request into the message a channel would hand
// the runtime.
func (s *Server) inbound(req simRequest) (care.Inbound, error) {
	addr, err := simAddress(req.User, req.Channel)
	if err != nil {
		return care.Inbound{}, err
	}
	kind := care.Kind(req.Kind)
	if kind == "" {
		kind = care.KindText
		if req.Choice != "" {
			kind = care.KindChoice
		}
	}
	switch {
	case !slices.Contains(simKinds, kind):
		names := make([]string, len(simKinds))
		for i, k := range simKinds {
			names[i] = string(k)
		}
		return care.Inbound{}, care.Errorf(care.EInvalid, "kind %q is not one of %s", clip(req.Kind, maxEcho), strings.Join(names, ", "))
	case kind == care.KindChoice && req.Choice == "":
		return care.Inbound{}, care.Errorf(care.EInvalid, "a choice needs the choice id")
	case kind != care.KindChoice && req.Choice != "":
		return care.Inbound{}, care.Errorf(care.EInvalid, "choice is only for kind choice, not %s", kind)
	case kind == care.KindText && strings.TrimSpace(req.Text) == "":
		return care.Inbound{}, care.Errorf(care.EInvalid, "text is empty")
	}
	id := req.ID
	if id == "" {
		id = rand.Text()
	} else if !validToken(id, care.MaxMessageID) {
		return care.Inbound{}, care.Errorf(care.EInvalid, "id must be 1 to %d letters, digits, '-' or '_'", care.MaxMessageID)
	}
	in := care.Inbound{
		Address:   addr,
		MessageID: id,
		Kind:      kind,
		Choice:    req.Choice,
		// The visitor's id stands for the display name a platform gives.
		Name: req.User,
		At:   s.cfg.Now(),
	}
	if kind != care.KindChoice {
		// A tapped button carries no text, even when the form had some.
		in.Text = req.Text
	}
	return in, nil
}

// submit hands in to the simulator, waiting at most simSubmitTimeout.
func (s *Server) submit(ctx context.Context, in care.Inbound) error {
	ctx, cancel := context.WithTimeout(ctx, simSubmitTimeout)
	defer cancel()
	return s.cfg.Simulator.Submit(ctx, in)
}
