// Preloaded into the daemon by the device bench (`node --import bench/rss-probe.mjs bin/sealcam.js device …`):
// every second, writes process.memoryUsage() to $SEALCAM_BENCH_MEM (JSON) so the bench can split the
// RSS into V8 heap, external/ArrayBuffers and the rest. Timer unref'd: it never keeps the daemon alive.
import { writeFileSync } from 'node:fs';

const out = process.env.SEALCAM_BENCH_MEM;
if (out) {
  setInterval(() => {
    try {
      writeFileSync(out, JSON.stringify(process.memoryUsage()));
    } catch {
      /* the bench reads what is there */
    }
  }, 1000).unref();
}
