// Package web holds the page the tracker serves at "/", embedded in the
// binary.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the embedded page and its assets.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub fails only for an invalid path, and "static" is valid.
		return http.NotFoundHandler()
	}
	return http.FileServerFS(sub)
}
