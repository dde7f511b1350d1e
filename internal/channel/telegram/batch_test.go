package telegram

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/telegram/telegramtest"
)

// batch is a getUpdates batch of several chats, pushed before the
// channel polls so that one call returns it whole.
type batch struct {
	cc    *confirmChecker
	ids   []int
	texts map[string][]string // chat id -> its texts, in the order sent
}

// pushBatch pushes n messages from each of chats, interleaved: the first
// of every chat, then the second, and so on. Chat 101's texts are a1,
// a2, …; chat 202's b1, b2, ….
func pushBatch(s *telegramtest.Server, in *inbox, chats []int64, n int) *batch {
	b := &batch{cc: &confirmChecker{keys: map[int]string{}}, texts: map[string][]string{}}
	b.cc.watch(s, in)
	for i := 1; i <= n; i++ {
		for k, chat := range chats {
			text := fmt.Sprintf("%c%d", 'a'+k, i)
			id := fmt.Sprint(chat)
			b.ids = append(b.ids, b.cc.push(s, telegramtest.TextUpdate(chat, i, text), fmt.Sprintf("telegram:%s/%d", id, i)))
			b.texts[id] = append(b.texts[id], text)
		}
	}
	return b
}

// check checks that every update was stored once, each chat's in the
// order sent, and confirmed in order, none before it was stored.
func (b *batch) check(t *testing.T, s *telegramtest.Server, in *inbox) {
	t.Helper()
	b.cc.check(t)
	if got := s.Confirmed(); !slices.Equal(got, b.ids) {
		t.Errorf("confirmed %v, want %v", got, b.ids)
	}
	stored := map[string][]string{}
	for _, m := range in.messages() {
		stored[m.Address.ID] = append(stored[m.Address.ID], m.Text)
	}
	for chat, want := range b.texts {
		if got := stored[chat]; !slices.Equal(got, want) {
			t.Errorf("chat %s stored %v, want %v", chat, got, want)
		}
	}
	if n := in.duplicates(); n != 0 {
		t.Errorf("%d updates were stored again", n)
	}
}

func TestPollingStoresChatsAtOnceEachInOrder(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	chats := []int64{101, 202, 303, 404}
	b := pushBatch(s, in, chats, 3)
	// The first update of each chat waits until the first of every chat
	// is being stored: stored one chat after another, the batch would
	// never get past the first.
	var mu sync.Mutex
	arrived, all := 0, make(chan struct{})
	in.fail = func(ctx context.Context, m care.Inbound, attempt int) error {
		if m.MessageID != "1" || attempt > 1 {
			return nil
		}
		mu.Lock()
		if arrived++; arrived == len(chats) {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	run(t, newChannel(t, s, Config{}, in))
	eventually(t, "every update to be confirmed", func() bool { return len(s.Confirmed()) == len(b.ids) })

	b.check(t, s, in)
	for _, m := range in.messages() {
		if n := in.attemptsOf(key(m)); n != 1 {
			t.Errorf("%s handled %d times, want once", m.Text, n)
		}
	}
}

func TestPollingConfirmsNothingOfABatchBeforeItIsAllStored(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	b := pushBatch(s, in, []int64{101, 202, 303}, 3)
	held := b.ids[3] // a2
	release, holding := make(chan struct{}), make(chan struct{})
	in.fail = func(ctx context.Context, m care.Inbound, attempt int) error {
		if m.Text != "a2" {
			return nil
		}
		if attempt == 1 {
			close(holding)
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	run(t, newChannel(t, s, Config{}, in))
	<-holding
	// The other chats go on, and so does a1, before a2 in its chat.
	eventually(t, "every other update to be stored", func() bool {
		return in.isStored("telegram:101/1") && in.isStored("telegram:202/3") && in.isStored("telegram:303/3")
	})
	if in.isStored("telegram:101/3") {
		t.Error("a3 was stored before a2")
	}
	for _, call := range s.Calls("getUpdates") {
		if offset := call.Form.Get("offset"); offset != "" && mustAtoi(t, offset) > held {
			t.Errorf("getUpdates with offset %s while update %d was not stored", offset, held)
		}
	}
	later := b.cc.push(s, telegramtest.TextUpdate(505, 1, "e1"), "telegram:505/1")
	b.ids, b.texts["505"] = append(b.ids, later), []string{"e1"}
	close(release)
	eventually(t, "every update to be confirmed", func() bool { return len(s.Confirmed()) == len(b.ids) })

	b.check(t, s, in)
	if n := in.attemptsOf("telegram:101/2"); n != 1 {
		t.Errorf("a2 handled %d times, want once", n)
	}
}

func TestPollingOneChatFailingLosesNoOther(t *testing.T) {
	s := telegramtest.NewServer(t)
	in := newInbox()
	b := pushBatch(s, in, []int64{101, 202, 303}, 3)
	var mu sync.Mutex
	storeUp := false
	in.fail = func(_ context.Context, m care.Inbound, _ int) error {
		mu.Lock()
		defer mu.Unlock()
		if m.Address.ID == "101" && m.MessageID == "1" && !storeUp {
			return errStoreDown
		}
		return nil
	}
	run(t, newChannel(t, s, Config{}, in))
	eventually(t, "the other chats to be stored, and a1 retried", func() bool {
		return in.isStored("telegram:202/3") && in.isStored("telegram:303/3") && in.attemptsOf("telegram:101/1") >= 3
	})
	if in.isStored("telegram:101/2") {
		t.Error("a2 was stored while a1 was not")
	}
	if got := s.Confirmed(); slices.Contains(got, b.ids[0]) {
		t.Errorf("confirmed %v while a1 was not stored", got)
	}
	mu.Lock()
	storeUp = true
	mu.Unlock()
	eventually(t, "every update to be confirmed", func() bool { return len(s.Confirmed()) == len(b.ids) })

	b.check(t, s, in)
	for _, k := range []string{"telegram:202/1", "telegram:202/2", "telegram:202/3", "telegram:303/1", "telegram:303/2", "telegram:303/3", "telegram:101/2", "telegram:101/3"} {
		if n := in.attemptsOf(k); n != 1 {
			t.Errorf("%s handled %d times, want once", k, n)
		}
	}
}

func TestPollingTapAnswerHoldsUpNothing(t *testing.T) {
	s := telegramtest.NewServer(t)
	// The Bot API holds every answerCallbackQuery until release.
	release := make(chan struct{})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/answerCallbackQuery") {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Cleanup(func() { close(release) })
	in := newInbox()
	// The answer gives up after cosmeticTimeout, and the message after
	// the tap must not wait for that.
	var gaveUp atomic.Bool
	in.fail = func(_ context.Context, m care.Inbound, _ int) error {
		if m.MessageID == "8" && gaveUp.Load() {
			t.Error("the message after the tap was stored only once the tap's answer gave up")
		}
		return nil
	}
	cfg := Config{Token: telegramtest.Token, APIURL: front.URL, OnCosmeticFailure: func(string) { gaveUp.Store(true) }}
	c, err := New(t.Context(), cfg, in, testLog(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tap := s.Push(telegramtest.CallbackUpdate(4242, "5843920187", "hours"))
	next := s.Push(telegramtest.TextUpdate(4242, 8, "ada baju merah?"))
	run(t, c)
	// The tap's chat goes on, and so does polling: both updates are
	// confirmed, and a later one is stored, while the answer waits.
	eventually(t, "the tap and the message after it to be confirmed", func() bool {
		return slices.Equal(s.Confirmed(), []int{tap, next})
	})
	later := s.Push(telegramtest.TextUpdate(4242, 9, "yang merah"))
	eventually(t, "a later update to be stored", func() bool { return in.isStored("telegram:4242/9") })
	if got := s.Calls("answerCallbackQuery"); len(got) != 0 {
		t.Fatalf("answerCallbackQuery answered %d times while the Bot API held it", len(got))
	}
	release <- struct{}{}
	eventually(t, "the tap to be answered", func() bool { return len(s.Calls("answerCallbackQuery")) == 1 })
	eventually(t, "the later update to be confirmed", func() bool { return slices.Contains(s.Confirmed(), later) })
	if got := s.Calls("answerCallbackQuery")[0].Form.Get("callback_query_id"); got != "5843920187" {
		t.Errorf("answered callback query %q, want 5843920187", got)
	}
	if gaveUp.Load() {
		t.Error("the answer failed")
	}
}
