package care

import (
	"context"
	"strings"
)

// MaxDirectory bounds how many contacts one listing of the directory
// looks at: a small shop's whole list, read at once.
const MaxDirectory = 20_000

// ContactQuery asks the directory for one page of contacts.
type ContactQuery struct {
	// Search keeps the contacts it matches (Contact.Matches); "" keeps
	// every one.
	Search string
	// Offset skips that many matches; Limit is the most returned.
	Offset, Limit int
}

// ContactPage is one page of the directory, the contacts who wrote
// last first.
type ContactPage struct {
	Contacts []Contact
	// Total is how many contacts match, on every page.
	Total int
	// Capped means the shop has more than MaxDirectory contacts and
	// some were not looked at.
	Capped bool
}

// Directory lists the shop's contacts for the owner.
type Directory interface {
	// ListContacts returns one page of the live contacts that match q.
	ListContacts(ctx context.Context, q ContactQuery) (ContactPage, error)
	// ContactNames returns the names of the live contacts among ids,
	// by id (a merged contact's is the person's): what the staff audit,
	// which keeps ids alone, shows beside them. An erased contact has
	// none, and one without a name maps to "".
	ContactNames(ctx context.Context, ids []ContactID) (map[ContactID]string, error)
}

// Matches reports whether the contact's name, a word of it, or one of
// its addresses ("6281…", "whatsapp:6281…") starts with search,
// ignoring case. A phone number may be searched as it is written in
// Indonesia, with 0 for 62 or with a leading +; "" matches everyone.
func (c Contact) Matches(search string) bool {
	q := strings.ToLower(strings.TrimSpace(search))
	if q == "" {
		return true
	}
	name := strings.ToLower(c.Name)
	if strings.HasPrefix(name, q) {
		return true
	}
	for _, w := range strings.Fields(name) {
		if strings.HasPrefix(w, q) {
			return true
		}
	}
	qs := []string{strings.TrimPrefix(q, "+")}
	if rest, ok := strings.CutPrefix(qs[0], "0"); ok && rest != "" {
		qs = append(qs, "62"+rest)
	}
	for _, a := range c.Addresses {
		full := strings.ToLower(a.String())
		for _, q := range qs {
			if strings.HasPrefix(strings.ToLower(a.ID), q) || strings.HasPrefix(full, q) {
				return true
			}
		}
	}
	return false
}
