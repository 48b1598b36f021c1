export type ExpectedVersion = number | 'any' | 'no_stream' | 'stream_exists';

/** The loser of a concurrent append: the stream moved since it was read. */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected version ${expected}, but it is at ${actual}`);
  }
}

/**
 * Lost a race with another writer of the same stream: the stream moved (WrongExpectedVersion),
 * or PostgreSQL broke a deadlock between a stream lock and a timer row (40P01). Read again and
 * decide again.
 */
export function isWriteConflict(error: unknown): boolean {
  return error instanceof WrongExpectedVersionError || (error as { code?: string } | null)?.code === '40P01';
}

/** An event id that is already stored: the append was a retry of one that succeeded. */
export class DuplicateEventError extends Error {
  override readonly name = 'DuplicateEventError';
  constructor(readonly detail: string) {
    super(`event already stored: ${detail}`);
  }
}

/** Another instance of a processor moved the checkpoint first. */
export class CheckpointConflictError extends Error {
  override readonly name = 'CheckpointConflictError';
  constructor(readonly processor: string) {
    super(`checkpoint of ${processor} was moved by another instance`);
  }
}
