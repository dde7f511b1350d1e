package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/mitra-care/mitra/internal/care"
)

// simPageSize is the most messages one GET /api/sim/messages returns.
const simPageSize = 100

// simPost is POST /api/sim/messages: one message from the visitor, as JSON.
// The body must be sent as application/json: a browser sends that type
// from another site only after asking (CORS), which Mitra never grants.
func (s *Server) simPost(w http.ResponseWriter, r *http.Request) {
	if err := requireJSON(r); err != nil {
		writeJSONError(w, http.StatusUnsupportedMediaType, err.Error())
		return
	}
	var req simRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		if maxErr := (*http.MaxBytesError)(nil); errors.As(err, &maxErr) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxErr.Limit))
			return
		}
		s.writeError(w, r, care.Errorf(care.EInvalid, "body must be one JSON object like {\"user\":\"u1\",\"channel\":\"whatsapp\",\"text\":\"halo\"}: %s", clip(err.Error(), 4*maxEcho)))
		return
	}
	in, err := s.inbound(req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.submit(r.Context(), in); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"accepted": true, "id": in.MessageID})
}

// requireJSON reports why r's body is not declared as JSON.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return errors.New("send the body as JSON with the header Content-Type: application/json (it has no Content-Type)")
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return fmt.Errorf("send the body as JSON with the header Content-Type: application/json, not %q", clip(ct, maxEcho))
	}
	return nil
}

// simMessages is the body of GET /api/sim/messages.
type simMessages struct {
	Messages []care.SimMessage `json:"messages"`
	// Last is the sequence number to ask after next time.
	Last int64 `json:"last"`
}

// simList is GET /api/sim/messages: what the bot sent to a visitor after
// a sequence number.
func (s *Server) simList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	addr, err := simAddress(q.Get("user"), q.Get("channel"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var after int64
	if a := q.Get("after"); a != "" {
		if after, err = strconv.ParseInt(a, 10, 64); err != nil || after < 0 {
			s.writeError(w, r, care.Errorf(care.EInvalid, "after must be a whole number, 0 or more"))
			return
		}
	}
	msgs, err := s.cfg.Simulator.Messages(r.Context(), addr, after, simPageSize)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := simMessages{Messages: msgs, Last: after}
	if out.Messages == nil {
		out.Messages = []care.SimMessage{}
	}
	if n := len(msgs); n > 0 {
		out.Last = msgs[n-1].Seq
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}
