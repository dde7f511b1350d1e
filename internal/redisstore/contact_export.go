package redisstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// exportBatch is how many address index entries one step of an export
// asks for.
const exportBatch = 500

// EachContact calls fn with every live contact, for an export of the
// shop's contacts of any size: it walks the address index with HSCAN
// and reads the profiles of each batch in one round trip, so it holds
// one batch at a time. A person with several addresses is given once,
// at the first of their addresses the index files under them. A contact
// that changes meanwhile is given as it was when its batch was read;
// one added meanwhile may be left out, and if the index grows a lot
// meanwhile one may come twice (HSCAN's promise). An error of fn ends
// the walk and is returned.
func (s *Store) EachContact(ctx context.Context, fn func(care.Contact) error) error {
	return s.eachContact(ctx, exportBatch, fn)
}

func (s *Store) eachContact(ctx context.Context, batch int64, fn func(care.Contact) error) error {
	var cursor uint64
	for {
		kv, next, err := s.client.HScan(ctx, s.index, cursor, "*", batch).Result()
		if err != nil {
			return fmt.Errorf("export contacts: %w", unavailable(err))
		}
		cs, err := s.firstOwned(ctx, kv)
		if err != nil {
			return fmt.Errorf("export contacts: %w", err)
		}
		for _, c := range cs {
			if err := fn(c); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// firstOwned returns the live contacts whose first indexed address is
// among the index entries kv (address, contact id, …), each once: an
// entry of another address of a contact is left to that first one,
// wherever the walk meets it. Two round trips: the profiles, then the
// index entries of the addresses listed before an entry's.
func (s *Store) firstOwned(ctx context.Context, kv []string) ([]care.Contact, error) {
	type entry struct {
		addr string
		id   care.ContactID
	}
	var entries []entry
	var members []redis.Z
	seen, read := map[entry]bool{}, map[care.ContactID]bool{}
	for i := 0; i+1 < len(kv); i += 2 {
		e := entry{addr: kv[i], id: care.ContactID(kv[i+1])}
		if seen[e] || e.id.Validate() != nil {
			continue
		}
		seen[e] = true
		entries = append(entries, e)
		if !read[e.id] {
			read[e.id] = true
			members = append(members, redis.Z{Member: string(e.id)})
		}
	}
	profiles, ok, err := s.profiles(ctx, members)
	if err != nil {
		return nil, err
	}
	byID := make(map[care.ContactID]care.Contact, len(members))
	for i, c := range profiles {
		if ok[i] && c.Live() {
			byID[c.ID] = c
		}
	}
	// An entry gives its contact when no address listed before it in
	// the profile is filed under the contact: usually it is the first.
	type candidate struct {
		c      care.Contact
		before *redis.SliceCmd
	}
	var cands []candidate
	pipe := s.client.Pipeline()
	for _, e := range entries {
		c, live := byID[e.id]
		if !live {
			continue
		}
		k := slices.IndexFunc(c.Addresses, func(a care.Address) bool { return a.String() == e.addr })
		switch {
		case k < 0: // not the profile's: the person is given at one of theirs
		case k == 0:
			cands = append(cands, candidate{c: c})
		default:
			fields := make([]string, k)
			for i, a := range c.Addresses[:k] {
				fields[i] = a.String()
			}
			cands = append(cands, candidate{c: c, before: pipe.HMGet(ctx, s.index, fields...)})
		}
	}
	if pipe.Len() > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("read the index: %w", unavailable(err))
		}
	}
	var out []care.Contact
	for _, cd := range cands {
		if cd.before != nil && slices.Contains(cd.before.Val(), any(string(cd.c.ID))) {
			continue
		}
		out = append(out, cd.c)
	}
	return out, nil
}
