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
