package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/flows"
	"github.com/mitra-care/mitra/internal/browsertest"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/sim"
	"github.com/mitra-care/mitra/internal/flow"
	"github.com/mitra-care/mitra/internal/inbound"
	"github.com/mitra-care/mitra/internal/outreach"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

// runtimeSim is the simulator over the real runtime and store, as the
// app wires it.
type runtimeSim struct {
	rt    *inbound.Runtime
	store *redisstore.Store
}

func (s runtimeSim) Submit(ctx context.Context, in care.Inbound) error { return s.rt.Handle(ctx, in) }

func (s runtimeSim) Messages(ctx context.Context, a care.Address, after int64, max int) ([]care.SimMessage, error) {
	return s.store.After(ctx, a, after, max)
}

// inboxApp serves Mitra as `mitra serve --simulator` does, over a real
// Redis: the shipped flows, the runtime, the sender delivering to the
// simulator, the owner sari and the staff rina and budi, and the
// server's own timeouts.
func inboxApp(t *testing.T) string {
	t.Helper()
	client, prefix := redistest.Client(t)
	store := redisstore.New(client, prefix, redisstore.WithTranscript(24*time.Hour))
	set, err := flow.Load(flows.FS, inbound.FlowOptions)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	wib := time.FixedZone("WIB", 7*3600)
	rt := inbound.New(inbound.Config{Lang: "id", SessionTTL: time.Hour, StaffHold: time.Hour, StaffIdle: time.Hour,
		Transcript: 24 * time.Hour, TimeZone: wib, Logger: quiet}, set, store)
	t.Cleanup(rt.Close)
	sender := outreach.NewSender(outreach.SenderConfig{Outbox: store, Limiter: store, Simulator: sim.New(store, nil),
		Gate: outreach.NewGate(outreach.GateConfig{TimeZone: wib}), OptOutLine: func(string) string { return "" },
		Consumer: "browser-test", Logger: quiet})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sender.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done })
	st := store.Staff(redisstore.WithBcryptCost(bcrypt.MinCost))
	for _, a := range []struct {
		name string
		role care.StaffRole
	}{{"sari", care.RoleOwner}, {"rina", care.RoleStaff}, {"budi", care.RoleStaff}} {
		if _, err := st.AddStaff(t.Context(), a.name, a.role, staffPassword); err != nil {
			t.Fatal(err)
		}
	}
	s := New(Config{Simulator: runtimeSim{rt, store}, Staff: st, Inbox: store, Live: store, Canned: store, Resume: rt.Resume,
		HandbackFlows: []string{"menu"}, ShopName: set.ShopName(), TimeZone: wib, Logger: quiet})
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 30*time.Second, 30*time.Second
	srv.Start()
	t.Cleanup(func() {
		s.EndStreams()
		srv.Close()
	})
	return srv.URL
}

// customer sends the simulator what a customer on WhatsApp writes: a
// text, or a choice as "choice:ID".
func customer(t *testing.T, base, user, msg string) {
	t.Helper()
	body := map[string]string{"user": user, "channel": "whatsapp", "id": fmt.Sprintf("%s-%d", user, time.Now().UnixNano())}
	if c, ok := strings.CutPrefix(msg, "choice:"); ok {
		body["choice"] = c
	} else {
		body["text"] = msg
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/api/sim/messages", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s writes %q: %s", user, msg, resp.Status)
	}
}

// received returns what the simulator delivered to user after seq.
func received(t *testing.T, base, user string, after int64) []care.SimMessage {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/sim/messages?user=%s&after=%d", base, user, after))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r simMessages
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r.Messages
}

// receives waits until the simulator delivered to user, after seq, a
// message containing text, and returns the last seq.
func receives(t *testing.T, base, user string, after int64, text string) int64 {
	t.Helper()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		for _, m := range received(t, base, user, after) {
			if strings.Contains(m.Text, text) {
				return m.Seq
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not receive %q; got %+v", user, text, received(t, base, user, after))
	return 0
}

// lastSeq is the seq of the last message user received.
func lastSeq(t *testing.T, base, user string) int64 {
	t.Helper()
	ms := received(t, base, user, 0)
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Seq
}

// pausedBanner waits for the banner saying, in both languages, that
// live updates are paused, and checks it came about 20 s after the page
// loaded.
func pausedBanner(t *testing.T, ctx context.Context, loaded time.Time) {
	t.Helper()
	until(t, ctx, "the banner says updates are paused", `!document.getElementById('banner').hidden`)
	if d := time.Since(loaded); d < 19*time.Second {
		t.Errorf("the banner showed after %v, want about 20 s", d)
	}
	if b := eval[string](t, ctx, `document.getElementById('banner').textContent`); !strings.Contains(b, "menyambung ulang") || !strings.Contains(b, "Updates paused") {
		t.Errorf("banner %q", b)
	}
}

// until waits for a JavaScript expression to be true on the page, as
// long as patience.
func until(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("%s: not so after %v (%v)", what, time.Since(deadline.Add(-patience)).Round(time.Millisecond), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// press clicks the element sel selects once it is there, shown and
// enabled. It finds and clicks it in one step in the page: the live
// updates replace parts of the page at any moment, so a node found by
// one call may be gone by the next.
func press(sel string) chromedp.Action[chromedp.Void] {
	js := `(() => {
  const n = document.querySelector(` + jsString(sel) + `);
  if (!n || n.disabled || !n.getClientRects().length) return false;
  n.click();
  return true;
})()`
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		deadline := time.Now().Add(patience)
		for {
			done, err := chromedp.Evaluate[bool](js)(ctx, t)
			if err == nil && done {
				return nil
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("nothing to press at %s after %v (%v)", sel, patience, err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// fakeNotifications stands in for the browser's notifications on every
// page the tab opens: permission granted, each one recorded in
// window.notes, no service worker.
func fakeNotifications(t *testing.T, ctx context.Context) {
	t.Helper()
	const script = `
window.notes = [];
window.Notification = class {
  static permission = 'granted';
  static requestPermission() { return Promise.resolve('granted'); }
  constructor(title, opts) { window.notes.push({title, body: (opts || {}).body}); }
  close() {}
};
if (navigator.serviceWorker) navigator.serviceWorker.register = () => Promise.reject(new Error('none in tests'));`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
		t.Fatal(err)
	}
}

// logIn signs in through the login page of the tab.
func logIn(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	navigate(t, ctx, "open the login page", chromedp.Navigate(base+"/login"))
	step(t, ctx, "type "+name+"'s name and password",
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("password"), staffPassword),
	)
	navigate(t, ctx, "log in", press("#login"))
}

const (
	desktop = "desktop"
	phone   = "phone"
)

// viewport sizes the tab as a desk's screen or a phone's.
func viewport(t *testing.T, ctx context.Context, kind string) {
	t.Helper()
	a := chromedp.EmulateViewport(1280, 800)
	if kind == phone {
		a = chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	step(t, ctx, "size the tab as a "+kind, a)
}

// TestInboxInBrowser is a shift at the shop: the owner writes a canned
// reply, staff log in, a customer asks for a person in the simulator
// and shows up as waiting without a reload, rina takes over, the
// customer's next words show up while the bot keeps quiet, rina's reply
// reaches the customer, her note does not, budi sees that rina holds
// it, on a phone rina picks the canned reply, edits and sends it, and
// once she hands back the bot answers again. Screenshots at a desk's
// and a phone's width.
//
// Every click finds its element and clicks it in one step (press), and
// every check waits for the page to show what it must (until): the live
// updates may replace any part of the page in between.
func TestInboxInBrowser(t *testing.T) {
	start := time.Now()
	base := inboxApp(t)
	ctx := browsertest.New(t)
	consoleErrors := watchConsole(ctx)
	fakeNotifications(t, ctx)

	// The owner, in a browser of her own, writes a canned reply.
	owner, cancelOwner := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelOwner()
	logIn(t, owner, base, "sari")
	navigate(t, owner, "the owner opens the canned replies", chromedp.Navigate(base+"/console/canned"))
	const salam = "Halo {{contact.name}}, terima kasih sudah menghubungi {{shop.name}}."
	step(t, owner, "write a canned reply",
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "salam"),
		chromedp.SendKeys(chromedp.ID("text"), salam),
	)
	navigate(t, owner, "save it", press("#save"))
	if n := eval[string](t, owner, `document.getElementById('notice').textContent`); !strings.Contains(n, "tersimpan") {
		t.Fatalf("the owner's notice %q after saving", n)
	}
	cancelOwner()

	viewport(t, ctx, desktop)
	logIn(t, ctx, base, "rina")
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != base+"/console" {
		t.Fatalf("after logging in at %s", loc)
	}
	eval[bool](t, ctx, `window.samePage = true`)
	rowNames := `Array.from(document.querySelectorAll('#list-waiting .row-name'), n => n.textContent)`

	// rina asks for a code to link her own chat for alerts.
	step(t, ctx, "link my chat", press("#link-chat"))
	until(t, ctx, "the code shows with what to send", `!document.getElementById('link-panel').hidden && /Kirim LINK [0-9]{6} ke bot toko dari Telegram atau WhatsApp Anda \(berlaku 15 menit\)/.test(document.getElementById('link-panel').textContent)`)
	screenshot(t, ctx, "link-chat.png")
	step(t, ctx, "close the code", press("#link-close"))
	until(t, ctx, "the code is gone, the page the same", `document.getElementById('link-panel').hidden && window.samePage`)

	// Two customers ask for a person; the queue shows them as they do.
	customer(t, base, "ani", "halo")
	customer(t, base, "ani", "choice:person")
	until(t, ctx, "ani waits, on the page without a reload", rowNames+`.includes('ani') && window.samePage`)
	customer(t, base, "dewi", "halo")
	customer(t, base, "dewi", "bisa ngobrol sama admin?")
	until(t, ctx, "dewi waits too", rowNames+`.includes('dewi')`)
	if n := eval[string](t, ctx, `document.getElementById('count-waiting').textContent`); n != "2" {
		t.Errorf("waiting count %q, want 2", n)
	}
	// The notifications gather what came close together, and come at
	// most every 5 s: ani's, then dewi's (or one naming both).
	named := `window.notes.map(n => n.title + ' ' + n.body).join('|')`
	until(t, ctx, "notifications name ani and dewi", named+`.includes('ani') && `+named+`.includes('dewi')`)
	notes := eval[[]map[string]string](t, ctx, `window.notes`)
	if len(notes) > 2 || !strings.Contains(strings.ToLower(notes[0]["title"]), "pelanggan menunggu") {
		t.Errorf("notifications %v, want at most one per conversation, saying pelanggan menunggu", notes)
	}
	screenshot(t, ctx, "queue-desktop.png")

	// rina opens ani's conversation and takes it over.
	navigate(t, ctx, "open ani's conversation", press(`#list-waiting a.row[href]`))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	id, ok := strings.CutPrefix(loc, base+"/console/c/")
	if !ok || eval[string](t, ctx, `document.getElementById('conv-title').textContent`) != "ani" {
		t.Fatalf("at %s, want ani's conversation", loc)
	}
	if v := eval[bool](t, ctx, `getComputedStyle(document.querySelector('#composer .compose-row')).display === 'none' && getComputedStyle(document.getElementById('canned')).display === 'none'`); !v {
		t.Error("the reply box, or its canned replies, show before rina took the conversation over")
	}
	step(t, ctx, "take over", press("#takeover"))
	until(t, ctx, "rina holds it", `!!document.querySelector('#holder-text.mine')`)
	seq := lastSeq(t, base, "ani")
	customer(t, base, "ani", "ada telur omega? <i>yang besar</i>")
	until(t, ctx, "ani's words show up live", `Array.from(document.querySelectorAll('#conv-timeline li.in .text'), n => n.textContent).includes('ada telur omega? <i>yang besar</i>')`)
	if eval[bool](t, ctx, `!!document.querySelector('#conv-timeline li.in .text i')`) {
		t.Error("the customer's HTML became markup")
	}

	// An empty reply is refused with why; a reply goes to the customer.
	step(t, ctx, "press Enter with nothing typed", chromedp.Focus(chromedp.ID("text")), pressEnter)
	until(t, ctx, "the reason shows", `!document.getElementById('composer-error').hidden && document.getElementById('composer-error').textContent.includes('kosong')`)
	reply := "Ada, Kak. <b>Rp29.000</b>/kg, mau berapa?"
	step(t, ctx, "type a reply and press Enter", chromedp.SendKeys(chromedp.ID("text"), reply), pressEnter)
	until(t, ctx, "the reply shows as rina's", `Array.from(document.querySelectorAll('#conv-timeline li.staff .text'), n => n.textContent).includes(`+jsString(reply)+`)`)
	if eval[string](t, ctx, `document.getElementById('text').value`) != "" || !eval[bool](t, ctx, `document.getElementById('composer-error').hidden`) {
		t.Error("the box is not empty, or the old reason still shows, after sending")
	}
	next := receives(t, base, "ani", seq, reply)
	// While rina holds it the bot keeps quiet: her reply is the first
	// thing ani got since her words.
	if got := received(t, base, "ani", seq); got[0].Text != reply {
		t.Errorf("while rina holds it the bot said %+v", got)
	}
	seq = next

	// A private note: on the page, never to the customer.
	step(t, ctx, "write a private note",
		press(`input[name="mode"][value="note"]`),
		chromedp.SendKeys(chromedp.ID("text"), "Pelanggan lama, biasa ambil 2 kg."),
		press("#save-note"),
	)
	until(t, ctx, "the note shows, private", `Array.from(document.querySelectorAll('#conv-timeline li.note'), n => n.textContent).some(s => s.includes('biasa ambil 2 kg') && s.includes('Catatan pribadi'))`)
	step(t, ctx, "back to replying", press(`input[name="mode"][value="reply"]`))
	until(t, ctx, "the canned replies are offered again", `getComputedStyle(document.getElementById('canned')).display !== 'none'`)
	screenshot(t, ctx, "conversation-desktop.png")

	// budi, in a browser of his own, sees that rina holds it; rina sees
	// him there.
	other, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	viewport(t, other, desktop)
	logIn(t, other, base, "budi")
	navigate(t, other, "budi opens ani's conversation", chromedp.Navigate(base+"/console/c/"+id))
	if h := eval[string](t, other, `document.getElementById('holder-text').textContent`); !strings.Contains(h, "rina holds this") {
		t.Errorf("budi reads %q, want rina holds this", h)
	}
	if eval[bool](t, other, `!!document.getElementById('takeover') || getComputedStyle(document.querySelector('#composer .compose-row')).display !== 'none'`) {
		t.Error("budi can take over or reply while rina holds it")
	}
	until(t, ctx, "rina sees budi viewing", `document.getElementById('conv-viewers').textContent.includes('budi')`)
	screenshot(t, other, "conversation-other.png")

	// The same on a phone: the queue alone, then the conversation alone,
	// its reply box at the bottom.
	viewport(t, ctx, phone)
	navigate(t, ctx, "the queue on a phone", chromedp.Navigate(base+"/console"))
	if eval[bool](t, ctx, `getComputedStyle(document.getElementById('conv')).display !== 'none'`) {
		t.Error("the phone's queue shows the conversation pane too")
	}
	screenshot(t, ctx, "queue-phone.png")
	navigate(t, ctx, "the conversation on a phone", chromedp.Navigate(base+"/console/c/"+id))
	if eval[bool](t, ctx, `getComputedStyle(document.querySelector('.queue')).display !== 'none'`) || !eval[bool](t, ctx, `document.querySelector('.back').offsetWidth > 0`) {
		t.Error("the phone's conversation is not full-screen with a back link")
	}
	if gap := eval[float64](t, ctx, `innerHeight - document.getElementById('composer').getBoundingClientRect().bottom`); gap < 0 || gap > 1 {
		t.Errorf("the reply box ends %.0f px above the bottom of a phone's screen", gap)
	}
	if eval[bool](t, ctx, `getComputedStyle(document.getElementById('send')).display === 'none'`) {
		t.Error("no send button on a phone")
	}
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the conversation is %d px wide on a 390 px phone", w)
	}
	screenshot(t, ctx, "conversation-phone.png")

	// On the phone rina picks the canned reply: written for ani, in the
	// box, where she adds to it before she sends it.
	shop := eval[string](t, ctx, `document.querySelector('.brand-text strong').textContent`)
	want := strings.NewReplacer("{{contact.name}}", "ani", "{{shop.name}}", shop).Replace(salam)
	step(t, ctx, "open the canned replies", press("#canned-open"))
	until(t, ctx, "the list shows, within the screen", `(() => {
  const r = document.getElementById('canned-list').getBoundingClientRect();
  return document.getElementById('canned').open && r.height > 0 && r.left >= 0 && r.right <= innerWidth && r.top >= 0;
})()`)
	screenshot(t, ctx, "canned-phone.png")
	step(t, ctx, "pick salam", press(`.canned-pick[data-name="salam"]`))
	until(t, ctx, "the box holds salam written for ani, the list closed", `document.getElementById('text').value === `+jsString(want)+` && !document.getElementById('canned').open`)
	sent := want + " Mau pesan berapa kg?"
	step(t, ctx, "add to it and send", chromedp.SendKeys(chromedp.ID("text"), " Mau pesan berapa kg?"), press("#send"))
	until(t, ctx, "the reply shows as rina's", `Array.from(document.querySelectorAll('#conv-timeline li.staff .text'), n => n.textContent).includes(`+jsString(sent)+`) && document.getElementById('text').value === ''`)
	seq = receives(t, base, "ani", seq, sent)

	viewport(t, ctx, desktop)
	navigate(t, ctx, "back at the desk", chromedp.Reload())

	// rina hands back, the menu first: the bot answers again at once.
	if f := eval[string](t, ctx, `document.getElementById('flow').value`); f != "menu" {
		t.Errorf("hand-back offers %q first, want menu", f)
	}
	step(t, ctx, "hand back", press("#handback"))
	until(t, ctx, "the bot answers it", `document.getElementById('holder-text').classList.contains('state-bot')`)
	seq = receives(t, base, "ani", seq, "Ada yang bisa")
	customer(t, base, "ani", "jam buka")
	receives(t, base, "ani", seq, "Kami buka")
	until(t, other, "budi's page shows the bot answering too", `!!document.getElementById('holder-text') && document.getElementById('holder-text').classList.contains('state-bot')`)

	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the pages logged errors:\n%s", strings.Join(errs, "\n"))
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestInboxFallbackInBrowser puts a proxy in front that kills the live
// stream: after 20 s the page says updates are paused and polls, and
// once the stream gets through again the banner goes.
func TestInboxFallbackInBrowser(t *testing.T) {
	s := newConsoleServer(t)
	srv, broken := brokenStream(t, s)
	ctx := browsertest.New(t)
	viewport(t, ctx, desktop)
	logIn(t, ctx, srv.URL, "rina")
	loaded := time.Now()
	rows := `Array.from(document.querySelectorAll('#list-waiting .row-name'), n => n.textContent)`
	s.handsOver(t, dian, "Dian", "halo")
	// What must not happen yet: nothing to wait for but time.
	time.Sleep(3 * time.Second)
	if eval[bool](t, ctx, rows+`.includes('Dian')`) || !eval[bool](t, ctx, `document.getElementById('banner').hidden`) {
		t.Fatal("without a stream the page changed, or said so, before 20 s")
	}
	pausedBanner(t, ctx, loaded)
	until(t, ctx, "the queue comes by polling", rows+`.includes('Dian')`)
	screenshot(t, ctx, "queue-paused.png")

	broken.Store(false)
	until(t, ctx, "the stream is back and the banner gone", `document.getElementById('banner').hidden`)
	s.handsOver(t, care.Address{Channel: care.Telegram, ID: "5550002"}, "Eko", "halo")
	until(t, ctx, "a new conversation shows up live again", rows+`.includes('Eko')`)
}

// brokenStream serves s behind a proxy that answers 502 to the live
// stream while broken is set (it starts set).
func brokenStream(t *testing.T, s *consoleServer) (*httptest.Server, *atomic.Bool) {
	t.Helper()
	broken := new(atomic.Bool)
	broken.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() && r.URL.Path == "/console/events" {
			http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.EndStreams()
		srv.Close()
	})
	return srv, broken
}
