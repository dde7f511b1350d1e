// Package telegram is Mitra's Telegram channel. It turns Bot API updates
// into care.Inbound for the runtime, acknowledging Telegram only once the
// runtime has stored their effect, and delivers care.Outbound for the
// sender. It is the only package that imports telegram-bot-api, and it
// speaks to any Bot API server: Telegram's own, a self-hosted
// telegram-bot-api, or a test server on loopback.
//
// Files follow the direction of travel: receive.go (updates in, by
// polling), webhook.go (updates in, pushed by Telegram), send.go
// (messages out), extra.go (the calls beyond a message's first: the rate
// limit they count against, and the cosmetic calls, such as "typing…",
// that never cost a message).
//
// Nothing personal is logged above debug level, and no error the channel
// returns holds a chat id, a name or a text: errors reach the audit
// stream and the dead letters, and logs cannot be erased. Log lines name
// a contact by pseudonym (Config.Pseudonyms).
package telegram

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/mitra-care/mitra/internal/backoff"
	"github.com/mitra-care/mitra/internal/care"
)

// Config is what the channel needs to run. It is its own type, not
// internal/config's, so the adapter can be built and tested without the
// rest of Mitra's settings; the app copies the MITRA_TELEGRAM_* values
// into it.
type Config struct {
	// Token is the bot's token from @BotFather. It is a secret: it never
	// appears in a log line or in an error the channel returns.
	Token string
	// APIURL is the Bot API server's base URL, such as
	// https://api.telegram.org (the default when empty).
	APIURL string
	// Mode is "polling" (the default when empty) or "webhook".
	Mode string
	// WebhookURL is the public HTTPS URL Telegram posts updates to in
	// webhook mode; the app serves its path with the Channel.
	WebhookURL string
	// WebhookSecret is the secret_token Telegram sends back with every
	// webhook call. It is what tells Telegram's calls from anybody
	// else's, so webhook mode refuses to start without it.
	WebhookSecret string
	// HandleTimeout bounds each call of the handler (storing one update)
	// in both modes; 0 means 10 s. A webhook call that runs out of it is
	// answered 503, a polled update is tried again with backoff: neither
	// waits on a store that is away.
	HandleTimeout time.Duration
	// Pseudonyms name contacts in log lines (Pseudonyms.Of), which must
	// hold no chat id, name or text; the zero value works, with an empty
	// key.
	Pseudonyms care.Pseudonyms
	// Limiter, when set, counts every Bot API call a message or an update
	// costs beyond the first sendMessage of a message (which the sender
	// counts itself) against Rate under LimitKey: the later parts of a
	// split message, "typing…", the answer to a button tap. Nil means no
	// counting.
	Limiter  care.RateLimiter
	LimitKey string
	Rate     care.Rate
	// OnCosmeticFailure, when set, is called with the Bot API method of
	// each cosmetic call (sendChatAction, answerCallbackQuery) that
	// failed or was skipped; such a failure never costs a message. It
	// must not block.
	OnCosmeticFailure func(call string)
}

// The modes Config.Mode names.
const (
	modePolling = "polling"
	modeWebhook = "webhook"
)

// defaultAPIURL is Telegram's own Bot API server.
const defaultAPIURL = "https://api.telegram.org"

// Timeouts of single Bot API calls. The library takes no context, so
// without them a call to a server that stopped answering would hang
// forever. A cosmetic call gets less: it may hold up a message.
const (
	requestTimeout  = 30 * time.Second
	cosmeticTimeout = 3 * time.Second
)

// defaultHandleTimeout is Config.HandleTimeout's default.
const defaultHandleTimeout = 10 * time.Second

// Channel is one bot on one Bot API server. It receives updates (Run or
// ServeHTTP, depending on the mode) and sends messages (Send); all of its
// methods are safe to call at once.
type Channel struct {
	cfg    Config
	h      care.Handler
	log    *slog.Logger
	client *http.Client
	// bot is a template, never called directly: request calls a copy
	// whose HTTP client carries the call's context.
	bot *tgbotapi.BotAPI
	// webhookPath is where the app mounts ServeHTTP; empty in polling
	// mode.
	webhookPath string
	// secretSum is the SHA-256 of the webhook secret; comparing sums
	// keeps the comparison constant-time whatever the length of the
	// header a caller sent.
	secretSum [sha256.Size]byte
	// retryMin and retryMax bound the backoff between attempts while the
	// handler or the Bot API is away.
	retryMin, retryMax time.Duration
}

var (
	_ care.Sender  = (*Channel)(nil)
	_ http.Handler = (*Channel)(nil)
)

// tokenPattern is the shape of a BotFather token. Checking it up front
// keeps the token out of errors: a token with other characters could make
// the library's URL unparsable, and url.Parse quotes the whole URL.
var tokenPattern = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)

// New checks cfg and the token (with getMe), so a wrong token or server
// stops Mitra at start rather than at the first customer message. It
// sends nothing and receives nothing: Run does that.
func New(ctx context.Context, cfg Config, h care.Handler, log *slog.Logger) (*Channel, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Channel{
		cfg:      cfg,
		h:        h,
		log:      log.With("channel", string(care.Telegram)),
		retryMin: 250 * time.Millisecond,
		retryMax: 30 * time.Second,
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// The sender sends to up to 100 chats at once: keep that many
	// connections, or each burst pays new TCP and TLS handshakes.
	transport.MaxIdleConnsPerHost = 128
	c.client = &http.Client{Transport: transport}
	// "%" would be read as a verb by the library's Sprintf.
	endpoint := strings.ReplaceAll(c.cfg.APIURL, "%", "%%") + "/bot%s/%s"
	c.bot = &tgbotapi.BotAPI{Token: c.cfg.Token}
	c.bot.SetAPIEndpoint(endpoint)

	var self tgbotapi.User
	_, err := c.request(ctx, "getMe", requestTimeout, func(b *tgbotapi.BotAPI) (err error) {
		self, err = b.GetMe()
		return err
	})
	var apiErr *tgbotapi.Error
	switch {
	case errors.As(err, &apiErr) && (apiErr.Code == http.StatusUnauthorized || apiErr.Code == http.StatusNotFound):
		return nil, fmt.Errorf("telegram: the Bot API at %s refused the token, copy it again from @BotFather: %w", c.cfg.APIURL, err)
	case err != nil:
		return nil, fmt.Errorf("telegram: the Bot API at %s: %w", c.cfg.APIURL, err)
	}
	c.bot.Self = self
	c.log.Info("telegram bot ready", "bot", "@"+self.UserName, "mode", c.cfg.Mode, "api", c.cfg.APIURL)
	return c, nil
}

// check fills the defaults into c.cfg and reports what is wrong with it.
func (c *Channel) check() error {
	cfg := &c.cfg
	if !tokenPattern.MatchString(cfg.Token) {
		return errors.New("the token does not look like one from @BotFather (digits, a colon, then letters, digits, _ and -)")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = defaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.HandleTimeout <= 0 {
		cfg.HandleTimeout = defaultHandleTimeout
	}
	if cfg.Limiter != nil && cfg.LimitKey == "" {
		return errors.New("a rate limiter needs the key to count under (LimitKey)")
	}
	if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("API URL %q: want a base URL like %s", cfg.APIURL, defaultAPIURL)
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = modePolling
	case modePolling:
	case modeWebhook:
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("webhook URL %q: Telegram only posts to a public https URL", cfg.WebhookURL)
		}
		if u.Path == "" || u.Path == "/" {
			return fmt.Errorf("webhook URL %q: give it a path for Mitra to serve, like https://shop.example/telegram/webhook", cfg.WebhookURL)
		}
		if cfg.WebhookSecret == "" {
			return errors.New("webhook mode needs a secret, or anybody could post updates")
		}
		c.webhookPath = u.Path
		c.secretSum = sha256.Sum256([]byte(cfg.WebhookSecret))
	default:
		return fmt.Errorf("mode %q: want %s or %s", cfg.Mode, modePolling, modeWebhook)
	}
	return nil
}

// Run receives updates until ctx ends: in polling mode by long-polling
// getUpdates, in webhook mode by registering the webhook and leaving the
// rest to ServeHTTP. It returns nil when ctx ends and an error only when
// retrying cannot help, such as a revoked token or a webhook URL Telegram
// refuses. Everything else (Telegram or the runtime away) it waits out.
func (c *Channel) Run(ctx context.Context) error {
	var err error
	if c.webhookPath != "" {
		err = c.hook(ctx)
	} else {
		err = c.poll(ctx)
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// request runs fn, which makes the Bot API call method, on a copy of the
// bot whose HTTP client carries ctx, bounded by timeout: the library's
// calls take no context. wrote reports whether a request went out whole,
// in which case the server may have acted on it even if the call failed.
// A failure comes as a *callError, whose text names the method and the
// HTTP status.
func (c *Channel) request(ctx context.Context, method string, timeout time.Duration, fn func(*tgbotapi.BotAPI) error) (wrote bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := &transport{ctx: ctx, client: c.client, token: c.cfg.Token}
	bot := *c.bot
	bot.Client = t
	if err := fn(&bot); err != nil {
		return t.wrote.Load(), &callError{method: method, status: int(t.status.Load()), err: err}
	}
	return t.wrote.Load(), nil
}

// transport is the library's HTTP client for one call.
type transport struct {
	ctx    context.Context
	client *http.Client
	token  string
	wrote  atomic.Bool
	// status is the HTTP status of the answer; 0 until one came.
	status atomic.Int32
}

// Do sends req with the call's context, records whether it was written in
// full and the status of the answer, and removes the token from the
// error: net/http quotes the whole URL, and the library puts the token
// in the URL's path.
func (t *transport) Do(req *http.Request) (*http.Response, error) {
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err == nil {
			t.wrote.Store(true)
		}
	}}
	resp, err := t.client.Do(req.WithContext(httptrace.WithClientTrace(t.ctx, trace)))
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return nil, &url.Error{Op: uerr.Op, URL: strings.ReplaceAll(uerr.URL, t.token, "REDACTED"), Err: uerr.Err}
	}
	if resp != nil {
		t.status.Store(int32(resp.StatusCode))
	}
	return resp, err
}

// callError is a failed Bot API call. The library's own error can say
// nothing useful: an answer without a description has an empty text, and
// an answer that is not the Bot API's JSON (a proxy's error page, "404
// Not Found" from a server without the method) only says where the JSON
// decoder stumbled. callError's text always names the method and, when an
// answer came, its HTTP status.
type callError struct {
	method string
	status int // 0 when no answer came
	err    error
}

// Error implements error.
func (e *callError) Error() string {
	var apiErr *tgbotapi.Error
	var what string
	switch {
	case errors.As(e.err, &apiErr) && apiErr.Message != "":
		what = apiErr.Message
	case errors.As(e.err, &apiErr):
		what = "refused without a description"
	case e.status != 0 && e.err.Error() != "":
		what = "the answer is not the Bot API's JSON (" + e.err.Error() + ")"
	case e.status != 0:
		what = "the answer is not the Bot API's JSON"
	case e.err.Error() != "":
		what = e.err.Error()
	default:
		what = "no answer"
	}
	if e.status == 0 {
		return e.method + ": " + what
	}
	return fmt.Sprintf("%s: %s (HTTP %d %s)", e.method, what, e.status, http.StatusText(e.status))
}

// Unwrap returns the library's error.
func (e *callError) Unwrap() error { return e.err }

// refusal returns the code of a Bot API call's refusal: Telegram's
// error_code, or, for an answer without one (not the Bot API's JSON), its
// HTTP status when that is 400 or more; 0 when no refusal came (the call
// failed on the way, or the answer could not be read). api reports
// whether the code came from the Bot API itself, not from whatever
// stands in front of it.
func refusal(err error) (code int, api bool) {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) && apiErr.Code != 0 {
		return apiErr.Code, true
	}
	var ce *callError
	if errors.As(err, &ce) && ce.status >= 400 {
		return ce.status, false
	}
	return 0, false
}

// retryAfter is the retry_after, in seconds, of a Bot API refusal; 0 when
// it asked for none.
func retryAfter(err error) int {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		return apiErr.RetryAfter
	}
	return 0
}

// persist calls fn until it succeeds, ctx ends, or the Bot API refuses in
// a way retrying cannot change.
func (c *Channel) persist(ctx context.Context, what string, fn func(context.Context) error) error {
	b := backoff.New(c.retryMin, c.retryMax)
	for {
		err := fn(ctx)
		if err == nil || ctx.Err() != nil || permanent(err) {
			return err
		}
		if after := retryAfter(err); after > 0 {
			wait := time.Duration(after) * time.Second
			c.log.Warn("telegram: Bot API call failed, retrying", "call", what, "in", wait, "err", err)
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
			continue
		}
		c.log.Warn("telegram: Bot API call failed, retrying", "call", what, "in", b.Next(), "err", err)
		if !b.Wait(ctx) {
			return ctx.Err()
		}
	}
}

// permanent reports whether the Bot API refused a call for a reason that
// stays: a 4xx other than a conflict (another poller, soon gone) or a
// flood wait.
func permanent(err error) bool {
	code, _ := refusal(err)
	return code >= 400 && code < 500 && code != http.StatusConflict && code != http.StatusTooManyRequests
}

// sleep waits d and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool { return backoff.Sleep(ctx, d) }
