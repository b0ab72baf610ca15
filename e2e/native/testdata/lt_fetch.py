#!/usr/bin/python3
"""Download one torrent with libtorrent, learning peers only from its tracker.

Used by e2e/native's TestLibtorrentGetsPeers. It starts a libtorrent session
on 127.0.0.1 with DHT, local service discovery, UPnP and NAT-PMP off, adds
the .torrent given (whose only tracker is Swarmbridge), and prints one JSON
object per line on stdout:

  {"event": "start", "version": ..., "listen_port": ...}
  {"event": "tracker_reply", "url": ..., "num_peers": ...}
  {"event": "tracker_error", "url": ..., "message": ...}
  {"event": "peer", "ip": ..., "port": ..., "source": [...], "client": ...,
   "peer_id": hex}
  {"event": "peer_alert", "what": ..., "ip": ..., "port": ..., "peer_id": hex}
  {"event": "finished", "seconds": ...}
  {"event": "done", "finished": true/false, "replies_after_finish": N,
   "downloaded": bytes, "total": bytes}
  {"event": "stopped", "acknowledged": true/false}

It exits 0 when the download finished and the tracker acknowledged an
announce sent after that (libtorrent's "completed" event), 1 otherwise.
"""

import argparse
import json
import sys
import time

import libtorrent as lt


def emit(**kw):
    print(json.dumps(kw, sort_keys=True), flush=True)


SOURCES = [
    ("tracker", 0x1),
    ("dht", 0x2),
    ("pex", 0x4),
    ("lsd", 0x8),
    ("resume_data", 0x10),
    ("incoming", 0x20),
]


def source_names(flags):
    return [name for name, bit in SOURCES if flags & bit]


class PeerAlerts:
    """Reports each peer alert once per (kind, address, peer id)."""

    def __init__(self):
        self.seen = set()

    def handle(self, a):
        if not isinstance(a, lt.peer_alert):
            return
        ip, port = a.endpoint[0], a.endpoint[1]
        pid = bytes(a.pid.to_bytes()).hex()
        key = (a.what(), ip, port, pid)
        if key in self.seen:
            return
        self.seen.add(key)
        emit(event="peer_alert", what=a.what(), ip=ip, port=port, peer_id=pid)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--save", required=True)
    ap.add_argument("--timeout", type=float, default=90)
    args = ap.parse_args()

    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "outgoing_interfaces": "",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "alert_mask": lt.alert.category_t.status_notification
        | lt.alert.category_t.error_notification
        | lt.alert.category_t.tracker_notification
        | lt.alert.category_t.connect_notification
        | lt.alert.category_t.peer_notification,
        "user_agent": "swarmbridge-e2e libtorrent/" + lt.__version__,
    })
    emit(event="start", version=lt.__version__, listen_port=ses.listen_port())

    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(args.torrent)
    atp.save_path = args.save
    h = ses.add_torrent(atp)
    trackers = [t["url"] for t in h.trackers()]
    emit(event="trackers", urls=trackers)

    start = time.monotonic()
    deadline = start + args.timeout
    finished_at = None
    replies_after_finish = 0
    seen_peers = set()
    peer_alerts = PeerAlerts()

    while time.monotonic() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            peer_alerts.handle(a)
            if isinstance(a, lt.tracker_reply_alert):
                emit(event="tracker_reply", url=a.url, num_peers=a.num_peers)
                if finished_at is not None:
                    replies_after_finish += 1
            elif isinstance(a, lt.tracker_error_alert):
                emit(event="tracker_error", url=a.url, message=a.message())
            elif isinstance(a, lt.torrent_finished_alert):
                finished_at = time.monotonic()
                emit(event="finished", seconds=round(finished_at - start, 3))
            elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                emit(event="error", message=a.message())
        for p in h.get_peer_info():
            # Reported again once the handshake has told us the peer id.
            pid = bytes(p.pid.to_bytes()).hex()
            key = (p.ip[0], p.ip[1], pid)
            if key not in seen_peers:
                seen_peers.add(key)
                client = p.client
                if isinstance(client, bytes):
                    client = client.decode("utf-8", "replace")
                emit(event="peer", ip=p.ip[0], port=p.ip[1],
                     source=source_names(p.source), client=client,
                     peer_id=pid)
        if finished_at is not None and replies_after_finish > 0:
            break

    st = h.status()
    ok = finished_at is not None and replies_after_finish > 0
    emit(event="done", finished=finished_at is not None,
         replies_after_finish=replies_after_finish,
         downloaded=st.total_wanted_done, total=st.total_wanted)

    # Pausing sends "stopped"; wait (bounded) for the tracker to answer it,
    # so the session shuts down at once instead of racing the reply.
    ses.pause()
    stopped_reply = False
    stop_deadline = time.monotonic() + 15
    while not stopped_reply and time.monotonic() < stop_deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            peer_alerts.handle(a)
            if isinstance(a, lt.tracker_reply_alert):
                stopped_reply = True
            elif isinstance(a, lt.tracker_error_alert):
                emit(event="tracker_error", url=a.url, message=a.message())
    emit(event="stopped", acknowledged=stopped_reply)
    del ses
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
