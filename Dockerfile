# syntax=docker/dockerfile:1
# sealcam device daemon image. Multi-stage: build with dev dependencies, run
# with production dependencies only, as a non-root user under tini.
#   docker build -t sealcam .
#   docker run --rm -v sealcam-state:/var/lib/sealcam sealcam            # fake camera
#   docker run --rm --device /dev/video0 -e SEALCAM_CAMERA__BACKEND=v4l2 \
#     -v sealcam-state:/var/lib/sealcam sealcam                          # USB camera
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsup.config.ts ./
COPY src ./src
COPY bin ./bin
RUN npx tsup && npm pack --ignore-scripts --pack-destination /tmp && mv /tmp/sealcam-*.tgz /tmp/sealcam.tgz

FROM node:22-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system sealcam && useradd --system --gid sealcam --groups video --home-dir /var/lib/sealcam sealcam \
 && mkdir -p /var/lib/sealcam /opt/sealcam && chown sealcam:sealcam /var/lib/sealcam && chmod 0700 /var/lib/sealcam
WORKDIR /opt/sealcam
COPY --from=build /tmp/sealcam.tgz /tmp/sealcam.tgz
COPY package-lock.json ./
RUN tar -xzf /tmp/sealcam.tgz --strip-components=1 -C /opt/sealcam \
 && npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && rm /tmp/sealcam.tgz \
 && ln -s /opt/sealcam/bin/sealcam.js /usr/local/bin/sealcam
COPY firmware-config/device.example.yaml /etc/sealcam/device.yaml
ENV SEALCAM_STATE_DIR=/var/lib/sealcam \
    SEALCAM_CAMERA__BACKEND=fake \
    NODE_ENV=production
VOLUME ["/var/lib/sealcam"]
USER sealcam
EXPOSE 7447
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["sealcam", "device", "health", "--state-dir", "/var/lib/sealcam"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sealcam", "device", "--config", "/etc/sealcam/device.yaml"]
