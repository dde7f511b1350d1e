package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/mitra-care/mitra/internal/browsertest"
	"github.com/mitra-care/mitra/internal/care"
)

// shopBot answers like a small shop's menu: "halo" gets a question with
// two choices, and each choice an answer.
func shopBot(in care.Inbound) []care.SimMessage {
	now := time.Now()
	switch {
	case in.Kind == care.KindText && strings.EqualFold(in.Text, "halo"):
		return []care.SimMessage{{
			Text:    "Halo, selamat datang di Toko Sari! 👋\nAda yang bisa saya bantu? Pilih salah satu, atau ketik nomornya:",
			Choices: []care.Choice{{ID: "hours", Label: "Jam buka"}, {ID: "order", Label: "Cara pesan"}},
			At:      now,
		}}
	case in.Kind == care.KindChoice && in.Choice == "hours":
		return []care.SimMessage{{Text: "Kami buka setiap hari pukul 08.00–20.00.\nAlamat: Jl. Melati No. 12, Yogyakarta.", At: now}}
	case in.Kind == care.KindSticker:
		return []care.SimMessage{{Text: "Maaf, saya hanya bisa membaca teks. Ketik MENU untuk melihat pilihan.", At: now}}
	}
	return []care.SimMessage{{Text: "Maaf, saya belum mengerti. Ketik MENU untuk melihat pilihan.", At: now}}
}

// browserServer serves the simulator over HTTP with shopBot behind it.
func browserServer(t *testing.T) (*fakeSim, string) {
	f := &fakeSim{reply: shopBot}
	srv := httptest.NewServer(New(Config{Simulator: f, ShopName: "Toko Sari", Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// step runs browser actions and fails the test with what it was doing.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// navigate runs actions that load a new page and waits for it.
func navigate(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != 200 {
		t.Fatalf("%s: HTTP %d", what, resp.Status)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// pressEnter presses Enter as a person does. SendKeys would also send a
// char event, which types a new line even when the page cancels the key.
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		})
		if err != nil {
			return err
		}
	}
	return nil
})

// screenshot saves the page as name in a temporary directory, and in
// MITRA_SCREENSHOT_DIR when that is set, for a person to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("MITRA_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot %s in %s", name, strings.Join(dirs, ", "))
}

// watchConsole collects the page's script errors and exceptions (a
// Content-Security-Policy violation is one). Failed requests are left out:
// the tests answer 503 on purpose.
func watchConsole(ctx context.Context) func() []string {
	var mu sync.Mutex
	var bad []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && m.Source != "network" {
				mu.Lock()
				bad = append(bad, m.String())
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(bad)
	}
}

// TestSimulatorInBrowser drives the page in a real headless Chromium with
// its script: WhatsApp look, a sent text, a tapped choice, a reload, then
// the Telegram look with the server unavailable for a moment.
func TestSimulatorInBrowser(t *testing.T) {
	start := time.Now()
	f, base := browserServer(t)
	ctx := browsertest.New(t)
	consoleErrors := watchConsole(ctx)
	// Without animations a screenshot never catches a bubble fading in.
	reduceMotion := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, reduceMotion); err != nil {
		t.Fatal(err)
	}
	page := base + "/?user=budi&channel=whatsapp"

	navigate(t, ctx, "open the WhatsApp look",
		chromedp.EmulateViewport(412, 860, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(page),
	)
	if class := eval[string](t, ctx, `document.getElementById('chat-header').className`); !strings.Contains(class, "is-whatsapp") {
		t.Errorf("header class %q, want is-whatsapp", class)
	}
	waHeader := eval[string](t, ctx, `getComputedStyle(document.getElementById('chat-header')).backgroundColor`)

	step(t, ctx, "send halo",
		chromedp.WaitVisible(chromedp.ID("text")),
		chromedp.SendKeys(chromedp.ID("text"), "halo"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.CSS(`#log li.msg.me`)),
		chromedp.WaitVisible(chromedp.CSS(`#log li.msg.bot[data-seq="1"] .choices button[value="hours"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#log li.msg.me.sent`)),
	)
	if got := eval[string](t, ctx, `document.querySelector('#log li.msg.bot .numbered').innerText`); got != "1. Jam buka\n2. Cara pesan" {
		t.Errorf("numbered choices %q", got)
	}
	if got := eval[string](t, ctx, `document.getElementById('text').value`); got != "" {
		t.Errorf("text box still holds %q after sending", got)
	}

	step(t, ctx, "tap a choice",
		chromedp.Click(chromedp.CSS(`#log li.msg.bot[data-seq="1"] button[value="hours"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#log li.msg.bot[data-seq="2"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#log li.typing`)),
	)
	got := f.got()
	if len(got) != 2 || got[0].Kind != care.KindText || got[0].Text != "halo" || got[1].Kind != care.KindChoice || got[1].Choice != "hours" {
		t.Fatalf("simulator got %+v, want the text halo then the choice hours", got)
	}
	for _, in := range got {
		if !strings.HasPrefix(in.MessageID, "w-") || in.Address != wa("budi") {
			t.Errorf("message %+v did not come from the script for budi", in)
		}
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || loc != page {
		t.Errorf("location %q (%v), want the page to stay at %q", loc, err, page)
	}

	// The visitor's own lines survive a reload, each after the bot message
	// it followed.
	wantOrder := []string{"me:halo", "bot:1", "me:Jam buka", "bot:2"}
	order := `Array.from(document.querySelectorAll('#log > li')).map(li => li.classList.contains('me') ? 'me:' + li.querySelector('.text').textContent : 'bot:' + li.dataset.seq)`
	if o := eval[[]string](t, ctx, order); !slices.Equal(o, wantOrder) {
		t.Errorf("conversation %q, want %q", o, wantOrder)
	}
	screenshot(t, ctx, "sim-whatsapp.png")
	step(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#log li.msg.me`)))
	if o := eval[[]string](t, ctx, order); !slices.Equal(o, wantOrder) {
		t.Errorf("after a reload: conversation %q, want %q", o, wantOrder)
	}

	// Telegram, with the server unavailable for the first two tries: the
	// page says it is reconnecting and sends the same message again.
	f.mu.Lock()
	f.unavailable = 2
	f.mu.Unlock()
	navigate(t, ctx, "switch to Telegram", chromedp.Click(chromedp.ID("to-telegram")))
	if class := eval[string](t, ctx, `document.getElementById('chat-header').className`); !strings.Contains(class, "is-telegram") || strings.Contains(class, "is-whatsapp") {
		t.Errorf("header class %q, want is-telegram", class)
	}
	if tgHeader := eval[string](t, ctx, `getComputedStyle(document.getElementById('chat-header')).backgroundColor`); tgHeader == waHeader {
		t.Errorf("header color %s is the same on both channels", tgHeader)
	}
	step(t, ctx, "send halo with Enter while the server is unavailable",
		chromedp.WaitVisible(chromedp.ID("text")),
		chromedp.SendKeys(chromedp.ID("text"), "halo"),
		pressEnter,
		chromedp.WaitVisible(chromedp.ID("status")),
	)
	if s := eval[string](t, ctx, `document.getElementById('status').textContent`); s != "menyambung ulang…" {
		t.Errorf("status %q while the server is unavailable", s)
	}
	step(t, ctx, "wait for the reply and its inline keyboard",
		chromedp.WaitVisible(chromedp.CSS(`#log li.msg.bot .choices button[value="order"]`)),
		chromedp.WaitNotVisible(chromedp.ID("status")),
	)
	if got := eval[string](t, ctx, `document.getElementById('text').value`); got != "" {
		t.Errorf("text box holds %q after sending with Enter", got)
	}
	if d := eval[string](t, ctx, `getComputedStyle(document.querySelector('#log .numbered')).display`); d != "none" {
		t.Errorf("numbered choices show in the Telegram look (display %s)", d)
	}
	got = f.got()
	if len(got) != 3 || got[2].Address.Channel != care.Telegram || got[2].Text != "halo" {
		t.Fatalf("simulator got %+v, want a third message, halo on Telegram", got)
	}
	f.mu.Lock()
	attempts := f.attempts
	f.mu.Unlock()
	if attempts != 5 {
		t.Errorf("%d Submit calls, want 5: two messages, then one sent three times", attempts)
	}
	screenshot(t, ctx, "sim-telegram.png")

	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}

// TestSimulatorWithoutJavaScript uses the page with scripts off: the
// visitor picks an id and a channel, sends with the form and taps choices
// that are plain submit buttons.
func TestSimulatorWithoutJavaScript(t *testing.T) {
	f, base := browserServer(t)
	ctx := browsertest.New(t)
	consoleErrors := watchConsole(ctx)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}

	navigate(t, ctx, "open the page", chromedp.EmulateViewport(412, 860), chromedp.Navigate(base+"/"))
	if v := eval[string](t, ctx, `document.getElementById('user').value`); !strings.HasPrefix(v, "tamu-") {
		t.Errorf("suggested id %q, want tamu-NNNN", v)
	}
	step(t, ctx, "pick an id and Telegram",
		chromedp.SetValue(chromedp.ID("user"), "sari"),
		chromedp.Click(chromedp.CSS(`label[for="pick-tg"]`)),
	)
	navigate(t, ctx, "start", chromedp.Click(chromedp.CSS(`button.start`)))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != base+"/?user=sari&channel=telegram" {
		t.Errorf("location %q after picking", loc)
	}

	step(t, ctx, "type", chromedp.SendKeys(chromedp.ID("text"), "halo"))
	navigate(t, ctx, "send with the form", chromedp.Click(chromedp.ID("send")))
	navigate(t, ctx, "tap a choice", chromedp.Click(chromedp.CSS(`#log li.msg.bot button[value="hours"]`)))
	step(t, ctx, "open the attachment menu", chromedp.Click(chromedp.CSS(`#attach summary`)))
	navigate(t, ctx, "send a sticker", chromedp.Click(chromedp.CSS(`#attach button[value="sticker"]`)))

	texts := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#log li.msg.bot .text')).map(p => p.textContent)`)
	if len(texts) != 3 || !strings.HasPrefix(texts[1], "Kami buka") || !strings.HasPrefix(texts[2], "Maaf, saya hanya") {
		t.Errorf("bot messages on the page: %q", texts)
	}
	got := f.got()
	kinds := make([]care.Kind, len(got))
	for i, in := range got {
		kinds[i] = in.Kind
		if in.Address != (care.Address{Channel: care.Telegram, ID: "sim-sari"}) {
			t.Errorf("message from %s, want telegram:sim-sari", in.Address)
		}
	}
	if want := []care.Kind{care.KindText, care.KindChoice, care.KindSticker}; !slices.Equal(kinds, want) {
		t.Errorf("simulator got kinds %v, want %v", kinds, want)
	}
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// statusLog records the status of every request a handler answers.
type statusLog struct {
	mu  sync.Mutex
	got []string
}

// wrap returns h, recording "METHOD path status" for each request.
func (l *statusLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		l.got = append(l.got, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, rec.status))
		l.mu.Unlock()
	})
}

// posts returns the recorded POST requests.
func (l *statusLog) posts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, g := range l.got {
		if strings.HasPrefix(g, "POST ") {
			out = append(out, g)
		}
	}
	return out
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// evilPage is a page on another site that tries to erase the visitor's
// simulated contact: a form that posts HAPUS DATA to the simulator, and a
// script that posts YA to the JSON API as text/plain, the one type a page
// may send elsewhere without asking.
const evilPage = `<!doctype html><title>Hadiah!</title>
<form method="post" action="%[1]s/sim/send">
<input type="hidden" name="user" value="korban"><input type="hidden" name="channel" value="whatsapp">
<input type="hidden" name="text" value="HAPUS DATA"><input type="hidden" name="id" value="evil-1">
<button id="win">Ambil hadiah</button></form>
<script>
function erase() {
  return fetch('%[1]s/api/sim/messages', {method: 'POST', mode: 'no-cors', credentials: 'include',
    body: JSON.stringify({user: 'korban', channel: 'whatsapp', text: 'YA', id: 'evil-2'})}).then(() => 'sent', (e) => 'failed: ' + e);
}
</script>`

// TestCrossSiteInBrowser is the attack in a real Chromium: the visitor
// has the simulator open, then a page on another site (localhost is
// another site than 127.0.0.1) posts its form and calls the JSON API.
// Both reach the server and are refused; nothing is sent.
func TestCrossSiteInBrowser(t *testing.T) {
	f := &fakeSim{reply: shopBot}
	var log statusLog
	sim := httptest.NewServer(log.wrap(New(Config{Simulator: f, ShopName: "Toko Sari", Logger: slog.New(slog.DiscardHandler)})))
	t.Cleanup(sim.Close)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, evilPage, sim.URL)
	}))
	t.Cleanup(evil.Close)
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	ctx := browsertest.New(t)

	navigate(t, ctx, "open the simulator, which sets the form cookie", chromedp.Navigate(sim.URL+"/?user=korban"))
	navigate(t, ctx, "visit the other site", chromedp.Navigate(evilURL))
	if got := eval[string](t, ctx, `erase()`, chromedp.EvalAwaitPromise); got != "sent" {
		t.Fatalf("the script's post: %s", got)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("win")))
	if err != nil {
		t.Fatalf("posting the form: %v", err)
	}
	if resp.Status != http.StatusForbidden {
		t.Errorf("the form's post: HTTP %d, want 403", resp.Status)
	}
	want := []string{"POST /api/sim/messages 403", "POST /sim/send 403"}
	if got := log.posts(); !slices.Equal(got, want) {
		t.Errorf("the server answered %q, want %q", got, want)
	}
	if got := f.got(); len(got) != 0 {
		t.Errorf("simulator got %+v, want nothing", got)
	}
}
