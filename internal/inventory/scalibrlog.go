package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

var routeScalibrLogs sync.Once

// scalibrLogger sends osv-scalibr's log lines, which otherwise go to the
// standard logger's stderr, to slog.Default() at Debug level. What they
// report about single files (a broken jar, an unparsable gemspec) also
// reaches Result.Warnings, so nothing above Debug is lost. osv-scalibr's
// logger is process-wide; this package installs the adapter the first time
// it runs extractors.
type scalibrLogger struct{}

func (scalibrLogger) log(level string, msg string) {
	l := slog.Default()
	if !l.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	l.Debug(msg, slog.String("component", "osv-scalibr"), slog.String("scalibr_level", level))
}

func (s scalibrLogger) Errorf(format string, args ...any) {
	s.log("error", fmt.Sprintf(format, args...))
}
func (s scalibrLogger) Error(args ...any)                { s.log("error", fmt.Sprint(args...)) }
func (s scalibrLogger) Warnf(format string, args ...any) { s.log("warn", fmt.Sprintf(format, args...)) }
func (s scalibrLogger) Warn(args ...any)                 { s.log("warn", fmt.Sprint(args...)) }
func (s scalibrLogger) Infof(format string, args ...any) { s.log("info", fmt.Sprintf(format, args...)) }
func (s scalibrLogger) Info(args ...any)                 { s.log("info", fmt.Sprint(args...)) }
func (s scalibrLogger) Debugf(format string, args ...any) {
	s.log("debug", fmt.Sprintf(format, args...))
}
func (s scalibrLogger) Debug(args ...any) { s.log("debug", fmt.Sprint(args...)) }
