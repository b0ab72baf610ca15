package server

// Reload re-reads what SIGHUP covers: the TLS certificate, the info hash
// list and the keys file. A file that fails to load is logged and its
// previous version stays in use; connections stay open. Run calls it for
// every value on its reload channel.
func (s *Server) Reload() {
	if s.certs != nil {
		if err := s.certs.Reload(); err != nil {
			s.log.Error().Err(err).Msg("SIGHUP: TLS certificate not reloaded; keeping the previous one")
		} else {
			s.log.Info().Msg("SIGHUP: TLS certificate reloaded")
		}
	}
	if s.Reloadable() {
		if err := s.ReloadAccess(); err != nil {
			s.log.Error().Err(err).Str("access", s.AccessSummary()).Msg("SIGHUP: access list not reloaded; keeping the previous version of the file that failed")
		} else {
			s.log.Info().Str("access", s.AccessSummary()).Msg("SIGHUP: access lists reloaded")
		}
	}
}
