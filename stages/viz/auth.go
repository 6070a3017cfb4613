package viz

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// tokenOK compares a presented token with the configured one in constant
// time (hashing first, so the length does not leak either).
func (s *server) tokenOK(got string) bool {
	if got == "" {
		return false
	}
	a := sha256.Sum256([]byte(got))
	b := sha256.Sum256([]byte(s.o.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// presented is the token a request carries: a Bearer header, else the cookie.
func presented(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value
	}
	return ""
}

const tokenPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>spotlake: token required</title>
<link rel="stylesheet" href="/style.css"></head>
<body><main class="login"><h1>Token required</h1>
<p>This dashboard needs its access token: the value of the environment
variable named by <code>viz.token_env</code> (<code>SPOTLAKE_TOKEN</code> by
default) where <code>spotlake serve</code> runs. Open
<code>/login?token=TOKEN</code> once, or send
<code>Authorization: Bearer TOKEN</code>.</p></main></body></html>
`

// auth requires the token (when one is set) on every request but /healthz,
// /login and the stylesheet of the token page.
func (s *server) auth(next http.Handler) http.Handler {
	if s.o.Token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/login", "/style.css", "/favicon.ico":
			next.ServeHTTP(w, r)
			return
		}
		if s.tokenOK(presented(r)) {
			next.ServeHTTP(w, r)
			return
		}
		s.denied(w, r)
	})
}

func (s *server) denied(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="spotlake"`)
	if wantsJSON(r) {
		writeError(w, http.StatusUnauthorized, "token required: send Authorization: Bearer TOKEN or open /login?token=TOKEN")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(tokenPage))
}

// login sets the token cookie when ?token= is right and redirects to /.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	if s.o.Token == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	tok := r.URL.Query().Get("token")
	if !s.tokenOK(tok) {
		s.log.Info("dashboard login refused", "remote", r.RemoteAddr)
		s.denied(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    tok,
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
