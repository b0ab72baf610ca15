// Package httptracker serves BitTorrent HTTP announces (BEP 3, 7, 23, 24,
// 31) and scrapes (BEP 48) from a swarm.Store. It only provides handlers;
// the composition root owns listeners and routing.
//
// Decisions where the protocol leaves room (see
// docs/protocol.md §10.2-§10.5):
//
//   - Queries are decoded byte for byte from the raw query string: %XX in
//     either hex case is that byte, every other byte is itself, '+' included.
//     A value whose '+' was meant as a space (form encoding, as Go's
//     url.Values and Python produce for byte 0x20) would name a different
//     swarm, so for info_hash only: when the literal form names no existing
//     swarm and the value contained '+', the form with every '+' read as
//     0x20 is used if that swarm exists. Existence is checked with one extra
//     Store.Scrape call, made only for values that contain a raw '+', which
//     mainstream clients never send. Every '+' of a value is read one way or
//     the other, never mixed. A scrape for such a hash when neither swarm
//     exists answers zeros under both forms, so the client finds the key it
//     meant; an announce in that case creates the literal form.
//   - An invalid % sequence anywhere in the query, even in a parameter that
//     is otherwise ignored, fails the request: the query is not what the
//     client meant, and guessing would key swarms by the wrong bytes.
//   - In an announce, the first occurrence of a repeated parameter wins (as
//     with url.Values.Get); in a scrape every info_hash counts, duplicates
//     are answered once.
//   - Scrape queries may exceed MaxQueryLen by what MaxScrapeHashes fully
//     escaped hashes need, so the two limits never contradict each other.
//   - Errors a client may see are *Failure values, rendered as a bencoded
//     "failure reason" with HTTP status 200 (docs/protocol.md §10.4).
package httptracker
