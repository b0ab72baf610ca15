package server

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Reload re-reads what SIGHUP covers: the TLS certificate, the info hash
// list and the keys file, or with a database its keys and list. What
// fails to load is logged and its previous version stays in use;
// connections stay open. Run calls it for every value on its reload
// channel.
func (s *Server) Reload() {
	ctx, cancel := context.WithTimeout(context.Background(), reloadTimeout)
	defer cancel()
	_ = s.reload(ctx, "SIGHUP")
}

// reloadTimeout bounds a SIGHUP's database read.
const reloadTimeout = 10 * time.Second

// reload is Reload for any cause (SIGHUP, the admin API): it logs each
// part under cause and returns what failed.
func (s *Server) reload(ctx context.Context, cause string) error {
	var errs []error
	if s.certs != nil {
		if err := s.certs.Reload(); err != nil {
			s.log.Error().Err(err).Msg(cause + ": TLS certificate not reloaded; keeping the previous one")
			errs = append(errs, err)
		} else {
			s.log.Info().Msg(cause + ": TLS certificate reloaded")
		}
	}
	if s.data != nil {
		if err := s.data.refresh(ctx); err != nil {
			s.log.Error().Err(err).Msg(cause + ": keys and info hashes not re-read from the database; keeping the previous ones")
			errs = append(errs, fmt.Errorf("database: %w", err))
		} else {
			s.log.Info().Str("access", s.AccessSummary()).Msg(cause + ": keys and info hashes re-read from the database")
		}
	} else if s.Reloadable() {
		if err := s.ReloadAccess(); err != nil {
			s.log.Error().Err(err).Str("access", s.AccessSummary()).Msg(cause + ": access list not reloaded; keeping the previous version of the file that failed")
			errs = append(errs, err)
		} else {
			s.log.Info().Str("access", s.AccessSummary()).Msg(cause + ": access lists reloaded")
		}
	}
	return errors.Join(errs...)
}
