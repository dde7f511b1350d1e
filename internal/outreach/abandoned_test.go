package outreach

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/sim"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// blindSim is the simulator when its record of deliveries cannot be
// read.
type blindSim struct{ *sim.Channel }

func (blindSim) Delivered(context.Context, care.Outbound) (bool, error) {
	return false, errors.New("inbox unreadable")
}

// TestSenderDiesMidSend: a sender takes a message and dies, before or
// after the channel accepted it; another sender finds it abandoned once
// the take timeout has passed. A channel that can tell makes it exactly
// once; one that cannot (or cannot answer) leaves it at most once.
func TestSenderDiesMidSend(t *testing.T) {
	tests := []struct {
		name string
		// channel is the simulator the senders use.
		channel func(*sim.Channel) care.Sender
		// sent: the dying sender's channel accepted the message.
		sent bool
		// want is how many times the message arrived; reason the audit
		// entry of what the next sender found; audited how many audit
		// entries say it was sent.
		want, audited int
		reason        string
	}{
		{"before send, the channel can tell", func(c *sim.Channel) care.Sender { return c }, false, 1, 1, "not sent by a sender that died"},
		{"after send, the channel can tell", func(c *sim.Channel) care.Sender { return c }, true, 1, 1, "sent, confirmed after a sender died"},
		{"before send, the channel cannot answer", func(c *sim.Channel) care.Sender { return blindSim{c} }, false, 0, 0, "outcome unknown"},
		{"after send, the channel cannot answer", func(c *sim.Channel) care.Sender { return blindSim{c} }, true, 1, 0, "outcome unknown"},
		{"after send, a channel that cannot tell", func(c *sim.Channel) care.Sender { return struct{ care.Sender }{c} }, true, 1, 0, "outcome unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ch := tt.channel(sim.New(h.store, h.clock))
			cfg := h.s.cfg
			cfg.Simulator = ch
			h.s = NewSender(cfg)
			ani := care.Address{Channel: care.WhatsApp, ID: care.SimPrefix + "ani"}
			h.contact(ani, "")
			if err := h.store.Enqueue(ctx, []care.Outbound{staff(h.id(ani), ani, "r1", "halo", h.clock())}); err != nil {
				t.Fatal(err)
			}
			replies, _ := h.s.Lanes()
			ds, err := h.store.Next(ctx, "dying", replies, 10, 0)
			if err != nil || len(ds) != 1 {
				t.Fatalf("Next = %v, %v", ds, err)
			}
			if got, errs := h.store.TakeAll(ctx, ds); got[0] != care.Taken || errs[0] != nil {
				t.Fatalf("Take = %v, %v", got, errs)
			}
			if tt.sent {
				if err := ch.Send(ctx, ds[0].Outbound); err != nil {
					t.Fatal(err)
				}
			}
			// The sender dies here. Its entry is claimed again at once
			// (the test store's claim timeout), but the message is
			// another sender's only once the take timeout has passed.
			time.Sleep(5 * time.Millisecond)
			h.drain()
			h.advance(redisstore.DefaultTakeTimeout + time.Minute)
			h.drain()
			h.advance(redisstore.DefaultTakeTimeout + time.Minute)
			h.drain()

			got, err := h.store.After(ctx, ani, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("the contact received %d messages, want %d", len(got), tt.want)
			}
			if n := h.audit(tt.reason); n != 1 {
				t.Errorf("%d audit entries say %q, want 1: %v", n, tt.reason, h.auditEntries())
			}
			sent := 0
			for _, e := range h.auditEntries() {
				if e["m"] == "r1" && e["sent"] == "true" {
					sent++
				}
			}
			if sent != tt.audited {
				t.Errorf("%d audit entries say it was sent, want %d: %v", sent, tt.audited, h.auditEntries())
			}
			if left, err := h.store.Recover(ctx); err != nil || left != 0 {
				t.Errorf("Recover found %d messages left, %v", left, err)
			}
		})
	}
}
