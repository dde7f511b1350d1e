package whatsapp

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/mitra-care/mitra/internal/care"
)

// A message the handler cannot take (Redis away) stays unacknowledged and
// queued; later messages wait behind it in order; the queue drains once
// the handler works again.
func TestReceiveWhileHandlerFails(t *testing.T) {
	hs := newHarness(t)
	down := care.Errorf(care.EUnavailable, "redis down")
	hs.h.fail(down)

	steps := []struct {
		evt     *events.Message
		wantAck bool
		queued  int
	}{
		{message("A1", sariJID, sariJID, text("satu")), false, 1},
		{message("A2", sariJID, sariJID, text("dua")), false, 2},
		{message("B1", budiJID, budiJID, text("halo")), false, 3},
		{message("A1", sariJID, sariJID, text("satu")), false, 3}, // delivered again: already queued
	}
	for i, s := range steps {
		if ack := hs.c.onEvent(s.evt); ack != s.wantAck {
			t.Errorf("step %d: ack = %v, want %v", i, ack, s.wantAck)
		}
		if n := hs.c.State().Waiting; n != s.queued {
			t.Errorf("step %d: %d waiting, want %d", i, n, s.queued)
		}
	}
	if got := ids(hs.h.received()); !reflect.DeepEqual(got, []string{"A1"}) {
		t.Fatalf("handler tried %v before draining, want only the first message (the rest queue without holding WhatsApp's loop)", got)
	}

	// The first retry fails too; then Redis is back.
	hs.h.fail(down)
	seen := make(chan care.Inbound, 8)
	hs.h.mu.Lock()
	hs.h.seen = seen
	hs.h.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		hs.c.drain(ctx)
	}()
	var order []string
	for range 4 {
		order = append(order, (<-seen).MessageID)
	}
	cancel()
	<-done
	if want := []string{"A1", "A1", "A2", "B1"}; !reflect.DeepEqual(order, want) {
		t.Errorf("drained %v, want %v (in order, retrying the head)", order, want)
	}
	if sl := hs.takeSleeps(); len(sl) != 1 {
		t.Errorf("backoff sleeps %v, want one after the failed retry", sl)
	}
	if n := hs.c.State().Waiting; n != 0 {
		t.Errorf("%d still waiting after the drain", n)
	}

	// Back to normal: handled at once and acknowledged.
	hs.h.mu.Lock()
	hs.h.seen = nil
	hs.h.mu.Unlock()
	if !hs.c.onEvent(message("A3", sariJID, sariJID, text("tiga"))) {
		t.Error("a message after the drain was not acknowledged")
	}
}

func ids(ins []care.Inbound) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.MessageID)
	}
	return out
}

func TestReceiveHandlerOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		queue   int
		prefill bool // the queue already holds a message
		cancel  bool // Run is stopping
		wantAck bool
		waiting int
	}{
		{name: "stored", wantAck: true},
		{name: "duplicate", err: care.ErrDuplicate, wantAck: true},
		{name: "invalid for good", err: care.Errorf(care.EInvalid, "bad id"), wantAck: true},
		{name: "unavailable", err: care.Errorf(care.EUnavailable, "redis down"), waiting: 1},
		{name: "any other error", err: errors.New("boom"), waiting: 1},
		{name: "queue full", err: errors.New("boom"), queue: 1, prefill: true, waiting: 1},
		{name: "shutting down", err: context.Canceled, cancel: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(c *Config) { c.InboundQueue = tt.queue })
			if tt.prefill {
				hs.c.in.push(care.Inbound{MessageID: "OLD", Address: care.Address{Channel: care.WhatsApp, ID: "6281111111111"}})
			}
			if tt.cancel {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				hs.c.attach(ctx, hs.client, fakeSelf{jid: shopJID}, nil)
			}
			if tt.err != nil {
				hs.h.fail(tt.err)
			}
			// With a prefilled queue the message is not tried: it queues
			// behind, or, full, stays unacknowledged for redelivery.
			if ack := hs.c.onEvent(message("M1", sariJID, sariJID, text("halo"))); ack != tt.wantAck {
				t.Errorf("ack = %v, want %v", ack, tt.wantAck)
			}
			if n := hs.c.State().Waiting; n != tt.waiting {
				t.Errorf("%d waiting, want %d", n, tt.waiting)
			}
		})
	}
}
