import { type EventEnvelope, serverPrefix } from '@condorhub/contracts';
import { stageMessage, stageProgress } from '@condorhub/server-lifecycle';

/** One progress event as JupyterHub sends it, with condorhub's failure details alongside. */
export interface ProgressEvent {
  progress: number;
  message: string;
  ready?: true;
  failed?: true;
  url?: string;
  html_message?: string;
  condorhub?: Record<string, unknown>;
}

/** JupyterHub's wire format: one `data:` line of JSON per event, a blank line after it. */
export function formatSseEvent(event: ProgressEvent): string {
  // JSON.stringify never emits a raw newline, so the event stays one `data:` line.
  return `data: ${JSON.stringify(event)}\n\n`;
}

/** A comment line: EventSource ignores it, proxies see traffic and keep the stream open. */
export const SSE_KEEPALIVE = ': keepalive\n\n';

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// Saga bookkeeping, not stages the user waits through.
const SILENT = new Set([
  'RouteRequested',
  'RouteRemovalRequested',
  'RouteRemoved',
  'JobRemovalRequested',
  'JobRemovalFailed',
]);

/**
 * Turns a server stream's events, in order, into progress events for one spawn (following
 * the spawner's automatic retry, which is a new spawn with `retryOf`). Pure: the handler
 * feeds it whatever it reads from the store, the unit tests feed it lists.
 */
export class ProgressTracker {
  private spawnId: string;
  private isRetry = false;
  private progress = 0;
  private stopRequested = false;
  private failure?: { stage: string; diagnosis: string; userMessage: string; detail?: string; stderrTail?: string };
  /** When the failed spawn's ServerStopped was seen while a retry is expected. */
  awaitingRetrySince?: number;
  done = false;

  constructor(
    spawnId: string,
    private readonly user: string,
    private readonly serverName: string,
  ) {
    this.spawnId = spawnId;
  }

  feed(e: EventEnvelope): ProgressEvent[] {
    if (this.done) return [];
    const d = e.data as any;
    if (e.type === 'SpawnRequested' && d.spawnId !== this.spawnId) {
      if (d.retryOf !== this.spawnId) return [];
      this.spawnId = d.spawnId;
      this.isRetry = true;
      this.failure = undefined;
      this.awaitingRetrySince = undefined;
      return [{ progress: this.progress, message: stageMessage(e) ?? 'Server requested again' }];
    }
    if (d?.spawnId !== this.spawnId) return [];

    switch (e.type) {
      case 'ServerReady':
        return this.finish(this.readyEvent(d.url));
      case 'SpawnFailed': {
        this.failure = {
          stage: d.stage,
          diagnosis: d.diagnosis,
          userMessage: d.userMessage,
          detail: d.detail,
          stderrTail: d.stderrTail,
        };
        if (this.retryExpected()) {
          return [{ progress: this.progress, message: `${stageMessage(e)} Trying another node…` }];
        }
        return this.finish(this.failedEvent());
      }
      case 'StopRequested':
        this.stopRequested = true;
        if (this.failure) return [];
        return this.finish({ progress: 100, failed: true, message: 'Spawn cancelled' });
      case 'ServerStopped':
        if (this.failure && this.retryExpected()) {
          this.awaitingRetrySince = Date.parse(e.recordedAt);
          return [];
        }
        return this.finish(
          this.failure ? this.failedEvent() : { progress: 100, failed: true, message: 'Server stopped' },
        );
    }
    if (SILENT.has(e.type)) return [];
    const message = stageMessage(e);
    if (!message) return [];
    this.progress = Math.max(this.progress, stageProgress[e.type] ?? 0);
    return [{ progress: this.progress, message }];
  }

  /** The final event when the expected retry never came. */
  giveUp(): ProgressEvent[] {
    if (this.done) return [];
    return this.finish(this.failure ? this.failedEvent() : { progress: 100, failed: true, message: 'Spawn failed' });
  }

  // Mirrors the spawner's rule (server-lifecycle react): one retry elsewhere when the node failed.
  private retryExpected(): boolean {
    return this.failure?.diagnosis === 'node-unresponsive' && !this.isRetry && !this.stopRequested;
  }

  private readyEvent(url?: string): ProgressEvent {
    const target = url || serverPrefix(this.user, this.serverName);
    return {
      progress: 100,
      ready: true,
      message: `Server ready at ${target}`,
      html_message: `Server ready at <a href="${escapeHtml(target)}">${escapeHtml(target)}</a>`,
      url: target,
    };
  }

  private failedEvent(): ProgressEvent {
    const f = this.failure!;
    return {
      progress: 100,
      failed: true,
      message: `Spawn failed: ${f.userMessage}`,
      condorhub: { stage: f.stage, diagnosis: f.diagnosis, detail: f.detail ?? null, stderrTail: f.stderrTail ?? null },
    };
  }

  private finish(event: ProgressEvent): ProgressEvent[] {
    this.done = true;
    return [event];
  }
}
