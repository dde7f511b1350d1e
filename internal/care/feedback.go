package care

import (
	"context"
	"time"
)

// Suggestion is what a customer wrote when they asked to leave the shop
// a suggestion ("saran"). Its words are kept with the customer's
// conversation events, and go when they erase their data.
type Suggestion struct {
	At      time.Time `json:"at"`
	Contact ContactID `json:"contact"`
	Text    string    `json:"text"`
}

// MaxSuggestion bounds a suggestion, in characters.
const MaxSuggestion = 1000

// Suggestions keeps the customers' suggestions for the owner.
type Suggestions interface {
	// Suggested notes that contact left a suggestion at at, so that
	// Suggestions finds it among their events; the words themselves
	// are the event's.
	Suggested(ctx context.Context, contact ContactID, at time.Time) error
	// Suggestions returns up to limit suggestions, the newest first;
	// those of customers who erased their data are gone.
	Suggestions(ctx context.Context, limit int) ([]Suggestion, error)
}
