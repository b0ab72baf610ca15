package admin

import (
	"net/http"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

func (h *Handler) torrent(w http.ResponseWriter, r *http.Request) {
	ih, err := parseInfoHash("info hash", r.PathValue("info_hash"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, found, err := h.stats.Torrent(r.Context(), ih)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, "the tracker knows nothing of this torrent")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *Handler) busiest(w http.ResponseWriter, r *http.Request) {
	q, err := queryParams(r, "limit")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := parseLimit(q["limit"], DefaultBusiest, MaxBusiest)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.stats.Busiest(r.Context(), n)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(list) > n {
		list = list[:n]
	}
	if list == nil {
		list = []TorrentStats{}
	}
	writeJSON(w, http.StatusOK, TorrentList{Torrents: list})
}

func (h *Handler) reload(w http.ResponseWriter, r *http.Request) {
	summary, err := h.reloader.Reload(r.Context())
	if err != nil {
		// Which file failed and where is what the operator needs; the
		// reloader's errors name files and lines, never secrets.
		h.log.Error().Err(err).Msg("admin API: reload failed; the previous versions stay in force")
		writeError(w, http.StatusInternalServerError, "reload failed, the previous versions stay in force: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, ReloadResult{Summary: summary})
}
