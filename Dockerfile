# Multi-stage build: compile in the Rust image, run from a small Debian slim image.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY tests ./tests
RUN cargo build --release --locked --bin agg && strip target/release/agg

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /srv/agg --create-home agg
COPY --from=build /src/target/release/agg /usr/local/bin/agg
COPY config/agg.yaml /etc/agg/agg.yaml
WORKDIR /srv/agg
USER agg
# content/, feeds/ and state/ live under /srv/agg: mount a volume there to keep them.
VOLUME ["/srv/agg"]
ENV AGG_CONFIG=/etc/agg/agg.yaml
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["agg"]
CMD ["daemon"]
