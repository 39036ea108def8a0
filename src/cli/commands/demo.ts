/**
 * `sealcam demo`: runs the device daemon, an MQTT broker, two storage servers
 * and the owner's receiver in one process on embedded defaults, then prints a
 * report. Exit 0 only when everything verified (src/demo/report.ts).
 */
import { resolve, join } from 'node:path';
import { runDemo } from '../../demo/run.js';
import { demoPassed, formatDemoReport } from '../../demo/report.js';
import { intOption, parse } from '../args.js';

const USAGE = `usage: sealcam demo [options]
  --captures N     captures to sign (default 20)
  --broker URL     use this MQTT broker (e.g. mqtt://127.0.0.1:1883) instead of the embedded one
  --dir DIR        where to put the files (default ./.sealcam-demo/<time>)
  --bits 2048|3072 IR-n modulus size (default 2048, so key generation takes seconds)
  --period-ms MS   key period Δ (default 1000: the keys evolve several times)
  --interval-ms MS one capture every MS (default 250)`;


export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    captures: { type: 'string' }, broker: { type: 'string' }, dir: { type: 'string' }, bits: { type: 'string' },
    'period-ms': { type: 'string' }, 'interval-ms': { type: 'string' },
  }, USAGE, false);
  let opts;
  try {
    const bits = intOption(values['bits'], 'bits', 2048, 2048, 3072);
    if (bits !== 2048 && bits !== 3072) throw new Error('--bits must be 2048 or 3072');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    opts = {
      dir: resolve(typeof values['dir'] === 'string' ? values['dir'] : join('.sealcam-demo', stamp)),
      captures: intOption(values['captures'], 'captures', 20, 1, 10_000),
      bits: bits as 2048 | 3072,
      periodMs: intOption(values['period-ms'], 'period-ms', 1000, 100, 3_600_000),
      intervalMs: intOption(values['interval-ms'], 'interval-ms', 250, 10, 3_600_000),
      ...(typeof values['broker'] === 'string' ? { brokerUrl: values['broker'] } : {}),
    };
  } catch (e) {
    console.error(`sealcam demo: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const started = Date.now();
  const facts = await runDemo(opts, (line) => console.error(`  ${line}`));
  console.error(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  console.log(formatDemoReport(facts));
  return demoPassed(facts) ? 0 : 1;
}
