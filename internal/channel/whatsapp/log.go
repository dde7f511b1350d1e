package whatsapp

import (
	"context"
	"fmt"
	"log/slog"

	waLog "go.mau.fi/whatsmeow/util/log"

	"github.com/mitra-care/mitra/internal/care"
)

// waLogger lets whatsmeow, which logs through its own small interface,
// write to Mitra's slog logger, so one log stream shows both and the
// level set by MITRA_LOG_LEVEL filters both. It replaces the JIDs of
// people in whatsmeow's lines by pseudonyms.
type waLogger struct {
	log    *slog.Logger
	module string
	names  care.Pseudonyms
}

var _ waLog.Logger = waLogger{}

// newWALogger adapts log for whatsmeow; the JIDs of people in its lines
// become their pseudonyms under names.
func newWALogger(log *slog.Logger, names care.Pseudonyms) waLog.Logger {
	return waLogger{log: log, module: "whatsmeow", names: names}
}

func (l waLogger) logf(level slog.Level, msg string, args []any) {
	ctx := context.Background()
	// Formatting is skipped for disabled levels: whatsmeow logs every
	// frame at debug.
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, redact(l.names, fmt.Sprintf(msg, args...)), "module", l.module)
}

func (l waLogger) Errorf(msg string, args ...any) { l.logf(slog.LevelError, msg, args) }
func (l waLogger) Warnf(msg string, args ...any)  { l.logf(slog.LevelWarn, msg, args) }
func (l waLogger) Infof(msg string, args ...any)  { l.logf(slog.LevelInfo, msg, args) }
func (l waLogger) Debugf(msg string, args ...any) { l.logf(slog.LevelDebug, msg, args) }

// Sub names a part of whatsmeow ("whatsmeow/Client/Socket") in the
// module attribute.
func (l waLogger) Sub(module string) waLog.Logger {
	return waLogger{log: l.log, module: l.module + "/" + module, names: l.names}
}
