package inbound

import (
	"fmt"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// ordersList is {{mitra.orders}}, the contact's orders as MY DATA
// shows them: one line each, oldest first, with the number, the day it
// was placed, the total and where the order, its payment and its goods
// stand, in the language spoken.
func ordersList(orders []care.Order, lang string, day func(time.Time) string) string {
	var b strings.Builder
	for _, o := range orders {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "• %s · %s · %s · %s", o.Number, day(o.Created), care.Rupiah(o.Total, lang),
			strings.Join([]string{statusWord(string(o.State), lang), statusWord(string(o.Payment), lang), statusWord(string(o.Fulfilment), lang)}, ", "))
	}
	return b.String()
}

// statusWord is a state of an order in lang: the shop's Indonesian
// word, or in English its name ("picked up", "not started").
func statusWord(s, lang string) string {
	switch {
	case lang != "en":
		return care.StatusLabel(s)
	case s == "":
		return "not started"
	}
	return strings.ReplaceAll(s, "_", " ")
}
