package redisstore

import (
	"slices"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestMarksMove: every change the console shows moves the inbox's mark
// or the conversation's, and reading changes neither.
func TestMarksMove(t *testing.T) {
	s, _, clk := inboxStore(t)
	id := handed(t, s, alice, t0)
	inbox := func() string {
		t.Helper()
		m, err := s.InboxMark(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	conv := func() string {
		t.Helper()
		ms, err := s.ConversationMarks(ctx, []care.ContactID{id})
		if err != nil || len(ms) != 1 || len(ms[0].Mark) != 40 {
			t.Fatalf("ConversationMarks = %+v, %v", ms, err)
		}
		return ms[0].Mark
	}
	tests := []struct {
		name      string
		do        func() error
		wantInbox bool // the inbox's mark moves
	}{
		{"read the timeline and the lists", func() error {
			if _, err := s.Reread(ctx, id); err != nil {
				return err
			}
			_, err := s.Conversations(ctx, care.InboxWaiting, 10)
			return err
		}, false},
		{"take over", func() error { _, err := s.Takeover(ctx, id, "rina"); return err }, true},
		{"reply", func() error { _, err := s.Reply(ctx, id, "rina", "Ada, Kak."); return err }, true},
		{"note", func() error { _, err := s.Note(ctx, id, "rina", "pelanggan lama"); return err }, false},
		{"a second note", func() error { _, err := s.Note(ctx, id, "budi", "pelanggan lama"); return err }, false},
		{"hand back", func() error { _, err := s.Handback(ctx, id, "rina", ""); return err }, true},
		{"the customer writes", func() error {
			c := step(alice, "m2", profile(t, s, id).Version, "Ada yang bisa saya bantu?")
			c.Session.Version = 1
			return s.Commit(ctx, c)
		}, true},
	}
	for _, tt := range tests {
		clk.set(clk.Now().Add(time.Second))
		beforeInbox, beforeConv := inbox(), conv()
		if err := tt.do(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if moved := inbox() != beforeInbox; moved != tt.wantInbox {
			t.Errorf("%s: the inbox's mark moved %v, want %v", tt.name, moved, tt.wantInbox)
		}
		if moved := conv() != beforeConv; moved == (tt.name == "read the timeline and the lists") {
			t.Errorf("%s: the conversation's mark moved %v", tt.name, moved)
		}
	}
	audit, err := s.StaffAudit(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range audit {
		if e.Action == care.ActionViewed {
			t.Errorf("Reread recorded a view: %+v", e)
		}
	}
}

// TestViewers: a mark lasts its time, a second viewer is listed beside
// the first, and Unview takes a mark away at once.
func TestViewers(t *testing.T) {
	s, _, clk := inboxStore(t)
	id := handed(t, s, alice, t0)
	viewers := func() []string {
		t.Helper()
		ms, err := s.ConversationMarks(ctx, []care.ContactID{id})
		if err != nil {
			t.Fatal(err)
		}
		return ms[0].Viewers
	}
	steps := []struct {
		name string
		do   func() error
		want []string
	}{
		{"nobody", func() error { return nil }, []string{}},
		{"Rina opens it", func() error { return s.View(ctx, id, "Rina", 30*time.Second) }, []string{"Rina"}},
		{"budi opens it 20 s later", func() error {
			clk.set(clk.Now().Add(20 * time.Second))
			return s.View(ctx, id, "budi", 30*time.Second)
		}, []string{"Rina", "budi"}},
		{"Rina's mark runs out", func() error { clk.set(clk.Now().Add(15 * time.Second)); return nil }, []string{"budi"}},
		{"budi leaves", func() error { return s.Unview(ctx, id, "budi") }, []string{}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := viewers(); !slices.Equal(got, st.want) {
			t.Errorf("%s: viewers %q, want %q", st.name, got, st.want)
		}
	}
	if err := s.View(ctx, id, "no such name!", time.Second); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("View by an invalid name: %v, want EInvalid", err)
	}
	if _, err := s.Reread(ctx, care.NewContactID()); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("Reread of an unknown contact: %v, want ENotFound", err)
	}
}
