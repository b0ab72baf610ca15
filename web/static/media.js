// Saving and playing the files of a torrent: a download link from
// file.blob(), and image, audio or video previews. Video and audio can
// stream while downloading when the service worker (sw.js, which loads
// WebTorrent's /vendor/sw.min.js) is installed; without it they play once
// the file is complete.

import { h } from './dom.js'

const exts = {
  image: /\.(avif|bmp|gif|jpe?g|png|svg|webp)$/i,
  video: /\.(m4v|mkv|mov|mp4|ogv|webm)$/i,
  audio: /\.(aac|flac|m4a|mp3|oga|ogg|opus|wav)$/i
}

// kindOf says how the page can show a file: 'image', 'video', 'audio' or ''.
export function kindOf (name, type = '') {
  for (const [kind, re] of Object.entries(exts)) {
    if (!re.test(name)) continue
    if (kind === 'image') return kind
    const probe = document.createElement(kind)
    return !type || probe.canPlayType(type) !== '' ? kind : ''
  }
  return ''
}

// mediaElement makes the preview element for a kind with its accessible name.
export function mediaElement (kind, name, src) {
  if (kind === 'image') return h('img', { src, alt: 'Preview of ' + name, loading: 'lazy' })
  return h(kind, { src, controls: true, preload: 'metadata', playsInline: kind === 'video', 'aria-label': 'Play ' + name })
}

let registration = null
let streamingReady = null

// setUpStreaming registers the service worker and resolves to true when
// it can serve torrent files (WebTorrent's worker script is installed and
// controls this page). It never throws.
export function setUpStreaming () {
  streamingReady ??= (async () => {
    if (!('serviceWorker' in navigator) || !window.isSecureContext) return false
    try {
      registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' })
      const ready = await withTimeout(navigator.serviceWorker.ready, 5000)
      if (!ready?.active) return false
      const ok = await withTimeout(ask(ready.active), 3000)
      if (!ok) return false
      if (!navigator.serviceWorker.controller) {
        await withTimeout(new Promise(resolve =>
          navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })), 3000)
      }
      return Boolean(navigator.serviceWorker.controller)
    } catch {
      return false
    }
  })()
  return streamingReady
}

function ask (worker) {
  return new Promise(resolve => {
    const { port1, port2 } = new MessageChannel()
    port1.onmessage = e => resolve(Boolean(e.data?.streaming))
    worker.postMessage({ type: 'swarmbridge:streaming?' }, [port2])
  })
}

function withTimeout (p, ms) {
  return Promise.race([p, new Promise(resolve => setTimeout(() => resolve(null), ms))])
}

// streamFile points a media element at the torrent file through the
// service worker; the client's server is created on first use, only in
// tabs that stream.
export async function streamFile (client, file, el) {
  if (!(await setUpStreaming())) return false
  try {
    if (!client._server) client.createServer({ controller: registration })
    file.streamTo(el)
    return true
  } catch {
    return false
  }
}
