package outreach

import (
	"context"
	"sync"
)

// coalescer makes calls that concurrent deliveries start at about the
// same moment in one round trip: while one batch is on its way, the next
// calls gather, and go together as soon as it returns. A lone call goes
// at once, so nothing waits for a batch to fill.
type coalescer[Req, Res any] struct {
	run func(ctx context.Context, reqs []Req) []Res

	mu       sync.Mutex
	pending  []pendingCall[Req, Res]
	flushing bool
}

type pendingCall[Req, Res any] struct {
	req  Req
	done chan Res
}

// do makes req with whatever gathered meanwhile and returns its result.
// The batch runs under a context free of any one caller's cancellation:
// a caller that stops waiting must not cancel the others' calls.
func (c *coalescer[Req, Res]) do(ctx context.Context, req Req) Res {
	done := make(chan Res, 1)
	c.mu.Lock()
	c.pending = append(c.pending, pendingCall[Req, Res]{req, done})
	if !c.flushing {
		c.flushing = true
		go c.flush(context.WithoutCancel(ctx))
	}
	c.mu.Unlock()
	return <-done
}

// flush runs batches until nothing waits.
func (c *coalescer[Req, Res]) flush(ctx context.Context) {
	for {
		c.mu.Lock()
		batch := c.pending
		c.pending = nil
		if len(batch) == 0 {
			c.flushing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		reqs := make([]Req, len(batch))
		for i, p := range batch {
			reqs[i] = p.req
		}
		res := c.run(ctx, reqs)
		for i, p := range batch {
			p.done <- res[i]
		}
	}
}
