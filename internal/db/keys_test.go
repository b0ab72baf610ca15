package db

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/access"
	"github.com/swarmbridge/swarmbridge/internal/testkit/dbtest"
)

func TestCreateAndGetKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		clock := newClock()
		d := openDB(t, url, WithClock(clock.Now))

		gen, err := d.CreateKey(ctx, NewKey{Note: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if !access.ValidKey(gen.Key) || len(gen.Key) != access.GeneratedKeyLen {
			t.Fatalf("generated key %q", gen.Key)
		}
		if !gen.CreatedAt.Equal(epoch) || !gen.ExpiresAt.IsZero() || gen.Note != "alice" {
			t.Fatalf("permanent key %+v", gen)
		}
		if got, err := d.Key(ctx, gen.Key); err != nil || got != gen {
			t.Fatalf("Key: %+v, %v; want %+v", got, err, gen)
		}

		// A TTL counts from the creation time; a fraction of a second
		// rounds up, so the key never expires early.
		ttl, err := d.CreateKey(ctx, NewKey{TTL: 30*24*time.Hour + time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if want := epoch.Add(30*24*time.Hour + time.Second); !ttl.ExpiresAt.Equal(want) {
			t.Fatalf("expiry %v, want %v", ttl.ExpiresAt, want)
		}
		if got, _ := d.Key(ctx, ttl.Key); !got.ExpiresAt.Equal(ttl.ExpiresAt) {
			t.Fatalf("stored expiry %v, want %v", got.ExpiresAt, ttl.ExpiresAt)
		}
		if ttl.Expired(ttl.ExpiresAt.Add(-time.Nanosecond)) || !ttl.Expired(ttl.ExpiresAt) || gen.Expired(epoch.Add(1e6*time.Hour)) {
			t.Fatal("Expired is wrong")
		}

		// Made within a second, a key still lives its whole TTL: the
		// expiry rounds up from the exact time, not the stored second.
		clock.Advance(900 * time.Millisecond)
		short, err := d.CreateKey(ctx, NewKey{TTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if !short.CreatedAt.Equal(epoch) || !short.ExpiresAt.Equal(epoch.Add(3*time.Second)) {
			t.Fatalf("a 2s key made at +0.9s: created %v, expires %v; want %v and %v", short.CreatedAt, short.ExpiresAt, epoch, epoch.Add(3*time.Second))
		}
		clock.Advance(-900 * time.Millisecond)

		// A chosen key.
		mine, err := d.CreateKey(ctx, NewKey{Key: "my-own_key.v1~x", Note: "ünïcode ok"})
		if err != nil || mine.Key != "my-own_key.v1~x" {
			t.Fatalf("chosen key: %+v, %v", mine, err)
		}
		if _, err := d.CreateKey(ctx, NewKey{Key: "my-own_key.v1~x"}); !errors.Is(err, ErrExists) {
			t.Fatalf("duplicate key: %v", err)
		}
		for _, bad := range []NewKey{
			{Key: "short"},
			{Key: "has space 123"},
			{Key: "announce"},
			{Key: strings.Repeat("k", access.MaxKeyLen+1)},
			{Note: strings.Repeat("n", MaxNoteLen+1)},
			{Note: "line\nbreak"},
			{Note: "\xff\xfe"},
			{TTL: -time.Second},
			{TTL: MaxTTL + time.Hour},
		} {
			if _, err := d.CreateKey(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("CreateKey(%+v): %v, want ErrInvalid", bad, err)
			}
		}
		if _, err := d.Key(ctx, "nobody-0123456"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing key: %v", err)
		}
	})
}

func TestListAndDeleteKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		d := openDB(t, url)
		var want []string
		for i := range 25 {
			// Mixed case and punctuation: pages follow byte order on
			// both databases, whatever PostgreSQL's locale.
			k := fmt.Sprintf("%c-key.%02d_x~", "aB_z-"[i%5], i)
			want = append(want, k)
			if _, err := d.CreateKey(ctx, NewKey{Key: k}); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		after := ""
		for page := 0; ; page++ {
			keys, err := d.Keys(ctx, after, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) > 10 || page > 3 {
				t.Fatalf("page %d has %d keys", page, len(keys))
			}
			if len(keys) == 0 {
				break
			}
			for _, k := range keys {
				got = append(got, k.Key)
			}
			after = keys[len(keys)-1].Key
		}
		slices.Sort(want) // byte order
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("paged through\n%v\nwant\n%v", got, want)
		}
		// Limits are clamped: 0 means the default page, more than
		// MaxPage means MaxPage.
		if keys, err := d.Keys(ctx, "", 0); err != nil || len(keys) != 25 {
			t.Fatalf("default page: %d keys, %v", len(keys), err)
		}

		v0, _ := d.Version(ctx)
		if err := d.DeleteKey(ctx, want[3]); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Key(ctx, want[3]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted key still there: %v", err)
		}
		if err := d.DeleteKey(ctx, want[3]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if v, _ := d.Version(ctx); v != v0+1 {
			t.Fatalf("version %d after one delete and one miss, was %d", v, v0)
		}
	})
}

func TestImportKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		d := openDB(t, url)
		if _, err := d.CreateKey(ctx, NewKey{Key: "existing-key-01", Note: "kept"}); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for i := range 700 { // more than one INSERT's worth
			keys = append(keys, fmt.Sprintf("imported-key-%04d", i))
		}
		keys = append(keys, "existing-key-01")
		added, err := d.ImportKeys(ctx, keys, "from keys.txt")
		if err != nil || added != 700 {
			t.Fatalf("import: %d added, %v", added, err)
		}
		if k, _ := d.Key(ctx, "existing-key-01"); k.Note != "kept" {
			t.Fatalf("an existing key was overwritten: %+v", k)
		}
		if k, _ := d.Key(ctx, "imported-key-0699"); k.Note != "from keys.txt" || !k.ExpiresAt.IsZero() {
			t.Fatalf("imported key: %+v", k)
		}
		v0, _ := d.Version(ctx)
		if added, err := d.ImportKeys(ctx, keys, ""); err != nil || added != 0 {
			t.Fatalf("second import: %d, %v", added, err)
		}
		if v, _ := d.Version(ctx); v != v0 {
			t.Fatal("an import that changed nothing bumped the version")
		}
		// One bad key refuses the whole import, naming its position.
		_, err = d.ImportKeys(ctx, []string{"fine-key-00001", "bad key"}, "")
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "key 2 of 2") {
			t.Fatalf("bad import: %v", err)
		}
		if _, err := d.Key(ctx, "fine-key-00001"); !errors.Is(err, ErrNotFound) {
			t.Fatal("part of a refused import was stored")
		}
	})
}

func TestInfoHashList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		clock := newClock()
		d := openDB(t, url, WithClock(clock.Now))
		var hashes [][20]byte
		for i := range 650 {
			var h [20]byte
			h[0], h[1], h[19] = byte(i>>8), byte(i), 0xf0
			hashes = append(hashes, h)
		}
		added, err := d.AddInfoHashes(ctx, hashes, "batch")
		if err != nil || added != 650 {
			t.Fatalf("add: %d, %v", added, err)
		}
		added, err = d.AddInfoHashes(ctx, [][20]byte{hashes[0], ih(0xff)}, "again")
		if err != nil || added != 1 {
			t.Fatalf("re-add: %d, %v", added, err)
		}
		list, err := d.InfoHashes(ctx, "", 1)
		if err != nil || len(list) != 1 || list[0].Hash != hashes[0] || list[0].Note != "batch" || !list[0].AddedAt.Equal(epoch) {
			t.Fatalf("first entry: %+v, %v", list, err)
		}
		n := 0
		after := ""
		for {
			page, err := d.InfoHashes(ctx, after, 5000) // clamped to MaxPage
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > MaxPage {
				t.Fatalf("page of %d", len(page))
			}
			if len(page) == 0 {
				break
			}
			n += len(page)
			after = strings.ToUpper(hexHash(page[len(page)-1].Hash)) // either case
		}
		if n != 651 {
			t.Fatalf("listed %d hashes, want 651", n)
		}
		if _, err := d.InfoHashes(ctx, "xyz", 10); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad cursor: %v", err)
		}

		if err := d.RemoveInfoHash(ctx, ih(0xff)); err != nil {
			t.Fatal(err)
		}
		if err := d.RemoveInfoHash(ctx, ih(0xff)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second remove: %v", err)
		}
		if _, err := d.AddInfoHashes(ctx, nil, strings.Repeat("x", MaxNoteLen+1)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("long note: %v", err)
		}
	})
}
