import type { EventEnvelope } from '@condorhub/contracts';
import type { Pool, PoolClient } from 'pg';
import { type DatabaseOptions, type Sql, withTransaction } from '../db';
import { CheckpointConflictError } from '../errors';
import { hasEventsAfter } from '../sql/has-events-after';
import { type Checkpoint, checkpointOf, readAllForward } from '../sql/read-all-forward';
import { readCheckpoint } from '../sql/read-checkpoint';
import { storeCheckpoint } from '../sql/store-checkpoint';
import { WakeUpListener } from './wake-up';

export interface EventProcessorOptions {
  /** The checkpoint's name: one per read model, relay or consumer. */
  name: string;
  pool: Pool;
  db: DatabaseOptions;
  /**
   * `transaction`: handle() gets the transaction that also stores the checkpoint, so a read
   * model and its checkpoint move together. `after`: handle() does outside effects (a publish)
   * and the checkpoint is stored after it returns: at-least-once.
   */
  mode: 'transaction' | 'after';
  handle(events: EventEnvelope[], tx: Sql | undefined, context?: any): Promise<void>;
  /**
   * How to open the transaction of `transaction` mode (default: a pg transaction on `pool`).
   * The projector passes TypeORM's, so entities and the checkpoint commit together.
   */
  transaction?: (fn: (tx: Sql, context?: any) => Promise<void>) => Promise<void>;
  batchSize?: number;
  /** Fallback poll when no notification comes (e.g. a long transaction held xmin back). */
  pollMs?: number;
  /** Hold a session advisory lock so only one instance of this processor runs at a time. */
  exclusive?: boolean;
  /**
   * `after` mode only: store the checkpoint at most this often while batches keep coming (and
   * always before waiting), instead of after every batch. A crash then repeats up to this much
   * of the log; fine for a relay, whose repeats JetStream drops by message id.
   */
  checkpointEveryMs?: number;
  onError?: (error: unknown) => void;
}

/** Catch up from the stored checkpoint, then follow live appends. */
export class EventProcessor {
  private readonly listener: WakeUpListener;
  private running = false;
  private loop?: Promise<void>;
  private checkpoint?: Checkpoint;
  /** The checkpoint as last stored (differs from `checkpoint` only with checkpointEveryMs). */
  private stored?: Checkpoint;
  private storedAt = 0;
  private lockHeld = false;
  private caughtUpWaiters: { upTo: string; resolve: () => void }[] = [];
  /** The error of the last round, until a read succeeds again (readiness). */
  private lastError?: string;

  constructor(private readonly opts: EventProcessorOptions) {
    this.listener = new WakeUpListener(opts.db);
    this.listener.onConnectionLost = () => (this.lockHeld = false);
  }

  get position(): Checkpoint | undefined {
    return this.checkpoint;
  }

  /** Why the processor is not following the log now (undefined: it is, or it is a standby). */
  get failure(): string | undefined {
    return this.running ? this.lastError : 'stopped';
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.listener.wakeAll();
    await this.loop;
    // Still holding the lock (the listener's session): leave the checkpoint where we are.
    if (this.lockHeld || !this.opts.exclusive) await this.storeIfBehind().catch(() => undefined);
    await this.listener.close();
  }

  /**
   * Resolves once every event committed before this call has been handled (for tests and
   * rebuilds). An empty read alone is not enough: a long transaction anywhere in the cluster
   * holds the visibility horizon back.
   */
  async caughtUp(): Promise<void> {
    const { rows } = await this.opts.pool.query<{ m: string }>(
      'SELECT coalesce(max(global_position), 0)::text AS m FROM events',
    );
    return new Promise((resolve) => this.caughtUpWaiters.push({ upTo: rows[0].m, resolve }));
  }

  private async resolveCaughtUp() {
    if (!this.caughtUpWaiters.length || !this.checkpoint) return;
    const cp = this.checkpoint;
    for (const waiter of [...this.caughtUpWaiters]) {
      const { rows } = await this.opts.pool.query<{ behind: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM events WHERE global_position <= $1::bigint
           AND (transaction_id, global_position) > ($2::xid8, $3::bigint)) AS behind`,
        [waiter.upTo, cp.transactionId, cp.globalPosition],
      );
      if (!rows[0].behind) {
        this.caughtUpWaiters.splice(this.caughtUpWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  private async run() {
    const pollMs = this.opts.pollMs ?? 1_000;
    let heldBackDelay = 0;
    while (this.running) {
      try {
        const client = await this.listener.ensureConnected();
        if (!client) break;
        if (this.opts.exclusive && !this.lockHeld) {
          const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
            `processor:${this.opts.db.schema ?? 'public'}:${this.opts.name}`,
          ]);
          this.lockHeld = rows[0].ok;
          if (!this.lockHeld) {
            // Another instance is active; take over when it goes away.
            await this.listener.wait(pollMs);
            continue;
          }
          this.checkpoint = undefined;
        }
        if (!this.checkpoint) {
          this.checkpoint = await readCheckpoint(this.opts.pool, this.opts.name);
          this.stored = this.checkpoint;
        }
        const batch = await readAllForward(this.opts.pool, this.checkpoint, this.opts.batchSize ?? 500);
        this.lastError = undefined;
        if (!batch.length) {
          await this.storeIfBehind();
          await this.resolveCaughtUp();
          // Events committed after the checkpoint yet not read: held back by an older open
          // transaction (which may end without notifying) or readable since the read. Look
          // again soon (5, 10, 20 … 80 ms) rather than after pollMs.
          if (await hasEventsAfter(this.opts.pool, this.checkpoint)) {
            heldBackDelay = Math.min(heldBackDelay ? heldBackDelay * 2 : 5, 80);
            await this.listener.wait(Math.min(heldBackDelay, pollMs));
            continue;
          }
          heldBackDelay = 0;
          await this.listener.wait(this.caughtUpWaiters.length ? Math.min(pollMs, 100) : pollMs);
          continue;
        }
        heldBackDelay = 0;
        await this.apply(batch);
      } catch (error) {
        if (error instanceof CheckpointConflictError) this.checkpoint = this.stored = undefined;
        this.lastError = String(error);
        this.opts.onError?.(error);
        if (this.running) await this.listener.wait(Math.min(pollMs, 1_000));
      }
    }
  }

  private async apply(batch: EventEnvelope[]) {
    const from = this.checkpoint!;
    const to = checkpointOf(batch[batch.length - 1]);
    if (this.opts.mode === 'transaction') {
      const inTransaction =
        this.opts.transaction ?? ((fn) => withTransaction(this.opts.pool, (tx: PoolClient) => fn(tx, tx)));
      await inTransaction(async (tx, context) => {
        await this.opts.handle(batch, tx, context);
        await storeCheckpoint(tx, this.opts.name, from, to);
      });
      this.stored = to;
      this.checkpoint = to;
      return;
    }
    await this.opts.handle(batch, undefined);
    this.checkpoint = to;
    if (!this.opts.checkpointEveryMs || Date.now() - this.storedAt >= this.opts.checkpointEveryMs) {
      await this.storeIfBehind();
    }
  }

  private async storeIfBehind() {
    const { stored, checkpoint } = this;
    if (!stored || !checkpoint || stored === checkpoint) return;
    await storeCheckpoint(this.opts.pool, this.opts.name, stored, checkpoint);
    this.stored = checkpoint;
    this.storedAt = Date.now();
  }
}
