// Sharing: files dropped on the drop zone or picked with the button are
// seeded to this tracker only.

import { $ } from './dom.js'
import { trackerURL } from './tracker.js'

export function setUpShare ({ client, transfers }) {
  const zone = $('#drop-zone')
  const input = $('#file-input')

  $('#pick').addEventListener('click', () => input.click())
  input.addEventListener('change', () => {
    const files = [...input.files]
    input.value = ''
    if (files.length) share(files)
  })

  // Dragging files anywhere on the page highlights the drop zone; a drop
  // outside it does not navigate away from the page.
  let depth = 0
  const hasFiles = e => [...(e.dataTransfer?.types || [])].includes('Files')
  addEventListener('dragenter', e => { if (hasFiles(e)) { depth++; zone.classList.add('dragging') } })
  addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; zone.classList.remove('dragging') } })
  addEventListener('dragover', e => { if (hasFiles(e)) e.preventDefault() })
  addEventListener('drop', e => {
    if (!hasFiles(e)) return
    e.preventDefault()
    depth = 0
    zone.classList.remove('dragging')
    const files = [...e.dataTransfer.files].filter(f => f.size > 0 || f.type)
    if (files.length) share(files)
  })

  const help = $('#share-help')
  const helpText = help.textContent

  function share (files) {
    help.textContent = helpText
    const opts = { announce: [trackerURL] }
    if (files.length > 1) opts.name = `${files[0].name} and ${files.length - 1} more`
    // WebTorrent hands back the torrent already on the page when the same
    // files are shared twice.
    const torrent = client.seed(files, opts, seeded => {
      if (seeded === torrent) t.seeded()
      else t.duplicateOf(seeded.infoHash)
    })
    const t = transfers.add(torrent, { role: 'seed', name: opts.name || files[0].name, localFiles: files })
  }
}
