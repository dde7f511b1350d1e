// Package config reads Mitra's configuration from the environment and
// checks it before anything starts, so a bad setting fails at start-up
// with a clear message instead of at 3 a.m.
package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// Config is everything `mitra serve` and `mitra demo` need to know.
type Config struct {
	// RedisURL is where sessions and records live. Secret: it may hold a
	// password, so it is read from MITRA_REDIS_URL_FILE too and never logged
	// whole (see RedactedRedisURL).
	RedisURL string
	// RedisPrefix starts every key Mitra writes.
	RedisPrefix string
	// HTTPAddr is where the HTTP server listens.
	HTTPAddr string
	// FlowsDir, when set, replaces the shipped flows.
	FlowsDir string
	// TimeZone is the shop's time zone, the default for contacts.
	TimeZone *time.Location
	// Lang is the language contacts are spoken to in until they pick one.
	Lang string
	// DefaultCountry is the calling code an import puts in place of the
	// leading 0 of a local number (0812… becomes 62812…).
	DefaultCountry string
	// SessionTTL is how long an idle conversation is remembered.
	SessionTTL time.Duration
	// StaffHold is how long the bot stays silent after handing a
	// conversation to a person.
	StaffHold time.Duration
	// StaffHours are when staff answer chats, in TimeZone: the customer
	// is told when to expect an answer, and a conversation handed over
	// outside them waits StaffHold from the next opening.
	StaffHours care.StaffHours
	// StaffIdle is how long a person may hold a conversation without
	// writing before it goes back to the bot.
	StaffIdle time.Duration
	// StaffSessionTTL is how long a staff login lasts after its last
	// request.
	StaffSessionTTL time.Duration
	// TrustProxy says a reverse proxy stands in front of Mitra: the
	// client's address and https come from its X-Forwarded-* headers.
	TrustProxy bool
	// StaffAlertOwner is how long a conversation may wait unclaimed
	// after staff were alerted before its owners are too; 0 never.
	StaffAlertOwner time.Duration
	// StaffAlertGather is how long the alert about a conversation that
	// starts waiting waits, to list with it those that start meanwhile;
	// 0 alerts about each at once.
	StaffAlertGather time.Duration
	// PublicURL is where staff reach Mitra from their phones
	// ("https://toko.example", no trailing slash), for the console
	// links in their alerts; "" when unknown (the links are paths).
	PublicURL string
	// Simulator serves the web chat simulator.
	Simulator bool
	// LogFormat is "text" or "json"; LogLevel is debug, info, warn or error.
	LogFormat string
	LogLevel  string
	// DataDir holds the files Mitra keeps outside Redis: the WhatsApp
	// device store.
	DataDir string
	// PromoMax promotions at most per PromoWindow, per person across
	// channels.
	PromoMax    int
	PromoWindow time.Duration
	// QuietStart and QuietEnd bound the quiet hours (offsets from
	// midnight in the contact's time); equal means off.
	QuietStart, QuietEnd time.Duration
	// FeedbackDelay is how long after an order is delivered or picked
	// up its customer is asked how it was; 0 never.
	FeedbackDelay time.Duration
	// PelunasanBefore is how long before the day a pre-order is ready
	// its customer, who paid the down payment, is reminded of the
	// balance: 0 never, else at least a day, so that some of it is
	// outside the quiet hours.
	PelunasanBefore time.Duration
	// Transcript is how long conversation texts are kept.
	Transcript time.Duration
	// Rates are the platform limits per channel, overall and per chat.
	Rates map[care.Channel]ChannelRates
	// WhatsAppUnsolicited lets messages the shop starts go to WhatsApp
	// numbers that never wrote to it.
	WhatsAppUnsolicited bool
	// Telegram is the Telegram channel; it runs when Token is set.
	Telegram Telegram
	// WhatsApp is the WhatsApp channel.
	WhatsApp WhatsApp
}

// Defaults are the values used for settings left unset.
func Defaults() Config {
	loc, _ := time.LoadLocation("Asia/Jakarta")
	return Config{
		RedisPrefix:      "mitra",
		HTTPAddr:         "127.0.0.1:8080",
		TimeZone:         loc,
		Lang:             "id",
		DefaultCountry:   "62",
		SessionTTL:       30 * 24 * time.Hour,
		StaffHold:        4 * time.Hour,
		StaffHours:       everyDay(care.Span{Start: 8 * time.Hour, End: 20 * time.Hour}),
		StaffIdle:        2 * time.Hour,
		StaffSessionTTL:  12 * time.Hour,
		StaffAlertOwner:  10 * time.Minute,
		StaffAlertGather: time.Minute,
		LogFormat:        "text",
		LogLevel:         "info",
		DataDir:          "data",
		PromoMax:         2,
		PromoWindow:      7 * 24 * time.Hour,
		QuietStart:       21 * time.Hour,
		QuietEnd:         8 * time.Hour,
		FeedbackDelay:    2 * time.Hour,
		PelunasanBefore:  24 * time.Hour,
		Transcript:       90 * 24 * time.Hour,
		Rates: map[care.Channel]ChannelRates{
			care.Telegram: {Overall: care.Rate{N: 30, Per: time.Second}, PerChat: care.Rate{N: 1, Per: time.Second}},
			care.WhatsApp: {Overall: care.Rate{N: 10, Per: time.Second}, PerChat: care.Rate{N: 1, Per: time.Second}},
		},
		Telegram: Telegram{APIURL: "https://api.telegram.org", Mode: TelegramPolling},
		WhatsApp: WhatsApp{Mode: "auto", ReplyGap: time.Second, PerMinute: 6, Jitter: 5 * time.Second,
			DailyCap: 200, WarmupCap: 20, WarmupDays: 7},
	}
}

// Var documents one environment variable, for --help and the README.
type Var struct {
	Name, Default, Help string
	Secret              bool
}

// Vars lists every variable Mitra reads.
var Vars = []Var{
	{Name: "MITRA_REDIS_URL", Help: "Redis to keep sessions and records in: redis://[user:pass@]host:port/db, rediss:// for TLS, or host1:port,host2:port for a cluster (required by serve)", Secret: true},
	{Name: "MITRA_REDIS_PREFIX", Default: "mitra", Help: "prefix of every Redis key"},
	{Name: "MITRA_HTTP_ADDR", Default: "127.0.0.1:8080", Help: "address of the HTTP server (simulator, health, metrics)"},
	{Name: "MITRA_FLOWS_DIR", Help: "directory of flow files replacing the shipped ones"},
	{Name: "MITRA_TIMEZONE", Default: "Asia/Jakarta", Help: "the shop's time zone (IANA name)"},
	{Name: "MITRA_LANG", Default: "id", Help: "language for contacts who have not picked one (a language of the flows)"},
	{Name: "MITRA_DEFAULT_COUNTRY", Default: "62", Help: "calling code of local numbers in contacts import: 0812… becomes 62812…"},
	{Name: "MITRA_SESSION_TTL", Default: "720h", Help: "how long an idle conversation is remembered"},
	{Name: "MITRA_STAFF_HOLD", Default: "4h", Help: "how long a conversation handed to staff waits for someone to take it, from when staff are next on duty"},
	{Name: "MITRA_STAFF_HOURS", Default: "08:00-20:00", Help: "when staff answer chats, in MITRA_TIMEZONE: HH:MM-HH:MM every day, per day (mon-sat 08:00-17:00; sun off), or always"},
	{Name: "MITRA_STAFF_IDLE", Default: "2h", Help: "a conversation a person holds without writing for this long goes back to the bot, which tells the customer"},
	{Name: "MITRA_STAFF_SESSION_TTL", Default: "12h", Help: "how long a staff login lasts after its last request"},
	{Name: "MITRA_TRUSTED_PROXY", Default: "off", Help: "on when a reverse proxy stands in front of Mitra: client addresses and https come from X-Forwarded-For and X-Forwarded-Proto"},
	{Name: "MITRA_STAFF_ALERT_OWNER", Default: "10m", Help: "a conversation still waiting this long after staff were alerted alerts the owners' linked chats too, once; off for never"},
	{Name: "MITRA_STAFF_ALERT_GATHER", Default: "1m", Help: "an alert about a conversation that starts waiting waits this long to list the others that start meanwhile in one message (0s: at once; at most 10m)"},
	{Name: "MITRA_PUBLIC_URL", Help: "where staff reach Mitra from their phones (https://toko.example), for the console links in their alerts"},
	{Name: "MITRA_SIMULATOR", Default: "off (on in demo)", Help: "serve the web chat simulator at / (on/off)"},
	{Name: "MITRA_LOG_FORMAT", Default: "text", Help: "log format: text or json"},
	{Name: "MITRA_LOG_LEVEL", Default: "info", Help: "log level: debug, info, warn or error"},
	{Name: "MITRA_PROMO_CAP", Default: "2/7d", Help: "the most promotions one person receives, across channels: N/<days>d"},
	{Name: "MITRA_QUIET_HOURS", Default: "21:00-08:00", Help: "no promotions in these hours of the contact's time zone (deferred to their end); off for none"},
	{Name: "MITRA_FEEDBACK_DELAY", Default: "2h", Help: "how long after an order is delivered or picked up its customer is asked how it was (outside the quiet hours); off for never"},
	{Name: "MITRA_TRANSCRIPT_DAYS", Default: "90", Help: "days conversation texts are kept (0 keeps none)"},
	{Name: "MITRA_TELEGRAM_RATE", Default: "30/s", Help: "Telegram messages at most, overall: N/s, N/m or N/h"},
	{Name: "MITRA_TELEGRAM_CHAT_RATE", Default: "1/s", Help: "Telegram messages at most to one chat"},
	{Name: "MITRA_WHATSAPP_RATE", Default: "10/s", Help: "WhatsApp messages at most, overall (the adapter paces messages the shop starts far lower)"},
	{Name: "MITRA_WHATSAPP_CHAT_RATE", Default: "1/s", Help: "WhatsApp messages at most to one chat"},
	{Name: "MITRA_WHATSAPP_UNSOLICITED", Default: "off", Help: "send messages the shop starts to WhatsApp numbers that never wrote to it (on/off)"},
	{Name: "MITRA_WHATSAPP", Default: "auto", Help: "auto runs WhatsApp when a number is paired, on makes not being paired an error, off disables it"},
	{Name: "MITRA_WHATSAPP_REPLY_GAP", Default: "1s", Help: "least time between two WhatsApp messages in one chat"},
	{Name: "MITRA_WHATSAPP_PER_MINUTE", Default: "6", Help: "WhatsApp messages the shop starts, per minute for the number, spaced evenly (1-60)"},
	{Name: "MITRA_WHATSAPP_JITTER", Default: "5s", Help: "random extra added to each gap between messages the shop starts"},
	{Name: "MITRA_WHATSAPP_DAILY_CAP", Default: "200", Help: "WhatsApp messages the shop starts per day (midnight in MITRA_TIMEZONE)"},
	{Name: "MITRA_WHATSAPP_WARMUP_CAP", Default: "20", Help: "the daily cap on the first day after pairing"},
	{Name: "MITRA_WHATSAPP_WARMUP_DAYS", Default: "7", Help: "days over which the cap rises from the warm-up cap to the daily cap (0: no warm-up)"},
	{Name: "MITRA_DATA_DIR", Default: "data", Help: "directory for the files kept outside Redis (the WhatsApp device store)"},
	{Name: "MITRA_TELEGRAM_TOKEN", Help: "the Telegram bot's token from @BotFather; Telegram runs when it is set", Secret: true},
	{Name: "MITRA_TELEGRAM_API_URL", Default: "https://api.telegram.org", Help: "Bot API server base URL (a self-hosted telegram-bot-api server works)"},
	{Name: "MITRA_TELEGRAM_MODE", Default: "polling", Help: "polling or webhook"},
	{Name: "MITRA_TELEGRAM_WEBHOOK_URL", Help: "public https URL Telegram posts updates to (webhook mode); Mitra serves its path"},
	{Name: "MITRA_TELEGRAM_WEBHOOK_SECRET", Help: "secret Telegram sends with every webhook call (webhook mode): 1-256 characters A-Z a-z 0-9 _ -", Secret: true},
}

// FromEnv reads the configuration through getenv (os.Getenv in
// production), starting from base. Every problem is reported, not just
// the first.
func FromEnv(base Config, getenv func(string) string) (Config, error) {
	c := base
	var errs []error
	get := func(name string) string {
		v, err := lookup(name, getenv)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	if v := get("MITRA_REDIS_URL"); v != "" {
		c.RedisURL = v
	}
	if v := get("MITRA_REDIS_PREFIX"); v != "" {
		c.RedisPrefix = v
	}
	if v := get("MITRA_HTTP_ADDR"); v != "" {
		c.HTTPAddr = v
	}
	if v := get("MITRA_FLOWS_DIR"); v != "" {
		c.FlowsDir = v
	}
	if v := get("MITRA_TIMEZONE"); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("MITRA_TIMEZONE=%q: not a time zone name like Asia/Jakarta", v))
		} else {
			c.TimeZone = loc
		}
	}
	if v := get("MITRA_LANG"); v != "" {
		c.Lang = v
	}
	if v := get("MITRA_DEFAULT_COUNTRY"); v != "" {
		c.DefaultCountry = strings.TrimPrefix(v, "+")
	}
	duration := func(name string, dst *time.Duration) {
		if v := get(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive duration like 720h or 30m", name, v))
				return
			}
			*dst = d
		}
	}
	duration("MITRA_SESSION_TTL", &c.SessionTTL)
	duration("MITRA_STAFF_HOLD", &c.StaffHold)
	if v := get("MITRA_STAFF_HOURS"); v != "" {
		h, err := parseStaffHours(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("MITRA_STAFF_HOURS=%q: %w", v, err))
		}
		c.StaffHours = h
	}
	duration("MITRA_STAFF_IDLE", &c.StaffIdle)
	duration("MITRA_STAFF_SESSION_TTL", &c.StaffSessionTTL)
	if v := get("MITRA_STAFF_ALERT_OWNER"); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case strings.EqualFold(v, "off"):
			c.StaffAlertOwner = 0
		case err != nil || d <= 0:
			errs = append(errs, fmt.Errorf("MITRA_STAFF_ALERT_OWNER=%q: want a positive duration like 10m, or off", v))
		default:
			c.StaffAlertOwner = d
		}
	}
	if v := get("MITRA_STAFF_ALERT_GATHER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 10*time.Minute {
			errs = append(errs, fmt.Errorf("MITRA_STAFF_ALERT_GATHER=%q: want a duration from 0s to 10m, like 1m", v))
		} else {
			c.StaffAlertGather = d
		}
	}
	if v := get("MITRA_FEEDBACK_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case strings.EqualFold(v, "off"):
			c.FeedbackDelay = 0
		case err != nil || d <= 0:
			errs = append(errs, fmt.Errorf("MITRA_FEEDBACK_DELAY=%q: want a positive duration like 2h, or off", v))
		default:
			c.FeedbackDelay = d
		}
	}
	if v := get("MITRA_PELUNASAN_BEFORE"); v != "" {
		d, err := days(v)
		switch {
		case strings.EqualFold(v, "off"):
			c.PelunasanBefore = 0
		case err != nil || d < 24*time.Hour || d > 30*24*time.Hour:
			// The reminder goes from this long before the ready day to
			// its midnight, outside the customer's quiet hours: a day or
			// more holds every hour of the day once, so some of it is
			// never quiet; less could fall wholly in the night.
			errs = append(errs, fmt.Errorf("MITRA_PELUNASAN_BEFORE=%q: want days like 1d or 2d (or a duration like 36h) from 1d to 30d, or off: less could fall wholly in the quiet hours", v))
		default:
			c.PelunasanBefore = d
		}
	}
	if v := get("MITRA_PUBLIC_URL"); v != "" {
		c.PublicURL = strings.TrimRight(v, "/")
	}
	if v := get("MITRA_TRUSTED_PROXY"); v != "" {
		b, err := parseSwitch(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("MITRA_TRUSTED_PROXY=%q: %w", v, err))
		}
		c.TrustProxy = b
	}
	if v := get("MITRA_SIMULATOR"); v != "" {
		b, err := parseSwitch(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("MITRA_SIMULATOR=%q: %w", v, err))
		}
		c.Simulator = b
	}
	if v := get("MITRA_LOG_FORMAT"); v != "" {
		c.LogFormat = v
	}
	if v := get("MITRA_LOG_LEVEL"); v != "" {
		c.LogLevel = v
	}
	if v := get("MITRA_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if v := get("MITRA_PROMO_CAP"); v != "" {
		n, per, err := parseCap(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("MITRA_PROMO_CAP=%q: %w", v, err))
		}
		c.PromoMax, c.PromoWindow = n, per
	}
	if v := get("MITRA_QUIET_HOURS"); v != "" {
		start, end, err := parseQuiet(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("MITRA_QUIET_HOURS=%q: %w", v, err))
		}
		c.QuietStart, c.QuietEnd = start, end
	}
	if v := get("MITRA_TRANSCRIPT_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3650 {
			errs = append(errs, fmt.Errorf("MITRA_TRANSCRIPT_DAYS=%q: want whole days from 0 to 3650", v))
		}
		c.Transcript = time.Duration(n) * 24 * time.Hour
	}
	rate := func(name string, ch care.Channel, chat bool) {
		v := get(name)
		if v == "" {
			return
		}
		r, err := parseRate(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			return
		}
		cr := c.Rates[ch]
		if chat {
			cr.PerChat = r
		} else {
			cr.Overall = r
		}
		c.Rates = maps.Clone(c.Rates)
		c.Rates[ch] = cr
	}
	rate("MITRA_TELEGRAM_RATE", care.Telegram, false)
	rate("MITRA_TELEGRAM_CHAT_RATE", care.Telegram, true)
	rate("MITRA_WHATSAPP_RATE", care.WhatsApp, false)
	rate("MITRA_WHATSAPP_CHAT_RATE", care.WhatsApp, true)
	if v := get("MITRA_WHATSAPP_UNSOLICITED"); v != "" {
		b, err := parseSwitch(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("MITRA_WHATSAPP_UNSOLICITED=%q: %w", v, err))
		}
		c.WhatsAppUnsolicited = b
	}
	if v := get("MITRA_WHATSAPP"); v != "" {
		c.WhatsApp.Mode = v
	}
	duration("MITRA_WHATSAPP_REPLY_GAP", &c.WhatsApp.ReplyGap)
	duration("MITRA_WHATSAPP_JITTER", &c.WhatsApp.Jitter)
	count := func(name string, dst *int) {
		if v := get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a whole number", name, v))
				return
			}
			*dst = n
		}
	}
	count("MITRA_WHATSAPP_PER_MINUTE", &c.WhatsApp.PerMinute)
	count("MITRA_WHATSAPP_DAILY_CAP", &c.WhatsApp.DailyCap)
	count("MITRA_WHATSAPP_WARMUP_CAP", &c.WhatsApp.WarmupCap)
	count("MITRA_WHATSAPP_WARMUP_DAYS", &c.WhatsApp.WarmupDays)
	if v := get("MITRA_TELEGRAM_TOKEN"); v != "" {
		c.Telegram.Token = v
	}
	if v := get("MITRA_TELEGRAM_API_URL"); v != "" {
		c.Telegram.APIURL = strings.TrimRight(v, "/")
	}
	if v := get("MITRA_TELEGRAM_MODE"); v != "" {
		c.Telegram.Mode = v
	}
	if v := get("MITRA_TELEGRAM_WEBHOOK_URL"); v != "" {
		c.Telegram.WebhookURL = v
	}
	if v := get("MITRA_TELEGRAM_WEBHOOK_SECRET"); v != "" {
		c.Telegram.WebhookSecret = v
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

func parseSwitch(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "on", "true", "1", "yes":
		return true, nil
	case "off", "false", "0", "no":
		return false, nil
	}
	return false, errors.New("want on or off")
}

// callingCode reports whether v is a country calling code: 1 to 3
// digits, the first not 0 (62 for Indonesia, 1 for North America).
func callingCode(v string) bool {
	if len(v) < 1 || len(v) > 3 || v[0] == '0' {
		return false
	}
	return strings.Trim(v, "0123456789") == ""
}

// Validate reports every setting that cannot work, and combinations that
// contradict each other.
func (c Config) Validate() error {
	var errs []error
	if c.RedisPrefix == "" || strings.ContainsAny(c.RedisPrefix, "{} \t\n") {
		errs = append(errs, fmt.Errorf("MITRA_REDIS_PREFIX=%q: want a non-empty prefix without spaces or braces", c.RedisPrefix))
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("MITRA_HTTP_ADDR=%q: want host:port like 127.0.0.1:8080", c.HTTPAddr))
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		errs = append(errs, fmt.Errorf("MITRA_HTTP_ADDR=%q: bad port", c.HTTPAddr))
	}
	if c.FlowsDir != "" {
		if st, err := os.Stat(c.FlowsDir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("MITRA_FLOWS_DIR=%q: not a directory", c.FlowsDir))
		}
	}
	if c.TimeZone == nil {
		errs = append(errs, errors.New("MITRA_TIMEZONE: no time zone"))
	}
	if c.Lang == "" {
		errs = append(errs, errors.New("MITRA_LANG: empty"))
	}
	if !callingCode(c.DefaultCountry) {
		errs = append(errs, fmt.Errorf("MITRA_DEFAULT_COUNTRY=%q: want a country calling code, 1 to 3 digits like 62", c.DefaultCountry))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("MITRA_LOG_FORMAT=%q: want text or json", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("MITRA_LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	if c.PublicURL != "" {
		if err := checkPublicURL(c.PublicURL); err != nil {
			errs = append(errs, fmt.Errorf("MITRA_PUBLIC_URL=%q: %w", c.PublicURL, err))
		}
	}
	errs = append(errs, c.Telegram.validate()...)
	switch c.WhatsApp.Mode {
	case "auto", "on", "off":
	default:
		errs = append(errs, fmt.Errorf("MITRA_WHATSAPP=%q: want auto, on or off", c.WhatsApp.Mode))
	}
	return errors.Join(errs...)
}

// days reads a number of whole days ("2d") or a duration ("36h").
func days(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("days %q: %w", v, err)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}
