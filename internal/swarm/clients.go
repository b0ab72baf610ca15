package swarm

import (
	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Client is the client family a peer id names, from its prefix. It feeds
// the tracker's statistics only; nothing is decided by it.
type Client uint8

// Client families, by the Azureus-style prefix "-XX1234-" that most clients
// put in their peer ids (and "M1-2-3--" for BitTorrent Mainline).
const (
	ClientOther Client = iota
	ClientWebTorrent
	ClientQBittorrent
	ClientTransmission
	ClientLibtorrent // Rasterbar libtorrent ("-LT"), Deluge and friends use their own prefixes
	ClientRTorrent   // rakshasa libtorrent ("-lt")
	ClientUTorrent
	ClientBitTorrent
	ClientDeluge
	ClientVuze
	ClientBiglyBT
	ClientAnacrolix
	ClientKTorrent
	ClientTixati
	NumClients
)

var clientNames = [NumClients]string{
	ClientOther:        "other",
	ClientWebTorrent:   "WebTorrent",
	ClientQBittorrent:  "qBittorrent",
	ClientTransmission: "Transmission",
	ClientLibtorrent:   "libtorrent",
	ClientRTorrent:     "rTorrent",
	ClientUTorrent:     "uTorrent",
	ClientBitTorrent:   "BitTorrent",
	ClientDeluge:       "Deluge",
	ClientVuze:         "Vuze",
	ClientBiglyBT:      "BiglyBT",
	ClientAnacrolix:    "anacrolix/torrent",
	ClientKTorrent:     "KTorrent",
	ClientTixati:       "Tixati",
}

// String names the family.
func (c Client) String() string {
	if c < NumClients {
		return clientNames[c]
	}
	return "other"
}

// ClientOf returns the family of a peer id.
func ClientOf(id bittorrent.PeerID) Client {
	if id[0] == 'M' && id[2] == '-' {
		return ClientBitTorrent // Mainline: "M7-4-3--"
	}
	if id[0] != '-' || id[7] != '-' {
		return ClientOther
	}
	switch string(id[1:3]) {
	case "WW", "WD":
		return ClientWebTorrent
	case "qB":
		return ClientQBittorrent
	case "TR":
		return ClientTransmission
	case "LT":
		return ClientLibtorrent
	case "lt":
		return ClientRTorrent
	case "UT", "UM":
		return ClientUTorrent
	case "BT":
		return ClientBitTorrent
	case "DE":
		return ClientDeluge
	case "AZ":
		return ClientVuze
	case "BI":
		return ClientBiglyBT
	case "GT":
		return ClientAnacrolix
	case "KT":
		return ClientKTorrent
	case "TX":
		return ClientTixati
	}
	return ClientOther
}
