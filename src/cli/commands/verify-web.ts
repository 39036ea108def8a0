/**
 * `sealcam verify --web [--trust FILE] [--port N]`: serves the verification
 * page (dist/web, built from web/; docs/VERIFY-WEB.md) on 127.0.0.1 only, with
 * a tiny static file server from node:http — GET and HEAD of the page's own
 * files only (anything else 405), no path outside the web directory (404), no
 * directory listing, a Host check against DNS rebinding (421), the page's CSP
 * as a header. With --trust, the (checked) trust file is served as
 * /trust.json and the printed URL asks the page to load it. Opens nothing
 * else; runs until SIGINT/SIGTERM. Verification itself happens in the browser.
 */
import { existsSync, realpathSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SealcamError } from '../../platform/errors.js';

/** The page's Content Security Policy (also in web/index.html): nothing but its own origin. */
export const WEB_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
};

/** The built page: dist/web next to the bundled CLI, or the repository's dist/web when run from src/. */
export function webRoot(): string {
  for (const u of [new URL('./web/', import.meta.url), new URL('../../../dist/web/', import.meta.url)]) {
    const dir = fileURLToPath(u);
    if (existsSync(join(dir, 'index.html'))) return realpathSync(dir);
  }
  throw new SealcamError('CLI_FILE', 'the verification page is not built (dist/web/index.html is missing): run `npm run build`');
}

/** What the server serves. */
export interface WebServerOptions {
  /** The web directory (default: webRoot()). */
  readonly root?: string;
  /** Served as /trust.json when given (already checked by the caller). */
  readonly trust?: Uint8Array;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
}

/** A running page server. */
export interface WebServer {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type = 'text/plain; charset=utf-8', head = false): void {
  res.writeHead(status, {
    'Content-Type': type, 'Content-Length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.length),
    'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': WEB_CSP,
    'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Resource-Policy': 'same-origin',
  });
  res.end(head ? undefined : body);
}

async function handle(req: IncomingMessage, res: ServerResponse, root: string, trust: Uint8Array | undefined, port: () => number): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'method not allowed\n');
    return;
  }
  const head = req.method === 'HEAD';
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port()}` && host !== `localhost:${port()}`) {
    send(res, 421, 'wrong host\n', undefined, head);
    return;
  }
  const raw = req.url ?? '/';
  let path: string;
  try {
    if (raw.length > 1024 || !raw.startsWith('/')) throw new Error('bad target');
    path = decodeURIComponent(new URL(raw, 'http://x').pathname);
  } catch {
    send(res, 400, 'bad request\n', undefined, head);
    return;
  }
  if (path === '/') path = '/index.html';
  if (path === '/trust.json' && trust) {
    send(res, 200, trust, TYPES['.json'], head);
    return;
  }
  const parts = path.split('/').slice(1);
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
    send(res, 404, 'not found\n', undefined, head);
    return;
  }
  const file = join(root, ...parts);
  try {
    const real = realpathSync(file);
    if (!real.startsWith(root + sep) || !(await stat(real)).isFile()) throw new Error('outside');
    send(res, 200, await readFile(real), TYPES[extname(real)] ?? 'application/octet-stream', head);
  } catch {
    send(res, 404, 'not found\n', undefined, head);
  }
}

/**
 * Starts the page server on 127.0.0.1.
 * @throws SealcamError CLI_FILE when the page is not built; the listen error (e.g. EADDRINUSE) otherwise.
 */
export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const root = o.root ?? webRoot();
  let bound = 0;
  const server: Server = createServer((req, res) => {
    handle(req, res, root, o.trust, () => bound).catch(() => send(res, 500, 'error\n'));
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Serves until SIGINT/SIGTERM; returns the exit code (0). */
export async function serveUntilSignal(o: WebServerOptions): Promise<number> {
  const s = await startWebServer(o);
  const url = o.trust ? `${s.url}?trust=trust.json` : s.url;
  console.log(`sealcam verify --web: the verification page is at ${url}`);
  console.log('Open it in a browser; files are verified there and never uploaded. Ctrl-C stops.');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await s.close();
  return 0;
}
