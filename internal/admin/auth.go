package admin

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// authorized reports whether r carries the bearer token. The comparison
// takes the same time whatever the token sent, so timing tells an
// attacker nothing about how close a guess was.
func (h *Handler) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(sum[:], h.tokenHash[:]) == 1
}

// refuse answers a request without a valid token. Neither the answer nor
// the log says anything about the token that was sent.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="swarmbridge admin"`)
	msg := "invalid bearer token"
	if r.Header.Get("Authorization") == "" {
		msg = "missing bearer token: send Authorization: Bearer <token>"
	}
	h.log.Warn().Str("method", r.Method).Str("client", r.RemoteAddr).Msg("admin API: refused a request without a valid token")
	writeError(w, http.StatusUnauthorized, msg)
}

// maxTokenFile bounds a token file.
const maxTokenFile = 4096

// ReadTokenFile reads the bearer token from path: the file's content
// without surrounding white space, at least MinTokenLen characters
// without white space or control characters inside. Errors never
// contain any of the file's content.
func ReadTokenFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("admin token file: %w", err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, fmt.Errorf("admin token file %s: %w", path, err)
	}
	if len(buf) > maxTokenFile {
		return nil, fmt.Errorf("admin token file %s: larger than %d bytes", path, maxTokenFile)
	}
	token := bytes.TrimSpace(buf)
	if len(token) < MinTokenLen {
		return nil, fmt.Errorf("admin token file %s: the token has %d characters, want at least %d (e.g. openssl rand -hex 32)", path, len(token), MinTokenLen)
	}
	if bytes.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, fmt.Errorf("admin token file %s: the token contains white space or control characters", path)
	}
	return token, nil
}
