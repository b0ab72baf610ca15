package signaling

import "testing"

func pendingFor(i int, expires int64) pendingOffer {
	o := pendingOffer{fromConn: ConnID(i), expires: expires}
	o.id[0], o.id[1] = byte(i), byte(i>>8)
	o.ih[0] = 1
	o.from[0] = 2
	o.to[0] = 3
	return o
}

func takeOffer(t *testing.T, p *pendingOffers, i int, now int64) bool {
	t.Helper()
	o := pendingFor(i, 0)
	got, ok := p.take(o.id, o.ih, o.from, o.to, now)
	if ok && got.fromConn != ConnID(i) {
		t.Fatalf("asked for offer %d, took the one from conn %d", i, got.fromConn)
	}
	return ok
}

// The ring keeps the newest limit offers, whichever way round it has
// turned; an answer takes its offer once; expired offers are not taken.
func TestPendingOffersRing(t *testing.T) {
	const limit = 8
	var p pendingOffers
	for i := range 3 {
		p.add(pendingFor(i, 100), limit)
	}
	if !takeOffer(t, &p, 2, 50) || !takeOffer(t, &p, 0, 50) {
		t.Fatal("offers of a ring not yet full not found")
	}
	if takeOffer(t, &p, 2, 50) {
		t.Fatal("an offer was taken twice")
	}
	for i := 3; i < 20; i++ {
		p.add(pendingFor(i, 100), limit)
	}
	if len(p.ring) != limit {
		t.Fatalf("ring of %d, want %d", len(p.ring), limit)
	}
	for i := range 12 {
		if takeOffer(t, &p, i, 50) {
			t.Fatalf("offer %d was pushed out by newer ones but found", i)
		}
	}
	for i := 19; i >= 12; i-- {
		if !takeOffer(t, &p, i, 50) {
			t.Fatalf("offer %d, one of the newest %d, not found", i, limit)
		}
	}
	p.add(pendingFor(30, 100), limit)
	if takeOffer(t, &p, 30, 100) {
		t.Fatal("an expired offer was taken")
	}
	var none pendingOffers
	none.add(pendingFor(1, 100), 0)
	if takeOffer(t, &none, 1, 50) {
		t.Fatal("a limit of 0 remembered an offer")
	}
}
