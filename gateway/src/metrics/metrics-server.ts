import http from 'node:http';
import type { Logger } from '@caretaker/protocol/log';
import type { GatewayMetrics } from './gateway-metrics.js';

/**
 * The Prometheus endpoint: `GET /metrics` in the text exposition format, `GET /healthz` with the
 * gateway's stats as JSON (for a quick look with curl). Nothing else; no writes.
 */
export class MetricsServer {
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  #server: http.Server | undefined;

  constructor(metrics: GatewayMetrics, logger: Logger) {
    this.#metrics = metrics;
    this.#log = logger;
  }

  /** The bound port (after start). */
  get port(): number | undefined {
    const address = this.#server?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  async start(host: string, port: number): Promise<void> {
    const server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (url === '/metrics') {
        this.#metrics.text().then(
          (text) => res.writeHead(200, { 'content-type': this.#metrics.registry.contentType }).end(text),
          (err: unknown) => {
            this.#log.error({ err }, 'collecting metrics failed');
            res.writeHead(500).end();
          },
        );
        return;
      }
      if (url === '/healthz') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(this.#metrics.stats({ reset: false })));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#log.info({ url: `http://${host}:${this.port}/metrics` }, 'metrics endpoint listening');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
