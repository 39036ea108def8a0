/** Waiting in tests, one implementation: poll for a positive condition, never sleep and hope. */

/**
 * Polls `pred` every `everyMs` until it returns a truthy value (returned), or
 * throws naming `what` once `timeoutMs` has passed.
 */
export async function waitFor<T>(pred: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
