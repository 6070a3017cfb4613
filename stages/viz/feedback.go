package viz

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

const maxNoteLen = 2000

type feedbackReq struct {
	EventID string `json:"event_id"`
	Label   string `json:"label"`
	Note    string `json:"note"`
}

// POST /api/feedback {event_id, label, note}
func (s *server) feedback(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type: want application/json")
		return
	}
	if s.o.Labeler == nil {
		writeError(w, http.StatusNotImplemented, "feedback is not enabled on this server")
		return
	}
	var req feedbackReq
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "body: over 64 KiB")
			return
		}
		writeError(w, http.StatusBadRequest, "body: not a JSON object {event_id, label, note}: "+err.Error())
		return
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		writeError(w, http.StatusBadRequest, "body: one JSON object only")
		return
	}
	req.EventID, req.Label, req.Note = strings.TrimSpace(req.EventID), strings.TrimSpace(req.Label), strings.TrimSpace(req.Note)
	switch {
	case req.EventID == "" || len(req.EventID) > maxTextLen:
		writeError(w, http.StatusBadRequest, sprintf("event_id: want 1 to %d characters", maxTextLen))
		return
	case !slices.Contains(Labels, req.Label):
		writeError(w, http.StatusBadRequest, sprintf("label: %q; use benign or malicious", req.Label))
		return
	case utf8.RuneCountInString(req.Note) > maxNoteLen || !utf8.ValidString(req.Note):
		writeError(w, http.StatusBadRequest, sprintf("note: want valid text of at most %d characters", maxNoteLen))
		return
	}
	ctx := r.Context()
	if err := s.o.Labeler.Label(ctx, req.EventID, req.Label, req.Note); err != nil {
		switch {
		case errors.Is(err, ErrNotFound):
			writeError(w, http.StatusNotFound, "event_id: "+quote(req.EventID)+" not found")
		case errors.Is(err, ErrBadInput):
			s.log.Info("feedback refused", "event_id", req.EventID, "err", err)
			writeError(w, http.StatusBadRequest, "feedback refused: "+shortErr(err))
		default:
			s.log.Error("feedback failed", "event_id", req.EventID, "label", req.Label, "err", err)
			writeError(w, http.StatusInternalServerError, "could not record the feedback; see the server log")
		}
		return
	}
	s.cacheLabel(ctx, req)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "event_id": req.EventID, "label": req.Label})
}

// shortErr is the first line of err, cut to 200 bytes.
func shortErr(err error) string {
	m, _, _ := strings.Cut(err.Error(), "\n")
	if len(m) > 200 {
		m = m[:200] + "…"
	}
	return m
}

// cacheLabel copies a recorded label into the cache's feedback table so the
// dashboard shows it before the next refresh. The Iceberg table is the
// truth; a failure here is logged only.
func (s *server) cacheLabel(ctx context.Context, req feedbackReq) {
	db, _, release, err := s.o.Store.Acquire(ctx)
	if err != nil || db == nil {
		if release != nil {
			release()
		}
		s.log.Warn("feedback recorded but not copied into the cache", "event_id", req.EventID, "err", err)
		return
	}
	defer release()
	// Take source, day and the detection's document/word/kind/key from the
	// suspicious row when there is one, else source and day from the event.
	res, err := db.ExecContext(ctx, `INSERT INTO feedback (event_id, label, note, source, document, word, kind, key, input_day, labelled_at)
		SELECT ?, ?, ?, source, document, word, kind, key, input_day, now() FROM suspicious WHERE event_id = ?
		ORDER BY rank LIMIT 1`, req.EventID, req.Label, req.Note, req.EventID)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			res, err = db.ExecContext(ctx, `INSERT INTO feedback (event_id, label, note, source, input_day, labelled_at)
				SELECT ?, ?, ?, source, input_day, now() FROM events WHERE event_id = ? LIMIT 1`,
				req.EventID, req.Label, req.Note, req.EventID)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 0 {
					_, err = db.ExecContext(ctx, `INSERT INTO feedback (event_id, label, note, labelled_at) VALUES (?, ?, ?, now())`,
						req.EventID, req.Label, req.Note)
				}
			}
		}
	}
	if err != nil {
		s.log.Warn("feedback recorded but not copied into the cache", "event_id", req.EventID, "err", err)
	}
}
