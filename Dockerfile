# syntax=docker/dockerfile:1
# sealcam device daemon image (docs/DEPLOY.md "Docker"). Multi-stage: build and
# pack with dev dependencies, then install the packed package with production
# dependencies only; runs as the non-root user 'sealcam' under tini, keeps its
# state in the volume /var/lib/sealcam, and uses the fake camera by default.
#   docker build -t sealcam .
#   docker run -d --name cam -v sealcam-state:/var/lib/sealcam -p 7447:7447 sealcam                # fake camera
#   docker run -d --name cam --device /dev/video0 --group-add video -e SEALCAM_CAMERA__BACKEND=v4l2 \
#     -v sealcam-state:/var/lib/sealcam -p 7447:7447 sealcam                                        # USB camera
# test/deploy/docker-install.test.ts replays the COPY steps of the build stage
# and the RUN steps marked "test/deploy:" below, verbatim, in temporary directories.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG PKG=/tmp/sealcam-pkg
WORKDIR /src
COPY package.json package-lock.json ./
# test/deploy: deps (the test links the checkout's node_modules instead).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsup.config.ts README.md ./
COPY src ./src
COPY bin ./bin
COPY firmware-config ./firmware-config
COPY docs ./docs
# test/deploy: pack. Build, drop the dev-only parts of package.json, prune the
# lock file to the production tree (same pinned versions), pack.
RUN npx tsup \
 && npm pkg delete devDependencies scripts.prepare \
 && npm install --package-lock-only --ignore-scripts --prefer-offline --no-audit --no-fund \
 && mkdir -p "$PKG" \
 && npm pack --ignore-scripts --pack-destination "$PKG" \
 && mv "$PKG"/sealcam-*.tgz "$PKG/sealcam.tgz" \
 && cp package-lock.json "$PKG/package-lock.json"

FROM ${NODE_IMAGE} AS runtime
ARG PKG=/tmp/sealcam-pkg
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system sealcam \
 && useradd --system --gid sealcam --groups video --home-dir /var/lib/sealcam --shell /usr/sbin/nologin sealcam \
 && mkdir -p /var/lib/sealcam /opt/sealcam /etc/sealcam \
 && chown sealcam:sealcam /var/lib/sealcam && chmod 0700 /var/lib/sealcam
WORKDIR /opt/sealcam
COPY --from=build /tmp/sealcam-pkg /tmp/sealcam-pkg
# test/deploy: install. The packed package and its production lock file, nothing else.
RUN tar -xzf "$PKG/sealcam.tgz" --strip-components=1 -C . \
 && cp "$PKG/package-lock.json" ./package-lock.json \
 && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund \
 && rm -rf "$PKG"
RUN ln -s /opt/sealcam/bin/sealcam.js /usr/local/bin/sealcam
COPY firmware-config/device.example.yaml /etc/sealcam/device.yaml
# The example config is for a Pi camera at 1920x1080; the image defaults to the fake
# camera at 640x480 (override any key with SEALCAM_<SECTION>__<KEY>, docs/DAEMON.md).
ENV SEALCAM_STATE_DIR=/var/lib/sealcam \
    SEALCAM_CAMERA__BACKEND=fake \
    SEALCAM_CAMERA__WIDTH=640 \
    SEALCAM_CAMERA__HEIGHT=480 \
    NODE_ENV=production
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
