package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const secretPath = "/services/T0SECRET/B0SECRET/xoxSECRETTOKEN"

// server answers the posts it gets with answer(n) (n counts from 1) and
// keeps their bodies.
type server struct {
	*httptest.Server
	n      atomic.Int32
	mu     sync.Mutex
	bodies []map[string]any
	times  []time.Time
}

func newServer(t *testing.T, answer func(n int, w http.ResponseWriter)) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.n.Add(1))
		var m map[string]any
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != secretPath || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &m) != nil {
			t.Errorf("bad request %s %s %q: %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"), b)
		}
		s.mu.Lock()
		s.bodies = append(s.bodies, m)
		s.times = append(s.times, time.Now())
		s.mu.Unlock()
		answer(n, w)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) webhook() *Webhook {
	return &Webhook{URL: s.URL + secretPath, Client: s.Client(), Retries: 3, Backoff: 5 * time.Millisecond}
}

// noSecret fails when err's text holds any part of the webhook URL's secret.
func noSecret(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{"SECRET", secretPath, "T0SECRET"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error shows the URL: %v", err)
		}
	}
}

func TestSuccess(t *testing.T) {
	s := newServer(t, func(int, http.ResponseWriter) {})
	var n Notifier = s.webhook()
	fields := map[string]string{"rule": "hdfs_mass_delete", "severity": "high", "reason": "user_name=bob count=12000"}
	if err := n.Notify(context.Background(), "spotlake alert: hdfs_mass_delete", fields); err != nil {
		t.Fatal(err)
	}
	if s.n.Load() != 1 {
		t.Fatalf("%d posts", s.n.Load())
	}
	b, _ := json.Marshal(s.bodies[0])
	want := `{"attachments":[{"color":"danger","fallback":"spotlake alert: hdfs_mass_delete\nreason: user_name=bob count=12000\nrule: hdfs_mass_delete\nseverity: high",` +
		`"fields":[{"short":true,"title":"reason","value":"user_name=bob count=12000"},{"short":true,"title":"rule","value":"hdfs_mass_delete"},{"short":true,"title":"severity","value":"high"}]}],` +
		`"text":"spotlake alert: hdfs_mass_delete"}`
	if string(b) != want {
		t.Errorf("body\n%s\nwant\n%s", b, want)
	}
	// Without fields: text only.
	if err := s.webhook().Post(context.Background(), "hello", nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(s.bodies[1]); string(b) != `{"text":"hello"}` {
		t.Errorf("body %s", b)
	}
}

func TestRetry5xx(t *testing.T) {
	s := newServer(t, func(n int, w http.ResponseWriter) {
		if n <= 2 {
			http.Error(w, "upstream hiccup", http.StatusInternalServerError+n) // 501, 502
		}
	})
	if err := s.webhook().Post(context.Background(), "x", nil); err != nil {
		t.Fatal(err)
	}
	if got := s.n.Load(); got != 3 {
		t.Errorf("%d posts, want 3", got)
	}
}

func TestRetryAfter429(t *testing.T) {
	s := newServer(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	w := s.webhook()
	w.Backoff = time.Millisecond
	if err := w.Post(context.Background(), "x", nil); err != nil {
		t.Fatal(err)
	}
	if s.n.Load() != 2 {
		t.Fatalf("%d posts, want 2", s.n.Load())
	}
	if d := s.times[1].Sub(s.times[0]); d < 900*time.Millisecond {
		t.Errorf("retried after %s, before Retry-After: 1", d)
	}
}

func TestGiveUp(t *testing.T) {
	s := newServer(t, func(n int, w http.ResponseWriter) {
		http.Error(w, "no_service "+secretPath, http.StatusServiceUnavailable)
	})
	err := s.webhook().Post(context.Background(), "x", nil)
	var we *Error
	if !errors.As(err, &we) || we.Status != 503 || we.Attempts != 4 {
		t.Fatalf("err = %#v", err)
	}
	if s.n.Load() != 4 {
		t.Errorf("%d posts, want 4 (1 + 3 retries)", s.n.Load())
	}
	if !strings.Contains(err.Error(), "gave up after 4 attempts") || !strings.Contains(err.Error(), "/...(redacted)") {
		t.Errorf("err = %v", err)
	}
	noSecret(t, err)
	t.Log(err)
}

func TestPermanent400(t *testing.T) {
	s := newServer(t, func(n int, w http.ResponseWriter) {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
	})
	err := s.webhook().Post(context.Background(), "x", nil)
	var we *Error
	if !errors.As(err, &we) || we.Status != 400 || we.Body != "invalid_payload" {
		t.Fatalf("err = %v", err)
	}
	if s.n.Load() != 1 {
		t.Errorf("%d posts: a 400 must not be retried", s.n.Load())
	}
	want := `webhook http://` + strings.TrimPrefix(s.URL, "http://") + `/...(redacted): HTTP 400 "invalid_payload"`
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	noSecret(t, err)
}

func TestContextCancel(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		<-release // hang the retry
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s.n.Load() < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	w := s.webhook()
	w.Retries = 10
	start := time.Now()
	err := w.Post(ctx, "x", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("cancel did not stop the post")
	}
	noSecret(t, err)

	// Canceled while waiting to retry.
	s2 := newServer(t, func(n int, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) })
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	w = s2.webhook()
	w.Backoff = time.Hour
	if err := w.Post(ctx, "x", nil); !errors.Is(err, context.DeadlineExceeded) || s2.n.Load() != 1 {
		t.Errorf("err = %v after %d posts", err, s2.n.Load())
	}
}

func TestNetworkError(t *testing.T) {
	// A port nothing listens on: connection refused, retried, then given up.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	w := &Webhook{URL: "http://" + addr + secretPath + "?token=SECRET", Retries: 2, Backoff: time.Millisecond}
	err = w.Post(context.Background(), "x", nil)
	var we *Error
	if !errors.As(err, &we) || we.Attempts != 3 || we.Status != 0 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "webhook http://"+addr+"/...(redacted): ") {
		t.Errorf("err = %v", err)
	}
	noSecret(t, err)
	t.Log(err)

	// An unparsable URL is not quoted either.
	err = (&Webhook{URL: "http://exa mple.com" + secretPath}).Post(context.Background(), "x", nil)
	if err == nil {
		t.Fatal("no error")
	}
	noSecret(t, err)
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"0.5":                           500 * time.Millisecond,
		"-1":                            0,
		"NaN":                           0,
		"86400":                         MaxRetryAfter,
		"Sat, 21 Nov 2026 10:00:30 GMT": 30 * time.Second,
		"Sat, 21 Nov 2026 09:00:00 GMT": 0,
		"soon":                          0,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T/B/X": "https://hooks.slack.com/...(redacted)",
		"https://chat.example.com/hooks/abc?x=1": "https://chat.example.com/...(redacted)",
		"not a url":                              "(redacted)",
		"":                                       "(redacted)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDiscard(t *testing.T) {
	var n Notifier = Discard{}
	if err := n.Notify(context.Background(), "x", map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
}
