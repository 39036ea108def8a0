# sealcam image (docs/DEPLOY.md "Docker"): the device daemon by default, the storage
# server with `sealcam server`. Multi-stage: the build stage builds and packs the
# package with dev dependencies, then installs the packed package with production
# dependencies only into /opt/sealcam; the runtime stage copies that tree (it fetches
# nothing from the npm registry), runs as the non-root user 'sealcam' under tini, and
# keeps its state in the volume /var/lib/sealcam. The fake camera is the default.
#   docker build -t sealcam .
#   docker run -d --name cam --stop-timeout 30 -v sealcam-state:/var/lib/sealcam -p 7447:7447 sealcam   # fake camera
#   docker run -d --name cam --stop-timeout 30 --device /dev/video0 --group-add video -e SEALCAM_CAMERA__BACKEND=v4l2 \
#     -v sealcam-state:/var/lib/sealcam -p 7447:7447 sealcam                                                # USB camera
#   docker run -d --name store --stop-timeout 30 --no-healthcheck -v sealcam-server:/var/lib/sealcam-server \
#     -v "$PWD/server.yaml:/etc/sealcam/server.yaml:ro" sealcam sealcam server --config /etc/sealcam/server.yaml   # storage server
# Behind a TLS-intercepting proxy, give the build stage the proxy's CA (PEM text):
#   docker build --build-arg BUILD_CA_PEM="$(cat proxy-ca.pem)" -t sealcam .
# Only the build stage declares the argument, so neither the certificate nor the
# argument reaches the runtime image (test/deploy/docker.deploy.ts checks both).
# test/deploy/docker.deploy.ts builds this file unchanged with the legacy builder
# (DOCKER_BUILDKIT=0) and runs the image.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG BUILD_CA_PEM=
ARG PKG=/tmp/sealcam-pkg
RUN if [ -n "$BUILD_CA_PEM" ]; then printf '%s\n' "$BUILD_CA_PEM" > /tmp/build-ca.pem \
      && echo 'export NODE_EXTRA_CA_CERTS=/tmp/build-ca.pem' > /tmp/build-env; \
    else : > /tmp/build-env; fi
WORKDIR /src
COPY package.json package-lock.json ./
RUN . /tmp/build-env && npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsup.config.ts README.md ./
COPY src ./src
COPY bin ./bin
COPY firmware-config ./firmware-config
COPY docs ./docs
# Build, drop the dev-only parts of package.json, prune the lock file to the
# production tree (same pinned versions), pack; then install the packed package and
# its production lock file, nothing else, into an empty /opt/sealcam.
RUN . /tmp/build-env \
 && npx tsup \
 && npm pkg delete devDependencies scripts.prepare \
 && npm install --package-lock-only --ignore-scripts --prefer-offline --no-audit --no-fund \
 && mkdir -p "$PKG" /opt/sealcam \
 && npm pack --ignore-scripts --pack-destination "$PKG" \
 && tar -xzf "$PKG"/sealcam-*.tgz --strip-components=1 -C /opt/sealcam \
 && cp package-lock.json /opt/sealcam/package-lock.json \
 && cd /opt/sealcam \
 && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system sealcam \
 && useradd --system --gid sealcam --groups video --home-dir /var/lib/sealcam --shell /usr/sbin/nologin sealcam \
 && mkdir -p /var/lib/sealcam /var/lib/sealcam-server /etc/sealcam \
 && chown sealcam:sealcam /var/lib/sealcam /var/lib/sealcam-server \
 && chmod 0700 /var/lib/sealcam /var/lib/sealcam-server
COPY --from=build /opt/sealcam /opt/sealcam
WORKDIR /opt/sealcam
RUN ln -s /opt/sealcam/bin/sealcam.js /usr/local/bin/sealcam
COPY firmware-config/device.example.yaml /etc/sealcam/device.yaml
# The example config is for a Pi camera at 1920x1080; the image defaults to the fake
# camera at 640x480 (override any key with SEALCAM_<SECTION>__<KEY>, docs/DAEMON.md).
ENV SEALCAM_STATE_DIR=/var/lib/sealcam \
    SEALCAM_CAMERA__BACKEND=fake \
    SEALCAM_CAMERA__WIDTH=640 \
    SEALCAM_CAMERA__HEIGHT=480 \
    NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=4
VOLUME ["/var/lib/sealcam"]
USER sealcam
EXPOSE 7447
# `sealcam device health` judges the health file the daemon rewrites every 5 s
# (fresh, live pid, running, captures progressing; docs/DEPLOY.md "Health"). The start
# period covers generating the first 3072-bit key cycle of a new volume.
HEALTHCHECK --interval=30s --timeout=10s --start-period=15m --retries=3 \
  CMD ["sealcam", "device", "health", "--state-dir", "/var/lib/sealcam"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# --dev creates a throwaway-manufacturer identity only when the volume holds none;
# a provisioned volume (sealcam provision, docs/DEPLOY.md) is used as it is.
CMD ["sealcam", "device", "--config", "/etc/sealcam/device.yaml", "--dev"]
