package redisstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

var _ care.Directory = (*Store)(nil)

// directoryBatch is how many profiles one round trip of a listing reads.
const directoryBatch = 1000

// ListContacts returns one page of the live contacts that match q, the
// most recent writers first; see care.Directory. It walks the address
// index (one key, so one node of a cluster too), which names every
// contact not erased, and reads their profiles: a small shop's whole
// directory in a few round trips, up to care.MaxDirectory contacts.
func (s *Store) ListContacts(ctx context.Context, q care.ContactQuery) (care.ContactPage, error) {
	if q.Offset < 0 || q.Limit <= 0 || q.Limit > maxInboxList {
		return care.ContactPage{}, care.Errorf(care.EInvalid, "page of %d contacts from %d: want 1 to %d from 0 on", q.Limit, q.Offset, maxInboxList)
	}
	ids, capped, err := s.directoryIDs(ctx)
	if err != nil {
		return care.ContactPage{}, err
	}
	var found []care.Contact
	for batch := range slices.Chunk(ids, directoryBatch) {
		members := make([]redis.Z, len(batch))
		for i, id := range batch {
			members[i] = redis.Z{Member: id}
		}
		cs, ok, err := s.profiles(ctx, members)
		if err != nil {
			return care.ContactPage{}, fmt.Errorf("list contacts: %w", err)
		}
		for i, c := range cs {
			if ok[i] && c.Live() && c.Matches(q.Search) {
				found = append(found, c)
			}
		}
	}
	slices.SortFunc(found, func(a, b care.Contact) int {
		return cmp.Or(b.LastInbound.Compare(a.LastInbound), b.FirstSeen.Compare(a.FirstSeen), cmp.Compare(a.ID, b.ID))
	})
	page := care.ContactPage{Total: len(found), Capped: capped}
	if q.Offset < len(found) {
		page.Contacts = found[q.Offset:min(len(found), q.Offset+q.Limit)]
	}
	return page, nil
}

// directoryIDs returns the contact ids the address index names, each
// once, at most care.MaxDirectory of them; capped says there were more.
func (s *Store) directoryIDs(ctx context.Context) (ids []string, capped bool, err error) {
	seen := map[string]bool{}
	var cursor uint64
	for {
		kv, next, err := s.client.HScan(ctx, s.index, cursor, "*", directoryBatch).Result()
		if err != nil {
			return nil, false, fmt.Errorf("list contacts: %w", unavailable(err))
		}
		for i := 1; i < len(kv); i += 2 {
			if id := kv[i]; !seen[id] {
				if len(ids) == care.MaxDirectory {
					return ids, true, nil
				}
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if next == 0 {
			return ids, false, nil
		}
		cursor = next
	}
}

// ContactNames returns the names of the live contacts among ids, in one
// round trip (one more for each merge to follow); see care.Directory.
func (s *Store) ContactNames(ctx context.Context, ids []care.ContactID) (map[care.ContactID]string, error) {
	names := map[care.ContactID]string{}
	// read maps a profile to read to the ids asked for that it stands for.
	read := map[care.ContactID][]care.ContactID{}
	for _, id := range ids {
		if id.Validate() == nil {
			read[id] = append(read[id], id)
		}
	}
	for range 4 { // a merged stub points on; chains are short
		if len(read) == 0 {
			break
		}
		members := make([]redis.Z, 0, len(read))
		for id := range read {
			members = append(members, redis.Z{Member: string(id)})
		}
		cs, ok, err := s.profiles(ctx, members)
		if err != nil {
			return nil, fmt.Errorf("contact names: %w", err)
		}
		next := map[care.ContactID][]care.ContactID{}
		for i, c := range cs {
			asked := read[care.ContactID(members[i].Member.(string))]
			switch {
			case !ok[i]:
			case c.Live():
				for _, id := range asked {
					names[id] = c.Name
				}
			case c.MergedInto != "":
				next[c.MergedInto] = append(next[c.MergedInto], asked...)
			}
		}
		read = next
	}
	return names, nil
}
