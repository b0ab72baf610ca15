// This tracker's addresses, derived from the page's own location, and a
// watch that tells whether its WebSocket endpoint can be reached.

import { $, h, showAlert, clearAlert, announce } from './dom.js'

export const trackerURL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host
export const httpAnnounceURL = location.origin + '/announce'

const RETRY_MS = 10000
const PROBE_TIMEOUT_MS = 8000

// watchTracker probes the WebSocket endpoint now and whenever check() is
// called (a failed /stats poll, a tracker warning of a torrent), and every
// 10 s while it is down. listeners get 'checking', 'online' or 'down'.
export function watchTracker () {
  let state = 'checking'
  let probing = false
  let retry = 0
  let lastCheck = 0
  const listeners = new Set()

  function set (next) {
    const was = state
    state = next
    render()
    if (was === 'down' && next === 'online') announce('The tracker is reachable again.')
    for (const fn of listeners) fn(state)
  }

  function render () {
    const pill = $('#tracker-pill')
    pill.dataset.state = state
    $('#tracker-state').textContent = {
      checking: 'Checking the tracker…',
      online: 'Tracker online',
      down: 'Tracker unreachable'
    }[state]
    if (state === 'down') {
      showAlert('tracker', "Can't reach the tracker.",
        h('span', {}, 'This page could not connect to ', h('code', {}, trackerURL),
          ". Without it, browsers can't find each other, so sharing and downloading are paused. " +
          'Check that the tracker is running and that your network allows WebSocket connections. ' +
          'Trying again every 10 seconds…'))
    } else {
      clearAlert('tracker')
    }
  }

  function probe () {
    if (probing) return
    probing = true
    lastCheck = Date.now()
    clearTimeout(retry)
    let ws
    let finished = false
    const done = ok => {
      if (finished) return
      finished = true
      probing = false
      clearTimeout(timer)
      set(ok ? 'online' : 'down')
      if (!ok) retry = setTimeout(probe, RETRY_MS)
    }
    const timer = setTimeout(() => { ws?.close(); done(false) }, PROBE_TIMEOUT_MS)
    try {
      ws = new WebSocket(trackerURL)
    } catch {
      done(false)
      return
    }
    ws.onopen = () => { ws.close(1000); done(true) }
    ws.onerror = () => done(false)
    ws.onclose = () => done(false) // only matters when it closes before opening
  }

  render()
  probe()
  return {
    get state () { return state },
    // check re-probes, at most every 5 s unless the tracker is down.
    check () { if (state === 'down' || Date.now() - lastCheck > 5000) probe() },
    onChange (fn) { listeners.add(fn) }
  }
}
