// A TCP proxy between two hosts for link tests: port 0, forwards to a target port, cuts or blocks on demand.
import net from 'node:net';

export interface TcpProxy {
  /** `http://127.0.0.1:PORT`, to use as the proxied host's public URL. */
  url: string;
  port: number;
  /** Destroys every connection it carries, both ends at once; returns how many it cut. */
  cut(): number;
  /**
   * Stops passing on what the dialing side sends over the connections open now (its acks, say), while the
   * other way still flows; what was held is lost at the next `cut`.
   */
  holdFromDialer(): void;
  /** While blocked, every connection is cut and new ones are closed as soon as they arrive. */
  block(blocked: boolean): void;
  /** Connections accepted so far (a reconnect shows as a new one). */
  accepted(): number;
  /** Bytes passed on to the dialing side so far (the target's frames). */
  toDialer(): number;
  close(): Promise<void>;
}

/**
 * Starts a proxy to `127.0.0.1:targetPort`.
 * @example const proxy = await startTcpProxy(portOf(a)); proxy.cut(); // the link drops and redials
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let blocked = false;
  let accepted = 0;
  let toDialer = 0;
  const server = net.createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.on('data', (d: Buffer) => {
      toDialer += d.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  function cut(): number {
    const n = pairs.size;
    for (const [client, upstream] of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
    return n;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    cut,
    holdFromDialer() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        client.pause();
      }
    },
    block(b) {
      blocked = b;
      if (b) cut();
    },
    accepted: () => accepted,
    toDialer: () => toDialer,
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
