package outreach

import (
	"context"
	"sync"

	"github.com/mitra-care/mitra/internal/care"
)

// dispatcher runs steps (the messages of one lane entry) concurrently,
// one queue per contact: a contact's steps go one after the other, in
// the order read, while other contacts' go at the same time. The reader
// asks for room before each read, so a slow contact never holds the
// next read back, and no more than max steps are ever under way.
type dispatcher struct {
	mu       sync.Mutex
	cond     *sync.Cond
	queues   map[care.ContactID][][]care.Delivery
	inflight int
	max      int
	deliver  func([]care.Delivery)
	wg       sync.WaitGroup
}

func newDispatcher(max int, deliver func([]care.Delivery)) *dispatcher {
	d := &dispatcher{queues: map[care.ContactID][][]care.Delivery{}, max: max, deliver: deliver}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// room waits until fewer than max steps are under way and returns
// how many more may start; 0 once ctx ended.
func (d *dispatcher) room(ctx context.Context) int {
	stop := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.cond.Broadcast()
	})
	defer stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.inflight >= d.max && ctx.Err() == nil {
		d.cond.Wait()
	}
	if ctx.Err() != nil {
		return 0
	}
	return d.max - d.inflight
}

// submit queues a step (messages of one contact) behind its contact's
// earlier ones.
func (d *dispatcher) submit(step []care.Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inflight++
	id := step[0].Contact
	q, running := d.queues[id]
	d.queues[id] = append(q, step)
	if !running {
		d.wg.Add(1)
		go d.drain(id)
	}
}

// drain delivers a contact's queue until it is empty.
func (d *dispatcher) drain(id care.ContactID) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		q := d.queues[id]
		if len(q) == 0 {
			delete(d.queues, id)
			d.mu.Unlock()
			return
		}
		x := q[0]
		d.queues[id] = q[1:]
		d.mu.Unlock()
		d.deliver(x)
		d.mu.Lock()
		d.inflight--
		d.cond.Signal()
		d.mu.Unlock()
	}
}

// wait returns once every step submitted is done.
func (d *dispatcher) wait() { d.wg.Wait() }
