package admin

import (
	"encoding/hex"
	"net/http"
)

// parseInfoHash reads 40 hex digits, either case.
func parseInfoHash(what, s string) ([20]byte, error) {
	var ih [20]byte
	if len(s) != 40 {
		return ih, badRequest("%s: want an info hash as 40 hex digits", what)
	}
	if _, err := hex.Decode(ih[:], []byte(s)); err != nil {
		return ih, badRequest("%s: want an info hash as 40 hex digits", what)
	}
	return ih, nil
}

func (h *Handler) listInfoHashes(w http.ResponseWriter, r *http.Request) {
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
	after := ""
	if q["after"] != "" {
		ih, err := parseInfoHash("after", q["after"])
		if err != nil {
			h.fail(w, r, err)
			return
		}
		after = hex.EncodeToString(ih[:])
	}
	list, err := h.store.InfoHashes(r.Context(), after, limit+1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := InfoHashList{Mode: h.mode, InfoHashes: []InfoHash{}}
	if len(list) > limit {
		list = list[:limit]
		out.Next = hex.EncodeToString(list[limit-1].Hash[:])
	}
	for _, e := range list {
		out.InfoHashes = append(out.InfoHashes, InfoHash{InfoHash: hex.EncodeToString(e.Hash[:]), Note: e.Note, AddedAt: e.AddedAt})
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) addInfoHashes(w http.ResponseWriter, r *http.Request) {
	var req AddInfoHashesRequest
	if err := decodeBody(w, r, batchBody, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(req.InfoHashes) == 0 || len(req.InfoHashes) > MaxBatch {
		h.fail(w, r, badRequest("info_hashes: want 1 to %d info hashes per request", MaxBatch))
		return
	}
	hashes := make([][20]byte, len(req.InfoHashes))
	for i, s := range req.InfoHashes {
		var err error
		if hashes[i], err = parseInfoHash("info_hashes["+itoa(i)+"]", s); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	added, err := h.store.AddInfoHashes(r.Context(), hashes, req.Note)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BatchResult{Added: added, Unchanged: len(hashes) - added})
}

func (h *Handler) removeInfoHash(w http.ResponseWriter, r *http.Request) {
	ih, err := parseInfoHash("info hash", r.PathValue("info_hash"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.RemoveInfoHash(r.Context(), ih); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
