# syntax=docker/dockerfile:1

# Browser assets come from npm (htmx); only the built file leaves this stage.
FROM node:22-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
COPY --from=assets /src/node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
# .git is not in the build context, so the version comes in as an argument:
# docker build --build-arg VERSION="$(git describe --always --dirty)" .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
	--mount=type=cache,target=/root/.cache/go-build \
	go tool templ generate && \
	go build -trimpath \
		-ldflags "-s -w -X github.com/palisadesec/palisade/internal/buildinfo.Version=${VERSION}" \
		-o /out/palisade ./cmd/palisade

# distroless/static carries CA certificates and tzdata, and nothing to exec.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/palisade /palisade
ENV PALISADE_LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/palisade"]
CMD ["serve"]
