package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// The owner's page of what customers said: the scores they gave their
// orders once received, their comments, and the suggestions they left
// with SARAN. It reads what `mitra feedback` reads.
const (
	// feedbackScan bounds the orders of each fulfilment state read for
	// their scores, as `mitra feedback` does.
	feedbackScan = 500
	// feedbackShown bounds the comments and the suggestions shown.
	feedbackShown = 50
	// feedbackRecent is the span of the page's recent scores.
	feedbackRecent = 30 * 24 * time.Hour
)

var feedbackTemplate = ownerTemplate("owner_feedback.html")

// routeFeedback serves the feedback page when the server has the orders
// and the suggestions.
func (s *Server) routeFeedback() {
	if s.feedbackOn() {
		s.mux.HandleFunc("GET /console/feedback", s.staffOnly(care.RoleOwner, s.ownerFeedback))
	}
}

// feedbackOn reports whether the owner's pages show the feedback.
func (s *Server) feedbackOn() bool { return s.cfg.Orders != nil && s.cfg.Feedback != nil }

// feedbackNav is the feedback page's tab, when it is served.
func (s *Server) feedbackNav() []navLink {
	if !s.feedbackOn() {
		return nil
	}
	return []navLink{{"/console/feedback", "Penilaian & saran", "feedback", false}}
}

// scoreBar is how many orders got one score.
type scoreBar struct {
	Score, Count int
	// Of is how many were scored in all, the bar's whole.
	Of int
}

// Stars is the score in stars.
func (b scoreBar) Stars() string { return strings.Repeat("★", b.Score) }

// scoreSpan is the scores given over a span of time.
type scoreSpan struct {
	Label, En string
	Scored    int
	Average   float64
	// Bars are the scores from 5 down to 1.
	Bars []scoreBar
	sum  int
}

// add counts a score.
func (sp *scoreSpan) add(score int) {
	sp.Scored++
	sp.sum += score
	sp.Bars[5-score].Count++
}

// done works out the average and the bars' whole.
func (sp *scoreSpan) done() {
	if sp.Scored > 0 {
		sp.Average = float64(sp.sum) / float64(sp.Scored)
	}
	for i := range sp.Bars {
		sp.Bars[i].Of = sp.Scored
	}
}

// newSpan is a span with no scores yet.
func newSpan(label, en string) scoreSpan {
	sp := scoreSpan{Label: label, En: en}
	for score := 5; score >= 1; score-- {
		sp.Bars = append(sp.Bars, scoreBar{Score: score})
	}
	return sp
}

// feedbackComment is a comment on an order.
type feedbackComment struct {
	At      time.Time
	Order   string
	Contact care.ContactID
	Score   int
	Comment string
}

// feedbackView is the feedback page.
type feedbackView struct {
	ownerPage
	// Spans are the last 30 days and all the orders read.
	Spans       []scoreSpan
	Scan        int
	Comments    []feedbackComment
	Suggestions []care.Suggestion
	Shown       int
	// Contacts: the contacts' pages are served, so the suggestions
	// link to them.
	Contacts bool
}

// ownerFeedback is GET /console/feedback: the average score and how many
// gave each, over the last 30 days and all the orders read, the newest
// comments with their orders, and the newest suggestions.
func (s *Server) ownerFeedback(w http.ResponseWriter, r *http.Request) {
	since := s.cfg.Now().Add(-feedbackRecent)
	recent, all := newSpan("30 hari terakhir", "last 30 days"), newSpan("Semua", "all time")
	var comments []feedbackComment
	seen := map[care.OrderID]bool{}
	for _, st := range []care.FulfilmentState{care.FulfilmentDelivered, care.FulfilmentPickedUp} {
		orders, err := s.cfg.Orders.ListOrders(r.Context(), care.OrderQuery{Status: string(st), Limit: feedbackScan})
		if err != nil {
			s.ownerFailed(w, r, err)
			return
		}
		for _, o := range orders {
			f := o.Feedback
			if seen[o.ID] || f == nil || f.Score < 1 || f.Score > 5 {
				continue
			}
			seen[o.ID] = true
			all.add(f.Score)
			if !f.At.Before(since) {
				recent.add(f.Score)
			}
			if f.Comment != "" {
				comments = append(comments, feedbackComment{At: f.At, Order: o.Number, Contact: o.Contact, Score: f.Score, Comment: f.Comment})
			}
		}
	}
	recent.done()
	all.done()
	slices.SortStableFunc(comments, func(a, b feedbackComment) int { return b.At.Compare(a.At) })
	suggestions, err := s.cfg.Feedback.Suggestions(r.Context(), feedbackShown)
	if err != nil {
		s.ownerFailed(w, r, err)
		return
	}
	v := feedbackView{ownerPage: s.ownerPage(w, r, "/console/feedback", "Penilaian & saran", "feedback"),
		Spans: []scoreSpan{recent, all}, Scan: feedbackScan, Comments: comments[:min(len(comments), feedbackShown)],
		Suggestions: suggestions, Shown: feedbackShown, Contacts: s.cfg.Contacts != nil && s.cfg.Directory != nil}
	s.renderStaffPage(w, feedbackTemplate, v, http.StatusOK)
}
