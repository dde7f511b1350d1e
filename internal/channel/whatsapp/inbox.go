package whatsapp

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mitra-care/mitra/internal/backoff"
	"github.com/mitra-care/mitra/internal/care"
)

// deliver hands in to the handler, or queues it when the handler is
// failing. It returns whether the message may be acknowledged.
func (c *Channel) deliver(in care.Inbound) bool {
	if c.in.busy() {
		c.enqueue(in)
		return false
	}
	ctx := c.baseCtx()
	err := c.handle(ctx, in)
	if accepted(err) {
		return true
	}
	if ctx.Err() != nil {
		// Shutting down: leave it unacknowledged for the next start.
		return false
	}
	c.log.Warn("handing a WhatsApp message over failed; queued for retry, unacknowledged",
		"contact", c.who(in.Address), "message", in.MessageID, "err", c.redactInbound(err, in))
	c.enqueue(in)
	return false
}

func (c *Channel) enqueue(in care.Inbound) {
	switch c.in.push(in) {
	case pushFull:
		c.log.Error("inbound queue full; WhatsApp will deliver this message again on the next connection",
			"contact", c.who(in.Address), "message", in.MessageID, "queued", c.in.len())
	case pushDuplicate:
		c.log.Debug("message already queued", "message", in.MessageID)
	}
}

// handle calls the handler once, bounded by HandleTimeout.
func (c *Channel) handle(ctx context.Context, in care.Inbound) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HandleTimeout)
	defer cancel()
	err := c.h.Handle(ctx, in)
	if err != nil && care.ErrorCode(err) == care.EInvalid {
		c.log.Warn("WhatsApp message refused as invalid; dropped", "contact", c.who(in.Address), "message", in.MessageID, "err", c.redactInbound(err, in))
	}
	return err
}

// accepted reports whether the handler is done with a message: stored,
// a duplicate, or invalid for good.
func accepted(err error) bool {
	return err == nil || errors.Is(err, care.ErrDuplicate) || care.ErrorCode(err) == care.EInvalid
}

// maxTries bounds the retries of one queued message, so a message the
// handler can never take does not hold its chat forever. It stays
// unacknowledged, so WhatsApp delivers it again on the next connection.
const maxTries = 30

// drain retries queued messages, oldest first, in order within a chat,
// until ctx ends.
func (c *Channel) drain(ctx context.Context) {
	b := backoff.New(200*time.Millisecond, 30*time.Second)
	for {
		p, ok := c.in.peek()
		if !ok {
			select {
			case <-c.in.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		err := c.handle(ctx, p.in)
		if accepted(err) {
			c.in.pop(p.in.MessageID)
			b.Reset()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if c.in.fail(p.in.MessageID) >= maxTries {
			c.log.Error("giving up on a WhatsApp message for now; WhatsApp delivers it again on the next connection",
				"contact", c.who(p.in.Address), "message", p.in.MessageID, "err", c.redactInbound(err, p.in))
			c.in.pop(p.in.MessageID)
			continue
		}
		wait := b.Advance()
		c.log.Warn("handing a queued WhatsApp message over failed, retrying",
			"contact", c.who(p.in.Address), "message", p.in.MessageID, "in", wait, "err", c.redactInbound(err, p.in))
		if c.sleep(ctx, wait) != nil {
			return
		}
	}
}

// inbox holds inbound messages the handler has not taken yet, in arrival
// order per chat.
type inbox struct {
	mu    sync.Mutex
	max   int
	queue []pending // arrival order; per-chat order follows
	ids   map[string]bool
	wake  chan struct{}
}

type pending struct {
	in    care.Inbound
	tries int
}

type pushResult int

const (
	pushed pushResult = iota
	pushFull
	pushDuplicate
)

func newInbox(max int) *inbox {
	return &inbox{max: max, ids: map[string]bool{}, wake: make(chan struct{}, 1)}
}

func (q *inbox) push(in care.Inbound) pushResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ids[in.MessageID] {
		return pushDuplicate
	}
	if len(q.queue) >= q.max {
		return pushFull
	}
	q.queue = append(q.queue, pending{in: in})
	q.ids[in.MessageID] = true
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return pushed
}

// peek returns the oldest waiting message. A single queue in arrival
// order keeps each chat's order; while the handler fails it fails for
// every chat alike (Redis is away), so nothing is gained by skipping
// ahead.
func (q *inbox) peek() (pending, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) == 0 {
		return pending{}, false
	}
	return q.queue[0], true
}

func (q *inbox) pop(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, p := range q.queue {
		if p.in.MessageID == id {
			q.queue = append(q.queue[:i], q.queue[i+1:]...)
			delete(q.ids, id)
			return
		}
	}
}

// fail counts a failed try and returns the count.
func (q *inbox) fail(id string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.queue {
		if q.queue[i].in.MessageID == id {
			q.queue[i].tries++
			return q.queue[i].tries
		}
	}
	return 0
}

// busy reports whether messages are waiting: the handler is failing, and
// new messages queue behind them instead of trying first.
func (q *inbox) busy() bool { return q.len() > 0 }

func (q *inbox) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue)
}
