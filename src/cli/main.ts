/**
 * `sealcam` command-line entry. Thin: each subcommand lives in
 * src/cli/commands/ and is imported only when used, so `sealcam verify` never
 * loads the MQTT client or a camera backend.
 */
import { SealcamError } from '../platform/errors.js';
import { HelpRequested } from './args.js';

/** A subcommand: receives its own argv (after the command words) and returns the exit code. */
export type CommandRun = (argv: string[]) => Promise<number>;

interface CommandEntry {
  words: string[];
  summary: string;
  load: () => Promise<{ run: CommandRun }>;
}

const COMMANDS: CommandEntry[] = [
  { words: ['demo'], summary: 'run device, broker, two storage servers and a receiver end to end', load: () => import('./commands/demo.js') },
  { words: ['keys', 'new'], summary: 'create a device identity and key cycle in a state directory', load: () => import('./commands/keys-new.js') },
  { words: ['keys', 'status'], summary: 'show the key cycles and current period of a state directory', load: () => import('./commands/keys-status.js') },
  { words: ['sign'], summary: 'sign image files into capture bundles', load: () => import('./commands/sign.js') },
  { words: ['verify'], summary: 'verify capture bundles or life-cycle records', load: () => import('./commands/verify.js') },
  { words: ['inspect'], summary: 'decode a header, key, signature or bundle and print it', load: () => import('./commands/inspect.js') },
  { words: ['scheme', 'verify-vectors'], summary: 'check an irn-v1 vector file, one JSON line per case', load: () => import('./commands/scheme-vectors.js') },
  { words: ['dstp', 'verify-vectors'], summary: 'check a dstp-v1 vector file, one JSON line per case', load: () => import('./commands/dstp-vectors.js') },
  { words: ['chain', 'verify-vectors'], summary: 'check a chain-v1 vector file (key chains), one JSON line per case', load: () => import('./commands/chain-vectors.js') },
  { words: ['device'], summary: 'run the capture daemon', load: () => import('./commands/device.js') },
  { words: ['export'], summary: 'write capture bundles from an outbox or receiver store', load: () => import('./commands/export.js') },
  { words: ['provision'], summary: 'create the device key, first key cycle and leave-factory record', load: () => import('./commands/provision.js') },
  { words: ['bind'], summary: 'bind the device to an owner address', load: () => import('./commands/bind.js') },
  { words: ['server', 'verify-store'], summary: 're-verify every block in a storage server directory', load: () => import('./commands/server-verify-store.js') },
  { words: ['server'], summary: 'run a storage server', load: () => import('./commands/server.js') },
  { words: ['receive'], summary: "run the owner's receiver (LAN TCP or BLE)", load: () => import('./commands/receive.js') },
  { words: ['ledger', 'verify'], summary: 'verify a life-cycle ledger file', load: () => import('./commands/ledger-verify.js') },
];

function usage(): string {
  const lines = ['usage: sealcam <command> [options]', '', 'commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.words.join(' ').padEnd(24)} ${c.summary}`);
  lines.push('', 'Run `sealcam <command> --help` for the options of one command.');
  return lines.join('\n');
}

function match(argv: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  let best: CommandEntry | undefined;
  for (const c of COMMANDS) {
    if (c.words.every((w, i) => argv[i] === w) && (!best || c.words.length > best.words.length)) best = c;
  }
  return best ? { entry: best, rest: argv.slice(best.words.length) } : undefined;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(usage());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version') {
    console.log('sealcam 0.1.0');
    return 0;
  }
  const m = match(argv);
  if (!m) {
    console.error(`sealcam: unknown command '${argv.join(' ')}'\n\n${usage()}`);
    return 2;
  }
  let mod: { run: CommandRun };
  try {
    mod = await m.entry.load();
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(e).includes('/cli/commands/')) {
      console.error(`sealcam: '${m.entry.words.join(' ')}' is not available in this build`);
      return 2;
    }
    throw e;
  }
  try {
    return await mod.run(m.rest);
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(e.usage);
      return 0;
    }
    if (e instanceof SealcamError) {
      console.error(`sealcam ${m.entry.words.join(' ')}: ${e.message}`);
      // Usage and configuration errors (including unreadable or malformed input files such as --trust) exit 2.
      return USAGE_CODES.has(e.code) || e.code.startsWith('CONFIG_') ? 2 : 1;
    }
    throw e;
  }
}

const USAGE_CODES: ReadonlySet<string> = new Set(['CLI_USAGE', 'CLI_FILE', 'CLI_JSON', 'TRUST_FORMAT']);

const isEntry = process.argv[1] !== undefined && /(?:^|[\\/])(?:main\.ts|cli\.js)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
