package main

import (
	"crypto/tls"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/certs"
	"github.com/swarmbridge/swarmbridge/internal/config"
)

// accessReloader is the part of server.Server that SIGHUP reloads.
type accessReloader interface {
	Reloadable() bool
	ReloadAccess() error
	AccessSummary() string
}

// reload re-reads what SIGHUP covers: the TLS certificate, the info hash
// list and the keys file. A file that fails to load is logged and the
// previous version stays in use; connections stay open.
func reload(log zerolog.Logger, c *certs.Reloader, a accessReloader) {
	if c != nil {
		if err := c.Reload(); err != nil {
			log.Error().Err(err).Msg("SIGHUP: TLS certificate not reloaded; keeping the previous one")
		} else {
			log.Info().Msg("SIGHUP: TLS certificate reloaded")
		}
	}
	if a != nil && a.Reloadable() {
		if err := a.ReloadAccess(); err != nil {
			log.Error().Err(err).Str("access", a.AccessSummary()).Msg("SIGHUP: access list not reloaded; keeping the previous version of the file that failed")
		} else {
			log.Info().Str("access", a.AccessSummary()).Msg("SIGHUP: access lists reloaded")
		}
	}
}

// healthClient talks to the local tracker. With TLS it skips verification:
// the certificate names the public host, and the check only asks whether
// this process answers.
func healthClient(cfg config.Config) *http.Client {
	if cfg.TLSCert == "" {
		return http.DefaultClient
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // local liveness probe, see above
}
