package admin

import (
	"net/http"
)

// route is one operation of the API. statuses lists every status it can
// answer with; the OpenAPI test holds openapi.json to this table.
type route struct {
	method, pattern string
	public          bool // served without a token
	statuses        []int
	handle          func(h *Handler, w http.ResponseWriter, r *http.Request)
}

// Status sets shared by routes.
const (
	sOK       = http.StatusOK
	sCreated  = http.StatusCreated
	sNoBody   = http.StatusNoContent
	sBad      = http.StatusBadRequest
	sAuth     = http.StatusUnauthorized
	sNotFound = http.StatusNotFound
	sConflict = http.StatusConflict
	sTooLarge = http.StatusRequestEntityTooLarge
	sMedia    = http.StatusUnsupportedMediaType
	sInternal = http.StatusInternalServerError
)

var routes = []route{
	{method: "GET", pattern: "/admin/openapi.json", public: true, statuses: []int{sOK}, handle: (*Handler).openAPI},

	{method: "POST", pattern: "/admin/keys", statuses: []int{sCreated, sBad, sAuth, sConflict, sTooLarge, sMedia, sInternal}, handle: (*Handler).createKey},
	{method: "GET", pattern: "/admin/keys", statuses: []int{sOK, sBad, sAuth, sInternal}, handle: (*Handler).listKeys},
	{method: "POST", pattern: "/admin/keys/import", statuses: []int{sOK, sBad, sAuth, sTooLarge, sMedia, sInternal}, handle: (*Handler).importKeys},
	{method: "GET", pattern: "/admin/keys/{key}", statuses: []int{sOK, sAuth, sNotFound, sInternal}, handle: (*Handler).getKey},
	{method: "DELETE", pattern: "/admin/keys/{key}", statuses: []int{sNoBody, sAuth, sNotFound, sInternal}, handle: (*Handler).deleteKey},

	{method: "GET", pattern: "/admin/infohashes", statuses: []int{sOK, sBad, sAuth, sInternal}, handle: (*Handler).listInfoHashes},
	{method: "POST", pattern: "/admin/infohashes", statuses: []int{sOK, sBad, sAuth, sTooLarge, sMedia, sInternal}, handle: (*Handler).addInfoHashes},
	{method: "DELETE", pattern: "/admin/infohashes/{info_hash}", statuses: []int{sNoBody, sBad, sAuth, sNotFound, sInternal}, handle: (*Handler).removeInfoHash},

	{method: "GET", pattern: "/admin/torrents", statuses: []int{sOK, sBad, sAuth, sInternal}, handle: (*Handler).busiest},
	{method: "GET", pattern: "/admin/torrents/{info_hash}", statuses: []int{sOK, sBad, sAuth, sNotFound, sInternal}, handle: (*Handler).torrent},

	{method: "POST", pattern: "/admin/reload", statuses: []int{sOK, sAuth, sInternal}, handle: (*Handler).reload},
}
