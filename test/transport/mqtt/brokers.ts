/**
 * Brokers for the MQTT tests: aedes in process (port 0), the machine's
 * Mosquitto on 127.0.0.1:1883 (REQUIRED: tests fail loudly when it is absent),
 * and private Mosquitto child processes on a free port with persistence in a
 * temp dir, which tests may kill and restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { removeDir, tempDir } from '../../helpers/temp.js';

export const MOSQUITTO_URL = process.env['SEALCAM_TEST_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';

/** A unique topic prefix and id suffix for one test run. */
export function uniq(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

/** An in-process aedes broker on a free port. */
export async function startAedes(): Promise<{ url: string; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves when something accepts TCP on host:port, else rejects with a clear message. */
export function probe(url: string): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port || 1883) });
    s.setTimeout(2000, () => s.destroy(new Error('timeout')));
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', (e) =>
      reject(new Error(`Mosquitto is required at ${url} for the MQTT tests (apt-get install mosquitto; or set SEALCAM_TEST_MQTT_URL): ${e.message}`)));
  });
}

/** A free TCP port (bind 0, read it, release it). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A private Mosquitto child process with persistence, which can be stopped and restarted on the
 * same port; configured with `set_tcp_nodelay true` as docs/DEPLOY.md §11 configures a broker.
 */
export class PrivateMosquitto {
  private child: ChildProcess | undefined;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The running broker's pid (for its CPU time), if it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(): Promise<PrivateMosquitto> {
    const dir = await tempDir('sealcam-mosq-');
    const port = await freePort();
    const conf = [
      `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`,
      'autosave_interval 1', 'max_queued_messages 100000', 'set_tcp_nodelay true', 'log_type error', 'log_dest stderr', '',
    ].join('\n');
    await writeFile(join(dir, 'mosquitto.conf'), conf);
    const m = new PrivateMosquitto(dir, port);
    await m.restart();
    return m;
  }

  /** (Re)starts the broker and waits until it accepts connections. */
  async restart(): Promise<void> {
    if (this.child !== undefined) throw new Error('mosquitto is running');
    const child = spawn('mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', (e) => (err += `${e.message}\n`)); // e.g. no mosquitto executable (ENOENT)
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null || child.pid === undefined) throw new Error(`mosquitto exited: ${err}`);
      try {
        await probe(this.url);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    throw new Error(`mosquitto did not start on ${this.port}: ${err}`);
  }

  /** Stops the broker with `signal` (SIGTERM saves the persistence file; SIGKILL does not). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (c === undefined || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
    this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    await removeDir(this.dir);
  }
}
