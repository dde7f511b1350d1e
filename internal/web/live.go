package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// The console's live updates are Server-Sent Events at /console/events:
// "queue" when a list of the inbox changed, "conversation" when the
// open one did (its customer's orders beside it included), and for the
// orders page (?orders=<state>) "orders" when any order did, each the
// whole state as HTML fragments the page swaps in, so a missed event is
// never a wrong page; "status" when the
// server cannot read the store for a while, and when it can again. One hub per process
// finds changes: once a second, while anyone listens, it reads the
// marks the store keeps (care.InboxLive, two small scripts in Redis)
// and rereads only what moved, once for every page that shows it.
// Changes made through another process behind the same Redis show the
// same way.
//
// Proxies that buffer or cut idle connections are the usual way such
// pages go quietly stale. The stream sends a comment every 15 s, says
// X-Accel-Buffering: no and Cache-Control: no-cache, and flushes every
// event; it ends after a while so the page reconnects through the
// login check. The page notices a silent stream, reconnects with
// backoff, and after 20 s without one polls /console/snapshot (with the
// same query) and says so in a banner.

const (
	// liveEvery is how often the hub reads the marks.
	liveEvery = time.Second
	// heartbeat is how often a quiet stream sends a comment.
	heartbeat = 15 * time.Second
	// streamLife is how long one stream lasts before the page
	// reconnects (and its session is checked again).
	streamLife = 10 * time.Minute
	// writeWait bounds one write to a stream.
	writeWait = 20 * time.Second
	// maxStreams bounds the streams one account holds open in a
	// process: a few tabs and devices; the page polls beyond it.
	maxStreams = 4
)

// hub finds changes in the inbox and hands them to the streams that
// show them. It polls only while a stream is open.
type hub struct {
	live care.InboxLive
	// read reads the inbox's lists.
	read func(ctx context.Context) (inboxLists, error)
	// orders reads a customer's orders, for the panel beside their
	// conversation; ordersMark the mark of every order, for the orders
	// page. Each is nil when the console does not show them.
	orders     func(ctx context.Context, id care.ContactID) ([]care.Order, error)
	ordersMark func(ctx context.Context) (string, error)
	log        *slog.Logger
	// every, beat and life are liveEvery, heartbeat and streamLife;
	// tests shorten them.
	every, beat, life time.Duration

	// closing ends every stream when the server shuts down.
	closing   chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	streams map[string]int // open streams by account key
	running bool
	// failing: the last poll could not read the store, so the pages
	// are told their state may be old.
	failing bool
}

// subscriber is one open stream: the latest states it has not sent yet,
// and a wake-up. A state overwrites the one before it, so a slow page
// never holds the hub up and always gets the newest.
type subscriber struct {
	staff   string
	key     string // the account's key (StaffKey)
	contact care.ContactID
	// listing: the stream is the orders page's, of the orders in tab
	// (a state, "" for all); it sends no queue.
	listing bool
	tab     string
	wake    chan struct{}

	mu    sync.Mutex
	queue *inboxLists
	conv  *convState
	// ordersDue: the orders changed since the page last heard.
	ordersDue bool
	// status is whether the hub reads the store, when it changed.
	status *liveStatus
}

// liveStatus is the "status" event: whether the page's state is kept
// up to date.
type liveStatus struct {
	OK bool `json:"ok"`
}

// convState is a conversation as the hub read it; err is the store's
// answer when it could not (ENotFound: erased).
type convState struct {
	tl      care.Timeline
	viewers []string
	err     error
	// orders are the customer's, when the console shows them;
	// ordersErr why they could not be read.
	orders    []care.Order
	ordersErr error
}

func newHub(live care.InboxLive, read func(context.Context) (inboxLists, error), log *slog.Logger) *hub {
	return &hub{live: live, read: read, log: log, every: liveEvery, beat: heartbeat, life: streamLife,
		closing: make(chan struct{}), subs: map[*subscriber]struct{}{}, streams: map[string]int{}}
}

// EndStreams ends the console's live streams, each with a word to the
// page to reconnect (to another process, or to this one once it is
// back). Call it when the HTTP server shuts down
// (http.Server.RegisterOnShutdown): Shutdown waits for open requests,
// and a stream would hold it up until its deadline.
func (s *Server) EndStreams() {
	if s.hub != nil {
		s.hub.closeOnce.Do(func() { close(s.hub.closing) })
	}
}

// subscribe opens a stream for staff, watching contact ("" for the
// queue alone), or reports false when the account has maxStreams open.
// A stream of the orders page (listing) watches the orders instead.
func (h *hub) subscribe(staff string, contact care.ContactID, listing bool, tab string) (*subscriber, bool) {
	key := strings.ToLower(staff)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streams[key] >= maxStreams {
		return nil, false
	}
	sub := &subscriber{staff: staff, key: key, contact: contact, listing: listing, tab: tab, ordersDue: listing, wake: make(chan struct{}, 1)}
	if h.failing {
		sub.status = &liveStatus{}
	}
	h.subs[sub] = struct{}{}
	h.streams[key]++
	if !h.running {
		h.running = true
		go h.run()
	}
	return sub, true
}

// unsubscribe closes sub's stream. It reports whether the account
// still watches the same conversation in another stream of this
// process.
func (h *hub) unsubscribe(sub *subscriber) (stillViewing bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
	if h.streams[sub.key]--; h.streams[sub.key] <= 0 {
		delete(h.streams, sub.key)
	}
	for o := range h.subs {
		if o.key == sub.key && o.contact == sub.contact {
			return true
		}
	}
	return false
}

// watched returns the conversations the open streams show and whether
// one lists the orders, or false when none is open, and then the hub
// stops.
func (h *hub) watched() (ids []care.ContactID, listing, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		h.running = false
		return nil, false, false
	}
	for sub := range h.subs {
		listing = listing || sub.listing
		if sub.contact != "" && !slices.Contains(ids, sub.contact) {
			ids = append(ids, sub.contact)
		}
	}
	return ids, listing, true
}

// run polls the marks while streams are open. The first poll sends the
// state to every stream, which then holds what any later poll sees.
// While polls fail the streams are told so, and the first poll that
// works again sends the whole state.
func (h *hub) run() {
	var inbox, orders string
	marks := map[care.ContactID]string{}
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		ids, listing, ok := h.watched()
		if !ok {
			return
		}
		err := h.poll(&inbox, marks, ids)
		if err == nil && listing {
			err = h.pollOrders(&orders)
		}
		if err != nil {
			inbox, orders = "", ""
			clear(marks)
		}
		h.mu.Lock()
		was := h.failing
		h.failing = err != nil
		h.mu.Unlock()
		switch {
		case err != nil && !was:
			h.log.Warn("live updates of the console paused: the store does not answer; retrying every second", "err", err)
			h.fan(func(sub *subscriber) bool { sub.status = &liveStatus{}; return true })
		case err == nil && was:
			h.log.Info("live updates of the console resumed")
			h.fan(func(sub *subscriber) bool { sub.status = &liveStatus{OK: true}; return true })
		}
		<-t.C
	}
}

// poll reads the marks once and hands what changed to the streams.
func (h *hub) poll(inbox *string, marks map[care.ContactID]string, ids []care.ContactID) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	mark, err := h.live.InboxMark(ctx)
	if err != nil {
		return err
	}
	if mark != *inbox {
		lists, err := h.read(ctx)
		if err != nil {
			return err
		}
		*inbox = mark
		h.fan(func(sub *subscriber) bool { sub.queue = &lists; return true })
	}
	for id := range marks {
		if !slices.Contains(ids, id) {
			delete(marks, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ms, err := h.live.ConversationMarks(ctx, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		m := ms[i].Mark + "|" + strings.Join(ms[i].Viewers, ",")
		if marks[id] == m {
			continue
		}
		tl, err := h.live.Reread(ctx, id)
		if err != nil && care.ErrorCode(err) != care.ENotFound {
			return err
		}
		marks[id] = m
		st := &convState{tl: tl, viewers: ms[i].Viewers, err: err}
		if err == nil && h.orders != nil {
			st.orders, st.ordersErr = h.orders(ctx, id)
		}
		h.fan(func(sub *subscriber) bool {
			if sub.contact != id {
				return false
			}
			sub.conv = st
			return true
		})
	}
	return nil
}

// pollOrders reads the orders' mark once and tells the orders pages
// when it moved.
func (h *hub) pollOrders(mark *string) error {
	if h.ordersMark == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := h.ordersMark(ctx)
	if err != nil || m == *mark {
		return err
	}
	*mark = m
	h.fan(func(sub *subscriber) bool {
		if !sub.listing {
			return false
		}
		sub.ordersDue = true
		return true
	})
	return nil
}

// fan sets a state on the streams set takes it for, and wakes them.
func (h *hub) fan(set func(*subscriber) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		sub.mu.Lock()
		took := set(sub)
		sub.mu.Unlock()
		if took {
			select {
			case sub.wake <- struct{}{}:
			default: // already woken
			}
		}
	}
}

// take returns the states sub has not sent yet, and whether the
// orders changed since.
func (sub *subscriber) take() (*liveStatus, *inboxLists, *convState, bool) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	st, q, c, o := sub.status, sub.queue, sub.conv, sub.ordersDue
	sub.status, sub.queue, sub.conv, sub.ordersDue = nil, nil, nil, false
	if sub.listing {
		q = nil // the orders page shows no queue
	}
	return st, q, c, o
}

// queuePayload is the queue as the page's script swaps it in.
type queuePayload struct {
	Waiting int `json:"waiting"`
	Held    int `json:"held"`
	// HTML are the rows of each list, by the id of the list's element.
	HTML map[string]template.HTML `json:"html"`
	// Rows are the waiting conversations, for the browser's
	// notifications.
	Rows []waitingRow `json:"waiting_rows"`
}

// waitingRow is a waiting conversation a notification names.
type waitingRow struct {
	ID    care.ContactID `json:"id"`
	Title string         `json:"title"`
	Words string         `json:"words"`
}

// convPayload is a conversation as the page's script swaps it in.
type convPayload struct {
	ID care.ContactID `json:"id"`
	// Gone says why it cannot be shown any more (erased); nothing else
	// is set then.
	Gone   string             `json:"gone,omitempty"`
	State  care.HandoverState `json:"state,omitempty"`
	Holder string             `json:"holder,omitempty"`
	Mine   bool               `json:"mine"`
	// WhyNot says why the account cannot reply; "" when it can.
	WhyNot     string    `json:"why_not"`
	WindowEnds time.Time `json:"window_ends,omitzero"`
	// HTML are the parts of the page, by their element's id.
	HTML map[string]template.HTML `json:"html,omitempty"`
}

// snapshotPayload is GET /console/snapshot: what the page polls while
// its stream is down, the same states the stream's events carry: the
// queue and the open conversation, or the orders page's list.
type snapshotPayload struct {
	At           time.Time      `json:"at"`
	Queue        *queuePayload  `json:"queue,omitempty"`
	Conversation *convPayload   `json:"conversation,omitempty"`
	Orders       *ordersPayload `json:"orders,omitempty"`
}

// queuePayloadOf renders the lists for me, the open conversation's row
// marked.
func (s *Server) queuePayloadOf(l inboxLists, current care.ContactID, me string) (queuePayload, error) {
	q := s.queueOf(l, "", current, me)
	out := queuePayload{Waiting: q.Waiting, Held: q.Held, HTML: map[string]template.HTML{}, Rows: []waitingRow{}}
	for _, list := range q.Lists {
		html, err := fragment("queue-rows", list)
		if err != nil {
			return queuePayload{}, err
		}
		out.HTML["list-"+string(list.View)] = html
	}
	for _, r := range q.Lists[0].Rows {
		out.Rows = append(out.Rows, waitingRow{ID: r.ID, Title: r.Title, Words: r.Words})
	}
	return out, nil
}

// convFragments are the parts of a conversation the live updates swap,
// by the ids of their elements and their templates.
var convFragments = []string{"conv-head", "conv-holder", "conv-viewers", "conv-facts", "conv-timeline", "conv-why"}

// convPayloadOf renders a conversation for me, whose form token is
// token.
func (s *Server) convPayloadOf(id care.ContactID, st *convState, me, token string) (convPayload, error) {
	if care.ErrorCode(st.err) == care.ENotFound {
		return convPayload{ID: id, Gone: goneText}, nil
	}
	if st.err != nil {
		return convPayload{}, st.err
	}
	c := s.convOf(st.tl, st.viewers, me, token)
	out := convPayload{ID: id, State: c.State, Holder: c.Holder, Mine: c.Mine, WhyNot: c.WhyNot, WindowEnds: c.WindowEnds,
		HTML: map[string]template.HTML{}}
	for _, name := range convFragments {
		html, err := fragment(name, c)
		if err != nil {
			return convPayload{}, err
		}
		out.HTML[name] = html
	}
	if s.ordersOn() {
		html, err := fragment("order-panel", s.panelOf(id, token, st.orders, st.ordersErr, "", ""))
		if err != nil {
			return convPayload{}, err
		}
		out.HTML["orders-panel"] = html
	}
	return out, nil
}

// readOrders adds the customer's orders to st, when the console shows
// them; a failure to read them is shown in their panel.
func (s *Server) readOrders(ctx context.Context, id care.ContactID, st *convState) {
	if st.err == nil && s.ordersOn() {
		st.orders, st.ordersErr = s.cfg.Orders.ContactOrders(ctx, id)
	}
}

// conversationPayload reads and renders a conversation for me, whose
// form token is token.
func (s *Server) conversationPayload(ctx context.Context, id care.ContactID, me, token string) (convPayload, error) {
	tl, err := s.cfg.Live.Reread(ctx, id)
	if err != nil && care.ErrorCode(err) != care.ENotFound {
		return convPayload{}, err
	}
	st := &convState{tl: tl, err: err}
	if err == nil {
		ms, err := s.cfg.Live.ConversationMarks(ctx, []care.ContactID{id})
		if err != nil {
			return convPayload{}, err
		}
		st.viewers = ms[0].Viewers
	}
	s.readOrders(ctx, id, st)
	return s.convPayloadOf(id, st, me, token)
}

// watchedContact reads the conversation a live request watches, from
// its query's c ("" for none), answering 400 when it is not a contact.
func watchedContact(w http.ResponseWriter, r *http.Request) (care.ContactID, bool) {
	c := care.ContactID(r.URL.Query().Get("c"))
	if c == "" {
		return "", true
	}
	if err := c.Validate(); err != nil {
		writeJSONError(w, http.StatusBadRequest, "c must be a contact id")
		return "", false
	}
	return c, true
}

// snapshot is GET /console/snapshot?c=: the queue and the conversation
// c, for a page whose stream is down. It keeps the account marked as
// viewing c, as the stream does. With ?orders=<state> (or all) instead
// it is the orders page's: the list of the orders in that state, as
// the stream's "orders" event has it.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	contact, ok := watchedContact(w, r)
	if !ok {
		return
	}
	tab, listing, ok := ordersTab(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	out := snapshotPayload{At: s.cfg.Now()}
	if listing {
		if !s.ordersLiveOn() {
			writeJSONError(w, http.StatusNotFound, "this server keeps no live list of orders")
			return
		}
		orders, err := s.ordersPayloadOf(ctx, tab)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Orders = &orders
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, out)
		return
	}
	acct, _ := staffFrom(ctx)
	lists, err := s.readQueue(ctx)
	if err == nil {
		var q queuePayload
		q, err = s.queuePayloadOf(lists, contact, acct.Name)
		out.Queue = &q
	}
	if err == nil && contact != "" {
		if err := s.cfg.Live.View(ctx, contact, acct.Name, viewTTL); err != nil {
			s.cfg.Logger.Warn("marking a conversation viewed failed", "err", err)
		}
		var conv convPayload
		conv, err = s.conversationPayload(ctx, contact, acct.Name, cookieToken(r))
		out.Conversation = &conv
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// stream writes Server-Sent Events, each flushed at once.
type stream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// write sends raw SSE text and flushes it. A server's write timeout
// would end a long stream, so each write gets writeWait of its own.
func (st stream) write(text string) error {
	_ = st.rc.SetWriteDeadline(time.Now().Add(writeWait)) // not every writer has deadlines
	if _, err := st.w.Write([]byte(text)); err != nil {
		return err
	}
	return st.rc.Flush()
}

// event sends one named event with v as its JSON data.
func (st stream) event(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", name, err)
	}
	// JSON holds no raw line breaks, so the data is one line.
	return st.write("event: " + name + "\ndata: " + string(b) + "\n\n")
}

// events is GET /console/events?c=: the stream of changes to the queue
// and to conversation c (its customer's orders with it). While it is
// open the account is marked as viewing c. With ?orders=<state> (or
// all) instead it is the orders page's: the orders in that state, again
// at every change of any order.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	contact, ok := watchedContact(w, r)
	if !ok {
		return
	}
	tab, listing, ok := ordersTab(w, r)
	if !ok {
		return
	}
	if listing && !s.ordersLiveOn() {
		writeJSONError(w, http.StatusNotFound, "this server keeps no live list of orders")
		return
	}
	if listing {
		contact = ""
	}
	acct, _ := staffFrom(r.Context())
	token := cookieToken(r)
	sub, ok := s.hub.subscribe(acct.Name, contact, listing, tab)
	if !ok {
		w.Header().Set("Retry-After", "30")
		writeJSONError(w, http.StatusTooManyRequests, fmt.Sprintf("this account has %d live streams open here already: close a tab; this page polls instead", maxStreams))
		return
	}
	ctx := r.Context()
	defer func() {
		if !s.hub.unsubscribe(sub) && contact != "" {
			// The request's context has ended; the mark goes anyway.
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := s.cfg.Live.Unview(uctx, contact, acct.Name); err != nil {
				s.cfg.Logger.Warn("unmarking a conversation viewed failed", "err", err)
			}
		}
	}()
	rc := http.NewResponseController(w)
	// The server's read timeout would end the request; with no deadline
	// the connection's close ends it.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := stream{w: w, rc: rc}
	if err := st.write(": mitra console events\nretry: 3000\n\n"); err != nil {
		return
	}
	view := func() {
		if contact == "" {
			return
		}
		if err := s.cfg.Live.View(ctx, contact, acct.Name, viewTTL); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("marking a conversation viewed failed", "err", err)
		}
	}
	view()
	// The state now, after subscribing: a change after it is the hub's.
	if lists, err := s.readQueue(ctx); err == nil && !listing {
		sub.mu.Lock()
		if sub.queue == nil {
			sub.queue = &lists
		}
		sub.mu.Unlock()
	}
	if contact != "" {
		tl, err := s.cfg.Live.Reread(ctx, contact)
		cs := &convState{tl: tl, err: err}
		if ms, merr := s.cfg.Live.ConversationMarks(ctx, []care.ContactID{contact}); merr == nil {
			cs.viewers = ms[0].Viewers
		}
		s.readOrders(ctx, contact, cs)
		sub.mu.Lock()
		if sub.conv == nil && (err == nil || care.ErrorCode(err) == care.ENotFound) {
			sub.conv = cs
		}
		sub.mu.Unlock()
	}
	beat := time.NewTicker(s.hub.beat)
	defer beat.Stop()
	mark := time.NewTicker(viewEvery)
	defer mark.Stop()
	end := time.NewTimer(s.hub.life)
	defer end.Stop()
	send := func() error {
		status, q, c, orders := sub.take()
		if status != nil {
			if err := st.event("status", status); err != nil {
				return err
			}
		}
		if q != nil {
			p, err := s.queuePayloadOf(*q, contact, acct.Name)
			if err != nil {
				return err
			}
			if err := st.event("queue", p); err != nil {
				return err
			}
		}
		if c != nil {
			p, err := s.convPayloadOf(contact, c, acct.Name, token)
			if err != nil {
				return err
			}
			if err := st.event("conversation", p); err != nil {
				return err
			}
		}
		if orders {
			p, err := s.ordersPayloadOf(ctx, tab)
			if err != nil {
				return err
			}
			if err := st.event("orders", p); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		// The pending states first: the state now, then each change.
		if err := send(); err != nil {
			s.cfg.Logger.Debug("console stream ended", "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-end.C:
			// The page reconnects at once, through the session check.
			_ = st.write("event: bye\ndata: {}\n\n")
			return
		case <-s.hub.closing:
			_ = st.write("event: bye\ndata: {}\n\n")
			return
		case <-beat.C:
			if err := st.write(": ping\n\n"); err != nil {
				return
			}
		case <-mark.C:
			view()
		case <-sub.wake:
		}
	}
}
