// Package logging builds slog loggers that write Cloud Logging's structured
// JSON (one object per line, as the Cloud Run and GKE logging agents parse
// it) and correlate each entry with the OTel span in its context, so a log
// line links to its trace in the console.
//
// It also provides Level, a log level usable as a go-envconfig field, and
// Secret, a string that redacts itself everywhere it could be printed.
package logging

import (
	"context"
	"io"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/trace"
)

// Cloud Logging's special JSON keys
// (https://cloud.google.com/logging/docs/structured-logging).
const (
	SeverityKey     = "severity"
	MessageKey      = "message"
	TimeKey         = "time"
	TraceKey        = "logging.googleapis.com/trace"
	SpanIDKey       = "logging.googleapis.com/spanId"
	TraceSampledKey = "logging.googleapis.com/trace_sampled"
)

type options struct {
	projectID string
}

// Option configures New.
type Option func(*options)

// WithProject sets the Google Cloud project that owns the traces, so the
// trace key reads projects/PROJECT/traces/TRACE_ID, the form Cloud Logging
// links to Cloud Trace. Pass GOOGLE_CLOUD_PROJECT typically. Without it
// (or with ""), the trace key is the bare trace ID.
func WithProject(id string) Option {
	return func(o *options) { o.projectID = id }
}

// New returns a logger writing one JSON object per line to w, with the keys
// severity (DEBUG, INFO, WARNING or ERROR), message and time (RFC 3339 with
// nanoseconds), and records below level dropped. level may be a slog.Level, a
// Level, or a *slog.LevelVar to change it at run time.
//
// When a *Context method (InfoContext, …) is given a ctx holding a valid OTel
// span context, the entry also gets logging.googleapis.com/trace, /spanId and
// /trace_sampled at the top level, even under WithGroup. The plain methods
// (Info, …) have no ctx, so they never carry trace keys: log with the
// *Context variants inside request or message handling.
//
// The logger is safe for concurrent use, as slog.JSONHandler is.
func New(w io.Writer, level slog.Leveler, opts ...Option) *slog.Logger {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if level == nil {
		level = slog.LevelInfo
	}
	base := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: replaceAttr})
	return slog.New(&traceHandler{base: base, projectID: o.projectID})
}

// replaceAttr renames slog's built-in keys to Cloud Logging's.
func replaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		if l, ok := a.Value.Any().(slog.Level); ok {
			return slog.String(SeverityKey, severity(l))
		}
	case slog.MessageKey:
		a.Key = MessageKey
	}
	// slog.TimeKey is already "time", and slog.JSONHandler formats it with
	// time.RFC3339Nano, which Cloud Logging parses.
	return a
}

// severity maps a slog level to the Cloud Logging severity it falls in. Levels
// between the named ones round down (INFO+2 is INFO), as slog's own names do.
func severity(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARNING"
	default:
		return "ERROR"
	}
}

// traceHandler adds the trace keys from the record's ctx. It must be the
// outermost handler: it keeps WithGroup/WithAttrs that come after a group to
// itself and nests them into the record at Handle time, because attributes
// added to a record of an inner grouped handler would land inside the group,
// where Cloud Logging does not look for the trace keys.
type traceHandler struct {
	// base has every WithAttrs made before the first WithGroup applied
	// (and pre-formatted by slog.JSONHandler).
	base      slog.Handler
	groups    []group // open groups, outermost first
	projectID string
}

// group is a WithGroup call and the WithAttrs that followed it.
type group struct {
	name  string
	attrs []slog.Attr
}

func (h *traceHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.base.Enabled(ctx, l)
}

func (h *traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	if len(h.groups) == 0 {
		h2.base = h.base.WithAttrs(attrs)
		return &h2
	}
	h2.groups = slices.Clone(h.groups)
	last := &h2.groups[len(h2.groups)-1]
	last.attrs = append(slices.Clip(last.attrs), attrs...)
	return &h2
}

func (h *traceHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.groups = append(slices.Clip(h.groups), group{name: name})
	return &h2
}

func (h *traceHandler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if len(h.groups) == 0 {
		if sc.IsValid() {
			r = r.Clone() // the caller's record must not see our attributes
			r.AddAttrs(h.traceAttrs(sc)...)
		}
		return h.base.Handle(ctx, r)
	}

	// Rebuild the record: trace keys at the top, then the groups with
	// their attributes and, innermost, the record's own.
	inner := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		inner = append(inner, a)
		return true
	})
	for i := len(h.groups) - 1; i >= 0; i-- {
		g := h.groups[i]
		attrs := make([]slog.Attr, 0, len(g.attrs)+len(inner))
		attrs = append(append(attrs, g.attrs...), inner...)
		inner = []slog.Attr{{Key: g.name, Value: slog.GroupValue(attrs...)}}
	}
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if sc.IsValid() {
		nr.AddAttrs(h.traceAttrs(sc)...)
	}
	nr.AddAttrs(inner...)
	return h.base.Handle(ctx, nr)
}

func (h *traceHandler) traceAttrs(sc trace.SpanContext) []slog.Attr {
	tr := sc.TraceID().String()
	if h.projectID != "" {
		tr = "projects/" + h.projectID + "/traces/" + tr
	}
	return []slog.Attr{
		slog.String(TraceKey, tr),
		slog.String(SpanIDKey, sc.SpanID().String()),
		slog.Bool(TraceSampledKey, sc.IsSampled()),
	}
}
