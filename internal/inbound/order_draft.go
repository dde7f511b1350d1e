package inbound

import (
	"strconv"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/catalog"
)

// An order being made in the chat is a draft, kept in the session's
// variables until the customer places or cancels it: no record of its
// own, nothing to clean up, and gone with the conversation. The session
// is stored after every message, so the draft is written compactly and
// bounded; with every part at its bound the session stays under 1 KiB.
//
//	order      t=<minute, base 36>;h=<d|p>;p=<payment>;g=<guide>;m=1;l=<item>*<qty>,...
//	order_ask  what is still to ask, the first asked now:
//	           <reason>~<item>~<qty>~<unit>~<limit>~<first>~<suggested+...>~<said>|...
//	order_addr the delivery address, as written
//	order_to   the recipient of a pasted format order: <name>|<phone>
//	order_note the format order's note
//
// The flows read three more: order_next (where the order goes now),
// order_q (the question asked) and order_in (the answer being read).
const (
	varOrder     = "order"
	varOrderAsk  = "order_ask"
	varOrderAddr = "order_addr"
	varOrderTo   = "order_to"
	varOrderNote = "order_note"
	varOrderNext = "order_next"
	varOrderQ    = "order_q"
	varOrderIn   = "order_in"
)

// orderVars are every variable of an order being made.
var orderVars = []string{varOrder, varOrderAsk, varOrderAddr, varOrderTo, varOrderNote, varOrderNext, varOrderQ, varOrderIn}

// The bounds of a draft's parts, in bytes of their encoding.
const (
	maxDraftLines = 200
	maxDraftAsk   = 200
	maxDraftAddr  = 120
	maxDraftTo    = 60
	maxDraftNote  = 80
	maxDraftQ     = 160
)

// payAhead is a draft's payment when the customer pays before
// delivery, by any way the shop takes.
const payAhead = "ahead"

// draftKeep is how long a draft waits: a new order started later
// begins afresh instead of adding to it.
const draftKeep = 3 * time.Hour

// draft is an order being made in the chat.
type draft struct {
	// at is when it last changed, to the minute.
	at    time.Time
	lines []catalog.Line
	// pickup or deliver, when the customer said which.
	pickup, deliver bool
	address         string
	name, phone     string
	note            string
	// pay is how the customer pays: a care.PaymentMethod, payAhead
	// (not on delivery, any way the shop takes), "" not said.
	pay string
	// ask are the things to ask about, the first asked now.
	ask []catalog.Unclear
	// guide is where the guided path stands: "c" the categories are
	// listed, "i<n>" the items of the n-th category (0: all items),
	// "" not guided.
	guide string
	// more: the customer is picking items from the lists, and is asked
	// whether anything else is wanted after each.
	more bool
}

// readDraft reads the draft of a conversation's variables; ok is false
// when there is none.
func readDraft(vars map[string]string) (d draft, ok bool) {
	raw := vars[varOrder]
	if raw == "" {
		return draft{}, false
	}
	for _, part := range strings.Split(raw, ";") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			if m, err := strconv.ParseInt(v, 36, 64); err == nil {
				d.at = time.Unix(m*60, 0).UTC()
			}
		case "h":
			d.pickup, d.deliver = v == "p", v == "d"
		case "p":
			d.pay = v
		case "g":
			d.guide = v
		case "m":
			d.more = v == "1"
		case "l":
			d.lines = readLines(v)
		}
	}
	d.ask = readAsk(vars[varOrderAsk])
	d.address = vars[varOrderAddr]
	d.name, d.phone, _ = strings.Cut(vars[varOrderTo], "|")
	d.note = vars[varOrderNote]
	return d, true
}

// readLines reads "beras*5,telur*0.5".
func readLines(s string) []catalog.Line {
	var out []catalog.Line
	for _, l := range strings.Split(s, ",") {
		id, q, ok := strings.Cut(l, "*")
		qty, err := strconv.ParseFloat(q, 64)
		if ok && err == nil && id != "" && qty > 0 {
			out = append(out, catalog.Line{Item: id, Qty: qty})
		}
	}
	return out
}

// readAsk reads the things still to ask.
func readAsk(s string) []catalog.Unclear {
	var out []catalog.Unclear
	for _, e := range strings.Split(s, "|") {
		f := strings.Split(e, "~")
		if len(f) != 8 || f[0] == "" {
			continue
		}
		u := catalog.Unclear{Reason: catalog.Reason(f[0]), Item: f[1], Unit: f[3], Said: f[7]}
		u.Qty, _ = strconv.ParseFloat(f[2], 64)
		u.Limit, _ = strconv.ParseFloat(f[4], 64)
		u.First, _ = strconv.ParseFloat(f[5], 64)
		if f[6] != "" {
			u.Suggest = strings.Split(f[6], "+")
		}
		out = append(out, u)
	}
	return out
}

// vars writes the draft as of now into the variables to set; removed
// ones are empty. It returns false when the lines do not fit their
// bound: the order is too long to make in the chat.
func (d draft) vars(now time.Time) (map[string]string, bool) {
	var lines []string
	for _, l := range d.lines {
		lines = append(lines, l.Item+"*"+num(l.Qty))
	}
	how := ""
	switch {
	case d.pickup:
		how = "p"
	case d.deliver:
		how = "d"
	}
	more := ""
	if d.more {
		more = "1"
	}
	l := strings.Join(lines, ",")
	if len(l) > maxDraftLines {
		return nil, false
	}
	parts := []string{"t=" + strconv.FormatInt(now.Unix()/60, 36)}
	for _, p := range []struct{ k, v string }{{"h", how}, {"p", d.pay}, {"g", d.guide}, {"m", more}, {"l", l}} {
		if p.v != "" {
			parts = append(parts, p.k+"="+p.v)
		}
	}
	to := ""
	if d.name != "" || d.phone != "" {
		to = clipBytes(d.name, maxDraftTo/2) + "|" + clipBytes(d.phone, maxDraftTo/2-1)
	}
	return map[string]string{
		varOrder:     strings.Join(parts, ";"),
		varOrderAsk:  writeAsk(d.ask),
		varOrderAddr: clipBytes(d.address, maxDraftAddr),
		varOrderTo:   to,
		varOrderNote: clipBytes(d.note, maxDraftNote),
	}, true
}

// writeAsk writes the things still to ask, as many as fit their bound:
// a message with more than that is rare, and the rest is said again
// once these are answered.
func writeAsk(us []catalog.Unclear) string {
	var b strings.Builder
	for _, u := range us {
		said := strings.NewReplacer("~", " ", "|", " ", ";", " ").Replace(clipBytes(u.Said, 30))
		e := strings.Join([]string{string(u.Reason), u.Item, num(u.Qty), u.Unit, num(u.Limit), num(u.First), strings.Join(u.Suggest, "+"), said}, "~")
		if b.Len()+len(e)+1 > maxDraftAsk {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(e)
	}
	return b.String()
}

// num writes a quantity as short as it goes: 5, 0.5.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// clipBytes cuts s to at most n bytes, at a character boundary, and
// keeps it on one line.
func clipBytes(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

// utf8Start reports whether b starts a UTF-8 character.
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// fresh reports whether the draft is one to add to at now.
func (d draft) fresh(now time.Time) bool { return now.Sub(d.at) < draftKeep }

// line returns the index of the draft's line of item, or -1.
func (d draft) line(item string) int {
	for i, l := range d.lines {
		if l.Item == item {
			return i
		}
	}
	return -1
}

// order is the draft as the catalog prices it.
func (d draft) order() catalog.Order {
	return catalog.Order{Lines: d.lines, Pickup: d.pickup, Deliver: d.deliver, Address: d.address}
}

// dropDraft is the variables to set that remove an order being made.
func dropDraft() map[string]string {
	out := make(map[string]string, len(orderVars))
	for _, v := range orderVars {
		out[v] = ""
	}
	return out
}
