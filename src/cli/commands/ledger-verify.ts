/** `sealcam ledger verify FILE [--manufacturer SUITE:HEX]…`: checks a life-cycle ledger's chain and every signature. */
import { fromHex } from '../../platform/bytes.js';
import { formatLedgerReport, ledgerVerifyFile } from '../../ledger/index.js';
import type { Suite } from '../../crypto/ecdsa.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam ledger verify [--json] [--manufacturer SUITE:PUBKEYHEX]... FILE
  --manufacturer   trusted manufacturer key (1 = ES256K, 2 = ES256), repeatable`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, manufacturer: { type: 'string', multiple: true } }, USAGE);
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const trusted = ((values['manufacturer'] as string[] | undefined) ?? []).map((m) => {
    const [s, hex] = m.split(':');
    if ((s !== '1' && s !== '2') || hex === undefined) throw new Error(`--manufacturer must be SUITE:HEX, got ${m}`);
    return { suite: Number(s) as Suite, publicKey: fromHex(hex) };
  });
  const r = await ledgerVerifyFile(positionals[0]!, trusted.length > 0 ? { trustedManufacturers: trusted } : {});
  if (values['json'] === true) {
    console.log(JSON.stringify({ ok: r.ok, entries: r.entries, problems: r.problems.map((p) => ({ ...p, index: p.index.toString() })) }));
  } else {
    console.log(formatLedgerReport(r, positionals[0]));
  }
  return r.ok ? 0 : 1;
}
