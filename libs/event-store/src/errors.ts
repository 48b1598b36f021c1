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

// PostgreSQL error classes that say "the database is not there right now", not "this request is
// wrong": connection exceptions (08…), shutdown or restart (57P01–57P03), too many connections.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
// The same, seen by Node before PostgreSQL could say anything.
const UNAVAILABLE_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// node-postgres reports a lost or unobtainable connection with plain Errors.
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|is not queryable|Connection closed|terminating connection/i;

/**
 * The store cannot be reached (down, restarting, connections cut or exhausted): a retry later
 * will work, so a consumer should wait and retry instead of counting the failure against the
 * message. Anything else (a bad payload, a constraint, a bug) is the message's own problem.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SYSCALL_CODES.has(code)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  // Node's dual-stack connect reports every address it tried.
  if (Array.isArray(e.errors) && e.errors.length && e.errors.every(isStoreUnavailable)) return true;
  return e.cause !== undefined && e.cause !== error && isStoreUnavailable(e.cause);
}
