import { Client } from 'pg';
import { type DatabaseOptions, poolConfig } from '../db';

/**
 * A LISTEN connection for the schema's append notifications. It only wakes readers up; they
 * also poll, so a lost notification or a dropped connection costs latency, never events.
 * The connection can also hold session advisory locks (single active processor).
 */
export class WakeUpListener {
  private client?: Client;
  private waiters = new Set<() => void>();
  private closed = false;
  /** A notification no waiter took yet (it came while the reader was busy reading). */
  private notified = false;
  private reconnecting?: Promise<void>;
  onConnectionLost?: () => void;

  constructor(private readonly db: DatabaseOptions) {}

  get channel(): string {
    return `ch_events_${this.db.schema ?? 'public'}`;
  }

  async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({ ...poolConfig(this.db), application_name: 'condorhub-listener' });
    client.on('notification', () => {
      this.notified = true;
      this.wakeAll();
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.client = client;
    return client;
  }

  private lost(client: Client) {
    if (this.client !== client) return;
    this.client = undefined;
    this.onConnectionLost?.();
    this.wakeAll();
  }

  /** Reconnects after a loss, retrying with a capped backoff until it works or close(). */
  async ensureConnected(): Promise<Client | undefined> {
    if (this.client || this.closed) return this.client;
    this.reconnecting ??= (async () => {
      for (let delay = 200; !this.closed && !this.client; delay = Math.min(delay * 2, 5_000)) {
        try {
          await this.connect();
        } catch {
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    })().finally(() => (this.reconnecting = undefined));
    await this.reconnecting;
    return this.client;
  }

  /**
   * Resolves on the next notification, or after `ms` at the latest; at once if one came since
   * the last wait returned, so a notification during a read is not lost.
   */
  wait(ms: number): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        this.notified = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  wakeAll() {
    for (const w of [...this.waiters]) w();
  }

  async close() {
    this.closed = true;
    this.wakeAll();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
