# Kabinet in a container: built with the pinned Rust version, run as a non-root user on a slim
# base, data in the /data volume. Build: docker build -t kabinet . (see README, «Production»).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin kabinet \
 && install -m 0755 target/release/kabinet /usr/local/bin/kabinet

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin kabinet \
 && mkdir -p /data && chown kabinet:kabinet /data
COPY --from=build /usr/local/bin/kabinet /usr/local/bin/kabinet
USER kabinet
WORKDIR /data
ENV DATABASE_URL=sqlite:///data/kabinet.db \
    MAIL_DIR=/data/mail \
    BACKUP_DIR=/data/backups \
    METRICS_LISTEN=127.0.0.1:9090 \
    LOG_FORMAT=json
VOLUME ["/data"]
# /metrics and /readyz answer on the container's loopback only (the HEALTHCHECK reaches them
# there); to scrape from a private network, set METRICS_LISTEN=0.0.0.0:9090 and publish it there.
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:9090/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/kabinet"]
CMD ["run"]
