package redisstore

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
)

// clock is a test's movable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// inboxStore is a store whose clock starts at t0 and which keeps staff
// replies in the transcript.
func inboxStore(t *testing.T) (*Store, redis.UniversalClient, *clock) {
	t.Helper()
	clk := &clock{now: t0}
	s, client := newStore(t, WithClock(clk.Now), WithTranscript(24*time.Hour))
	return s, client, clk
}

// handed commits a message from addr that hands the conversation to
// staff (waiting), over version 0, with one reply.
func handed(t *testing.T, s *Store, addr care.Address, at time.Time) care.ContactID {
	t.Helper()
	c := step(addr, "h-"+addr.ID, 0, "Staf kami akan membalas di sini.")
	c.Contact.LastInbound, c.Contact.LastInboundOn = at, map[care.Channel]time.Time{addr.Channel: at}
	c.Contact.Handover = care.Handover{State: care.StateWaiting, Since: at, Until: at.Add(4 * time.Hour), Reason: "person", FirstWords: "halo, ada telur?"}
	c.Events = []care.StaffEvent{{At: at, Action: care.ActionHandedOver, By: care.ByMitra, Reason: "person"}}
	c.Transcript = 24 * time.Hour
	mustCommit(t, s, c)
	for _, d := range mustNext(t, s, "w", 10) {
		if err := s.Settle(ctx, d, care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
			t.Fatal(err)
		}
	}
	return c.Contact.ID
}

func profile(t *testing.T, s *Store, id care.ContactID) care.Contact {
	t.Helper()
	c, ok, err := s.Contact(ctx, id)
	if err != nil || !ok {
		t.Fatalf("contact %s: %v, %v", id, ok, err)
	}
	return c
}

// listed is the contacts of a list of the inbox, in order.
func listed(t *testing.T, s *Store, view care.InboxView) []care.ContactID {
	t.Helper()
	es, err := s.Conversations(ctx, view, 50)
	if err != nil {
		t.Fatalf("list %s: %v", view, err)
	}
	out := make([]care.ContactID, len(es))
	for i, e := range es {
		out[i] = e.Contact
	}
	return out
}

func TestTakeoverRaceHasOneWinner(t *testing.T) {
	s, _, _ := inboxStore(t)
	id := handed(t, s, alice, t0)
	staff := []string{"rina", "budi", "sari", "dewi", "agus", "tono", "wati", "joko"}
	var wg sync.WaitGroup
	errs := make([]error, len(staff))
	start := make(chan struct{})
	for i, name := range staff {
		wg.Go(func() {
			<-start
			_, errs[i] = s.Takeover(ctx, id, name)
		})
	}
	close(start)
	wg.Wait()
	winner := ""
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("both %s and %s took the conversation", winner, staff[i])
			}
			winner = staff[i]
		}
	}
	if winner == "" {
		t.Fatalf("nobody won: %v", errs)
	}
	for i, err := range errs {
		if err != nil && (care.ErrorCode(err) != care.EConflict || !strings.Contains(err.Error(), winner+" holds this")) {
			t.Errorf("%s got %v, want a conflict naming %s", staff[i], err, winner)
		}
	}
	c := profile(t, s, id)
	if h := c.Handover; h.State != care.StateHeld || h.Holder != winner || !h.Since.Equal(t0) || h.FirstWords != "halo, ada telur?" || !c.HeldSince.Equal(t0) {
		t.Errorf("profile after the race: %+v, held since %s", h, c.HeldSince)
	}
	tl, err := s.Timeline(ctx, id, "budi")
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range tl.Events {
		acts = append(acts, string(e.Action)+" by "+e.By)
	}
	if want := []string{"handed_over by the bot", "took_over by " + winner}; !slices.Equal(acts, want) {
		t.Errorf("events %q, want %q", acts, want)
	}
	audit, err := s.StaffAudit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Action != care.ActionTookOver || audit[0].By != winner || audit[0].Contact != id ||
		audit[1].Action != care.ActionViewed || audit[1].By != "budi" {
		t.Errorf("staff audit %+v, want the take-over and budi's view", audit)
	}
	// Taking it again is the holder's no-op; the phone's hold is
	// anyone's to take.
	if _, err := s.Takeover(ctx, id, strings.ToUpper(winner)); err != nil {
		t.Errorf("the holder taking it again: %v", err)
	}
}

func TestTakeoverFromTheShopsPhone(t *testing.T) {
	s, _, clk := inboxStore(t)
	c := step(alice, "p1", 0)
	c.Inbound.Kind = care.KindStaff
	c.Contact.Handover = care.Handover{State: care.StateHeld, Holder: care.ShopPhone, Since: t0, LastStaff: t0}
	mustCommit(t, s, c)
	clk.set(t0.Add(time.Minute))
	got, err := s.Takeover(ctx, c.Contact.ID, "rina")
	if err != nil {
		t.Fatal(err)
	}
	if got.Handover.Holder != "rina" || !got.Handover.Since.Equal(t0.Add(time.Minute)) {
		t.Errorf("handover %+v", got.Handover)
	}
}

func TestHandback(t *testing.T) {
	s, _, clk := inboxStore(t)
	id := handed(t, s, alice, t0)
	if _, err := s.Takeover(ctx, id, "rina"); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(10 * time.Minute))
	if _, err := s.Handback(ctx, id, "budi", ""); care.ErrorCode(err) != care.EConflict || !strings.Contains(err.Error(), "rina holds this") {
		t.Fatalf("budi handing back rina's conversation: %v", err)
	}
	if _, err := s.Handback(ctx, id, "rina", "menu bad"); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("hand back to a flow named %q: %v", "menu bad", err)
	}
	c, err := s.Handback(ctx, id, "Rina", "menu")
	if err != nil {
		t.Fatal(err)
	}
	want := care.Handover{State: care.StateBot, Resume: &care.Resume{At: t0.Add(10 * time.Minute), Notice: true, Flow: "menu"}}
	if h := c.Handover; h.State != want.State || h.Resume == nil || *h.Resume != *want.Resume || h.Holder != "" {
		t.Errorf("after the hand-back: %+v", h)
	}
	if got := profile(t, s, id).Handover; got.State != care.StateBot || got.Resume == nil {
		t.Errorf("stored handover %+v", got)
	}
	if w, h := listed(t, s, care.InboxWaiting), listed(t, s, care.InboxHeld); len(w)+len(h) != 0 {
		t.Errorf("after the hand-back: waiting %v, held %v", w, h)
	}
	if all := listed(t, s, care.InboxAll); !slices.Equal(all, []care.ContactID{id}) {
		t.Errorf("all = %v, want the conversation", all)
	}
	// Handing back what the bot answers changes nothing.
	again, err := s.Handback(ctx, id, "budi", "")
	if err != nil || again.Version != c.Version {
		t.Errorf("second hand-back: version %d → %d, %v", c.Version, again.Version, err)
	}
}

func TestReply(t *testing.T) {
	s, client, clk := inboxStore(t)
	id := handed(t, s, alice, t0)
	if _, err := s.Takeover(ctx, id, "rina"); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(5 * time.Minute))
	m, err := s.Reply(ctx, id, "rina", "  Halo Kak, telurnya ada. 🥚  ")
	if err != nil {
		t.Fatal(err)
	}
	ds := mustNext(t, s, "w", 10)
	if len(ds) != 1 {
		t.Fatalf("queued %d messages, want the reply", len(ds))
	}
	d := ds[0]
	if d.ID != m.ID || d.Text != "Halo Kak, telurnya ada. 🥚" || d.Class != care.Reply || d.Origin != care.OriginStaff || d.Staff != "rina" ||
		d.Address != alice || d.Lane != replyLane || !d.Created.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("queued %+v (lane %s)", d.Outbound, d.Lane)
	}
	if !d.Profile.Handover.LastStaff.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("the holder's last word: %s", d.Profile.Handover.LastStaff)
	}
	rec, err := s.Records(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	last := rec.Transcript[len(rec.Transcript)-1]
	if last.Inbound || last.Staff != "rina" || last.Text != d.Text {
		t.Errorf("transcript ends %+v, want rina's reply", last)
	}
	if n := client.XLen(ctx, s.staffAudit).Val(); n != 2 {
		t.Errorf("staff audit has %d entries, want the take-over and the reply", n)
	}
}

func TestReplyRefused(t *testing.T) {
	long := strings.Repeat("a", care.MaxText+1)
	tests := []struct {
		name  string
		setup func(t *testing.T, s *Store, clk *clock, id care.ContactID) // after the take-over by rina
		staff string
		text  string
		code  string
		says  string
	}{
		{"held by another", nil, "budi", "halo", care.EConflict, "rina holds this"},
		{"nobody holds it", func(t *testing.T, s *Store, _ *clock, id care.ContactID) {
			if _, err := s.Handback(ctx, id, "rina", ""); err != nil {
				t.Fatal(err)
			}
		}, "rina", "halo", care.EInvalid, "take the conversation over"},
		{"empty", nil, "rina", " \n\t ", care.EInvalid, "empty text"},
		{"too long", nil, "rina", long, care.EInvalid, fmt.Sprintf("text of %d characters; at most %d", care.MaxText+1, care.MaxText)},
		{"no staff name", nil, "", "halo", care.EInvalid, "account name"},
		{"reply window closed", func(t *testing.T, _ *Store, clk *clock, _ care.ContactID) {
			clk.set(t0.Add(care.ReplyWindow + time.Minute))
		}, "rina", "halo", care.EInvalid, "reply window closed"},
		{"erasing", func(t *testing.T, s *Store, _ *clock, id care.ContactID) {
			c := profile(t, s, id)
			conv, err := s.Load(ctx, id, "x")
			if err != nil {
				t.Fatal(err)
			}
			e := step(alice, "erase", conv.Session.Version)
			e.Erase = true
			e.Contact = care.Contact{ID: id, Version: c.Version, Addresses: c.Addresses, LastInbound: t0, Erasing: t0}
			mustCommit(t, s, e)
		}, "rina", "halo", care.ENotFound, "not found"},
		{"unreachable", func(t *testing.T, s *Store, _ *clock, id care.ContactID) {
			if err := s.MarkUnreachable(ctx, id, care.WhatsApp, "blocked the bot"); err != nil {
				t.Fatal(err)
			}
		}, "rina", "halo", care.EUnreachable, "blocked the bot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, client, clk := inboxStore(t)
			id := handed(t, s, alice, t0)
			if _, err := s.Takeover(ctx, id, "rina"); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, s, clk, id)
			}
			_, err := s.Reply(ctx, id, tt.staff, tt.text)
			if care.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Reply = %v, want %s saying %q", err, tt.code, tt.says)
			}
			for _, k := range laneKeys(s) {
				if n := client.XLen(ctx, k).Val(); n != 0 && tt.code != care.ENotFound {
					t.Errorf("%s holds %d entries after a refused reply", k, n)
				}
			}
			if n := client.HLen(ctx, s.key(id, keyOutbound)).Val(); n != 0 {
				t.Errorf("%d messages stored after a refused reply", n)
			}
		})
	}
}

func TestNotesAreNeverSent(t *testing.T) {
	s, client, clk := inboxStore(t)
	id := handed(t, s, alice, t0)
	for i := range notesKeep + 5 {
		clk.set(t0.Add(time.Duration(i) * time.Second))
		if _, err := s.Note(ctx, id, "sari", fmt.Sprintf("note %d: pelanggan tetap", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Note(ctx, id, "sari", ""); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("empty note: %v", err)
	}
	if _, err := s.Note(ctx, care.NewContactID(), "sari", "x"); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("note on nobody: %v", err)
	}
	for _, k := range laneKeys(s) {
		if n := client.XLen(ctx, k).Val(); n != 0 {
			t.Errorf("%s holds %d entries: a note was queued", k, n)
		}
	}
	if n := client.HLen(ctx, s.key(id, keyOutbound)).Val(); n != 0 {
		t.Errorf("%d messages stored: a note was queued", n)
	}
	tl, err := s.Timeline(ctx, id, "sari")
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Notes) != notesKeep || tl.Notes[0].Text != "note 5: pelanggan tetap" || tl.Notes[notesKeep-1].By != "sari" ||
		!tl.Notes[notesKeep-1].At.Equal(t0.Add((notesKeep+4)*time.Second)) {
		t.Errorf("%d notes, first %+v", len(tl.Notes), tl.Notes[0])
	}
	for _, e := range tl.Transcript {
		if strings.Contains(e.Text, "pelanggan tetap") {
			t.Errorf("a note is in the transcript: %+v", e)
		}
	}
	if tl.Contact.ID != id || len(tl.Transcript) != 2 {
		t.Errorf("timeline %+v", tl)
	}
}

func TestReturnLapsed(t *testing.T) {
	s, _, clk := inboxStore(t)
	idle := 2 * time.Hour
	bob := care.Address{Channel: care.Telegram, ID: "4242"}
	cici := care.Address{Channel: care.WhatsApp, ID: "6289999"}
	dodi := care.Address{Channel: care.WhatsApp, ID: "6288888"}
	unclaimed := handed(t, s, alice, t0)             // waits until t0+4h
	answered := handed(t, s, bob, t0)                // rina answers, then the customer goes quiet
	silent := handed(t, s, cici, t0)                 // budi takes it and never writes
	fresh := handed(t, s, dodi, t0.Add(3*time.Hour)) // waits until t0+7h
	if _, err := s.Takeover(ctx, answered, "rina"); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(time.Hour))
	if _, err := s.Reply(ctx, answered, "rina", "Sudah kami kirim, Kak."); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(3 * time.Hour))
	if _, err := s.Takeover(ctx, silent, "budi"); err != nil {
		t.Fatal(err)
	}
	// Before anything lapses, nothing returns.
	if got, err := s.ReturnLapsed(ctx, t0.Add(2*time.Hour), idle, 50); err != nil || len(got) != 0 {
		t.Fatalf("at t0+2h ReturnLapsed = %v, %v; want none", got, err)
	}
	now := t0.Add(4 * time.Hour)
	clk.set(now)
	got, err := s.ReturnLapsed(ctx, now, idle, 50)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []care.ContactID{unclaimed, answered}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("at t0+4h returned %v, want the unclaimed and the answered one %v", got, want)
	}
	if h := profile(t, s, unclaimed).Handover; h.State != care.StateBot || h.Resume == nil || !h.Resume.Notice {
		t.Errorf("unclaimed: %+v, want back with the bot and a notice owed", h)
	}
	if h := profile(t, s, answered).Handover; h.State != care.StateBot || h.Resume != nil {
		t.Errorf("answered: %+v, want back with the bot, no notice (staff had the last word)", h)
	}
	if w := listed(t, s, care.InboxWaiting); !slices.Equal(w, []care.ContactID{fresh}) {
		t.Errorf("waiting %v, want only %s", w, fresh)
	}
	if h := listed(t, s, care.InboxHeld); !slices.Equal(h, []care.ContactID{silent}) {
		t.Errorf("held %v, want only %s", h, silent)
	}
	// Another process sweeping at the same moment returns nothing again.
	if again, err := s.ReturnLapsed(ctx, now, idle, 50); err != nil || len(again) != 0 {
		t.Errorf("second sweep = %v, %v", again, err)
	}
	later := t0.Add(3*time.Hour + idle)
	clk.set(later)
	if got, err := s.ReturnLapsed(ctx, later, idle, 50); err != nil || !slices.Equal(got, []care.ContactID{silent}) {
		t.Errorf("at %s returned %v, %v; want the idle hold %s", later, got, err, silent)
	}
	tl, err := s.Timeline(ctx, silent, "rina")
	if err != nil {
		t.Fatal(err)
	}
	if e := tl.Events[len(tl.Events)-1]; e.Action != care.ActionReturned || e.By != care.ByMitra || e.Reason != reasonIdle {
		t.Errorf("last event %+v", e)
	}
}

func TestIndexesStayRight(t *testing.T) {
	s, client, clk := inboxStore(t)
	id := handed(t, s, alice, t0)
	if w := listed(t, s, care.InboxWaiting); !slices.Equal(w, []care.ContactID{id}) {
		t.Fatalf("waiting %v after the hand-over commit", w)
	}
	es, err := s.Conversations(ctx, care.InboxWaiting, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := care.InboxEntry{Contact: id, Name: "Alice", Channels: []care.Channel{care.WhatsApp}, State: care.StateWaiting,
		Since: t0, Reason: "person", FirstWords: "halo, ada telur?", LastInbound: t0}
	if e := es[0]; e.Contact != want.Contact || e.Name != want.Name || !slices.Equal(e.Channels, want.Channels) || e.State != want.State ||
		!e.Since.Equal(want.Since) || e.Reason != want.Reason || e.FirstWords != want.FirstWords || !e.LastInbound.Equal(want.LastInbound) {
		t.Errorf("entry %+v\nwant  %+v", e, want)
	}
	clk.set(t0.Add(time.Minute))
	if _, err := s.Takeover(ctx, id, "rina"); err != nil {
		t.Fatal(err)
	}
	if w, h := listed(t, s, care.InboxWaiting), listed(t, s, care.InboxHeld); len(w) != 0 || !slices.Equal(h, []care.ContactID{id}) {
		t.Errorf("after the take-over: waiting %v, held %v", w, h)
	}

	// A process died between an index entry and its profile write: the
	// entry points at a profile that does not back it. Readers skip
	// it; once it is older than indexGrace they remove it, but never a
	// fresh one whose step may still be on its way.
	ghost := care.NewContactID()
	stale := t0.Add(-time.Hour)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(client.ZAdd(ctx, s.inbox.waiting, redis.Z{Score: score(stale), Member: string(ghost)}).Err())
	must(client.ZAdd(ctx, s.inbox.waiting, redis.Z{Score: score(stale), Member: string(id)}).Err()) // held, not waiting
	inFlight := care.NewContactID()
	must(client.ZAdd(ctx, s.inbox.waiting, redis.Z{Score: score(clk.Now()), Member: string(inFlight)}).Err())
	if w := listed(t, s, care.InboxWaiting); len(w) != 0 {
		t.Errorf("waiting lists %v, want none: no profile backs them", w)
	}
	left := client.ZRange(ctx, s.inbox.waiting, 0, -1).Val()
	if !slices.Equal(left, []string{string(inFlight)}) {
		t.Errorf("the waiting index holds %v, want only the fresh entry", left)
	}

	// An erasure takes the contact out of every index.
	conv, err := s.Load(ctx, id, "x")
	must(err)
	c := profile(t, s, id)
	e := step(alice, "erase", conv.Session.Version)
	e.Erase = true
	e.Contact = care.Contact{ID: id, Version: c.Version, Addresses: c.Addresses, LastInbound: t0, Erasing: t0}
	must(s.Schedule(ctx, care.Job{Kind: care.JobErase, Contact: id, Due: t0}))
	mustCommit(t, s, e)
	if h, all := listed(t, s, care.InboxHeld), listed(t, s, care.InboxAll); len(h)+len(all) != 0 {
		t.Errorf("after the erasure began: held %v, all %v", h, all)
	}
	if _, err := s.Sweep(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{s.inbox.held, s.inbox.recent} {
		if err := client.ZScore(ctx, k, string(id)).Err(); err != redis.Nil {
			t.Errorf("%s still names the erased contact", k)
		}
	}
	if _, err := s.Conversations(ctx, "mine", 10); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("unknown list: %v", err)
	}
}
