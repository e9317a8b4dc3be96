# syntax=docker/dockerfile:1
#
# bcstream image: the worker, the registrar and the dead-letter replay tool,
# static binaries on a distroless base (no shell, no package manager) that
# runs as a non-root user. Build from the repository root:
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t IMAGE .
#
# The default command runs the worker; the registrar and replay are picked
# with the container command (/registrar apply, /replay -dry-run …).
#
# deploy/dockerfile_test.go parses this file and runs the build stage's
# `go build` lines with their ENV and flags, so keep them plain: ENV lines
# of KEY=value pairs and one `go build` per RUN.

# Pin both bases by digest (image@sha256:…) in your registry mirror for
# bit-for-bit rebuilds; the tags below are the moving versions.
ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src

# Static, reproducible binaries: no cgo (the SQLite driver is pure Go), no
# local paths or VCS stamps in the binary (the version comes from VERSION).
ENV CGO_ENABLED=0 GOOS=linux GOFLAGS=-buildvcs=false

# Dependencies first, so a source change does not re-download modules.
COPY go.mod go.sum ./
RUN go mod download

COPY . .

# VERSION is what buildinfo.Version reports in logs, rows
# (worker_version) and telemetry (service.version).
ARG VERSION=dev
RUN go build -trimpath -ldflags="-s -w -X bcstream/internal/buildinfo.version=${VERSION}" -o /out/worker ./cmd/worker
RUN go build -trimpath -ldflags="-s -w -X bcstream/internal/buildinfo.version=${VERSION}" -o /out/registrar ./cmd/registrar
RUN go build -trimpath -ldflags="-s -w -X bcstream/internal/buildinfo.version=${VERSION}" -o /out/replay ./cmd/replay

# distroless/static: CA certificates, tzdata and /etc/passwd with the
# nonroot user (65532), nothing else.
FROM ${RUNTIME_IMAGE}
COPY --from=build /out/worker /out/registrar /out/replay /
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/worker"]
