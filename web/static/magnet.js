// Magnet links and share links. The page keeps only the info hash and
// the name of a link it is given: it announces to no tracker but its own
// and uses no web seeds, whatever the link lists.

import { trackerURL } from './tracker.js'

const b32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function base32ToHex (s) {
  let bits = ''
  for (const c of s.toUpperCase()) {
    const v = b32.indexOf(c)
    if (v < 0) return null
    bits += v.toString(2).padStart(5, '0')
  }
  return bits.match(/.{4}/g).map(b => parseInt(b, 2).toString(16)).join('')
}

// parseLink accepts a share link (…#magnet=… or …?magnet=…), a magnet
// link or a bare 40-digit info hash. It returns { infoHash, name } or null.
export function parseLink (text) {
  text = String(text || '').trim()
  if (/^[0-9a-f]{40}$/i.test(text)) return { infoHash: text.toLowerCase(), name: '' }
  let magnet = text
  if (!text.toLowerCase().startsWith('magnet:')) {
    try {
      const u = new URL(text)
      magnet = new URLSearchParams(u.hash.slice(1)).get('magnet') || u.searchParams.get('magnet') || ''
    } catch {
      return null
    }
  }
  const q = magnet.indexOf('?')
  if (q < 0 || !magnet.toLowerCase().startsWith('magnet:')) return null
  const params = new URLSearchParams(magnet.slice(q + 1))
  for (const xt of params.getAll('xt')) {
    const m = /^urn:btih:([0-9a-z]+)$/i.exec(xt)
    if (!m) continue
    const id = m[1]
    const infoHash = id.length === 40 && /^[0-9a-f]+$/i.test(id)
      ? id.toLowerCase()
      : id.length === 32 ? base32ToHex(id) : null
    if (infoHash) return { infoHash, name: params.get('dn') || '' }
  }
  return null
}

// magnetFor is the magnet this page hands out and adds: the info hash, the
// name and this tracker only.
export function magnetFor (infoHash, name) {
  let m = 'magnet:?xt=urn:btih:' + infoHash
  if (name) m += '&dn=' + encodeURIComponent(name)
  return m + '&tr=' + encodeURIComponent(trackerURL)
}

// shareURL is this page's address carrying the magnet in its fragment, so
// the link never reaches a server log.
export function shareURL (magnet) {
  return location.origin + location.pathname + '#magnet=' + encodeURIComponent(magnet)
}

// linkFromLocation reads a magnet from this page's own address, if any.
export function linkFromLocation () {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('magnet')
  const fromQuery = new URLSearchParams(location.search).get('magnet')
  const m = fromHash || fromQuery
  return m ? parseLink(m) : null
}
