package broadcast

import (
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// CSV writes a preview's exclusions or a report's recipients as CSV,
// one row as each arrives, so a long list never sits in memory. The
// rows name contacts by their id alone: the file holds no address,
// name or text.
type CSV struct {
	w *csv.Writer
}

// ExclusionsHeader and RecipientsHeader are the CSV files' first rows.
var (
	ExclusionsHeader = []string{"contact", "channel", "reason"}
	RecipientsHeader = []string{"contact", "channel", "status", "reason", "at", "opted_out", "replied"}
)

// NewCSV starts a CSV file on w with header.
func NewCSV(w io.Writer, header []string) (*CSV, error) {
	c := &CSV{w: csv.NewWriter(w)}
	if err := c.w.Write(header); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return c, nil
}

// Excluded writes one exclusion of a preview.
func (c *CSV) Excluded(e care.Excluded) error {
	if err := c.w.Write([]string{string(e.Contact), string(e.Channel), string(e.Reason)}); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// Recipient writes one recipient's line of a report.
func (c *CSV) Recipient(r care.Recipient) error {
	if err := c.w.Write([]string{string(r.Contact), string(r.Channel), string(r.Status), r.Reason,
		stamp(r.At), stamp(r.OptedOut), stamp(r.Replied)}); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// Flush writes what is buffered and reports any error of the file.
func (c *CSV) Flush() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// stamp renders t in RFC 3339, or "" when zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
