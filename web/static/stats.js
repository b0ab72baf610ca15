// The live swarm panel: tracker-wide totals and the counts of this page's
// torrents, polled from /stats every 5 s while the tab is visible.

import { $, h } from './dom.js'
import { plural } from './format.js'

const POLL_MS = 5000

export function startStats ({ hashes = () => [], names = () => new Map(), onTorrents = () => {}, onFailure = () => {} }) {
  let timer = 0
  let inflight = false
  let soon = 0

  async function poll () {
    clearTimeout(timer)
    if (document.hidden) return // resumed by visibilitychange
    if (inflight) { schedule(); return }
    inflight = true
    try {
      const q = hashes().slice(0, 50).map(x => 'info_hash=' + x).join('&')
      const res = await fetch('/stats' + (q ? '?' + q : ''), { cache: 'no-store' })
      if (!res.ok) throw new Error('HTTP ' + res.status)
      const s = await res.json()
      render(s, names())
      onTorrents(s.torrents || {})
    } catch {
      $('#stats-updated').textContent = "can't load new numbers right now"
      $('#swarm').dataset.stale = 'true'
      onFailure()
    } finally {
      inflight = false
      schedule()
    }
  }

  function schedule () {
    clearTimeout(timer)
    if (!document.hidden) timer = setTimeout(poll, POLL_MS)
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) clearTimeout(timer)
    else poll()
  })
  poll()

  return {
    // refresh polls soon, e.g. after a torrent was added.
    refresh () {
      clearTimeout(soon)
      soon = setTimeout(poll, 300)
    }
  }
}

function render (s, names) {
  const set = (id, v) => { $('#' + id).textContent = String(v) }
  $('#swarm').dataset.stale = 'false'
  set('stat-peers', s.peers ?? 0)
  set('stat-browsers', s.peers_by_kind?.webrtc ?? 0)
  set('stat-native', s.peers_by_kind?.native ?? 0)
  set('stat-seeders', s.seeders ?? 0)
  set('stat-leechers', s.leechers ?? 0)
  set('stat-swarms', s.swarms ?? 0)
  set('stat-sockets', s.connections?.websocket ?? 0)
  set('stat-uptime', uptime(s.uptime_seconds || 0))
  $('#stats-updated').textContent = 'updated ' + new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })

  const mine = $('#stats-mine')
  const rows = Object.entries(s.torrents || {}).map(([hash, c]) =>
    h('li', {},
      h('span', { class: 'mine-name' }, names.get(hash) || hash.slice(0, 12) + '…'),
      h('span', { class: 'mine-counts' },
        `${plural(c.complete, 'seeder')} · ${plural(c.incomplete, 'leecher')} · ${c.downloaded} completed`)))
  mine.replaceChildren(...rows)
  $('#stats-mine-wrap').hidden = rows.length === 0
}

function uptime (sec) {
  if (sec < 60) return sec + ' s'
  if (sec < 3600) return Math.floor(sec / 60) + ' min'
  if (sec < 172800) return Math.floor(sec / 3600) + ' h'
  return Math.floor(sec / 86400) + ' days'
}
