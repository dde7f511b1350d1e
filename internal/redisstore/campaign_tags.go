package redisstore

import (
	"context"
	"slices"

	"github.com/mitra-care/mitra/internal/care"
)

// SetTags changes the shop's tags on a contact: add and remove are
// checked and lower-cased (care.CleanTags), then applied over the
// profile's version. It returns the contact's tags now. A contact not
// live is care.ENotFound.
func (s *Store) SetTags(ctx context.Context, id care.ContactID, add, remove []string) ([]string, error) {
	add, err := care.CleanTags(add)
	if err != nil {
		return nil, err
	}
	remove, err = care.CleanTags(remove)
	if err != nil {
		return nil, err
	}
	c, err := s.UpdateContact(ctx, id, func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
		tags := slices.DeleteFunc(slices.Clone(c.Tags), func(t string) bool { return slices.Contains(remove, t) })
		tags, err := care.CleanTags(append(tags, add...))
		if err != nil {
			return c, nil, err
		}
		c.Tags = tags
		return c, nil, nil
	})
	if err != nil {
		return nil, err
	}
	return c.Tags, nil
}
