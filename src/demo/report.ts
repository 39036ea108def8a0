/**
 * The demo's report: what was signed, delivered, stored and verified, the
 * attack probe's verdicts, and where the files are. `demoPassed` is the exit
 * code's source of truth: every capture verified everywhere, nothing stored
 * rejected, the tampered block rejected and the replay not stored twice.
 */
import { relative } from 'node:path';
import { toHex } from '../platform/bytes.js';
import type { DemoFacts } from './types.js';

/** Every condition the demo must meet, with a one-line explanation each. */
export function demoChecks(f: DemoFacts): { ok: boolean; what: string }[] {
  const blocksPerServer = f.servers.map((s) => s.verifyStore.records);
  return [
    { ok: f.daemon.captures.signed >= f.captures, what: `${f.daemon.captures.signed} captures signed` },
    { ok: f.receiver.capturesCompleted >= f.daemon.captures.signed && f.receiver.capturesInvalid === 0, what: 'the owner received and verified every capture' },
    { ok: Object.keys(f.receiver.rejections).length === 0, what: 'the owner rejected nothing from the device' },
    { ok: f.bundles.exported >= f.daemon.captures.signed && f.bundles.verified === f.bundles.exported, what: 'every exported bundle verifies origin and time against the trust file' },
    { ok: f.photos.written >= 1 && f.photos.verified === f.photos.written, what: 'every photo with Content Credentials verifies (sealcam origin and time, C2PA valid and trusted)' },
    { ok: f.servers.every((s) => s.verifyStore.ok && s.verifyStore.verified === s.verifyStore.records), what: 'both stores re-verify block by block' },
    { ok: blocksPerServer.reduce((a, b) => a + b, 0) >= f.captures, what: 'the servers hold the blocks' },
    { ok: f.probe?.tampered.status === 'REJECTED', what: 'the tampered block was rejected' },
    { ok: f.probe?.replay.status === 'DUPLICATE', what: 'the replayed block was not stored twice' },
    { ok: f.ledger.ok, what: 'the life-cycle ledger verifies' },
    { ok: f.periods.length >= 2, what: 'the keys evolved during the run' },
  ];
}

/** True when every check passed. */
export function demoPassed(f: DemoFacts): boolean {
  return demoChecks(f).every((c) => c.ok);
}

const short = (hex: string): string => `${hex.slice(0, 10)}…`;

/** The printed report. */
export function formatDemoReport(f: DemoFacts, cwd = process.cwd()): string {
  const rel = (p: string): string => (relative(cwd, p).startsWith('..') ? p : relative(cwd, p) || '.');
  const d = f.daemon;
  const rows: [string, string][] = [
    ['device', `${toHex(f.device.address)}  (manufacturer ${short(toHex(f.device.manufacturerAddr))}, owner ${short(toHex(f.device.ownerAddr))})`],
    ['captures signed', `${d.captures.signed} (seq 1–${d.captures.lastSeq ?? '?'}), each split into one block per storage server (Algorithm 1)`],
    ['key periods', `${f.periods.join(', ')} of key cycle ${f.keyIds.map(short).join(', ')} (a new block key every period; old ones erased)`],
    ['owner (receiver)', `${f.receiver.capturesCompleted} captures verified and reassembled, ${f.receiver.blocksStored} blocks, ` +
      `${Object.values(f.receiver.rejections).reduce((a, b) => a + b, 0)} rejected, ${f.receiver.batches} SaveHash batch(es)`],
    ['bundles', `${f.bundles.verified}/${f.bundles.exported} exported bundles verified: maker, key chain, capture time  → ${rel(f.bundles.dir)}`],
    ['photos (C2PA)', `${f.photos.verified}/${f.photos.written} JPEGs with Content Credentials signed by the device (<seq>.c2pa.jpg), verified and trusted; ${f.photos.fromReceiver} written by the receiver from the device's capture-time manifests`],
  ];
  for (const s of f.servers) {
    const rejected = Object.entries(s.stats.reasons).map(([k, v]) => `${k}×${v}`).join(', ') || 'none';
    rows.push([`server ${s.id}`, `${s.verifyStore.records} blocks stored, verify-store ${s.verifyStore.ok ? 'OK' : 'FAILED'} ` +
      `(${s.verifyStore.verified} re-verified); rejections: ${rejected}`]);
  }
  if (f.probe) {
    rows.push(['tampered block', `seq ${f.probe.seq} block ${f.probe.index}, one data byte flipped → ${f.probe.tampered.status} ${f.probe.tampered.reason}` +
      (f.probe.tampered.reason === 'MERKLE_PROOF' ? ' (its hash no longer matches the signed header\'s Merkle root)' : '')]);
    rows.push(['replayed block', `seq ${f.probe.seq} block ${f.probe.index} sent again → ${f.probe.replay.status} (stored once)`]);
  }
  rows.push(['ledger', `${f.ledger.entries} entries (leave factory, bind, SaveHash), chain and signatures ${f.ledger.ok ? 'verified' : 'FAILED'}  → ${rel(f.ledgerPath)}`]);
  rows.push(['files', `${rel(f.dir)}/  (device/ state, servers/, receiver/, bundles/, demo.log)`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  const checks = demoChecks(f);
  const failed = checks.filter((c) => !c.ok);
  return [
    `sealcam demo — broker ${f.broker}`,
    '',
    ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`),
    '',
    failed.length === 0
      ? `RESULT: OK — all ${checks.length} checks passed. Try: npx sealcam verify --trust ${rel(f.bundles.trustFile)} ${rel(f.bundles.dir)}/*/*.json (or in a browser: npx sealcam verify --web --trust ${rel(f.bundles.trustFile)})`
      : `RESULT: FAILED — ${failed.map((c) => c.what).join('; ')}`,
  ].join('\n');
}
