package udptracker

// BEP 41 option types (docs/protocol.md §10.7).
const (
	optEndOfOptions = 0x00
	optNOP          = 0x01
	optURLData      = 0x02
)

// parseOptions walks the BEP 41 options that follow an announce and
// appends every URLData payload to dst, concatenated: clients split URLs
// longer than 255 bytes over several options.
//
// urlData is nil when no URLData option was present and non-nil (possibly
// empty) when one was, because an empty URLData is meaningful ("I support
// URLData"). Unknown types are skipped by their length byte as BEP 41 asks.
// ok is false when an option runs past the end of the packet; the caller
// then ignores all options but still serves the announce
// (docs/protocol.md §10.7). dst's backing array is reused, so callers can
// keep one buffer.
func parseOptions(opts, dst []byte) (urlData []byte, ok bool) {
	urlData = nil
	for i := 0; i < len(opts); {
		typ := opts[i]
		switch typ {
		case optEndOfOptions:
			return urlData, true
		case optNOP:
			i++
			continue
		}
		if i+1 >= len(opts) {
			return nil, false
		}
		n := int(opts[i+1])
		end := i + 2 + n
		if end > len(opts) {
			return nil, false
		}
		if typ == optURLData {
			if urlData == nil {
				// dst[:0] of a nil dst stays nil; an empty but present
				// URLData must still be non-nil.
				urlData = dst[:0]
				if urlData == nil {
					urlData = []byte{}
				}
			}
			urlData = append(urlData, opts[i+2:end]...)
		}
		i = end
	}
	return urlData, true
}
