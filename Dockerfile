# Mitra: a static binary on a minimal image, running as a non-root user.
# Build: docker build -t mitra .
# Run:   docker run -e MITRA_REDIS_URL=redis://redis:6379/0 -p 8080:8080 mitra

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/mitra ./cmd/mitra \
 && CGO_ENABLED=0 go run ./cmd/mitra flows check \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mitra /usr/local/bin/mitra
# The WhatsApp device store: mount a volume here to keep the pairing.
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV MITRA_HTTP_ADDR=0.0.0.0:8080 \
    MITRA_LOG_FORMAT=json \
    MITRA_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/mitra", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/mitra"]
CMD ["serve"]
