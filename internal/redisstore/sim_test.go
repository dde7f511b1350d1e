package redisstore

import (
	"strconv"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

func TestSimInbox(t *testing.T) {
	sim := care.Address{Channel: care.WhatsApp, ID: care.SimPrefix + "abc"}
	tests := []struct {
		name         string
		appends      int
		after        int64
		max          int
		first, count int64 // first seq returned and how many
	}{
		{"empty", 0, 0, 10, 0, 0},
		{"all", 3, 0, 10, 1, 3},
		{"after", 3, 1, 10, 2, 2},
		{"at most max", 3, 0, 2, 1, 2},
		{"nothing new", 3, 3, 10, 0, 0},
		{"trimmed to the last 500", 510, 0, 1000, 11, 500},
		{"after, past the trimmed ones", 510, 505, 1000, 506, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, client := newStore(t)
			for i := 1; i <= tt.appends; i++ {
				seq, err := s.Append(ctx, sim, care.SimMessage{ID: "id" + strconv.Itoa(i), Seq: 99, Text: "m" + strconv.Itoa(i), Class: care.Reply, At: t0})
				if err != nil {
					t.Fatal(err)
				}
				if seq != int64(i) {
					t.Fatalf("append %d returned seq %d", i, seq)
				}
			}
			got, err := s.After(ctx, sim, tt.after, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(got)) != tt.count {
				t.Fatalf("After(%d, %d) = %d messages, want %d", tt.after, tt.max, len(got), tt.count)
			}
			for i, m := range got {
				want := tt.first + int64(i)
				if m.Seq != want || m.Text != "m"+strconv.FormatInt(want, 10) || !m.At.Equal(t0) || m.Class != care.Reply {
					t.Errorf("message %d = %+v, want seq %d", i, m, want)
				}
			}
			// The ids of the messages kept, and only those, were received.
			for i := 1; i <= tt.appends+1; i++ {
				want := i <= tt.appends && i > tt.appends-simKeep
				if got, err := s.Received(ctx, sim, "id"+strconv.Itoa(i)); got != want || err != nil {
					t.Fatalf("Received(id%d) = %v, %v; want %v", i, got, err, want)
				}
			}
			if tt.appends > 0 {
				for _, k := range s.simKeys(sim) {
					ttl := client.PTTL(ctx, k).Val()
					if ttl <= simTTL-time.Minute || ttl > simTTL {
						t.Errorf("PTTL of %s = %s, want %s", k, ttl, simTTL)
					}
				}
			}
		})
	}
}

func TestSimInboxInvalid(t *testing.T) {
	s, _ := newStore(t)
	if _, err := s.After(ctx, care.Address{Channel: care.WhatsApp, ID: "sim-x"}, 0, 0); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("After with max 0 = %v, want invalid", err)
	}
	if _, err := s.Append(ctx, care.Address{Channel: care.WhatsApp, ID: "6281"}, care.SimMessage{}); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("Append to a real address = %v, want invalid", err)
	}
	if _, err := s.Received(ctx, care.Address{Channel: care.WhatsApp, ID: "6281"}, "m1"); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("Received of a real address = %v, want invalid", err)
	}
	if _, err := s.Received(ctx, care.Address{Channel: care.WhatsApp, ID: "sim-x"}, ""); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("Received without an id = %v, want invalid", err)
	}
}
