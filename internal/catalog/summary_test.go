package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// summary writes what Parse understood in one line, for tables of
// messages: "beras 5 kg; telur 1 kg; ?no_quantity:gula; delivery
// \"jl mawar 5\"".
func summary(p Parsed) string {
	var parts []string
	for _, l := range p.Lines {
		parts = append(parts, fmt.Sprintf("%s %s %s", l.Item, strconv.FormatFloat(l.Qty, 'f', -1, 64), l.Unit))
	}
	for _, u := range p.Unclear {
		s := "?" + string(u.Reason) + ":"
		switch {
		case u.Item != "":
			s += u.Item
		default:
			s += strconv.Quote(u.Said)
		}
		if len(u.Suggest) > 0 {
			s += "[" + strings.Join(u.Suggest, " ") + "]"
		}
		parts = append(parts, s)
	}
	if len(p.Cancel) > 0 {
		parts = append(parts, "cancel "+strings.Join(p.Cancel, " "))
	}
	switch {
	case p.Pickup && p.Deliver:
		parts = append(parts, "pickup and delivery")
	case p.Pickup:
		parts = append(parts, "pickup")
	case p.Deliver && p.Address != "":
		parts = append(parts, fmt.Sprintf("delivery %q", p.Address))
	case p.Deliver:
		parts = append(parts, "delivery")
	case p.Address != "":
		parts = append(parts, fmt.Sprintf("address %q", p.Address))
	}
	if p.Name != "" {
		parts = append(parts, fmt.Sprintf("name %q", p.Name))
	}
	if p.Phone != "" {
		parts = append(parts, "phone "+p.Phone)
	}
	if p.Payment != "" {
		parts = append(parts, "pay "+string(p.Payment))
	}
	if p.Note != "" {
		parts = append(parts, fmt.Sprintf("note %q", p.Note))
	}
	return strings.Join(parts, "; ")
}
