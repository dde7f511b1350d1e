package roster

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Store is where an import writes: the contacts of package redisstore.
type Store interface {
	// Lookup and Suppressed tell, for the summary, whether an address
	// is known and whether it was erased before.
	Lookup(ctx context.Context, a care.Address) (care.ContactID, bool, error)
	Suppressed(ctx context.Context, a care.Address) (time.Time, error)
	// Import adds or updates the contact of an address, never its
	// consent; a contact being erased is care.ENotFound.
	Import(ctx context.Context, a care.Address, c care.Contact) (care.ContactID, error)
	UpdateContact(ctx context.Context, id care.ContactID, fn func(care.Contact) (care.Contact, []care.ConsentEvent, error)) (care.Contact, error)
	Link(ctx context.Context, a, b care.Address) (care.ContactID, error)
}

// Summary is what an import did.
type Summary struct {
	// New and Known count the rows that made a contact and those that
	// updated one the shop had.
	New, Known int
	// Merged counts the rows that joined the contact of an earlier row:
	// the same address again, or the same person label.
	Merged int
	// Erased counts the addresses whose person had erased their data:
	// they are new contacts, nothing of the old records comes back, and
	// promotions wait for the person's own YA again.
	Erased int
	// Skipped are the rows left out, by line, with the reason.
	Skipped []Skip
	// Warnings name what the import ignored.
	Warnings []string
}

// Import writes the rows of f to st: each row's contact is made or
// updated (name, language, time zone where the row gives them; tags
// added to the contact's), the rows of one person are linked into one
// contact, and the summary says what happened. It never grants or
// withdraws consent, and a person erased before comes back only as a
// new contact marked suppressed (see redisstore's Import): their old
// records stay erased. A row whose person is erasing their data right
// now is skipped.
func Import(ctx context.Context, st Store, f File) (Summary, error) {
	sum := Summary{Skipped: slices.Clone(f.Skipped), Warnings: slices.Clone(f.Warnings)}
	var done []Row
	contact := map[care.Address]care.ContactID{}
	persons := map[string]bool{}
	for _, r := range f.Rows {
		_, again := contact[r.Address]
		_, known, err := st.Lookup(ctx, r.Address)
		if err != nil {
			return sum, fmt.Errorf("line %d: %w", r.Line, err)
		}
		var erased time.Time
		if !known {
			if erased, err = st.Suppressed(ctx, r.Address); err != nil {
				return sum, fmt.Errorf("line %d: %w", r.Line, err)
			}
		}
		id, err := st.Import(ctx, r.Address, care.Contact{Name: r.Name, Lang: r.Lang, TimeZone: r.TimeZone})
		if care.ErrorCode(err) == care.ENotFound {
			sum.Skipped = append(sum.Skipped, Skip{Line: r.Line, Reason: "the person asked to erase their data and the erasure is under way: not imported"})
			continue
		}
		if err != nil {
			return sum, fmt.Errorf("line %d: %w", r.Line, err)
		}
		switch {
		case again || r.Person != "" && persons[r.Person]:
			sum.Merged++
		case known:
			sum.Known++
		default:
			sum.New++
		}
		if !erased.IsZero() {
			sum.Erased++
		}
		if r.Person != "" {
			persons[r.Person] = true
		}
		contact[r.Address] = id
		done = append(done, r)
	}
	for _, person := range People(done) {
		var id care.ContactID
		for _, a := range person[1:] {
			var err error
			if id, err = st.Link(ctx, person[0], a); err != nil {
				return sum, fmt.Errorf("link %s and %s: %w", person[0], a, err)
			}
		}
		for _, a := range person {
			contact[a] = id
		}
	}
	for _, r := range done {
		if len(r.Tags) == 0 {
			continue
		}
		_, err := st.UpdateContact(ctx, contact[r.Address], func(c care.Contact) (care.Contact, []care.ConsentEvent, error) {
			c.Tags = slices.Clone(c.Tags)
			for _, t := range r.Tags {
				if !slices.Contains(c.Tags, t) {
					c.Tags = append(c.Tags, t)
				}
			}
			return c, nil, nil
		})
		if err != nil {
			return sum, fmt.Errorf("line %d: tags: %w", r.Line, err)
		}
	}
	return sum, nil
}

// Print writes the summary for the person who ran the import.
func (s Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "imported %s: %s, %s already known (updated), %s into the contact of an earlier row (the same person or address)\n",
		count(s.New+s.Known+s.Merged, "row"), count(s.New, "new contact"), count(s.Known, "contact"), count(s.Merged, "row merged", "rows merged"))
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "skipped %s:\n", count(len(s.Skipped), "row"))
		sorted := slices.SortedFunc(slices.Values(s.Skipped), func(a, b Skip) int { return a.Line - b.Line })
		for _, sk := range sorted {
			fmt.Fprintf(w, "  %s\n", sk)
		}
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	if s.Erased > 0 {
		fmt.Fprintf(w, "%s erased before at the person's request: each is a new contact, nothing of the erased records comes back, and promotions wait for the person's own YA again\n",
			count(s.Erased, "address was", "addresses were"))
	}
	fmt.Fprintln(w, "consent untouched: an import never grants it")
}

// count renders n with the noun, singular for one; the plural is the
// noun with an s unless given.
func count(n int, noun string, plural ...string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case len(plural) > 0:
		return fmt.Sprintf("%d %s", n, plural[0])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
