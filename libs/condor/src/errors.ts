// Typed failures of the HTCondor CLI. Callers branch on the class, never on message text:
// a failed or hung condor_q is "unknown" (CondorUnavailableError), never "the job is gone".

export abstract class CondorError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    /** The command line that failed, for logs (never parsed). */
    readonly command?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The tool did not answer in time and was killed. */
export class CondorTimeoutError extends CondorError {
  readonly code = 'CONDOR_TIMEOUT';
  constructor(
    command: string,
    readonly timeoutMs: number,
  ) {
    super(`${command} did not finish within ${timeoutMs} ms and was killed`, command);
  }
}

/** The tool could not be started at all (missing binary, bad prefix, permissions). */
export class CondorSpawnError extends CondorError {
  readonly code = 'CONDOR_SPAWN_FAILED';
  constructor(command: string, cause: string) {
    super(`could not run ${command}: ${cause}`, command);
  }
}

/** The tool exited non-zero for a reason we have no more specific type for. */
export class CondorCommandError extends CondorError {
  readonly code = 'CONDOR_COMMAND_FAILED';
  constructor(
    command: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderr: string,
  ) {
    super(
      `${command} failed (${signal ? `signal ${signal}` : `exit ${exitCode}`}): ${stderr.trim().slice(0, 2000) || '(no stderr)'}`,
      command,
    );
  }
}

/** Output was not what HTCondor prints: garbage, truncated, wrong shape or too large. */
export class CondorParseError extends CondorError {
  readonly code = 'CONDOR_PARSE_FAILED';
  constructor(
    what: string,
    readonly detail: string,
    readonly excerpt: string = '',
  ) {
    super(`cannot parse ${what}: ${detail}${excerpt ? ` (near: ${JSON.stringify(excerpt.slice(0, 200))})` : ''}`);
  }
}

/** More output than we are willing to buffer; the process was killed. */
export class CondorOutputTooLargeError extends CondorError {
  readonly code = 'CONDOR_OUTPUT_TOO_LARGE';
  constructor(
    command: string,
    readonly limitBytes: number,
  ) {
    super(`${command} wrote more than ${limitBytes} bytes; killed`, command);
  }
}

/** condor_submit refused the job; `condorMessage` is condor's own ERROR text. */
export class CondorSubmitRejectedError extends CondorError {
  readonly code = 'CONDOR_SUBMIT_REJECTED';
  constructor(
    command: string,
    readonly condorMessage: string,
    readonly exitCode: number | null,
  ) {
    super(`condor_submit rejected the job: ${condorMessage}`, command);
  }
}

/** A value we were asked to put into a submit description cannot be expressed safely. */
export class CondorInvalidInputError extends CondorError {
  readonly code = 'CONDOR_INVALID_INPUT';
  constructor(message: string) {
    super(message);
  }
}

/** condor_rm was refused (e.g. not the owner); the job may still be in the queue. */
export class CondorRemoveDeniedError extends CondorError {
  readonly code = 'CONDOR_REMOVE_DENIED';
  constructor(
    command: string,
    readonly condorMessage: string,
  ) {
    super(`condor_rm refused: ${condorMessage}`, command);
  }
}
