/**
 * Operation rates in CPU time for the benches: load on other cores does not
 * count, and a figure and its same-run baseline are measured interleaved —
 * round after round, each for a slice of CPU time — so drift in the machine's
 * speed hits both alike.
 */

/** CPU milliseconds of this process (every thread). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Operations per CPU second of each of `fns`, measured interleaved: `rounds` rounds, each giving
 * every function about `sliceMs` CPU milliseconds (after a warm-up of `warm` calls each).
 */
export function interleavedRates(fns: readonly (() => void)[], o: { rounds?: number; sliceMs?: number; warm?: number } = {}): number[] {
  const rounds = o.rounds ?? 6;
  const sliceMs = o.sliceMs ?? 250;
  for (const fn of fns) for (let k = 0; k < (o.warm ?? 20); k++) fn();
  const ops = fns.map(() => 0);
  const cpu = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, j) => {
      const t = cpuMs();
      let now = t;
      let n = 0;
      while (now - t < sliceMs) {
        fn();
        n++;
        if ((n & 3) === 0) now = cpuMs();
      }
      ops[j]! += n;
      cpu[j]! += cpuMs() - t;
    });
  }
  return ops.map((n, j) => n / (cpu[j]! / 1000));
}
