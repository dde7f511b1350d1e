package redisstore

import (
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redistest"
)

// A lease passes between owners only when free: released by its owner,
// or lapsed (here: the key deleted, as expiry would).
func TestLease(t *testing.T) {
	type step struct {
		do    string // acquire, release, lapse
		owner string
		ttl   time.Duration
		want  bool   // acquire's answer
		held  string // the owner in Redis afterwards, "" none
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"free lease is taken", []step{
			{do: "acquire", owner: "a", ttl: time.Minute, want: true, held: "a"},
		}},
		{"held lease is refused, then renewed by its owner", []step{
			{do: "acquire", owner: "a", ttl: time.Minute, want: true, held: "a"},
			{do: "acquire", owner: "b", ttl: time.Minute, want: false, held: "a"},
			{do: "acquire", owner: "a", ttl: time.Minute, want: true, held: "a"},
		}},
		{"release by another owner does nothing", []step{
			{do: "acquire", owner: "a", ttl: time.Minute, want: true, held: "a"},
			{do: "release", owner: "b", held: "a"},
			{do: "acquire", owner: "b", ttl: time.Minute, want: false, held: "a"},
		}},
		{"released lease goes to the next owner", []step{
			{do: "acquire", owner: "a", ttl: time.Minute, want: true, held: "a"},
			{do: "release", owner: "a"},
			{do: "release", owner: "a"},
			{do: "acquire", owner: "b", ttl: time.Minute, want: true, held: "b"},
		}},
		{"lapsed lease goes to the next owner", []step{
			{do: "acquire", owner: "a", ttl: time.Minute, want: true, held: "a"},
			{do: "lapse"},
			{do: "acquire", owner: "b", ttl: time.Minute, want: true, held: "b"},
			{do: "acquire", owner: "a", ttl: time.Minute, want: false, held: "b"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			client, prefix := redistest.Client(t)
			s := New(client, prefix)
			key := prefix + ":lease:whatsapp"
			for i, st := range tt.steps {
				switch st.do {
				case "acquire":
					got, err := s.Acquire(ctx, "whatsapp", st.owner, st.ttl)
					if err != nil || got != st.want {
						t.Fatalf("step %d: Acquire(%s) = %v, %v; want %v", i, st.owner, got, err, st.want)
					}
				case "release":
					if err := s.Release(ctx, "whatsapp", st.owner); err != nil {
						t.Fatalf("step %d: Release(%s) = %v", i, st.owner, err)
					}
				case "lapse":
					if err := client.Del(ctx, key).Err(); err != nil {
						t.Fatal(err)
					}
				}
				held, err := client.Get(ctx, key).Result()
				if err != nil && st.held != "" {
					t.Fatalf("step %d: reading the lease: %v", i, err)
				}
				if held != st.held {
					t.Errorf("step %d: lease held by %q, want %q", i, held, st.held)
				}
			}
		})
	}
}

// Acquire sets the lease's expiry, and renewing moves it to the new
// ttl; nothing else in the store is touched.
func TestLeaseExpiry(t *testing.T) {
	ctx := t.Context()
	client, prefix := redistest.Client(t)
	s := New(client, prefix)
	key := prefix + ":lease:whatsapp"
	if ok, err := s.Acquire(ctx, "whatsapp", "a", time.Minute); !ok || err != nil {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	if ttl := client.PTTL(ctx, key).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("expiry %v after taking for 1m", ttl)
	}
	if ok, err := s.Acquire(ctx, "whatsapp", "a", time.Hour); !ok || err != nil {
		t.Fatalf("renewing: %v, %v", ok, err)
	}
	if ttl := client.PTTL(ctx, key).Val(); ttl <= time.Minute {
		t.Errorf("expiry %v after renewing for 1h, want more than 1m", ttl)
	}
	if ok, err := s.Acquire(ctx, "whatsapp", "b", time.Millisecond); ok || err != nil {
		t.Fatalf("another owner: %v, %v", ok, err)
	}
	if ttl := client.PTTL(ctx, key).Val(); ttl <= time.Minute {
		t.Errorf("expiry %v after another owner tried, want it untouched", ttl)
	}
	keys, err := client.Keys(ctx, prefix+":*").Result()
	if err != nil || len(keys) != 1 || keys[0] != key {
		t.Errorf("keys %v (%v), want only %s", keys, err, key)
	}
}

func TestLeaseInvalid(t *testing.T) {
	client, prefix := redistest.Client(t)
	s := New(client, prefix)
	tests := []struct {
		name, lease, owner string
		ttl                time.Duration
	}{
		{"no name", "", "a", time.Second},
		{"brace in the name", "{whatsapp}", "a", time.Second},
		{"no owner", "whatsapp", "", time.Second},
		{"no ttl", "whatsapp", "a", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Acquire(t.Context(), tt.lease, tt.owner, tt.ttl); care.ErrorCode(err) != care.EInvalid {
				t.Errorf("Acquire = %v, want EInvalid", err)
			}
			if tt.ttl > 0 {
				if err := s.Release(t.Context(), tt.lease, tt.owner); care.ErrorCode(err) != care.EInvalid {
					t.Errorf("Release = %v, want EInvalid", err)
				}
			}
		})
	}
}
