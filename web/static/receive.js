// Receiving: a share link in this page's address (…#magnet=…), or one
// pasted into the form, starts a download from this tracker's swarm.

import { $ } from './dom.js'
import { trackerURL } from './tracker.js'
import { parseLink, magnetFor, linkFromLocation } from './magnet.js'

export function setUpReceive ({ client, transfers }) {
  const form = $('#receive-form')
  const field = $('#receive-input')
  const error = $('#receive-error')

  form.addEventListener('submit', e => {
    e.preventDefault()
    const link = parseLink(field.value)
    if (!link) {
      error.textContent = "That doesn't look like a share link or a magnet link. Paste the whole link you were sent."
      field.setAttribute('aria-invalid', 'true')
      field.focus()
      return
    }
    error.textContent = ''
    field.removeAttribute('aria-invalid')
    field.value = ''
    receive(link)
  })

  const fromAddress = () => {
    const link = linkFromLocation()
    if (link) receive(link)
  }
  addEventListener('hashchange', fromAddress)
  fromAddress()

  function receive ({ infoHash, name }) {
    const existing = transfers.find(infoHash)
    if (existing) {
      existing.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' })
      existing.el.focus?.()
      return
    }
    // Only the info hash and the name are kept: the page announces to this
    // tracker alone, whatever trackers or web seeds the link listed.
    const torrent = client.add(magnetFor(infoHash, name), { announce: [trackerURL] })
    transfers.add(torrent, { role: 'receive', name })
  }
}
