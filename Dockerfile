# syntax=docker/dockerfile:1
# Multi-stage build: the demo page's npm assets, then a static Go binary,
# then a minimal image that runs it as a non-root user. Multi-arch:
#   docker buildx build --platform linux/amd64,linux/arm64 -t swarmbridge .

FROM --platform=$BUILDPLATFORM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/ ./
# --ignore-scripts: see scripts/web-assets.sh.
RUN if [ -f package.json ]; then \
      npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && \
      mkdir -p static/vendor && \
      cp node_modules/webtorrent/dist/webtorrent.min.js node_modules/webtorrent/dist/sw.min.js static/vendor/; \
    fi

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/static/ web/static/
ARG TARGETOS
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/swarmbridge ./cmd/swarmbridge

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/swarmbridge /swarmbridge
USER nonroot:nonroot
EXPOSE 8000/tcp 6969/udp
# The image has no shell or curl; the binary checks /healthz itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/swarmbridge", "healthcheck"]
ENTRYPOINT ["/swarmbridge"]
