// Package swarmtest is the conformance suite for swarm.Store: every clause
// of the contract in package swarm is a subtest of Run, and Bench measures
// the operations transports call on every request.
//
// It imports "testing", so import it only from _test.go files, never from
// code that ships.
//
// A store under test is created afresh for each subtest by the caller's
// constructor, which must make the store read the time from the Clock it is
// given. The suite assumes nothing about where the store keeps its data:
// every subtest works on new random info hashes, and checks of Totals
// compare the totals before and after, so a store backed by a shared server
// works too, as long as nothing else writes to it while the suite runs
// (subtests run one after another for that reason).
//
// Where the contract's words leave room, the suite settles it, and a store
// must agree:
//   - an announce returns exactly min(NumWant, candidates) peers;
//   - Scrape appends to dst, as Announce appends to Peers;
//   - a swarm whose last entry stops, leaves or expires is deleted, so the
//     answer to that stop, and any later scrape, count zero (Downloaded
//     included) and a later announce starts the swarm afresh;
//   - an entry that expired is missing: a stopped or Leave for it changes
//     nothing, an announce creates a new entry (no Rebound, no status or
//     download carried over);
//   - a native entry hands out the peer id its endpoint sent last;
//   - a completed counts at most one download per entry, even after the
//     entry leeches and completes again;
//   - Leave refuses invalid peers with ErrInvalid, as Announce does.
package swarmtest
