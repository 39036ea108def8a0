/**
 * The demo's embedded MQTT broker: aedes (in process) on a free loopback
 * port. Production deployments use Mosquitto, EMQX or HiveMQ instead.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

/** A running embedded broker. */
export interface EmbeddedBroker {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts aedes on 127.0.0.1 and a free port. */
export async function startEmbeddedBroker(): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
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
