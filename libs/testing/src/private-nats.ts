import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/**
 * A nats-server of this test's own (JetStream, its own store dir), for tests that stop and
 * start the broker without disturbing other test files on the shared one.
 */
export class PrivateNatsServer {
  private proc?: ChildProcess;
  readonly storeDir = mkdtempSync(path.join(os.tmpdir(), 'condorhub-nats-'));
  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  /** `extraArgs` go to nats-server as they are, e.g. `['--user', 'u', '--pass', 'p']`. */
  static async start(extraArgs: string[] = []): Promise<PrivateNatsServer> {
    const server = new PrivateNatsServer(await freePort(), extraArgs);
    await server.up();
    return server;
  }

  get url() {
    return `nats://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const bin = process.env.CONDORHUB_NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
    this.proc = spawn(
      bin,
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...this.extraArgs],
      {
        stdio: 'ignore',
      },
    );
    await waitForPort(this.port, 10_000);
  }

  async down(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  async dispose(): Promise<void> {
    await this.down();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
