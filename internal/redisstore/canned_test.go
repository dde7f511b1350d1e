package redisstore

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

func TestCannedReplies(t *testing.T) {
	s, _, clk := inboxStore(t)
	if rs, err := s.CannedReplies(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("empty list: %v, %v", rs, err)
	}
	saved, err := s.SaveCannedReply(ctx, care.CannedReply{Name: "Ongkir", Text: "Ongkir Rp10.000, {{contact.name}}.",
		Texts: map[string]string{"en": "Shipping is Rp10,000."}, By: "Sari"})
	if err != nil {
		t.Fatal(err)
	}
	if saved.Name != "ongkir" || !saved.Updated.Equal(t0) || saved.By != "Sari" {
		t.Errorf("saved %+v, want the name lower-cased, stamped at t0 by Sari", saved)
	}
	if _, err := s.SaveCannedReply(ctx, care.CannedReply{Name: "jam-buka", Text: "Buka 08.00-17.00"}); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(time.Hour))
	if _, err := s.SaveCannedReply(ctx, care.CannedReply{Name: "ONGKIR", Text: "Ongkir gratis!"}); err != nil {
		t.Fatal(err)
	}
	rs, err := s.CannedReplies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Name != "jam-buka" || rs[1].Name != "ongkir" || rs[1].Text != "Ongkir gratis!" || rs[1].Texts != nil || !rs[1].Updated.Equal(t0.Add(time.Hour)) {
		t.Errorf("list %+v, want jam-buka, then ongkir replaced", rs)
	}

	_, badErr := s.SaveCannedReply(ctx, care.CannedReply{Name: "x", Text: "{{nama}}"})
	for _, tt := range []struct {
		name string
		err  error
		code string
	}{
		{"a bad reply", badErr, care.EInvalid},
		{"deleting one that is not there", s.DeleteCannedReply(ctx, "tidak-ada"), care.ENotFound},
		{"deleting by a bad name", s.DeleteCannedReply(ctx, "a b"), care.EInvalid},
	} {
		if care.ErrorCode(tt.err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, tt.err, tt.code)
		}
	}
	if err := s.DeleteCannedReply(ctx, "Jam-Buka"); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.CannedReplies(ctx); len(rs) != 1 || rs[0].Name != "ongkir" {
		t.Errorf("after deleting jam-buka: %+v", rs)
	}
}

// TestCannedRepliesBounded fills the list from many clients at once: no
// more than the most are kept, and a full list still lets a reply be
// replaced.
func TestCannedRepliesBounded(t *testing.T) {
	s, _, _ := inboxStore(t)
	var wg sync.WaitGroup
	errs := make([]error, care.MaxCannedReplies+20)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = s.SaveCannedReply(ctx, care.CannedReply{Name: fmt.Sprintf("r%03d", i), Text: "teks"})
		})
	}
	wg.Wait()
	refused := 0
	for _, err := range errs {
		switch care.ErrorCode(err) {
		case "":
		case care.EConflict:
			refused++
		default:
			t.Fatal(err)
		}
	}
	rs, err := s.CannedReplies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != care.MaxCannedReplies || refused != 20 {
		t.Errorf("%d kept, %d refused; want %d and 20", len(rs), refused, care.MaxCannedReplies)
	}
	if _, err := s.SaveCannedReply(ctx, care.CannedReply{Name: rs[0].Name, Text: "baru"}); err != nil {
		t.Errorf("replacing one in a full list: %v", err)
	}
}
