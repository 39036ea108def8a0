/**
 * `npm run bench`: runs every benchmark module and prints one table. Targets
 * are reported (ok / MISSED), never asserted: speed is measured here, not in
 * tests. Each target is a ratio to a baseline measured in the same run where
 * one exists (the table prints value, baseline, ratio and target), so a
 * loaded or slower machine moves both alike; a target without one says so.
 * `npm run bench -- --write` also updates docs/PERFORMANCE.md: the section of
 * each module that ran (between its `<!-- bench:NAME start/end -->` markers,
 * appended when absent) — every other section, hand-written or of a module
 * that did not run, is kept; `--only scheme,dstp` runs a subset.
 * Each module runs in a child process of its own (`--module NAME`), so a module's
 * figures do not depend on the ones before it: a fresh heap, no thread or timer
 * left over (in one process, after the 12-minute scheme module, the device
 * ratios came out 0.01–0.08 lower than with the module alone in the same hour).
 * Opt-in modules run only when named in --only: `arm64` (root, apt and the
 * network; emulated arm64 vs native, and a Pi estimate — docs/PERFORMANCE.md).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Row } from './row.js';

const MODULES: { name: string; file: string; fn: string; optIn?: boolean }[] = [
  { name: 'scheme', file: './scheme.ts', fn: 'benchScheme' },
  { name: 'dstp', file: './dstp.ts', fn: 'benchDstp' },
  { name: 'device', file: './device.ts', fn: 'benchDevice' },
  { name: 'server', file: './server.ts', fn: 'benchServer' },
  { name: 'ble', file: './ble.ts', fn: 'benchBle' },
  { name: 'c2pa', file: './c2pa.ts', fn: 'benchC2pa' },
  { name: 'arm64', file: './arm64.ts', fn: 'benchArm64', optIn: true },
  { name: 'scale', file: './scale.ts', fn: 'benchScale', optIn: true },
  { name: 'web', file: './web.ts', fn: 'benchWeb' },
];

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Table cells of the baseline column: the same-run reference, or why there is none. */
function baselineCell(r: Row): string {
  if (r.baseline) return `${fmt(r.baseline.value)} ${r.baseline.unit} (${r.baseline.what})`;
  return r.target === undefined ? '' : 'none: a fixed bound';
}

export function renderTable(rows: readonly Row[]): string {
  const head = ['group', 'metric', 'value', 'unit', 'same-run baseline', 'ratio', 'target', 'status'];
  const body = rows.map((r) => [
    r.group, r.metric, fmt(r.value), r.unit, baselineCell(r), r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.target === undefined ? '' : String(r.target), r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
}

/** Marks the line on which a `--module` child prints its rows (JSON). */
const ROWS_LINE = '@@sealcam-bench-rows@@';

/** Runs one module in this process and prints its rows for the parent. */
async function runModule(m: (typeof MODULES)[number]): Promise<void> {
  const mod = (await import(new URL(m.file, import.meta.url).href)) as Record<string, () => Promise<Row[]>>;
  const rows = await mod[m.fn]!();
  process.stdout.write(`\n${ROWS_LINE}${JSON.stringify(rows)}\n`);
}

/** Runs one module in a child process (same Node flags; logs on stderr pass through) and returns its rows. */
function runChild(name: string, plot: boolean): Promise<Row[]> {
  const child = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--module', name, ...(plot ? ['--plot'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith(ROWS_LINE));
      if (code !== 0 || line === undefined) return reject(new Error(`bench module ${name} failed (exit ${code ?? signal})`));
      resolve(JSON.parse(line.slice(ROWS_LINE.length)) as Row[]);
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const moduleIdx = args.indexOf('--module');
  if (moduleIdx >= 0) {
    const m = MODULES.find((x) => x.name === args[moduleIdx + 1]);
    if (!m) throw new Error(`unknown bench module ${args[moduleIdx + 1]}`);
    return runModule(m);
  }
  if (args.includes('--help')) {
    console.log([
      'usage: npm run bench -- [--only NAME,…] [--write] [--plot]',
      `  --only NAME,…  run these modules (${MODULES.map((m) => m.name + (m.optIn ? ' (opt-in)' : '')).join(', ')})`,
      '  --write        update the sections of the modules that ran in docs/PERFORMANCE.md (others are kept)',
      '  --plot         scale: draw docs/perf-scale.png from its numbers (also with --write)',
    ].join('\n'));
    return;
  }
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? new Set(args[onlyIdx + 1]?.split(',')) : null;
  const rows: Row[] = [];
  const ran: { name: string; rows: Row[]; seconds: number }[] = [];
  const skipped: string[] = [];
  for (const m of MODULES) {
    if (only ? !only.has(m.name) : m.optIn === true) continue;
    const url = new URL(m.file, import.meta.url);
    if (!existsSync(url)) {
      skipped.push(m.name);
      continue;
    }
    const started = Date.now();
    process.stderr.write(`bench: ${m.name}…\n`);
    const got = await runChild(m.name, args.includes('--plot') || args.includes('--write'));
    rows.push(...got);
    ran.push({ name: m.name, rows: got, seconds: (Date.now() - started) / 1000 });
    process.stderr.write(`bench: ${m.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const table = renderTable(rows);
  console.log(`machine: ${machine()}\n`);
  console.log(table);
  const missed = rows.filter((r) => r.ok === false);
  console.log(`\n${rows.length} figures, ${rows.filter((r) => r.ok === true).length} targets met, ${missed.length} missed`);
  if (skipped.length > 0) console.log(`not present: ${skipped.join(', ')}`);
  if (args.includes('--write')) {
    const path = new URL('../docs/PERFORMANCE.md', import.meta.url);
    writeFileSync(path, updateDoc(existsSync(path) ? readFileSync(path, 'utf8') : '# Performance\n', ran, machine(), new Date().toISOString().slice(0, 10)));
    console.log(`updated docs/PERFORMANCE.md: ${ran.map((r) => r.name).join(', ')}`);
  }
}

/**
 * docs/PERFORMANCE.md with the section of each module in `ran` replaced (between
 * `<!-- bench:NAME start -->` and `<!-- bench:NAME end -->`) or appended; the rest kept as is.
 */
export function updateDoc(doc: string, ran: readonly { name: string; rows: readonly Row[]; seconds: number }[], machineLine: string, date: string): string {
  let out = doc;
  for (const r of ran) {
    const [start, end] = [`<!-- bench:${r.name} start -->`, `<!-- bench:${r.name} end -->`];
    const body = [
      start,
      `Measured ${date} with \`npm run bench -- --only ${r.name}\` (${r.seconds.toFixed(0)} s) on ${machineLine}.`,
      '',
      renderTable(r.rows),
      end,
    ].join('\n');
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    out = i >= 0 && j > i ? out.slice(0, i) + body + out.slice(j + end.length) : `${out.trimEnd()}\n\n## ${r.name}\n\n${body}\n`;
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
