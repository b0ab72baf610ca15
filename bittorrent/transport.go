package bittorrent

// Transport is what a request came over.
type Transport uint8

const (
	// TransportWS is WebSocket signaling (WebTorrent).
	TransportWS Transport = iota + 1
	// TransportHTTP is HTTP announce and scrape (BEP 3, 48).
	TransportHTTP
	// TransportUDP is the UDP tracker protocol (BEP 15).
	TransportUDP
)

// Transports lists every transport, for pre-registering metric labels.
func Transports() []Transport { return []Transport{TransportWS, TransportHTTP, TransportUDP} }

// String returns the transport's metric label: ws, http or udp.
func (t Transport) String() string {
	switch t {
	case TransportWS:
		return "ws"
	case TransportHTTP:
		return "http"
	case TransportUDP:
		return "udp"
	}
	return "unknown"
}
