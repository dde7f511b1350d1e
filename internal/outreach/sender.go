package outreach

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Recorder receives what became of each outbound message; the metrics
// package implements it.
type Recorder interface {
	Delivered(o care.Outbound, result string)
}

// SenderConfig wires a Sender.
type SenderConfig struct {
	Outbox care.Outbox
	// Channels deliver to real contacts, by channel.
	Channels map[care.Channel]care.Sender
	// Simulator delivers to simulated contacts; nil when it is off.
	Simulator care.Sender
	// Consumer names this sender in the outbox's consumer group; it must
	// be unique among running processes.
	Consumer string
	// Batch is how many messages one read takes.
	Batch    int
	Now      func() time.Time
	Logger   *slog.Logger
	Recorder Recorder
}

// Sender drains the outbox through the gate to the channels. It is the
// only caller of a channel's Send.
type Sender struct {
	cfg  SenderConfig
	gate Gate
}

// NewSender returns a sender; Run starts it.
func NewSender(cfg SenderConfig) *Sender {
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Sender{cfg: cfg}
}

// Run sends until ctx ends. Messages to one contact go out in the order
// they were queued; different contacts are served in parallel.
func (s *Sender) Run(ctx context.Context) error {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		batch, err := s.cfg.Outbox.Next(ctx, s.cfg.Consumer, s.cfg.Batch, 2*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			s.cfg.Logger.Warn("reading the outbox failed, retrying", "in", backoff, "err", err)
			sleep(ctx, backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		s.sendBatch(ctx, batch)
	}
	return nil
}

func (s *Sender) sendBatch(ctx context.Context, batch []care.Delivery) {
	byContact := map[care.ContactID][]care.Delivery{}
	var order []care.ContactID
	for _, d := range batch {
		if _, ok := byContact[d.Contact]; !ok {
			order = append(order, d.Contact)
		}
		byContact[d.Contact] = append(byContact[d.Contact], d)
	}
	var wg sync.WaitGroup
	for _, id := range order {
		wg.Add(1)
		go func(ds []care.Delivery) {
			defer wg.Done()
			for _, d := range ds {
				s.deliver(ctx, d)
			}
		}(byContact[id])
	}
	wg.Wait()
}

// deliver takes one message through the gate to its channel. The rule at
// the edge: a message is taken (marked as being sent) before the channel
// is called, and a taken message is never handed out again. A crash
// between the channel accepting it and the outcome being recorded
// therefore loses the record, never sends the message twice.
func (s *Sender) deliver(ctx context.Context, d care.Delivery) {
	now := s.cfg.Now()
	verdict, reason := s.gate.Decide(d.Outbound, now)
	if verdict != care.Allow {
		s.settle(ctx, d, care.Outcome{Verdict: verdict, Reason: reason, At: now}, string(verdict))
		return
	}
	ch := s.route(d.Address)
	if ch == nil {
		s.settle(ctx, d, care.Outcome{Verdict: care.Refuse, Reason: "no channel for " + string(d.Address.Channel), At: now}, "refused")
		return
	}
	taken, err := s.cfg.Outbox.Take(ctx, d)
	if err != nil {
		// Not taken: the entry stays pending and is claimed again later.
		s.cfg.Logger.Warn("taking a message failed; it will be retried", "message", d.ID, "err", err)
		return
	}
	if !taken {
		s.settle(ctx, d, care.Outcome{Verdict: care.Refuse, Reason: "already taken by another sender", At: now}, "duplicate")
		return
	}
	out := care.Outcome{Verdict: care.Allow, Reason: reason, At: now}
	if err := s.send(ctx, ch, d.Outbound); err != nil {
		out.Error = err.Error()
		s.cfg.Logger.Warn("sending failed", "message", d.ID, "contact", d.Contact, "err", err)
		s.settle(ctx, d, out, "failed")
		return
	}
	out.Sent = true
	s.settle(ctx, d, out, "sent")
}

// sendAttempts bounds the tries of a message whose channel said it was
// not delivered and may be tried again.
const sendAttempts = 5

// send calls the channel, trying again while it answers care.EUnavailable:
// a channel returns that code only when the platform certainly did not
// accept the message, so trying again cannot send it twice.
func (s *Sender) send(ctx context.Context, ch care.Sender, m care.Outbound) error {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := ch.Send(ctx, m)
		if err == nil || care.ErrorCode(err) != care.EUnavailable || attempt == sendAttempts || ctx.Err() != nil {
			return err
		}
		sleep(ctx, backoff)
		backoff *= 2
	}
}

func (s *Sender) route(a care.Address) care.Sender {
	if a.Simulated() {
		return s.cfg.Simulator
	}
	return s.cfg.Channels[a.Channel]
}

// settleTimeout bounds how long an outcome is retried while Redis is away;
// past it the entry stays pending and another sender settles it as taken.
const settleTimeout = time.Minute

// settle records the outcome, retrying while Redis is away: a message
// already sent must be marked so, or the record would be wrong.
func (s *Sender) settle(ctx context.Context, d care.Delivery, o care.Outcome, result string) {
	// Recording must outlive a shutdown that begins mid-send.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	backoff := 50 * time.Millisecond
	for {
		err := s.cfg.Outbox.Settle(ctx, d, o)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			s.cfg.Logger.Error("outcome not recorded", "message", d.ID, "sent", o.Sent, "err", err)
			return
		}
		s.cfg.Logger.Warn("recording an outcome failed, retrying", "message", d.ID, "err", fmt.Errorf("settle: %w", err))
		sleep(ctx, backoff)
		backoff = min(backoff*2, 5*time.Second)
	}
	if s.cfg.Recorder != nil {
		s.cfg.Recorder.Delivered(d.Outbound, result)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
