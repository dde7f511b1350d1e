package redisstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// Records returns the contact's consent ledger and the whole retained
// transcript, in one round trip: what MY DATA shows.
func (s *Store) Records(ctx context.Context, id care.ContactID) (care.Records, error) {
	if err := id.Validate(); err != nil {
		return care.Records{}, fmt.Errorf("records: %w", err)
	}
	pipe := s.client.Pipeline()
	ledger := pipe.XRange(ctx, s.key(id, keyLedger), "-", "+")
	log := pipe.LRange(ctx, s.key(id, keyTranscript), 0, -1)
	_, _ = pipe.Exec(ctx)
	if err := firstErr(ledger, log); err != nil {
		return care.Records{}, fmt.Errorf("records of %s: %w", id, unavailable(err))
	}
	var rec care.Records
	var err error
	if rec.Consent, err = decodeLedger(ledger.Val()); err != nil {
		return care.Records{}, fmt.Errorf("records of %s: %w", id, err)
	}
	rec.Transcript = transcriptEntries(log.Val())
	return rec, nil
}

// transcriptEntries are the messages of stored transcript steps, oldest
// first: the contact's (a kind Mitra does not read shown as "[kind]"),
// then the bot's or staff's.
func transcriptEntries(raws []string) []care.TranscriptEntry {
	var out []care.TranscriptEntry
	for _, raw := range raws {
		at, kind, in, outs := decodeTranscript(raw)
		staff := ""
		switch {
		case kind == care.KindStaff:
			staff, in = in, ""
		case !kind.Understood() && kind != "":
			in = "[" + string(kind) + "]"
		}
		if in != "" {
			out = append(out, care.TranscriptEntry{At: at, Inbound: true, Text: in})
		}
		for _, o := range outs {
			out = append(out, care.TranscriptEntry{At: at, Text: o, Staff: staff})
		}
	}
	return out
}

// Ledger returns the contact's consent ledger, oldest first.
func (s *Store) Ledger(ctx context.Context, id care.ContactID) ([]care.ConsentEvent, error) {
	if err := id.Validate(); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	entries, err := s.client.XRange(ctx, s.key(id, keyLedger), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("ledger of %s: %w", id, err)
	}
	return decodeLedger(entries)
}

func decodeLedger(entries []redis.XMessage) ([]care.ConsentEvent, error) {
	out := make([]care.ConsentEvent, 0, len(entries))
	for _, e := range entries {
		raw, _ := e.Values["e"].(string)
		var ev care.ConsentEvent
		if err := json.Unmarshal([]byte(raw), &ev); err != nil {
			return nil, fmt.Errorf("ledger entry %s: %w", e.ID, err)
		}
		out = append(out, ev)
	}
	return out, nil
}
