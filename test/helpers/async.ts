/** Async helpers shared by the tests. */

/** Maps `items` through `fn` one after the other (each call awaited before the next starts), in order. */
export async function inSeries<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const [k, item] of items.entries()) out.push(await fn(item, k));
  return out;
}
