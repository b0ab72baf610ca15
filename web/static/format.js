// Human-readable sizes, speeds and durations.

const units = ['B', 'kB', 'MB', 'GB', 'TB']

export function bytes (n) {
  if (!Number.isFinite(n) || n < 0) return '—'
  let i = 0
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++ }
  return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i]
}

export function speed (n) {
  return n > 0 ? bytes(n) + '/s' : '—'
}

export function duration (ms) {
  if (!Number.isFinite(ms) || ms < 0) return '—'
  const s = Math.ceil(ms / 1000)
  if (s < 60) return s + ' s'
  const m = Math.floor(s / 60)
  if (m < 60) return m + ' min ' + (s % 60) + ' s'
  const hrs = Math.floor(m / 60)
  if (hrs < 48) return hrs + ' h ' + (m % 60) + ' min'
  return Math.floor(hrs / 24) + ' days'
}

export function plural (n, one, many = one + 's') {
  return n + ' ' + (n === 1 ? one : many)
}
