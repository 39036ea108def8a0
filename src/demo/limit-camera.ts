/**
 * A Camera that ends after `limit` captures: the demo signs exactly N
 * captures, then the daemon keeps running until they are delivered.
 */
import type { Camera, Capture } from '../capture/index.js';

/** Wraps `inner`; after `limit` captures `next()` returns null and the camera stops. */
export function limitCaptures(inner: Camera, limit: number): Camera {
  let taken = 0;
  const next = async (): Promise<Capture | null> => {
    if (taken >= limit) return null;
    const c = await inner.next();
    if (c === null) return null;
    taken++;
    if (taken >= limit) void inner.stop();
    return c;
  };
  return {
    kind: inner.kind,
    start: () => inner.start(),
    stop: () => inner.stop(),
    next,
    stats: () => inner.stats(),
    health: () => inner.health(),
    isStalled: (ms) => taken < limit && inner.isStalled(ms),
    async *[Symbol.asyncIterator]() {
      for (let c = await next(); c !== null; c = await next()) yield c;
    },
  };
}
