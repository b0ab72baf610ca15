package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/swarmbridge/swarmbridge/internal/db"
)

// Body limits: one key's worth, and a batch of MaxBatch keys of the
// longest kind with room for the JSON around them.
const (
	smallBody = 4 << 10
	batchBody = 256 << 10
)

// MaxBatch bounds the keys or info hashes of one batch request.
const MaxBatch = 1000

// writeJSON sends v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // a failed write means the client left
}

// writeError sends {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg})
}

// httpError is an answer a handler gives up with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// decodeBody reads r's body, at most limit bytes of one JSON object,
// into v: fields v does not have, trailing data, another content type or
// an oversized body are refused.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, "send the body as Content-Type: application/json"}
	}
	return decodeJSON(http.MaxBytesReader(w, r.Body, limit), limit, v)
}

// decodeJSON is decodeBody's decoding, on any reader (the fuzz test
// calls it directly too).
func decodeJSON(body io.Reader, limit int64, v any) error {
	tooLarge := &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", limit)}
	var raw json.RawMessage
	dec := json.NewDecoder(body)
	if err := dec.Decode(&raw); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return tooLarge
		case errors.Is(err, io.EOF):
			return badRequest("empty request body: want a JSON object")
		}
		return badRequest("request body: %v", err)
	}
	// Exactly one value: anything after it is a mistake worth telling.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return tooLarge
		}
		return badRequest("request body: data after the JSON object")
	}
	if raw[0] != '{' { // a valid value, so no leading space
		return badRequest("request body: want a JSON object")
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		return badRequest("request body: %v", err)
	}
	return nil
}

// fail answers err: an httpError as it says, the database's
// not-found/exists/invalid errors as 404/409/400, anything else as a 500
// whose details go to the log only.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		writeError(w, he.status, he.msg)
	case errors.Is(err, db.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case errors.Is(err, db.ErrExists):
		writeError(w, http.StatusConflict, "already exists")
	case errors.Is(err, db.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		h.log.Error().Err(err).Str("method", r.Method).Str("route", r.Pattern).Msg("admin API: request failed")
		writeError(w, http.StatusInternalServerError, "internal error; the tracker's log has the details")
	}
}
