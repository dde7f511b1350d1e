package inbound

import (
	"sync"

	"github.com/mitra-care/mitra/internal/care"
)

// idCacheSize bounds the addresses whose contact a runtime remembers.
const idCacheSize = 100_000

// idCache remembers which contact an address belongs to, so a known
// conversation costs no look-up. An entry can go stale only when its
// contact is merged into another or erased; the contact's profile then
// says so, and the runtime forgets the entry and asks the store again.
type idCache struct {
	mu  sync.Mutex
	max int
	m   map[care.Address]care.ContactID
}

func newIDCache(max int) *idCache {
	return &idCache{max: max, m: make(map[care.Address]care.ContactID)}
}

// lookup returns the contact of a, when a (and the alias, if any) are
// known and filed under the same contact.
func (c *idCache) lookup(a, alias care.Address) (care.ContactID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.m[a]
	if ok && alias.ID != "" && c.m[alias] != id {
		return "", false
	}
	return id, ok
}

func (c *idCache) get(a care.Address) (care.ContactID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.m[a]
	return id, ok
}

func (c *idCache) put(a care.Address, id care.ContactID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m) // rare, and a miss costs one round trip
	}
	c.m[a] = id
}

func (c *idCache) forget(as ...care.Address) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range as {
		delete(c.m, a)
	}
}
