# A static boxoffice binary on a minimal image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/boxoffice ./cmd/boxoffice

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/boxoffice /boxoffice
EXPOSE 8080 7946 8090
ENTRYPOINT ["/boxoffice"]
CMD ["serve"]
