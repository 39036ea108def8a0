/**
 * `npm run bench`: runs every benchmark module and prints one table. Targets
 * are reported (ok / MISSED), never asserted: speed is measured here, not in
 * tests. `npm run bench -- --write` also rewrites docs/PERFORMANCE.md with the
 * table and the machine it ran on; `--only scheme,dstp` runs a subset.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import type { Row } from './row.js';

const MODULES: { name: string; file: string; fn: string }[] = [
  { name: 'scheme', file: './scheme.ts', fn: 'benchScheme' },
  { name: 'dstp', file: './dstp.ts', fn: 'benchDstp' },
  { name: 'device', file: './device.ts', fn: 'benchDevice' },
  { name: 'server', file: './server.ts', fn: 'benchServer' },
  { name: 'ble', file: './ble.ts', fn: 'benchBle' },
];

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function renderTable(rows: readonly Row[]): string {
  const head = ['group', 'metric', 'value', 'unit', 'target', 'status'];
  const body = rows.map((r) => [
    r.group, r.metric, fmt(r.value), r.unit, r.target === undefined ? '' : String(r.target),
    r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? new Set(args[onlyIdx + 1]?.split(',')) : null;
  const rows: Row[] = [];
  const skipped: string[] = [];
  for (const m of MODULES) {
    if (only && !only.has(m.name)) continue;
    const url = new URL(m.file, import.meta.url);
    if (!existsSync(url)) {
      skipped.push(m.name);
      continue;
    }
    const started = Date.now();
    process.stderr.write(`bench: ${m.name}…\n`);
    const mod = (await import(url.href)) as Record<string, () => Promise<Row[]>>;
    rows.push(...(await mod[m.fn]!()));
    process.stderr.write(`bench: ${m.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const table = renderTable(rows);
  console.log(`machine: ${machine()}\n`);
  console.log(table);
  const missed = rows.filter((r) => r.ok === false);
  console.log(`\n${rows.length} figures, ${rows.filter((r) => r.ok === true).length} targets met, ${missed.length} missed`);
  if (skipped.length > 0) console.log(`not present: ${skipped.join(', ')}`);
  if (args.includes('--write')) {
    const doc = [
      '# Performance',
      '',
      'Measured by `npm run bench` (one process, one core busy; targets from the issues).',
      'Re-run with `npm run bench -- --write` to refresh this page.',
      '',
      `Machine: ${machine()}. Date: ${new Date().toISOString().slice(0, 10)}.`,
      '',
      table,
      '',
    ].join('\n');
    writeFileSync(new URL('../docs/PERFORMANCE.md', import.meta.url), doc);
    console.log('wrote docs/PERFORMANCE.md');
  }
}

await main();
