import type { Pool } from 'pg';
import { type TimerFailure, fireDueMessages, nextDueAt } from '../sql/fire-due-messages';

/** Fires due durable timers; sleeps until the next one is due (at most `maxSleepMs`). */
export class TimerScheduler {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly pool: Pool,
    private readonly opts: {
      maxSleepMs?: number;
      onError?: (e: unknown) => void;
      /** One timer that failed to fire (the others still fire); by default reported to onError. */
      onTimerFailure?: (f: TimerFailure) => void;
    } = {},
  ) {}

  start() {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Call after arming a timer that may be due sooner than the current sleep. */
  poke() {
    this.wake?.();
  }

  async stop() {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run() {
    const maxSleep = this.opts.maxSleepMs ?? 1_000;
    while (this.running) {
      let sleep = maxSleep;
      try {
        const onFailure =
          this.opts.onTimerFailure ??
          ((f: TimerFailure) =>
            this.opts.onError?.(
              new Error(
                `timer ${f.timerKey} on ${f.streamId} failed to fire (attempt ${f.attempts}${f.givenUp ? ', set aside' : ', will retry'}): ${String((f.error as Error)?.message ?? f.error)}`,
              ),
            ));
        while ((await fireDueMessages(this.pool, 100, onFailure)) > 0 && this.running);
        const next = await nextDueAt(this.pool);
        if (next) sleep = Math.max(10, Math.min(maxSleep, next.getTime() - Date.now()));
      } catch (error) {
        this.opts.onError?.(error);
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleep);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
