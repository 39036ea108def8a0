/**
 * `sealcam verify FILE…`: verifies capture bundles (SCHEME.md Appendix, with
 * an optional "saveHash" inclusion proof checked against a SaveHash chain),
 * life-cycle records (leave factory, bind, key registration, acks) and ledger
 * files, printing a verdict per check. Exit 0 only when every file verified.
 */
import { readFile } from 'node:fs/promises';
import { verifyBundle } from '../../dstp/index.js';
import { decodeHeader, headerDigest } from '../../dstp/header.js';
import { fromHex, toHex } from '../../platform/bytes.js';
import { recordFromJson, verifyRecord } from '../../ledger/index.js';
import { ledgerVerifyFile, formatLedgerReport } from '../../ledger/index.js';
import { chainFromJson, inclusionFromJson } from '../../receiver/savehash-json.js';
import { verifyInclusion, type SaveHashChainData } from '../../receiver/savehash.js';
import { isSealcamError } from '../../platform/errors.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam verify [--json] [--chain CHAIN.json] FILE...
  FILE         a capture bundle (.json), a life-cycle record (.json) or a ledger file
  --chain      a SaveHash chain (JSON) to check bundles' "saveHash" inclusion proofs against
  --json       one JSON object per file instead of text`;

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

interface FileVerdict {
  file: string;
  kind: 'bundle' | 'record' | 'ledger' | 'unknown';
  valid: boolean;
  reason: string | null;
  checks: Check[];
  /** What a valid capture is (device, time, size). */
  summary?: string;
}

function verifyBundleJson(file: string, json: Record<string, unknown>, chain: SaveHashChainData | null): FileVerdict {
  const { saveHash, ...bundle } = json;
  const v = verifyBundle(bundle);
  const checks: Check[] = v.checks.map((c) => ({ name: c.name, ok: c.ok, ...(c.detail !== undefined ? { detail: c.detail } : {}) }));
  let reason: string | null = v.reason;
  if (v.valid && saveHash !== undefined) {
    try {
      const sh = saveHash as Record<string, unknown>;
      if (typeof sh !== 'object' || sh === null || Array.isArray(sh) || Object.keys(sh).some((k) => k !== 'inclusion' && k !== 'chain')) {
        throw new Error('saveHash must be {"inclusion": ..., "chain"?: ...}');
      }
      const inc = inclusionFromJson(sh['inclusion']);
      const useChain = chain ?? (sh['chain'] !== undefined ? chainFromJson(sh['chain']) : null);
      const digest = headerDigest(fromHex(String(bundle['header'])));
      const r = verifyInclusion(digest, inc, useChain);
      const name = useChain ? 'saveHash inclusion (in chain)' : 'saveHash inclusion (link only)';
      checks.push({ name, ok: r === null, ...(r ? { detail: r } : {}) });
      reason = r;
    } catch (e) {
      reason = isSealcamError(e) ? e.code : 'SAVEHASH_FORMAT';
      checks.push({ name: 'saveHash inclusion', ok: false, detail: reason });
    }
  } else if (v.valid && chain) {
    checks.push({ name: 'saveHash inclusion', ok: false, detail: 'SAVEHASH_FORMAT (bundle has no saveHash field)' });
    reason = 'SAVEHASH_FORMAT';
  }
  let summary: string | undefined;
  if (v.valid) {
    const h = decodeHeader(fromHex(String(bundle['header'])));
    summary = `device ${toHex(h.deviceAddr)}, captured ${new Date(Number(h.ts)).toISOString()} (period ${h.m}), seq ${h.seq}, ` +
      `${h.captureLen} bytes in ${h.c} block(s), sha256 ${toHex(h.captureHash)}`;
  }
  return { file, kind: 'bundle', valid: reason === null, reason, checks, ...(summary ? { summary } : {}) };
}

function verifyRecordJson(file: string, json: unknown): FileVerdict {
  try {
    const rec = recordFromJson(json);
    const f = verifyRecord(rec);
    const detail = f ? `${f.code}${f.detail ? ` (${String(f.detail)})` : ''}` : undefined;
    return {
      file, kind: 'record', valid: f === null, reason: f ? f.code : null,
      checks: [{ name: 'format', ok: true }, { name: `${rec.kind} signature`, ok: f === null, ...(detail ? { detail } : {}) }],
    };
  } catch (e) {
    const code = isSealcamError(e) ? e.code : 'RECORD_FORMAT';
    return { file, kind: 'record', valid: false, reason: code, checks: [{ name: 'format', ok: false, detail: (e as Error).message }] };
  }
}

async function verifyOne(file: string, chain: SaveHashChainData | null): Promise<FileVerdict> {
  const bytes = await readFile(file);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    const r = await ledgerVerifyFile(file);
    return {
      file, kind: 'ledger', valid: r.ok, reason: r.ok ? null : (r.problems[0]?.code ?? 'LEDGER_FORMAT'),
      checks: [{ name: 'ledger', ok: r.ok, detail: formatLedgerReport(r, file) }],
    };
  }
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if ('header' in o && 'blocks' in o) return verifyBundleJson(file, o, chain);
    if ('record' in o) return verifyRecordJson(file, o);
  }
  return { file, kind: 'unknown', valid: false, reason: 'BUNDLE_FORMAT', checks: [{ name: 'format', ok: false, detail: 'not a bundle, record or ledger' }] };
}

function printText(v: FileVerdict): void {
  console.log(`${v.valid ? 'VALID  ' : 'INVALID'} ${v.file} (${v.kind})${v.reason ? `: ${v.reason}` : ''}`);
  if (v.summary) console.log(`  ${v.summary}`);
  for (const c of v.checks) {
    const detail = c.detail ? `  ${c.detail.includes('\n') ? '\n      ' + c.detail.split('\n').join('\n      ') : c.detail}` : '';
    console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${detail}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, chain: { type: 'string' } }, USAGE);
  if (positionals.length === 0) {
    console.error(USAGE);
    return 2;
  }
  let chain: SaveHashChainData | null = null;
  if (typeof values['chain'] === 'string') chain = chainFromJson(JSON.parse(await readFile(values['chain'], 'utf8')) as unknown);
  let allValid = true;
  for (const file of positionals) {
    let v: FileVerdict;
    try {
      v = await verifyOne(file, chain);
    } catch (e) {
      v = { file, kind: 'unknown', valid: false, reason: isSealcamError(e) ? e.code : 'IO', checks: [{ name: 'read', ok: false, detail: (e as Error).message }] };
    }
    allValid &&= v.valid;
    if (values['json'] === true) console.log(JSON.stringify(v));
    else printText(v);
  }
  return allValid ? 0 : 1;
}
