/**
 * `sealcam server verify-store [--json] DIR`: re-verifies every block a storage
 * server stored in data directory DIR (docs/SERVER.md "verify-store"). Prints
 * counts and problems; exit 0 when everything verifies, 1 on any problem, 2 on usage.
 */
import { verifyStore } from '../../server/verify-store.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam server verify-store [--json] DIR
  DIR      the server's dataDir (server-key.json, chains/, blocks/, index/)
  --json   one JSON object instead of text`;

/** Runs verify-store; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, USAGE);
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const r = await verifyStore(positionals[0]!);
  if (values['json'] === true) {
    console.log(JSON.stringify(r));
  } else {
    console.log(`${positionals[0]}: ${r.devices} device(s), ${r.keys} key cycle(s), ${r.records} block record(s), ${r.verified} verified, ${r.orphanBytes} orphan byte(s) in the data segments`);
    for (const p of r.problems) console.log(`  PROBLEM ${p.where}: ${p.reason}`);
    console.log(r.ok ? 'OK' : `FAILED: ${r.problems.length} problem(s)`);
  }
  return r.ok ? 0 : 1;
}
