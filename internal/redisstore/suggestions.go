package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// A customer's suggestion (care.Suggestions) is an event of their
// conversation, care.ActionSuggested with the words as its reason: it
// goes with everything else when they erase their data, and follows
// them in a merge. <p>:{d}:suggestions is a sorted set of the contacts
// who left one, by the time of their last; like the inbox's indexes it
// only says where to look, and a contact no longer there is tidied
// away when read.

var _ care.Suggestions = (*Store)(nil)

// maxSuggesters bounds the contacts the index keeps: the oldest go.
const maxSuggesters = 10_000

// maxSuggestionList bounds one list of suggestions.
const maxSuggestionList = 1000

// suggestionsKey is the index of the contacts who left a suggestion.
func (s *Store) suggestionsKey() string { return s.prefix + ":{d}:suggestions" }

// Suggested indexes contact as having left a suggestion at at; see
// care.Suggestions.
func (s *Store) Suggested(ctx context.Context, contact care.ContactID, at time.Time) error {
	if err := contact.Validate(); err != nil {
		return err
	}
	pipe := s.client.Pipeline()
	pipe.ZAdd(ctx, s.suggestionsKey(), redis.Z{Score: score(at), Member: string(contact)})
	pipe.ZRemRangeByRank(ctx, s.suggestionsKey(), 0, -maxSuggesters-1)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("index the suggestion of %s: %w", contact, unavailable(err))
	}
	return nil
}

// Suggestions returns up to limit suggestions, the newest first, read
// from the events of the contacts the index names (a merged contact's
// from the person); see care.Suggestions.
func (s *Store) Suggestions(ctx context.Context, limit int) ([]care.Suggestion, error) {
	if limit <= 0 || limit > maxSuggestionList {
		return nil, care.Errorf(care.EInvalid, "list of %d suggestions: want 1 to %d", limit, maxSuggestionList)
	}
	members, err := s.client.ZRevRange(ctx, s.suggestionsKey(), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("suggestions: %w", unavailable(err))
	}
	var out []care.Suggestion
	var gone []any
	seen := map[care.ContactID]bool{}
	for _, m := range members {
		c, ok, err := s.Contact(ctx, care.ContactID(m))
		if err != nil {
			return nil, fmt.Errorf("suggestions: %w", unavailable(err))
		}
		if !ok || !c.Live() {
			gone = append(gone, m)
			continue
		}
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		raws, err := s.client.LRange(ctx, s.key(c.ID, keyEvents), 0, -1).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("suggestions of %s: %w", c.ID, unavailable(err))
		}
		events, err := decodeList[care.StaffEvent](raws)
		if err != nil {
			return nil, fmt.Errorf("events of %s: %w", c.ID, err)
		}
		for _, e := range events {
			if e.Action == care.ActionSuggested {
				out = append(out, care.Suggestion{At: e.At, Contact: c.ID, Text: e.Reason})
			}
		}
	}
	if len(gone) > 0 {
		if err := s.client.ZRem(ctx, s.suggestionsKey(), gone...).Err(); err != nil {
			return nil, fmt.Errorf("tidy the suggestions' index: %w", unavailable(err))
		}
	}
	slices.SortStableFunc(out, func(a, b care.Suggestion) int { return b.At.Compare(a.At) })
	return out[:min(len(out), limit)], nil
}
