package httptracker

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/netip"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// ServeAnnounce answers a BEP 3 announce. Every outcome, failures included,
// is a bencoded dict sent with status 200.
func (h *Handler) ServeAnnounce(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h.stats.announces.Add(1)
	s := h.getScratch()
	defer h.putScratch(s)
	s.params = announceParams{}
	var f *Failure
	s.buf, f = h.announce(r, s, s.buf[:0])
	h.respond(w, s, f, "announce", s.params.eventLabel(), start)
}

// announce validates the request, applies it to the store and appends the
// response to b.
func (h *Handler) announce(r *http.Request, s *scratch, b []byte) ([]byte, *Failure) {
	q := r.URL.RawQuery
	if len(q) > h.maxQuery {
		return b, failQueryTooLong
	}
	client, f := h.clientAddress(r)
	if f != nil {
		return b, f
	}
	if f := h.admitRequest(r, client); f != nil {
		return b, f
	}
	p := &s.params
	if f := parseAnnounce(q, h.numWant, p); f != nil {
		return b, f
	}
	if p.unknownEvent {
		h.stats.unknownEvents.Add(1)
	}
	ctx := r.Context()
	ih := p.infoHash
	if p.hasPlus {
		if ih, f = h.resolvePlus(ctx, s, p.infoHash, p.infoHashPlus); f != nil {
			return b, f
		}
	}
	if f := refusal(h.authorize(r, bittorrent.ActionAnnounce, ih)); f != nil {
		return b, f
	}
	numWant := p.numWant
	if p.event == bittorrent.EventStopped {
		numWant = 0 // a leaving peer gets no peers (docs/protocol.md §6.5)
	}
	s.req = swarm.AnnounceRequest{
		InfoHash: ih,
		Peer: swarm.Peer{
			ID:   p.peerID,
			Kind: swarm.Native,
			Addr: netip.AddrPortFrom(client, p.port),
		},
		Event:    p.event,
		Left:     p.left,
		TTL:      h.peerTTL,
		NumWant:  numWant,
		Families: swarm.AnyFamily,
	}
	s.res.Counts = bittorrent.Counts{}
	s.res.Peers = s.res.Peers[:0]
	s.res.Rebound = 0
	if err := h.store.Announce(ctx, &s.req, &s.res); err != nil {
		return b, h.storeFailure(ctx, "announce", err)
	}
	// numwant bounds peers and peers6 together; the store promises that,
	// the slice keeps a misbehaving one from inflating responses.
	peers := s.res.Peers[:min(len(s.res.Peers), numWant)]
	return h.appendAnnounce(b, p, client, s.res.Counts, peers), nil
}

// resolvePlus picks the swarm an info_hash containing a raw '+' names: the
// literal form unless only the '+'-as-space form exists (doc.go). One
// Scrape answers both questions without creating either swarm.
func (h *Handler) resolvePlus(ctx context.Context, s *scratch, literal, spaced bittorrent.InfoHash) (bittorrent.InfoHash, *Failure) {
	s.hashes = append(s.hashes[:0], literal, spaced)
	counts, err := h.store.Scrape(ctx, s.hashes, s.counts[:0])
	s.counts = counts
	if err != nil {
		return literal, h.storeFailure(ctx, "scrape", err)
	}
	if len(counts) == 2 && !swarmExists(counts[0]) && swarmExists(counts[1]) {
		h.stats.plusRetries.Add(1)
		return spaced, nil
	}
	return literal, nil
}

// swarmExists reports whether counts describe a live swarm: the store
// deletes swarms left without entries, so a swarm exists iff it has peers.
func swarmExists(c bittorrent.Counts) bool { return c.Complete+c.Incomplete > 0 }

// appendAnnounce writes the announce response. Keys in byte order:
// complete, downloaded, external ip, incomplete, interval, min interval,
// peers, peers6.
func (h *Handler) appendAnnounce(b []byte, p *announceParams, client netip.Addr, c bittorrent.Counts, peers []swarm.Peer) []byte {
	b = appendDictStart(b)
	b = appendKeyInt(b, "complete", int64(c.Complete))
	b = appendKeyInt(b, "downloaded", int64(c.Downloaded))
	b = appendExternalIP(b, client)
	b = appendKeyInt(b, "incomplete", int64(c.Incomplete))
	b = appendKeyInt(b, "interval", h.intervalSec)
	b = appendKeyInt(b, "min interval", h.minIntervalSec)
	if p.compact {
		b = appendCompactPeers(b, peers)
	} else {
		b = appendPeerDicts(b, peers, p.noPeerID)
	}
	return appendEnd(b)
}

// appendExternalIP writes BEP 24 "external ip": the raw 4 or 16 bytes.
func appendExternalIP(b []byte, a netip.Addr) []byte {
	b = appendString(b, "external ip")
	if a.Is4() {
		v := a.As4()
		return appendString(b, v[:])
	}
	v := a.As16()
	return appendString(b, v[:])
}

// peerAddr returns the address to hand out for p, or false for entries a
// native client cannot use. The store promises native, unmapped peers; the
// check keeps a broken store from producing malformed responses. Zones are
// left for the text form to drop: binary forms have no room for them.
func peerAddr(p *swarm.Peer) (netip.Addr, bool) {
	a := p.Addr.Addr()
	if p.Kind != swarm.Native || !a.IsValid() {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// appendCompactPeers writes "peers" (BEP 23, 6-byte IPv4 entries) and
// "peers6" (BEP 7, 18-byte IPv6 entries). Both are always present, possibly
// empty (docs/protocol.md §10.2), as bittorrent-tracker sends them.
func appendCompactPeers(b []byte, peers []swarm.Peer) []byte {
	n4, n6 := 0, 0
	for i := range peers {
		if a, ok := peerAddr(&peers[i]); ok {
			if a.Is4() {
				n4++
			} else {
				n6++
			}
		}
	}
	b = appendString(b, "peers")
	b = appendStringHeader(b, 6*n4)
	for i := range peers {
		if a, ok := peerAddr(&peers[i]); ok && a.Is4() {
			v := a.As4()
			b = append(b, v[:]...)
			b = binary.BigEndian.AppendUint16(b, peers[i].Addr.Port())
		}
	}
	b = appendString(b, "peers6")
	b = appendStringHeader(b, 18*n6)
	for i := range peers {
		if a, ok := peerAddr(&peers[i]); ok && !a.Is4() {
			v := a.As16()
			b = append(b, v[:]...)
			b = binary.BigEndian.AppendUint16(b, peers[i].Addr.Port())
		}
	}
	return b
}

// appendPeerDicts writes the BEP 3 dictionary model: one list mixing IPv4
// and IPv6 peers, each {ip, peer id, port} in that (byte) order, without
// "peer id" when the client sent no_peer_id=1.
func appendPeerDicts(b []byte, peers []swarm.Peer, noPeerID bool) []byte {
	b = appendString(b, "peers")
	b = appendListStart(b)
	for i := range peers {
		a, ok := peerAddr(&peers[i])
		if !ok {
			continue
		}
		var text [64]byte // longest IPv6 text is 45 bytes
		b = appendDictStart(b)
		b = appendKeyString(b, "ip", a.WithZone("").AppendTo(text[:0]))
		if !noPeerID {
			b = appendKeyString(b, "peer id", peers[i].ID[:])
		}
		b = appendKeyInt(b, "port", int64(peers[i].Addr.Port()))
		b = appendEnd(b)
	}
	return appendEnd(b)
}
