# syntax=docker/dockerfile:1
# Multi-stage build: the demo page's npm assets, then a static Go binary,
# then a minimal image that runs it as a non-root user.

FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/ ./
RUN if [ -f package.json ]; then \
      npm ci --no-audit --no-fund --loglevel=error && \
      mkdir -p static/vendor && \
      cp node_modules/webtorrent/dist/webtorrent.min.js static/vendor/; \
    fi

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/static/ web/static/
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/swarmbridge ./cmd/swarmbridge

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/swarmbridge /swarmbridge
USER nonroot:nonroot
EXPOSE 8000/tcp 6969/udp
ENTRYPOINT ["/swarmbridge"]
