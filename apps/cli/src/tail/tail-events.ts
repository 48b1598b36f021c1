import type { Pool } from 'pg';
import type { EventEnvelope } from '@condorhub/contracts';
import { BEGINNING, type Checkpoint, checkpointOf, readAllForward } from '@condorhub/event-store';

export interface TailOptions {
  stream?: string;
  type?: string;
  /** Only the last N events (default 20); 0 = from the beginning. */
  last?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

/** Prints events in log order; with `follow`, keeps printing new ones until aborted. */
export async function tailEvents(pool: Pool, opts: TailOptions, print: (e: EventEnvelope) => void): Promise<number> {
  const match = (e: EventEnvelope) =>
    (!opts.stream || e.streamId === opts.stream) && (!opts.type || e.type === opts.type);
  let cp: Checkpoint = BEGINNING;
  const buffer: EventEnvelope[] = [];
  for (;;) {
    const batch = await readAllForward(pool, cp, 1_000);
    if (!batch.length) break;
    cp = checkpointOf(batch[batch.length - 1]);
    for (const e of batch) if (match(e)) buffer.push(e);
    if (opts.last && buffer.length > opts.last) buffer.splice(0, buffer.length - opts.last);
  }
  buffer.forEach(print);
  let printed = buffer.length;
  while (opts.follow && !opts.signal?.aborted) {
    const batch = await readAllForward(pool, cp, 1_000);
    for (const e of batch) {
      if (match(e)) {
        print(e);
        printed++;
      }
    }
    if (batch.length) cp = checkpointOf(batch[batch.length - 1]);
    else await new Promise((r) => setTimeout(r, 500));
  }
  return printed;
}
