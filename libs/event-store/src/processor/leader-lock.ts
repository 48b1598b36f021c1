import { Client } from 'pg';
import { type DatabaseOptions, poolConfig } from '../db';

export interface LeaderLockOptions {
  /** What is led; the lock is per schema, so two hubs on one database elect separately. */
  name: string;
  /** How long a connect or a check may take before this instance counts itself a standby. */
  timeoutMs?: number;
}

/**
 * One active instance among replicas: a session advisory lock held on a connection of its own.
 * PostgreSQL releases it when that session ends (crash, network loss, pg_terminate_backend), so
 * a standby's next `check()` takes over. The leader proves its session at every check, so one
 * whose connection died stops at its next check: call check() before each round of work, and
 * two instances overlap by at most the round the old leader had begun.
 */
export class LeaderLock {
  private client?: Client;
  private held = false;
  /** The session died while leading and no check has said so yet. */
  private lost = false;
  private closed = false;
  private checking?: Promise<boolean>;

  constructor(
    private readonly db: DatabaseOptions,
    private readonly opts: LeaderLockOptions,
  ) {}

  get key(): string {
    return `leader:${this.db.schema ?? 'public'}:${this.opts.name}`;
  }

  /** Whether the last check found this instance leading. */
  get isLeader(): boolean {
    return this.held;
  }

  /**
   * Leads now? Takes the lock if it is free; if held, proves the session is still alive (the
   * lock with it). Never throws: a store that does not answer makes this instance a standby.
   */
  check(): Promise<boolean> {
    this.checking ??= this.checkOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkOnce(): Promise<boolean> {
    if (this.closed) return false;
    // Report a loss once before trying again, so the caller hears of it (and may back off).
    if (this.lost) {
      this.lost = false;
      return false;
    }
    try {
      const client = this.client ?? (await this.connect());
      if (this.held) {
        await client.query('SELECT 1');
      } else {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
          this.key,
        ]);
        this.held = rows[0].ok;
      }
    } catch {
      this.drop(this.client);
      // This check itself reports the loss.
      this.lost = false;
    }
    return this.held;
  }

  private async connect(): Promise<Client> {
    const timeoutMs = this.opts.timeoutMs ?? 5_000;
    const client = new Client({
      ...poolConfig({ ...this.db, connectTimeoutMs: timeoutMs }),
      application_name: 'condorhub-leader',
      // A leader whose store stops answering must find out, not wait.
      query_timeout: timeoutMs,
    });
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }

  /** The session is gone or in doubt: the lock with it. */
  private drop(client: Client | undefined) {
    if (!client || this.client !== client) return;
    this.client = undefined;
    this.lost ||= this.held;
    this.held = false;
    void client.end().catch(() => undefined);
  }

  /** Ends the session, which releases the lock at once for a standby. */
  async close(): Promise<void> {
    this.closed = true;
    await this.checking;
    const client = this.client;
    this.client = undefined;
    this.held = false;
    await client?.end().catch(() => undefined);
  }
}
