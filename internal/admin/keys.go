package admin

import (
	"net/http"
	"net/url"

	"github.com/swarmbridge/swarmbridge/internal/access"
	"github.com/swarmbridge/swarmbridge/internal/db"
)

func (h *Handler) keyJSON(k db.Key) Key {
	out := Key{Key: k.Key, Note: k.Note, CreatedAt: k.CreatedAt, Expired: k.Expired(h.now())}
	if !k.ExpiresAt.IsZero() {
		exp := k.ExpiresAt
		out.ExpiresAt = &exp
	}
	return out
}

func (h *Handler) createKey(w http.ResponseWriter, r *http.Request) {
	var req CreateKeyRequest
	if err := decodeBody(w, r, smallBody, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ttl, err := ParseTTL(req.TTL)
	if err != nil {
		h.fail(w, r, badRequest("%v", err))
		return
	}
	k, err := h.store.CreateKey(r.Context(), db.NewKey{Key: req.Key, Note: req.Note, TTL: ttl})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/admin/keys/"+url.PathEscape(k.Key))
	writeJSON(w, http.StatusCreated, h.keyJSON(k))
}

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request) {
	q, err := queryParams(r, "after", "limit")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	limit, err := parseLimit(q["limit"], DefaultLimit, MaxLimit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(q["after"]) > access.MaxKeyLen {
		h.fail(w, r, badRequest("after: at most %d characters", access.MaxKeyLen))
		return
	}
	// One more than asked tells whether another page follows.
	keys, err := h.store.Keys(r.Context(), q["after"], limit+1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := KeyList{Keys: []Key{}}
	if len(keys) > limit {
		keys = keys[:limit]
		out.Next = keys[limit-1].Key
	}
	for _, k := range keys {
		out.Keys = append(out.Keys, h.keyJSON(k))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) getKey(w http.ResponseWriter, r *http.Request) {
	k, err := h.store.Key(r.Context(), r.PathValue("key"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.keyJSON(k))
}

func (h *Handler) deleteKey(w http.ResponseWriter, r *http.Request) {
	if err := h.store.DeleteKey(r.Context(), r.PathValue("key")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) importKeys(w http.ResponseWriter, r *http.Request) {
	var req ImportKeysRequest
	if err := decodeBody(w, r, batchBody, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(req.Keys) == 0 || len(req.Keys) > MaxBatch {
		h.fail(w, r, badRequest("keys: want 1 to %d keys per request", MaxBatch))
		return
	}
	added, err := h.store.ImportKeys(r.Context(), req.Keys, req.Note)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BatchResult{Added: added, Unchanged: len(req.Keys) - added})
}
