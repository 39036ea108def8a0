/**
 * A Camera the demo can close: after `close()` its `next()` returns null (the
 * daemon's capture loop ends) while the daemon keeps delivering what it signed.
 */
import type { Camera, Capture } from '../capture/index.js';

/** Wraps `inner`; `close()` ends the stream and stops the inner camera. */
export function closableCamera(inner: Camera): { camera: Camera; close(): void } {
  let closed = false;
  let wake: (() => void) | null = null;
  const closedSignal = new Promise<null>((resolve) => (wake = () => resolve(null)));
  const next = async (): Promise<Capture | null> => {
    if (closed) return null;
    const c = await Promise.race([inner.next(), closedSignal]);
    return closed ? null : c;
  };
  const camera: Camera = {
    kind: inner.kind,
    start: () => inner.start(),
    stop: () => inner.stop(),
    next,
    stats: () => inner.stats(),
    health: () => inner.health(),
    isStalled: (ms) => !closed && inner.isStalled(ms),
    async *[Symbol.asyncIterator]() {
      for (let c = await next(); c !== null; c = await next()) yield c;
    },
  };
  return {
    camera,
    close: () => {
      if (closed) return;
      closed = true;
      wake?.();
      void inner.stop();
    },
  };
}
