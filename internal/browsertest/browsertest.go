// Package browsertest starts a real headless Chromium for tests that check
// Mitra's web pages, driven with chromedp.
//
// A test that needs a browser fails, never skips, when none is found: set
// MITRA_CHROMIUM to its path or install it ("apt-get install chromium").
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds everything a test does in the browser.
const Timeout = 60 * time.Second

// names are the browser commands looked for on PATH, in order.
var names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// find returns the path of the browser to use: MITRA_CHROMIUM when set,
// otherwise the first Chromium or Chrome on PATH.
func find() (string, bool) {
	if p := os.Getenv("MITRA_CHROMIUM"); p != "" {
		return p, true
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, true
		}
	}
	return "", false
}

// New starts a headless browser with a fresh profile and returns a
// chromedp context for one tab, ending after Timeout. The browser is
// closed when the test ends. Without a browser the test fails.
func New(t testing.TB) context.Context {
	t.Helper()
	path, ok := find()
	if !ok {
		t.Fatal(`chromium not found: install it with "apt-get install chromium" or set MITRA_CHROMIUM`)
	}
	// This machine may have no internet: every flag that stops the browser
	// from reaching out keeps it from hanging on a network attempt.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	ctx, cancelTimeout := context.WithTimeout(ctx, Timeout)
	t.Cleanup(cancelTimeout)
	// The first run starts the browser, so a broken install fails here,
	// clearly. The browser lives as long as the context of that run: it
	// stops at the timeout too, so a hung browser cannot outlive the test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}
