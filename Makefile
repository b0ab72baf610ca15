# Swarmbridge: the two commands a new machine needs are `make run` and
# `make test`. Everything they need is set up from this repository.

GO ?= go

.PHONY: run build release test web clean

# run builds the demo page's assets and runs the tracker on :8000 (TCP) and
# :6969 (UDP). Configure it with SWARMBRIDGE_* variables (see README).
run: web
	$(GO) run ./cmd/swarmbridge

build: web
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/swarmbridge ./cmd/swarmbridge

# release builds the binary for Linux, macOS and Windows on amd64 and arm64.
release: web
	./scripts/cross-build.sh

# web installs the pinned npm packages of the demo page and copies the
# WebTorrent browser bundle next to it, where go:embed picks it up.
web:
	./scripts/web-assets.sh

# test runs every check and test CI runs.
test:
	./scripts/test.sh

clean:
	rm -rf bin web/node_modules
