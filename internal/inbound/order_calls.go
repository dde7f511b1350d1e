package inbound

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/flow"
)

// orderDesk makes orders in the chat from the shop's catalog: the calls
// the order flow runs (order.yaml). It is pure like the engine: it
// reads the message and the draft in the session's variables, and says
// where the order goes next in order_next, which the flow branches on.
type orderDesk struct {
	// cat is the shop's catalog; nil when the shop takes no orders by
	// chat (the flow then hands the order to staff).
	cat *catalog.Catalog
	// categories are the catalog's, in file order.
	categories []string
	// limited: some pre-order item has a quota, or some item a stock
	// the shop counts, so what orders book of them is read for every
	// step (Runtime.read).
	limited bool
	// kept is set once the catalog's limits are kept in the store
	// (Runtime.keepLimits).
	kept *atomic.Bool
	// booked is what orders already hold of the pre-order items, for
	// the call being run (at).
	booked map[string]float64
}

// bookedValue prefixes the mitra.* values that say what orders hold of
// a limited item: "booked:<item id>" → quantity.
const bookedValue = flow.MitraBooked

// bookedValues adds to m what orders hold of each pre-order item.
func bookedValues(m map[string]string, booked map[string]float64) {
	for item, q := range booked {
		m[bookedValue+item] = num(q)
	}
}

// at is the desk for one call: what the step's values say is booked.
func (o *orderDesk) at(env flow.Env) *orderDesk {
	c := *o
	c.booked = nil
	for k, v := range env.Mitra {
		if item, ok := strings.CutPrefix(k, bookedValue); ok {
			if q, err := strconv.ParseFloat(v, 64); err == nil {
				if c.booked == nil {
					c.booked = map[string]float64{}
				}
				c.booked[item] = q
			}
		}
	}
	return &c
}

// orderFlow is the flow the order calls serve (order.yaml).
const orderFlow = "order"

// Where an order goes next (order_next), as the flow branches.
const (
	routeAsk     = "ask"     // a question about an item (order_q)
	routeGuide   = "guide"   // a numbered list to pick from
	routeMore    = "more"    // anything else?
	routeHow     = "how"     // delivery or pickup?
	routeAddress = "address" // where to?
	routeConfirm = "confirm" // the rekap: YA, a change or BATAL
	routeCOD     = "cod"     // pay on delivery?
	routePlace   = "place"   // place it (the runtime's order_place)
	routeStaff   = "staff"   // no catalog: staff take the order
	routeCancel  = "cancel"  // BATAL
)

// The calls of the order flow.
const (
	CallOrderCatch   = "order_catch"
	CallOrderStart   = "order_start"
	CallOrderAnswer  = "order_answer"
	CallOrderSet     = "order_set"
	CallOrderConfirm = "order_confirm"
	CallOrderCancel  = "order_cancel"
)

func newOrderDesk(cat *catalog.Catalog) *orderDesk {
	o := &orderDesk{cat: cat, kept: new(atomic.Bool)}
	if cat != nil {
		for _, it := range cat.Items() {
			if it.Category != "" && !slices.Contains(o.categories, it.Category) {
				o.categories = append(o.categories, it.Category)
			}
			o.limited = o.limited || it.Preorder != nil && it.Preorder.Quota > 0 || it.Stock > 0
		}
	}
	return o
}

// calls are the desk's calls by name.
func (o *orderDesk) calls() map[string]flow.Call {
	return map[string]flow.Call{
		CallOrderCatch:   o.withBooked((*orderDesk).catch),
		CallOrderStart:   o.withBooked((*orderDesk).start),
		CallOrderAnswer:  o.withBooked((*orderDesk).answer),
		CallOrderSet:     o.withBooked((*orderDesk).set),
		CallOrderConfirm: o.withBooked((*orderDesk).confirm),
		CallOrderCancel:  o.cancel,
		CallOrderAgain:   o.withBooked((*orderDesk).again),
	}
}

// withBooked runs call on the desk of its step (at).
func (o *orderDesk) withBooked(call func(*orderDesk, flow.CallIn) flow.CallOut) flow.Call {
	return func(in flow.CallIn) flow.CallOut { return call(o.at(in.Env), in) }
}

// catch claims a message that orders something ("min mau pesan beras
// 5kg", "beras 5kg sama telur sekilo"), or changes the order being made
// ("telurnya 2 kilo aja", "telurnya ga jadi"). A question about a
// product ("harga telur sekilo brp?") is not an order: the menu answers
// it.
func (o *orderDesk) catch(in flow.CallIn) flow.CallOut {
	if o.cat == nil {
		return flow.CallOut{}
	}
	now := in.Env.Now
	p := o.parse(in.Input, now, "")
	words := flow.Words(in.Input)
	if d, ok := o.draftOf(in.Vars); ok && d.fresh(now) && len(d.lines)+len(d.ask) > 0 {
		return flow.CallOut{Claim: product(p) || len(p.Cancel) > 0 || p.Pickup || p.Deliver || p.Payment != ""}
	}
	verb := hasWord(words, orderVerbs)
	return flow.CallOut{Claim: (quantified(p) || product(p) && verb) && (verb || !question(in.Input, words))}
}

// start reads a message that starts the order flow into the order being
// made, or a new one: a draft left for draftKeep is begun afresh. A
// message that names no product (the menu's "Cara pesan") starts the
// guided path, from the categories.
func (o *orderDesk) start(in flow.CallIn) flow.CallOut {
	if o.cat == nil {
		return flow.CallOut{Set: map[string]string{varOrderNext: routeStaff}}
	}
	now := in.Env.Now
	d, ok := o.draftOf(in.Vars)
	if !ok || !d.fresh(now) {
		d = draft{}
	}
	p := o.parse(in.Input, now, "")
	if !product(p) {
		// "3" picking the menu's choice is no quantity of anything.
		p.Unclear = slices.DeleteFunc(p.Unclear, func(u catalog.Unclear) bool { return u.Reason == catalog.NoItem })
	}
	told := o.apply(&d, p, flow.Words(in.Input), now, in.Lang)
	if len(d.lines)+len(d.ask) == 0 && d.guide == "" {
		d.guide, d.more = o.firstList(), true
	}
	return o.out(d, now, told, in.Lang)
}

// answer reads the answer to what the order flow asked (order_next):
// a question about an item, a pick from a list, the address. BATAL
// cancels the order; anything the customer adds or changes on the way
// is taken too.
func (o *orderDesk) answer(in flow.CallIn) flow.CallOut {
	now := in.Env.Now
	d, ok := o.draftOf(in.Vars)
	if o.cat == nil || !ok {
		return o.start(flow.CallIn{Input: in.Vars[varOrderIn], Vars: in.Vars, Lang: in.Lang, Env: in.Env})
	}
	text := in.Vars[varOrderIn]
	words := flow.Words(text)
	if cancelsOrder(words) {
		return flow.CallOut{Set: map[string]string{varOrderNext: routeCancel, varOrderIn: ""}}
	}
	var told []string
	switch in.Vars[varOrderNext] {
	case routeAsk:
		told = o.answerAsk(&d, text, words, now, in.Lang)
	case routeGuide:
		told = o.answerGuide(&d, text, words, now, in.Lang)
	case routeAddress:
		told = o.answerAddress(&d, text, words, now, in.Lang)
	default:
		told = o.apply(&d, o.parse(text, now, ""), words, now, in.Lang)
	}
	return o.out(d, now, told, in.Lang)
}

// set takes a choice of the order flow: args how (delivery, pickup),
// pay (cod, ahead) or more (yes, no).
func (o *orderDesk) set(in flow.CallIn) flow.CallOut {
	now := in.Env.Now
	d, ok := o.draftOf(in.Vars)
	if o.cat == nil || !ok {
		return o.start(in)
	}
	switch in.Args["how"] {
	case "delivery":
		d.deliver, d.pickup = true, false
	case "pickup":
		d.pickup, d.deliver = true, false
	}
	switch in.Args["more"] {
	case "yes":
		d.guide = o.firstList()
	case "no":
		d.more, d.guide = false, ""
	}
	if pay := in.Args["pay"]; pay != "" {
		d.pay = payAhead
		if pay == "cod" {
			d.pay = string(care.MethodCOD)
		}
		return goTo(d, now, routePlace)
	}
	return o.out(d, now, nil, in.Lang)
}

// confirm takes the customer's YA to the rekap: the order is placed,
// after asking whether to pay on delivery when the shop takes COD and
// other ways and the customer named none.
func (o *orderDesk) confirm(in flow.CallIn) flow.CallOut {
	now := in.Env.Now
	d, ok := o.draftOf(in.Vars)
	if o.cat == nil || !ok || len(d.lines) == 0 || len(d.ask) > 0 {
		return o.start(in)
	}
	p := o.cat.Payment()
	ahead := p.Transfer != nil || p.QRIS
	route := routePlace
	switch {
	case d.pay != "":
	case p.COD && ahead:
		route = routeCOD
	case p.COD:
		d.pay = string(care.MethodCOD)
	default:
		d.pay = payAhead
	}
	return goTo(d, now, route)
}

// goTo is a call's answer that sends the order, as it is, to route.
func goTo(d draft, now time.Time, route string) flow.CallOut {
	vars, _ := d.vars(now)
	vars[varOrderNext], vars[varOrderQ], vars[varOrderIn] = route, "", ""
	return flow.CallOut{Set: vars}
}

// cancel drops the order being made.
func (o *orderDesk) cancel(flow.CallIn) flow.CallOut {
	return flow.CallOut{Set: dropDraft()}
}

// method is how an order whose draft says pay is paid: as said, or by
// a transfer when the shop takes one, else QRIS.
func (o *orderDesk) method(pay string) care.PaymentMethod {
	switch m := care.PaymentMethod(pay); {
	case m.Valid():
		return m
	case o.cat.Payment().Transfer == nil && o.cat.Payment().QRIS:
		return care.MethodQRIS
	}
	return care.MethodTransfer
}

// draftOf reads the draft of vars, its lines in the catalog's units; a
// line of an item the catalog no longer has is dropped.
func (o *orderDesk) draftOf(vars map[string]string) (draft, bool) {
	d, ok := readDraft(vars)
	if !ok || o.cat == nil {
		return d, ok
	}
	lines := d.lines[:0]
	for _, l := range d.lines {
		if it, ok := o.cat.Item(l.Item); ok {
			l.Unit = it.Unit
			lines = append(lines, l)
		}
	}
	d.lines = lines
	return d, true
}

// parse reads text as the catalog does, asking being the item whose
// quantity was asked, on the shop's day.
func (o *orderDesk) parse(text string, now time.Time, asking string) catalog.Parsed {
	return o.cat.Parse(text, catalog.Context{Today: now, Booked: o.booked, Asking: asking})
}

// apply changes the draft by what a message says: lines added or
// changed (added to, after "tambah"), items taken back, delivery or
// pickup, the address, the recipient, the payment; what is unclear is
// queued to ask, and what cannot be ordered (out of stock, a closed
// pre-order, a product not sold) is told.
func (o *orderDesk) apply(d *draft, p catalog.Parsed, words []string, now time.Time, lang string) (told []string) {
	for _, id := range p.Cancel {
		if i := d.line(id); i >= 0 {
			d.lines = slices.Delete(d.lines, i, i+1)
		}
		d.unask(id)
	}
	adding := hasWord(words, addWords)
	for _, l := range p.Lines {
		d.unask(l.Item)
		i := d.line(l.Item)
		switch {
		case i < 0:
			d.lines = append(d.lines, l)
		case adding:
			if line, u := o.check(l.Item, d.lines[i].Qty+l.Qty, now); u != nil {
				d.queue(*u)
			} else {
				d.lines[i] = line
			}
		default:
			d.lines[i] = l
		}
	}
	switch {
	case p.Pickup:
		d.pickup, d.deliver = true, false
	case p.Deliver:
		d.deliver, d.pickup = true, false
		if p.Address != "" {
			d.address = p.Address
		}
	}
	if p.Name != "" || p.Phone != "" {
		d.name, d.phone = p.Name, p.Phone
	}
	if p.Note != "" {
		d.note = p.Note
	}
	if p.Payment != "" {
		d.pay = string(p.Payment)
	}
	for _, u := range p.Unclear {
		if says, ok := o.tell(u, lang); ok {
			told = append(told, says)
			continue
		}
		d.queue(u)
	}
	return told
}

// tell is what the customer is told of an unclear part that is no
// question: what cannot be ordered. ok is false for a question.
func (o *orderDesk) tell(u catalog.Unclear, lang string) (string, bool) {
	switch {
	case u.Reason == catalog.OutOfStock, u.Reason == catalog.PreorderClosed,
		u.Reason == catalog.UnknownItem && len(u.Suggest) == 0,
		u.Reason == catalog.PreorderFull && u.Limit <= 0:
		return o.cat.Question(u, lang), true
	}
	return "", false
}

// check reads qty of item in its own unit as if the customer had said
// it: a line, or what is wrong with it (too much, not in stock).
func (o *orderDesk) check(item string, qty float64, now time.Time) (catalog.Line, *catalog.Unclear) {
	it, _ := o.cat.Item(item)
	return o.checkSaid(item, qty, it.Unit, now)
}

// checkSaid reads qty in unit of item as the customer said it; a unit
// not said ("") is asked about for an item that needs one.
func (o *orderDesk) checkSaid(item string, qty float64, unit string, now time.Time) (catalog.Line, *catalog.Unclear) {
	if unit == "" {
		it, _ := o.cat.Item(item)
		if it.UnitRequired {
			return catalog.Line{}, &catalog.Unclear{Reason: catalog.NoUnit, Item: item, Qty: qty}
		}
		unit = it.Unit
	}
	p := o.parse(num(qty)+" "+unit, now, item)
	for _, l := range p.Lines {
		if l.Item == item {
			return l, nil
		}
	}
	for _, u := range p.Unclear {
		if u.Item == item {
			return catalog.Line{}, &u
		}
	}
	return catalog.Line{}, &catalog.Unclear{Reason: catalog.NoQuantity, Item: item}
}

// answerAsk reads the answer to the first question of the draft: a
// quantity, YA or TIDAK, or which product was meant.
func (o *orderDesk) answerAsk(d *draft, text string, words []string, now time.Time, lang string) []string {
	if len(d.ask) == 0 {
		return o.apply(d, o.parse(text, now, ""), words, now, lang)
	}
	u := d.ask[0]
	yes, no := yesNo(text, words)
	switch u.Reason {
	case catalog.UnknownItem, catalog.Which, catalog.NoItem:
		p := o.parse(text, now, "")
		item := pickItem(p, u, text, yes)
		switch {
		case item != "":
			d.ask = d.ask[1:]
			if u.Qty > 0 {
				d.settle(o.checkSaid(item, u.Qty, u.Unit, now))
			} else {
				d.queueFirst(catalog.Unclear{Reason: catalog.NoQuantity, Item: item})
			}
			return o.apply(d, others(p, item), words, now, lang)
		case no:
			d.ask = d.ask[1:]
			return []string{pick(lang, "Baik, Kak.", "Alright.")}
		}
		return o.notUnderstood(d, p, words, now, lang)
	}
	p := o.parse(text, now, u.Item)
	for _, l := range p.Lines {
		if l.Item == u.Item {
			d.ask = d.ask[1:]
			d.put(l)
			return o.apply(d, others(p, u.Item), words, now, lang)
		}
	}
	for _, v := range p.Unclear {
		if v.Item == u.Item && v.Reason != catalog.NoQuantity {
			d.ask[0] = v // asked again, with what is wrong now
			return o.apply(d, others(p, u.Item), words, now, lang)
		}
	}
	switch {
	case yes && u.Reason == catalog.NoUnit:
		d.ask = d.ask[1:]
		d.settle(o.check(u.Item, u.Qty, now))
		return nil
	case yes && (u.Reason == catalog.NotEnough || u.Reason == catalog.PreorderFull):
		d.ask = d.ask[1:]
		d.settle(o.check(u.Item, u.Limit, now))
		return nil
	case no && u.Reason == catalog.NoUnit:
		d.ask[0] = catalog.Unclear{Reason: catalog.NoQuantity, Item: u.Item}
		return nil
	case no:
		d.ask = d.ask[1:]
		if i := d.line(u.Item); i >= 0 && u.Reason != catalog.Twice {
			d.lines = slices.Delete(d.lines, i, i+1)
		}
		it, _ := o.cat.Item(u.Item)
		return []string{pick(lang, "Baik, Kak, %s tidak jadi.", "Alright, no %s.", it.Name(lang))}
	}
	return o.notUnderstood(d, p, words, now, lang)
}

// notUnderstood takes whatever else an answer said and asks again.
func (o *orderDesk) notUnderstood(d *draft, p catalog.Parsed, words []string, now time.Time, lang string) []string {
	if product(p) || len(p.Cancel) > 0 || p.Pickup || p.Deliver || p.Payment != "" {
		return o.apply(d, p, words, now, lang)
	}
	return []string{pick(lang, "Maaf, Kak, saya belum paham jawabannya 🙏", "Sorry, I didn't get that 🙏")}
}

// answerGuide reads the pick from a numbered list: a category, or an
// item whose quantity is asked next. A written order is taken as it is.
func (o *orderDesk) answerGuide(d *draft, text string, words []string, now time.Time, lang string) []string {
	n, err := strconv.Atoi(strings.Join(words, ""))
	if err != nil {
		p := o.parse(text, now, "")
		if !product(p) && len(p.Cancel) == 0 {
			return []string{pick(lang, "Balas dengan nomornya ya, Kak 🙏", "Please reply with its number 🙏")}
		}
		// A written order: no list, and no "anything else?" after.
		d.guide, d.more = "", false
		return o.apply(d, p, words, now, lang)
	}
	if d.guide == "c" {
		if n < 1 || n > len(o.categories) {
			return []string{pick(lang, "Pilih nomor 1 sampai %d ya, Kak.", "Please pick a number from 1 to %d.", len(o.categories))}
		}
		d.guide = "i" + strconv.Itoa(n)
		return nil
	}
	items := o.listed(d.guide)
	if n < 1 || n > len(items) {
		return []string{pick(lang, "Pilih nomor 1 sampai %d ya, Kak.", "Please pick a number from 1 to %d.", len(items))}
	}
	it := items[n-1]
	u := catalog.Unclear{Reason: catalog.NoQuantity, Item: it.ID}
	if !it.Available {
		u.Reason = catalog.OutOfStock
	} else if _, bad := o.check(it.ID, max(it.Min, 1), now); bad != nil && (bad.Reason == catalog.PreorderClosed || bad.Reason == catalog.OutOfStock) {
		u = *bad
	}
	if says, ok := o.tell(u, lang); ok {
		return []string{says}
	}
	d.guide = ""
	d.queueFirst(u)
	return nil
}

// answerAddress reads the delivery address: the whole answer, unless
// it orders something instead or asks to pick the order up.
func (o *orderDesk) answerAddress(d *draft, text string, words []string, now time.Time, lang string) []string {
	p := o.parse(text, now, "")
	switch {
	case len(p.Lines) > 0 || len(p.Cancel) > 0 || p.Pickup:
		return o.apply(d, p, words, now, lang)
	case p.Address != "":
		d.address = p.Address
	default:
		d.address = text
	}
	if d.address = clipBytes(d.address, maxDraftAddr); d.address == "" {
		return []string{pick(lang, "Maaf, Kak, alamatnya belum ada 🙏", "Sorry, I didn't get the address 🙏")}
	}
	return nil
}

// firstList is where the guided path starts: the categories, or every
// item when the catalog has one category or none.
func (o *orderDesk) firstList() string {
	if len(o.categories) > 1 {
		return "c"
	}
	return "i0"
}

// listed are the items of the list guide shows: a category's, or all.
func (o *orderDesk) listed(guide string) []catalog.Item {
	n, _ := strconv.Atoi(strings.TrimPrefix(guide, "i"))
	var out []catalog.Item
	for _, it := range o.cat.Items() {
		if n == 0 || n <= len(o.categories) && it.Category == o.categories[n-1] {
			out = append(out, it)
		}
	}
	return out
}

// list writes the numbered list guide shows.
func (o *orderDesk) list(guide, lang string) string {
	var b strings.Builder
	if guide == "c" {
		b.WriteString(pick(lang, "Mau pesan apa, Kak? Pilih kategorinya 🛒", "What would you like to order? Pick a category 🛒"))
		for i, c := range o.categories {
			fmt.Fprintf(&b, "\n%d. %s", i+1, capitalize(o.cat.CategoryName(c, lang)))
		}
		return b.String()
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(guide, "i"))
	if n > 0 && n <= len(o.categories) {
		b.WriteString(capitalize(o.cat.CategoryName(o.categories[n-1], lang)) + ":")
	} else {
		b.WriteString(pick(lang, "Mau pesan apa, Kak? 🛒", "What would you like to order? 🛒"))
	}
	for i, it := range o.listed(guide) {
		fmt.Fprintf(&b, "\n%d. %s — %s/%s", i+1, it.Name(lang), care.Rupiah(it.Price, lang), it.UnitWord(1, lang))
		if !it.Available || o.soldOut(it) {
			b.WriteString(pick(lang, " (habis)", " (out of stock)"))
		}
	}
	return b.String()
}

// next is where the order goes now: the first question, the list being
// picked from, anything else?, delivery or pickup, the address, and
// once all is known the rekap to confirm. It may settle what the shop
// leaves no choice about (delivery, when it has no pickup).
func (o *orderDesk) next(d *draft, lang string) (route string, say []string, question string) {
	switch {
	case len(d.ask) > 0:
		return routeAsk, nil, o.question(d.ask[0], lang)
	case d.guide != "":
		return routeGuide, []string{o.list(d.guide, lang)}, ""
	case len(d.lines) == 0:
		d.guide, d.more = o.firstList(), true
		return routeGuide, []string{o.list(d.guide, lang)}, ""
	}
	pickup := o.cat.Delivery().Pickup
	switch {
	case d.more:
		return o.rekap(d, routeMore, say, lang)
	case d.pickup && !pickup:
		d.pickup, d.deliver = false, true
		say = append(say, pick(lang, "Maaf, Kak, pesanan belum bisa diambil di toko; kami antar ya.", "Sorry, orders cannot be picked up at the shop; we deliver them."))
	case !d.pickup && !d.deliver && pickup:
		return routeHow, nil, ""
	case !d.pickup:
		d.deliver = true
	}
	if d.deliver && d.address == "" {
		return routeAddress, say, ""
	}
	return o.rekap(d, routeConfirm, say, lang)
}

// rekap says the draft priced, going to route after say.
func (o *orderDesk) rekap(d *draft, route string, say []string, lang string) (string, []string, string) {
	q, err := o.cat.Quote(d.order())
	if err != nil {
		// The draft's lines are the catalog's: this does not happen.
		return routeStaff, say, ""
	}
	return route, append(say, o.cat.Rekap(q, lang)+o.left(q, lang)), ""
}

// left tells, for each pre-order item with a quota in q, how much of it
// is left after this order and the others, and when it is ready:
// "Sisa 12 loyang, siap 24 Des".
func (o *orderDesk) left(q catalog.Quote, lang string) string {
	var b strings.Builder
	for _, l := range q.Lines {
		it, _ := o.cat.Item(l.Item)
		po := it.Preorder
		if po == nil || po.Quota <= 0 {
			continue
		}
		left := max(po.Quota-o.booked[it.ID]-l.Qty, 0)
		b.WriteString(pick(lang, "\n%s: sisa %s %s", "\n%s: %s %s left", it.Name(lang), num(left), it.UnitWord(left, lang)))
		if !po.Ready.IsZero() {
			b.WriteString(pick(lang, ", siap %s", ", ready %s", shortDate(po.Ready, lang)))
		}
	}
	return b.String()
}

// shortDate is a day as "24 Des" ("24 Dec" in English).
func shortDate(d time.Time, lang string) string {
	if lang == "en" {
		return d.Format("2 Jan")
	}
	return fmt.Sprintf("%d %s", d.Day(), [...]string{"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"}[d.Month()-1])
}

// question asks about u, with YA/TIDAK when it is a yes-or-no question.
func (o *orderDesk) question(u catalog.Unclear, lang string) string {
	q := o.cat.Question(u, lang)
	switch {
	case u.Reason == catalog.UnknownItem && len(u.Suggest) == 1, u.Reason == catalog.NoUnit,
		u.Reason == catalog.NotEnough, u.Reason == catalog.PreorderFull:
		q += pick(lang, " YA/TIDAK", " YES/NO")
	}
	return clipBytes(q, maxDraftQ)
}

// out is the call's answer: the draft and where it goes now, with what
// to tell and say. Lines past the draft's bound are not taken, and the
// customer is told.
func (o *orderDesk) out(d draft, now time.Time, told []string, lang string) flow.CallOut {
	if !fits(d, now) {
		for len(d.lines) > 0 {
			if d.lines = d.lines[:len(d.lines)-1]; fits(d, now) {
				break
			}
		}
		told = append(told, pick(lang, "Maaf, Kak, pesanan lewat chat paling banyak %d macam barang; sisanya bisa dipesan lagi setelah ini 🙏",
			"Sorry, an order by chat holds at most %d kinds of items; order the rest after this one 🙏", len(d.lines)))
	}
	route, say, q := o.next(&d, lang)
	vars, _ := d.vars(now)
	vars[varOrderNext], vars[varOrderQ], vars[varOrderIn] = route, q, ""
	return flow.CallOut{Set: vars, Say: append(told, say...)}
}

// fits reports whether the draft's lines fit their bound.
func fits(d draft, now time.Time) bool {
	_, ok := d.vars(now)
	return ok
}

// queue adds u to what to ask, instead of an earlier question about
// the same item.
func (d *draft) queue(u catalog.Unclear) {
	if u.Item != "" {
		d.unask(u.Item)
	}
	d.ask = append(d.ask, u)
}

// queueFirst asks u before anything else.
func (d *draft) queueFirst(u catalog.Unclear) {
	if u.Item != "" {
		d.unask(u.Item)
	}
	d.ask = append([]catalog.Unclear{u}, d.ask...)
}

// unask drops the questions about item.
func (d *draft) unask(item string) {
	d.ask = slices.DeleteFunc(d.ask, func(u catalog.Unclear) bool { return u.Item == item })
}

// settle puts a line checked, or asks first what is wrong with it.
func (d *draft) settle(l catalog.Line, bad *catalog.Unclear) {
	if bad != nil {
		d.queueFirst(*bad)
		return
	}
	d.put(l)
}

// put sets the draft's line of l's item to l.
func (d *draft) put(l catalog.Line) {
	if i := d.line(l.Item); i >= 0 {
		d.lines[i] = l
		return
	}
	d.lines = append(d.lines, l)
}

// product reports whether p names something sold: a line, or a
// question about an item the catalog has.
func product(p catalog.Parsed) bool {
	if len(p.Lines) > 0 {
		return true
	}
	for _, u := range p.Unclear {
		if u.Item != "" || len(u.Suggest) > 0 {
			return true
		}
	}
	return false
}

// quantified reports whether p names something sold with a quantity,
// even one that cannot be ordered ("beras 1000 kg", "sawi 2 ikat").
func quantified(p catalog.Parsed) bool {
	if len(p.Lines) > 0 {
		return true
	}
	for _, u := range p.Unclear {
		if u.Item == "" && len(u.Suggest) == 0 {
			continue
		}
		switch u.Reason {
		case catalog.NoUnit, catalog.WrongUnit, catalog.BadQuantity, catalog.TooMuch, catalog.TooLittle, catalog.NotEnough, catalog.Twice, catalog.PreorderFull:
			return true
		}
		if u.Qty > 0 {
			return true
		}
	}
	return false
}

// others is p without what it says of item: the rest of an answer.
func others(p catalog.Parsed, item string) catalog.Parsed {
	p.Lines = slices.DeleteFunc(slices.Clone(p.Lines), func(l catalog.Line) bool { return l.Item == item })
	p.Unclear = slices.DeleteFunc(slices.Clone(p.Unclear), func(u catalog.Unclear) bool {
		return u.Item == item || u.Reason == catalog.NoItem || u.Reason == catalog.NoQuantity && u.Item == ""
	})
	return p
}

// pickItem is the item an answer picks for u (a product not known, a
// category, a quantity of nothing): YA to the one suggestion, a number
// of the suggestions, or an item named; "" when none.
func pickItem(p catalog.Parsed, u catalog.Unclear, text string, yes bool) string {
	if yes && len(u.Suggest) == 1 {
		return u.Suggest[0]
	}
	if n, err := strconv.Atoi(strings.TrimSpace(text)); err == nil && n >= 1 && n <= len(u.Suggest) {
		return u.Suggest[n-1]
	}
	named := func(id string) bool { return len(u.Suggest) == 0 || slices.Contains(u.Suggest, id) }
	for _, l := range p.Lines {
		if named(l.Item) {
			return l.Item
		}
	}
	for _, v := range p.Unclear {
		if v.Item != "" && named(v.Item) {
			return v.Item
		}
	}
	return ""
}

// The words that say something about an order being made.
var (
	// orderVerbs make a product named an order: "mau beras", "pesan
	// telur".
	orderVerbs = wordSet("pesan", "order", "beli", "mau", "minta", "kirim", "kirimin", "antar", "tambah", "ambil", "butuh", "perlu",
		"titip", "ingin", "buy", "want", "need", "add", "deliver", "get")
	// questionWords make a product named a question: "harga telur
	// sekilo berapa?", "ada beras?".
	questionWords = wordSet("harga", "berapa", "price", "prices", "cost", "how", "ada", "ready", "stok", "stock", "available", "masih", "apakah")
	// addWords add to a line instead of setting it: "tambah beras 2".
	addWords = wordSet("tambah", "tambahin", "tambahkan", "add", "another", "extra")
	// yesWords and noWords answer a yes-or-no question.
	yesWords = wordSet("ya", "iya", "yes", "y", "ok", "oke", "okay", "boleh", "betul", "benar", "bener", "sip", "siap", "yup", "mau", "setuju", "lanjut")
	noWords  = wordSet("tidak", "no", "nope", "bukan", "jangan", "gausah")
	// cancelWords cancel the whole order: "batal", "gak jadi".
	cancelWords = wordSet("batal", "batalkan", "batalin", "cancel", "cancelled")
)

// wordSet makes a set of words.
func wordSet(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// hasWord reports whether any of words is in set.
func hasWord(words []string, set map[string]bool) bool {
	return slices.ContainsFunc(words, func(w string) bool { return set[w] })
}

// question reports whether a message asks rather than orders.
func question(text string, words []string) bool {
	return hasWord(words, questionWords) || strings.HasSuffix(strings.TrimSpace(text), "?")
}

// yesNo reads a yes or a no; both are false for neither, and a no wins
// ("ya, tidak jadi").
func yesNo(text string, words []string) (yes, no bool) {
	if len(words) == 0 {
		words = strings.Fields(flow.Normalize(text))
	}
	no = hasWord(words, noWords)
	return !no && hasWord(words, yesWords), no
}

// cancelsOrder reports whether words cancel the whole order: BATAL,
// "gak jadi", "cancel".
func cancelsOrder(words []string) bool {
	switch strings.Join(words, " ") {
	case "tidak jadi", "tidak jadi pesan", "tidak jadi beli", "tidak usah", "tidak jadi deh", "never mind", "nevermind":
		return true
	}
	return hasWord(words, cancelWords)
}

// pick formats the Indonesian text, or the English one for lang "en".
func pick(lang, id, en string, args ...any) string {
	if lang == "en" {
		return fmt.Sprintf(en, args...)
	}
	return fmt.Sprintf(id, args...)
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
