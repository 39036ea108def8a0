/**
 * A real headless Chromium (Debian's /usr/bin/chromium, or SEALCAM_CHROMIUM)
 * driven by playwright-core, with a fresh profile and no background
 * networking, and the real `sealcam verify --web` process serving the page
 * (bin/sealcam.js, so `npm run build` must have run). Used by the page tests
 * and the browser bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { removeDir, tempDir } from './temp.js';

/** The Chromium binary. */
export const CHROMIUM = process.env['SEALCAM_CHROMIUM'] ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--no-default-browser-check',
  // a headless renderer must not be deprioritised (niced) as a background one, or a loaded machine starves it
  '--disable-renderer-backgrounding', '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows',
];

/** A browser with a fresh --user-data-dir, removed by close(). */
export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium. @throws Error naming the missing binary (CI installs it: .ci/run). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set SEALCAM_CHROMIUM)`);
  const profile = await tempDir('sealcam-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 900 }, offline: false,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await removeDir(profile);
    },
  };
}

/** A running `sealcam verify --web` process. */
export interface WebCli {
  /** The URL it printed (with ?trust=trust.json when given --trust). */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly proc: ChildProcess;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

const BIN = fileURLToPath(new URL('../../bin/sealcam.js', import.meta.url));

/** Starts `sealcam verify --web --port 0 …args` and waits for the URL it prints. */
export async function startWebCli(args: readonly string[] = []): Promise<WebCli> {
  const proc = spawn(process.execPath, [BIN, 'verify', '--web', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 20 s: ${out} ${err}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sealcam verify --web exited ${code}: ${out} ${err}`));
    });
  });
  return {
    url, origin: new URL(url).origin, proc,
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}
