// The list of transfers on the page, refreshed twice a second.

import { $, announce } from './dom.js'
import { Transfer } from './transfer.js'

export function createTransfers ({ client, tracker, onChange }) {
  const all = new Set()
  const list = $('#transfer-list')
  const section = $('#transfers')

  const changed = () => {
    section.hidden = all.size === 0
    onChange?.()
  }

  setInterval(() => { for (const t of all) t.update() }, 500)
  tracker.onChange(() => { for (const t of all) t.update() })

  return {
    add (torrent, opts) {
      const t = new Transfer(torrent, {
        ...opts,
        client,
        tracker,
        onRemove: (t, why, infoHash) => {
          all.delete(t)
          if (why === 'duplicate') {
            const existing = [...all].find(o => o.infoHash === infoHash)
            existing?.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' })
            $('#share-help').textContent = 'You are already sharing that — its link is above.'
            announce('You are already sharing that. Its link is above.')
          }
          changed()
        }
      })
      all.add(t)
      list.prepend(t.el)
      torrent.on('infoHash', changed)
      changed()
      t.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' })
      return t
    },
    find (infoHash) {
      for (const t of all) if (t.infoHash === infoHash) return t
      return null
    },
    hashes () {
      return [...all].map(t => t.infoHash).filter(Boolean)
    },
    names () {
      return new Map([...all].filter(t => t.infoHash).map(t => [t.infoHash, t.displayName()]))
    },
    setSwarm (torrents) {
      for (const t of all) if (torrents[t.infoHash]) t.setSwarm(torrents[t.infoHash])
    }
  }
}
