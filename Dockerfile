# ROP in one container: nginx (with nchan) in front of every FastCGI app
# under spawn-fcgi + multiwatch, and the event relay.  PostgreSQL and
# Redis are separate services (see docker-compose.yml).  The image holds
# exactly what `make install` installs (PREFIX=/usr/local).
#
#   docker build -t rop .
#   docker compose up --build        # http://127.0.0.1:8080/health/ready

# --- build ---------------------------------------------------------------
FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
# The build dependencies of scripts/deps (the Makefile's PKGS).
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential pkg-config ca-certificates \
        libfcgi-dev libpq-dev libhiredis-dev libjson-c-dev libssl-dev \
        libcrypt-dev libcurl4-openssl-dev nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# `all` includes the API reference (npm ci fetches Redoc); the unit
# tests are built and run too, so a broken build never ships.
RUN make -j"$(nproc)" \
    && make unit \
    && make install DESTDIR=/out PREFIX=/usr/local

# --- runtime -------------------------------------------------------------
FROM debian:bookworm
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
        nginx libnginx-mod-nchan spawn-fcgi multiwatch \
        libfcgi0ldbl libpq5 libhiredis0.14 libjson-c5 libssl3 libcrypt1 \
        libcurl4 \
        postgresql-client openssl ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && rm -f /etc/nginx/sites-enabled/default \
    && useradd --system --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin rop
# Only the trees `make install` fills (its systemd units are for hosts).
COPY --from=build /out/usr/local/ /usr/local/
COPY --from=build /out/etc/rop/ /etc/rop/
# The container logs requests to stdout (format rop: no tokens).
RUN sed -i 's#^access_log .*#access_log /dev/stdout rop;#' \
        /etc/rop/nginx-listen.conf /etc/rop/nginx-internal-listen.conf
COPY docker/nginx.conf /usr/local/share/rop/nginx/nginx.conf
COPY docker/entrypoint /usr/local/bin/rop-entrypoint
# Every program must find its shared libraries in this image.
RUN for b in /usr/local/libexec/rop/*; do \
        if ldd "$b" | grep 'not found'; then echo "$b: missing libraries"; exit 1; fi; \
    done
# Configuration comes from the environment; the example file lists it
# (/usr/local/share/rop/rop.env.example).
RUN chmod 0755 /usr/local/bin/rop-entrypoint && rm -f /etc/rop/rop.env
ENV ROP_ENV=prod \
    ROP_WORKERS=2 \
    ROP_METRICS_PATH=/run/rop/metrics \
    ROP_NCHAN_PUBLISH_URL=http://127.0.0.1:8081/_nchan/pub
EXPOSE 80 443
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD curl -fsS http://127.0.0.1/health/ready >/dev/null || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/rop-entrypoint"]
