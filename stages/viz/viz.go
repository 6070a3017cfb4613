// Package viz is the dashboard: an http.Handler serving an embedded web UI
// (plain HTML, one JavaScript file, one stylesheet; no CDN, no build step)
// and the JSON API under /api/ that every view of the UI reads, over the hot
// cache (a DuckDB database handed out by a Store).
//
// Every query is parameterized, filtered on a day or time range and limited,
// and runs under the request's context, so a cancelled request stops its
// query. Sort columns come only from allow-lists.
package viz

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Store is the hot cache as the dashboard sees it.
type Store interface {
	// Acquire returns the current cache database; queries run on db until
	// release is called (a refresh swaps databases without disturbing them).
	Acquire(ctx context.Context) (db *sql.DB, st CacheStatus, release func(), err error)
}

// CacheStatus is what the cache holds and when it was built.
type CacheStatus struct {
	Loaded     bool      `json:"loaded"`
	Generation int64     `json:"generation"`
	BuiltAt    time.Time `json:"built_at"`
	Days       []string  `json:"days"` // input days held, "2006-01-02", ascending
	// Relation, when set, names the relation holding table's rows for the
	// window from..to (to exclusive), aliased as `as`: a cache can answer
	// with only the day files that can hold a match. Nil means the table.
	Relation func(table, as string, from, to time.Time) string `json:"-"`
}

// rel is the relation to read table from for the span sp.
func (st CacheStatus) rel(table, as string, sp span) string {
	if st.Relation == nil {
		if as == "" || as == table {
			return table
		}
		return table + " AS " + as
	}
	return st.Relation(table, as, sp.from, sp.to)
}

// Labeler records analyst feedback in the feedback Iceberg table.
type Labeler interface {
	Label(ctx context.Context, eventID, label, note string) error
}

var (
	// ErrNotFound is wrapped by a Labeler's error for an unknown event.
	ErrNotFound = errors.New("not found")
	// ErrBadInput is wrapped by a Labeler's error for a bad label etc.
	ErrBadInput = errors.New("bad input")
)

// Options configure NewHandler.
type Options struct {
	Store   Store
	Labeler Labeler
	// Token, when non-empty, is required by every request but /healthz: as
	// "Authorization: Bearer TOKEN" or as the spotlake_token cookie that
	// GET /login?token=TOKEN sets.
	Token string
	Log   *slog.Logger
	// StaleAfter: /healthz says stale when BuiltAt is older (default 36h).
	StaleAfter time.Duration
}

// Labels an analyst can give an event.
var Labels = []string{"benign", "malicious"}

// CookieName is the cookie /login sets.
const CookieName = "spotlake_token"

// MaxBodyBytes bounds request bodies.
const MaxBodyBytes = 64 << 10

//go:embed web
var webFS embed.FS

type server struct {
	o   Options
	log *slog.Logger
	now func() time.Time
}

// NewHandler returns the dashboard: the web UI at /, the JSON API under
// /api/, /healthz and /login.
func NewHandler(o Options) (http.Handler, error) {
	if o.Store == nil {
		return nil, errors.New("viz: Options.Store is nil")
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 36 * time.Hour
	}
	lg := o.Log
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &server{o: o, log: lg, now: time.Now}

	web, err := fs.Sub(webFS, "web")
	if err != nil {
		return nil, err
	}
	static := http.FileServerFS(web)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("GET /api/overview", s.api(s.overview))
	mux.HandleFunc("GET /api/suspicious", s.api(s.suspicious))
	mux.HandleFunc("POST /api/feedback", s.feedback)
	mux.HandleFunc("/api/feedback", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "use POST with a JSON body")
	})
	mux.HandleFunc("GET /api/events", s.api(s.events))
	mux.HandleFunc("GET /api/events/{id}", s.api(s.event))
	mux.HandleFunc("GET /api/entity", s.api(s.entity))
	mux.HandleFunc("GET /api/alerts", s.api(s.alerts))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		static.ServeHTTP(w, r)
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	var h http.Handler = cop.Handler(mux)
	h = s.auth(h)
	h = s.logRequests(h)
	h = securityHeaders(h)
	return &handler{Handler: h, s: s}, nil
}

// handler is the dashboard's http.Handler.
type handler struct {
	http.Handler
	s *server
}

// setNow replaces the clock (tests).
func (h *handler) setNow(now func() time.Time) { h.s.now = now }

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs each request at debug level (errors at warn); it never
// logs the query string of /login nor any header.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		target := r.URL.Path
		if r.URL.Path != "/login" && r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		lvl := slog.LevelDebug
		if sw.status >= 500 {
			lvl = slog.LevelWarn
		}
		s.log.Log(r.Context(), lvl, "http request", "method", r.Method, "target", target,
			"status", sw.status, "ms", time.Since(start).Milliseconds())
	})
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// httpError is an error with the HTTP status and message a client sees.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, sprintf(format, args...)}
}

// apiFunc answers one API request from an acquired cache database.
type apiFunc func(ctx context.Context, q *query, db *sql.DB, st CacheStatus) (any, error)

// api adapts an apiFunc: it acquires the cache, runs f, releases, and writes
// the answer or the error as JSON.
func (s *server) api(f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		db, st, release, err := s.o.Store.Acquire(ctx)
		if err != nil || db == nil {
			if release != nil {
				release()
			}
			if err != nil {
				s.log.Warn("cache unavailable", "path", r.URL.Path, "err", err)
			}
			writeError(w, http.StatusServiceUnavailable, "cache not loaded yet; try again shortly")
			return
		}
		defer release()
		q := newQuery(r, st, s.now())
		v, err := f(ctx, q, db, st)
		if err == nil {
			err = q.err()
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// fail writes err: an httpError as is, anything else as a short 500 (the
// details go to the log).
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.status, he.msg)
		return
	}
	if errors.Is(err, context.Canceled) || r.Context().Err() != nil {
		// The client went away; nobody reads the answer.
		writeError(w, 499, "request cancelled")
		return
	}
	s.log.Error("dashboard query failed", "path", r.URL.Path, "err", err)
	msg := "internal error"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "query timed out"
	}
	writeError(w, http.StatusInternalServerError, msg)
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	db, st, release, err := s.o.Store.Acquire(r.Context())
	if release != nil {
		release()
	}
	_ = db
	resp := map[string]any{
		"status":     "loading",
		"loaded":     false,
		"generation": st.Generation,
		"built_at":   nil,
		"days":       nonNil(st.Days),
		"newest_day": nil,
	}
	if !st.BuiltAt.IsZero() {
		resp["built_at"] = st.BuiltAt.UTC().Format(time.RFC3339)
		resp["age_seconds"] = int64(s.now().Sub(st.BuiltAt).Seconds())
	}
	if len(st.Days) > 0 {
		resp["newest_day"] = st.Days[len(st.Days)-1]
	}
	if err != nil {
		s.log.Warn("healthz: cache unavailable", "err", err)
		resp["error"] = "cache unavailable"
	}
	if err != nil || !st.Loaded || db == nil {
		writeJSON(w, http.StatusServiceUnavailable, resp)
		return
	}
	resp["loaded"] = true
	resp["status"] = "ok"
	if st.BuiltAt.IsZero() || s.now().Sub(st.BuiltAt) > s.o.StaleAfter {
		resp["status"] = "stale"
	}
	writeJSON(w, http.StatusOK, resp)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// wantsJSON tells an API or script client from a browser page.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") ||
		!strings.Contains(r.Header.Get("Accept"), "text/html")
}
