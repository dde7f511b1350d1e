package redisstore

import (
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
)

var (
	rinaTG = care.Address{Channel: care.Telegram, ID: "7001"}
	rinaWA = care.Address{Channel: care.WhatsApp, ID: "6281100000001"}
	rinaID = care.Address{Channel: care.WhatsApp, ID: "99887766@lid"}
	budiTG = care.Address{Channel: care.Telegram, ID: "7002"}
)

// staffChats is a store with the accounts rina (staff) and budi (owner)
// and a clock the test moves.
func staffChats(t *testing.T) (*Store, *clock) {
	t.Helper()
	s, _, clk := inboxStore(t)
	st := s.Staff(WithBcryptCost(bcrypt.MinCost))
	mustAdd(t, st, "Rina", care.RoleStaff)
	mustAdd(t, st, "budi", care.RoleOwner)
	return s, clk
}

func linkCode(t *testing.T, s *Store, name string) string {
	t.Helper()
	code, _, err := s.StaffLinkCode(ctx, name)
	if err != nil {
		t.Fatalf("link code for %s: %v", name, err)
	}
	return code
}

// chats lists the linked chats as "account channel:id".
func chats(t *testing.T, s *Store) []string {
	t.Helper()
	cs, err := s.StaffChats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.Account+" "+string(c.Role)+" "+c.Address.String())
	}
	return out
}

func TestStaffLinkCode(t *testing.T) {
	s, _ := staffChats(t)
	code, expires, err := s.StaffLinkCode(ctx, "RINA")
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 6 || !expires.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("code %q until %s, want 6 digits until %s", code, expires, t0.Add(15*time.Minute))
	}
	if ttl := s.client.PTTL(ctx, s.staffCodeKey(code)).Val(); ttl <= 14*time.Minute || ttl > 15*time.Minute {
		t.Errorf("the code lives %s in Redis, want 15m", ttl)
	}
	if _, _, err := s.StaffLinkCode(ctx, "nobody"); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("a code for no account: %v, want not found", err)
	}
}

// TestLinkStaffChat walks a code through its life: a wrong one, the
// right one, the same message again, the code used again, a code that
// expired, and an address throttled after five wrong ones.
func TestLinkStaffChat(t *testing.T) {
	s, clk := staffChats(t)
	code := linkCode(t, s, "rina")
	steps := []struct {
		name      string
		from      care.Address
		code, msg string
		want      care.LinkResult
	}{
		{"a wrong code", rinaTG, "000000", "m1", care.LinkResult{Outcome: care.LinkWrong}},
		{"the code", rinaTG, code, "m2", care.LinkResult{Outcome: care.LinkDone, Account: "Rina"}},
		{"the same message delivered again", rinaTG, code, "m2", care.LinkResult{Outcome: care.LinkDone, Account: "Rina", Repeat: true}},
		{"a wrong code delivered again", rinaTG, "000000", "m1", care.LinkResult{Outcome: care.LinkDone, Account: "Rina", Repeat: true}},
		{"the code used again, from elsewhere", budiTG, code, "b1", care.LinkResult{Outcome: care.LinkWrong}},
	}
	for _, st := range steps {
		got, err := s.LinkStaffChat(ctx, st.from, care.Address{}, st.code, st.msg)
		if err != nil || got != st.want {
			t.Errorf("%s: %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
	if got := chats(t, s); !slices.Equal(got, []string{"Rina staff telegram:7001"}) {
		t.Errorf("linked chats %q", got)
	}

	expired := linkCode(t, s, "budi")
	s.client.PExpire(ctx, s.staffCodeKey(expired), time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	if got, err := s.LinkStaffChat(ctx, budiTG, care.Address{}, expired, "b2"); err != nil || got.Outcome != care.LinkWrong {
		t.Errorf("an expired code: %+v, %v; want wrong", got, err)
	}

	// budiTG has two wrong codes; three more lock it out for an hour
	// from the first, and a right code is then not even used.
	for i := range 3 {
		clk.set(t0.Add(time.Duration(i+1) * time.Minute))
		if got, _ := s.LinkStaffChat(ctx, budiTG, care.Address{}, "123456", "b"+string(rune('3'+i))); got.Outcome != care.LinkWrong {
			t.Fatalf("wrong code %d: %+v", i+3, got)
		}
	}
	good := linkCode(t, s, "budi")
	got, err := s.LinkStaffChat(ctx, budiTG, care.Address{}, good, "b6")
	if err != nil || got.Outcome != care.LinkThrottled || !got.Until.Equal(t0.Add(time.Hour)) {
		t.Errorf("a sixth try: %+v, %v; want throttled until %s", got, err, t0.Add(time.Hour))
	}
	if got, _ := s.LinkStaffChat(ctx, rinaWA, care.Address{}, "654321", "w1"); got.Outcome != care.LinkWrong {
		t.Errorf("another address is not throttled: %+v", got)
	}
	clk.set(t0.Add(time.Hour))
	if got, err := s.LinkStaffChat(ctx, budiTG, care.Address{}, good, "b7"); err != nil || got.Outcome != care.LinkDone || got.Account != "budi" {
		t.Errorf("the code an hour later: %+v, %v; want linked", got, err)
	}
	if got := chats(t, s); !slices.Equal(got, []string{"budi owner telegram:7002", "Rina staff telegram:7001"}) {
		t.Errorf("linked chats %q", got)
	}
}

// TestStaffChatPerChannel: an account links one chat per channel; a
// WhatsApp chat's LID goes with its number, and unlinking either
// unlinks both; removing the account unlinks its chats.
func TestStaffChatPerChannel(t *testing.T) {
	s, _ := staffChats(t)
	link := func(a, alias care.Address, name, msg string) {
		t.Helper()
		if got, err := s.LinkStaffChat(ctx, a, alias, linkCode(t, s, name), msg); err != nil || got.Outcome != care.LinkDone {
			t.Fatalf("link %s: %+v, %v", a, got, err)
		}
	}
	link(budiTG, care.Address{}, "rina", "m1")
	link(rinaTG, care.Address{}, "rina", "m2")
	link(rinaWA, rinaID, "rina", "m3")
	if got := chats(t, s); !slices.Equal(got, []string{"Rina staff telegram:7001", "Rina staff whatsapp:6281100000001"}) {
		t.Errorf("linked chats %q, want rina's second Telegram chat in place of the first, and the WhatsApp number once", got)
	}
	res, err := s.Resolve(ctx, []care.ResolveRequest{{Address: rinaID, CheckStaff: true}, {Address: budiTG, CheckStaff: true}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0] != (care.Resolution{StaffChat: "Rina"}) || res[1].StaffChat != "" || !res[1].New {
		t.Errorf("resolve the LID and the chat unlinked: %+v", res)
	}

	if acct, err := s.UnlinkStaffChat(ctx, rinaID, "u1"); err != nil || acct != "Rina" {
		t.Errorf("unlink by the LID: %q, %v", acct, err)
	}
	if got := chats(t, s); !slices.Equal(got, []string{"Rina staff telegram:7001"}) {
		t.Errorf("linked chats after unlinking WhatsApp: %q", got)
	}
	if res, _ := s.Resolve(ctx, []care.ResolveRequest{{Address: rinaWA, Alias: rinaID, CheckStaff: true}}); res[0].StaffChat != "" {
		t.Errorf("the number after unlinking: %+v", res[0])
	}
	if acct, err := s.UnlinkStaffChat(ctx, rinaID, "u2"); err != nil || acct != "" {
		t.Errorf("unlink again: %q, %v", acct, err)
	}
	if err := s.Staff().RemoveStaff(ctx, "rina"); err != nil {
		t.Fatal(err)
	}
	if got := chats(t, s); len(got) != 0 {
		t.Errorf("chats of a removed account: %q", got)
	}
	if n := s.client.HLen(ctx, s.staffChatsKey()).Val(); n != 0 {
		t.Errorf("%d links left after the account went", n)
	}
}

// TestStaffChatIsNoCustomer: a linked chat's messages get no contact,
// and a known contact's chat that is linked later is named as a staff
// chat when its conversation is loaded.
func TestStaffChatIsNoCustomer(t *testing.T) {
	s, _ := staffChats(t)
	if _, err := s.LinkStaffChat(ctx, rinaTG, care.Address{}, linkCode(t, s, "rina"), "m1"); err != nil {
		t.Fatal(err)
	}
	res, err := s.Resolve(ctx, []care.ResolveRequest{{Address: rinaTG, CheckStaff: true}})
	if err != nil || res[0] != (care.Resolution{StaffChat: "Rina"}) {
		t.Fatalf("resolve a staff chat: %+v, %v", res, err)
	}
	if id, ok, _ := s.Lookup(ctx, rinaTG); ok {
		t.Errorf("a staff chat got contact %s", id)
	}

	customer := handed(t, s, budiTG, t0)
	convs, err := s.LoadMany(ctx, []care.MessageRef{{Contact: customer, MessageID: "x", Address: budiTG}})
	if err != nil || convs[0].StaffChat != "" || convs[0].Contact.ID != customer {
		t.Fatalf("load a customer's conversation: %+v, %v", convs, err)
	}
	if _, err := s.LinkStaffChat(ctx, budiTG, care.Address{}, linkCode(t, s, "budi"), "m2"); err != nil {
		t.Fatal(err)
	}
	convs, err = s.LoadMany(ctx, []care.MessageRef{{Contact: customer, MessageID: "y", Address: budiTG}, {Contact: customer, MessageID: "y"}})
	if err != nil || convs[0].StaffChat != "budi" || convs[1].StaffChat != "" {
		t.Errorf("load once the chat is linked: %q and, not asked, %q; %v", convs[0].StaffChat, convs[1].StaffChat, err)
	}
}

// TestQueueStaffChat: messages to staff chats are filed under each
// chat's own outbox id, on the replies' lane, and the sender learns from
// the store whether the chat is linked, and to whom, and whether the
// desk heard what an answer answers.
func TestQueueStaffChat(t *testing.T) {
	s, _ := staffChats(t)
	if _, err := s.LinkStaffChat(ctx, rinaTG, care.Address{}, linkCode(t, s, "rina"), "m1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkStaffChat(ctx, budiTG, care.Address{}, "111111", "w1"); err != nil {
		t.Fatal(err)
	}
	stranger := care.Address{Channel: care.WhatsApp, ID: "6289900000009"}
	msg := func(id string, a care.Address, staff, inReplyTo string) care.Outbound {
		return care.Outbound{ID: id, Address: a, Class: care.StaffAlert, Origin: care.OriginSystem, Staff: staff, InReplyTo: inReplyTo,
			Text: "🔔 1 percakapan menunggu", Created: t0}
	}
	if err := s.QueueStaffChat(ctx, []care.Outbound{
		msg("a1", rinaTG, "Rina", ""), msg("a2", rinaTG, "Rina", "m1"), msg("a3", budiTG, "", "w1"), msg("a4", stranger, "Rina", ""),
	}); err != nil {
		t.Fatal(err)
	}
	ds := mustNext(t, s, "w", 10)
	want := map[string]care.StaffChatState{
		"a1": {Account: "Rina"}, "a2": {Account: "Rina", Heard: t0}, "a3": {Heard: t0}, "a4": {},
	}
	if len(ds) != len(want) {
		t.Fatalf("%d deliveries, want %d", len(ds), len(want))
	}
	for _, d := range ds {
		st, ok := want[d.ID]
		if !ok || d.StaffChat.Account != st.Account || !d.StaffChat.Heard.Equal(st.Heard) {
			t.Errorf("%s: staff chat %+v, want %+v", d.ID, d.StaffChat, st)
		}
		if d.Lane != care.LaneOf(d.Address, care.Reply) || d.Contact.Validate() != nil || d.Profile.ID != "" {
			t.Errorf("%s: lane %s, outbox id %s, profile %+v; want the replies' lane, an id of its own and no profile", d.ID, d.Lane, d.Contact, d.Profile)
		}
		if res, err := s.Take(ctx, d); err != nil || res != care.Taken {
			t.Errorf("take %s: %v, %v", d.ID, res, err)
		}
		if err := s.Settle(ctx, d, care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.QueueStaffChat(ctx, []care.Outbound{{ID: "r1", Address: rinaTG, Class: care.Reply, Text: "x"}}); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("a reply queued to a staff chat: %v, want invalid", err)
	}
	if err := s.Enqueue(ctx, []care.Outbound{msg("a5", rinaTG, "Rina", "")}); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("an alert through Enqueue: %v, want invalid", err)
	}
}

// TestMarkAlerted: one mark of each kind per waiting spell, whoever
// marks; a mark taken back can be made again; a new spell starts clean.
func TestMarkAlerted(t *testing.T) {
	s, _, clk := inboxStore(t)
	id := handed(t, s, budiTG, t0)
	at := t0.Add(time.Minute)
	marks := []struct {
		name  string
		since time.Time
		owner bool
		want  bool
	}{
		{"staff", t0, false, true},
		{"staff again", t0, false, false},
		{"another spell", t0.Add(-time.Hour), true, false},
		{"owner", t0, true, true},
		{"owner again", t0, true, false},
	}
	for _, m := range marks {
		if got, err := s.MarkAlerted(ctx, id, m.since, m.owner, at); err != nil || got != m.want {
			t.Errorf("%s: %v, %v; want %v", m.name, got, err, m.want)
		}
	}
	h := profile(t, s, id).Handover
	if !h.Alerted.Equal(at) || !h.OwnerAlerted.Equal(at) {
		t.Errorf("handover %+v, want both marks at %s", h, at)
	}
	if es, _ := s.Conversations(ctx, care.InboxWaiting, 5); len(es) != 1 || !es[0].Alerted.Equal(at) {
		t.Errorf("the waiting list: %+v", es)
	}
	if err := s.UnmarkAlerted(ctx, id, t0, false, at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.UnmarkAlerted(ctx, id, t0, false, at); err != nil {
		t.Fatal(err)
	}
	if h := profile(t, s, id).Handover; !h.Alerted.IsZero() || !h.OwnerAlerted.Equal(at) {
		t.Errorf("after taking the staff mark back: %+v", h)
	}
	clk.set(t0.Add(2 * time.Minute))
	if _, err := s.Takeover(ctx, id, "rina"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.MarkAlerted(ctx, id, t0, false, at); err != nil || got {
		t.Errorf("mark a conversation someone took: %v, %v", got, err)
	}
	if got, err := s.MarkAlerted(ctx, "cnobody2222222222", t0, false, at); err != nil || got {
		t.Errorf("mark no contact: %v, %v", got, err)
	}
}

func TestClaimCodes(t *testing.T) {
	s, _ := newStore(t)
	a, b := care.NewContactID(), care.NewContactID()
	codes, err := s.ClaimCodes(ctx, []care.ContactID{a, b}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 2 || len(codes[0]) != 4 || codes[0] == codes[1] {
		t.Fatalf("codes %q", codes)
	}
	for i, want := range []care.ContactID{a, b} {
		if got, ok, err := s.ClaimCode(ctx, codes[i]); err != nil || !ok || got != want {
			t.Errorf("code %s: %s, %v, %v; want %s", codes[i], got, ok, err, want)
		}
	}
	for _, bad := range []string{"0000", "12345", "abcd", ""} {
		if bad == codes[0] || bad == codes[1] {
			continue
		}
		if got, ok, err := s.ClaimCode(ctx, bad); err != nil || ok {
			t.Errorf("code %q: %s, %v, %v; want none", bad, got, ok, err)
		}
	}
}
