// Package notify sends alert notifications. Notifier is what the pipeline
// calls; Webhook posts to a Slack-compatible incoming webhook (Slack,
// Mattermost, Rocket.Chat, Discord's /slack endpoint, ...); Discard drops
// everything.
//
// A webhook URL is a secret (whoever has it can post): it comes from an
// environment variable named in config, and no error of this package
// contains it (errors name the host only: webhook
// https://hooks.slack.com/...(redacted)).
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Notifier sends one notification: a title and named fields.
type Notifier interface {
	Notify(ctx context.Context, title string, fields map[string]string) error
}

// Discard is a Notifier that sends nothing.
type Discard struct{}

// Notify does nothing.
func (Discard) Notify(context.Context, string, map[string]string) error { return nil }

// Webhook posts messages to a Slack-compatible incoming webhook.
type Webhook struct {
	URL    string       // the webhook URL: a secret, never logged
	Client *http.Client // nil: a client with a 10 s timeout
	// Retries is how many times a failed post is tried again: on network
	// errors, 408, 429 (after its Retry-After) and 5xx. 0 means
	// DefaultRetries; a negative number, none.
	Retries int
	// Backoff is the wait before the first retry (DefaultBackoff when 0);
	// it doubles for each further retry, up to MaxBackoff, with jitter
	// (a random wait between half and all of it).
	Backoff time.Duration
}

// Defaults and limits.
const (
	DefaultRetries = 3
	DefaultBackoff = time.Second
	MaxBackoff     = 30 * time.Second
	// MaxRetryAfter caps the wait a 429's Retry-After can ask for.
	MaxRetryAfter = 2 * time.Minute
)

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// Notify posts title as the message text and fields as its attachment's
// fields.
func (w *Webhook) Notify(ctx context.Context, title string, fields map[string]string) error {
	return w.Post(ctx, title, fields)
}

// message is the JSON body: Slack's text plus one legacy attachment with
// the fields, which Slack and its look-alikes all render.
type message struct {
	Text        string       `json:"text"`
	Attachments []attachment `json:"attachments,omitempty"`
}

type attachment struct {
	Fallback string  `json:"fallback"`
	Color    string  `json:"color,omitempty"`
	Fields   []field `json:"fields"`
}

type field struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// Body returns the JSON that Post sends: {"text": text, "attachments":
// [{"fallback": ..., "fields": [{"title", "value", "short"}, ...]}]}, the
// fields sorted by name. A field named "severity" colours the attachment
// (high red, medium orange, low grey).
func Body(text string, fields map[string]string) ([]byte, error) {
	m := message{Text: text}
	if len(fields) > 0 {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		a := attachment{Fallback: text}
		var fb strings.Builder
		fb.WriteString(text)
		for _, k := range keys {
			v := fields[k]
			a.Fields = append(a.Fields, field{Title: k, Value: v, Short: len(v) <= 40})
			fmt.Fprintf(&fb, "\n%s: %s", k, v)
		}
		a.Fallback = fb.String()
		a.Color = map[string]string{"high": "danger", "medium": "warning", "low": "#999999"}[fields["severity"]]
		m.Attachments = []attachment{a}
	}
	return json.Marshal(m)
}

// Error is a post that failed for good.
type Error struct {
	Endpoint string // the URL, redacted: scheme and host only
	Attempts int    // posts tried
	Status   int    // HTTP status of the last answer; 0 when there was none
	Body     string // start of the last answer's body
	Err      error  // the last cause when there was no answer (network error, context)
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "webhook %s: ", e.Endpoint)
	switch {
	case e.Status != 0:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.Body != "" {
			fmt.Fprintf(&b, " %q", e.Body)
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Redact returns the URL without its secret parts: scheme and host, then
// "/...(redacted)".
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(redacted)"
	}
	return u.Scheme + "://" + u.Host + "/...(redacted)"
}

// Post sends text and fields (see Body), trying again on network errors,
// 408, 429 and 5xx answers. Any 2xx answer is success; other answers fail at
// once. Errors are *Error and never contain the URL.
func (w *Webhook) Post(ctx context.Context, text string, fields map[string]string) error {
	body, err := Body(text, fields)
	if err != nil {
		return err
	}
	retries := w.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	backoff := w.Backoff
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	client := w.Client
	if client == nil {
		client = defaultClient
	}
	fail := &Error{Endpoint: Redact(w.URL)}
	for attempt := 0; ; attempt++ {
		fail.Attempts = attempt + 1
		wait, retry, err := w.try(ctx, client, body, fail)
		if err == nil {
			return nil
		}
		if !retry || attempt >= retries || ctx.Err() != nil {
			if ctx.Err() != nil {
				fail.Status, fail.Body, fail.Err = 0, "", ctx.Err()
			}
			return fail
		}
		if wait == 0 {
			d := min(backoff, MaxBackoff)
			for range attempt {
				d = min(2*d, MaxBackoff)
			}
			wait = d/2 + rand.N(d/2+1)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			fail.Status, fail.Body, fail.Err = 0, "", ctx.Err()
			return fail
		case <-t.C:
		}
	}
}

// try posts once. It fills fail with what went wrong and says whether to
// retry, and after how long when the server said (Retry-After).
func (w *Webhook) try(ctx context.Context, client *http.Client, body []byte, fail *Error) (wait time.Duration, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		fail.Err = errors.New("invalid webhook URL") // err would quote it
		return 0, false, fail
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		fail.Status, fail.Body, fail.Err = 0, "", w.scrub(err)
		return 0, true, fail
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, false, nil
	}
	fail.Status, fail.Err = resp.StatusCode, nil
	fail.Body = w.scrubText(strings.TrimSpace(string(snippet)))
	if len(fail.Body) > 200 {
		fail.Body = fail.Body[:200] + "..."
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return retryAfter(resp.Header.Get("Retry-After"), time.Now()), true, fail
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return retryAfter(resp.Header.Get("Retry-After"), time.Now()), true, fail
	}
	return 0, false, fail
}

// retryAfter parses a Retry-After header (seconds or an HTTP date), capped
// at MaxRetryAfter; 0 when absent or unparsable.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.ParseFloat(h, 64); err == nil {
		if s <= 0 || s != s {
			return 0
		}
		d = time.Duration(min(s, MaxRetryAfter.Seconds()) * float64(time.Second))
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}

// scrub returns err without the URL: net/http's *url.Error quotes it.
func (w *Webhook) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errors.New(w.scrubText(err.Error()))
}

// scrubText replaces the URL, and its path and query, in s.
func (w *Webhook) scrubText(s string) string {
	if w.URL == "" {
		return s
	}
	red := Redact(w.URL)
	s = strings.ReplaceAll(s, w.URL, red)
	if u, err := url.Parse(w.URL); err == nil {
		for _, part := range []string{u.RawQuery, u.EscapedPath(), u.Path} {
			if len(part) > 1 {
				s = strings.ReplaceAll(s, part, "...(redacted)")
			}
		}
	}
	return s
}
