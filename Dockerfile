# A static boxoffice binary on a minimal image (no shell, no curl: the
# health check is `boxoffice health`).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=docker
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/boxoffice ./cmd/boxoffice

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/boxoffice /boxoffice
# 8080 HTTP API; 7946 gossip (TCP and UDP); 8090 actor messages between nodes.
EXPOSE 8080 7946/tcp 7946/udp 8090
ENTRYPOINT ["/boxoffice"]
CMD ["serve"]
