// Renders /stats for people: totals, peers by client and, when the
// operator enabled it, the busiest swarms. Refreshes every 5 s while the
// tab is visible.

const $ = (id) => document.getElementById(id)

function cell (text, numeric) {
  const td = document.createElement('td')
  if (numeric) td.className = 'num'
  td.textContent = text
  return td
}

function row (...cells) {
  const tr = document.createElement('tr')
  tr.append(...cells)
  return tr
}

function duration (s) {
  const d = Math.floor(s / 86400); const h = Math.floor(s % 86400 / 3600); const m = Math.floor(s % 3600 / 60)
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min ${s % 60} s`
}

function render (st) {
  const totals = [
    ['Swarms', st.swarms], ['Peers', st.peers], ['Seeders', st.seeders], ['Leechers', st.leechers],
    ['Browser peers', st.peers_by_kind?.webrtc ?? 0], ['Native peers', st.peers_by_kind?.native ?? 0],
    ['WebSockets', st.connections?.websocket ?? 0], ['Up for', duration(st.uptime_seconds ?? 0)]
  ]
  $('totals').replaceChildren(...totals.map(([k, v]) => {
    const div = document.createElement('div')
    const dt = document.createElement('dt'); dt.textContent = k
    const dd = document.createElement('dd'); dd.textContent = typeof v === 'number' ? v.toLocaleString() : v
    div.append(dt, dd)
    return div
  }))
  const clients = Object.entries(st.clients ?? {}).sort((a, b) => b[1] - a[1])
  $('clients').replaceChildren(...(clients.length
    ? clients.map(([name, n]) => row(cell(name), cell(n.toLocaleString(), true)))
    : [row(cell('No peers yet'), cell('', true))]))
  const busiest = st.busiest ?? []
  $('busiest-card').hidden = busiest.length === 0
  $('busiest').replaceChildren(...busiest.map(s => {
    const code = document.createElement('code'); code.textContent = s.info_hash
    const td = document.createElement('td'); td.append(code)
    return row(td, cell(s.complete, true), cell(s.incomplete, true), cell(s.downloaded, true))
  }))
}

async function refresh () {
  try {
    const res = await fetch('/stats', { cache: 'no-store' })
    if (!res.ok) throw new Error(`the tracker answered ${res.status}`)
    render(await res.json())
    $('status').textContent = `Updated ${new Date().toLocaleTimeString()}`
  } catch (err) {
    $('status').textContent = `Cannot reach the tracker's statistics: ${err.message}`
  }
}

refresh()
setInterval(() => { if (!document.hidden) refresh() }, 5000)
