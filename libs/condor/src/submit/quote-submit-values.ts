import { CondorInvalidInputError } from '../errors';

// HTCondor's submit language expands macros in every value, has no escape for a newline and
// trims values: these helpers turn arbitrary caller text into exactly that text on the job's
// side, or refuse it with a typed error (a newline would inject submit commands).

function assertSingleLine(what: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new CondorInvalidInputError(`${what} must not contain newlines or NUL bytes`);
}

/** `$` starts a macro in every submit value; `$(DOLLAR)` is HTCondor's literal dollar. */
export function escapeMacros(value: string): string {
  return value.replaceAll('$', '$(DOLLAR)');
}

/** A plain value (paths, names): one line, no surrounding whitespace (condor trims it). */
export function quotePlainValue(what: string, value: string): string {
  assertSingleLine(what, value);
  if (value !== value.trim()) throw new CondorInvalidInputError(`${what} must not start or end with whitespace`);
  return escapeMacros(value);
}

/**
 * New-style `arguments`: the whole value in double quotes (`"` doubled), each argument in
 * single quotes (`'` doubled), so spaces, quotes and empty arguments survive unchanged.
 */
export function quoteArguments(args: readonly string[]): string {
  const parts = args.map((arg, i) => {
    assertSingleLine(`argument ${i}`, arg);
    return `'${arg.replaceAll("'", "''")}'`;
  });
  return `"${escapeMacros(parts.join(' ').replaceAll('"', '""'))}"`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** New-style `environment`: `"NAME='value' …"` with the same doubling rules as arguments. */
export function quoteEnvironment(env: Readonly<Record<string, string>>): string {
  const parts = Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name))
      throw new CondorInvalidInputError(`invalid environment variable name ${JSON.stringify(name)}`);
    assertSingleLine(`environment variable ${name}`, value);
    return `${name}='${value.replaceAll("'", "''")}'`;
  });
  return `"${escapeMacros(parts.join(' ').replaceAll('"', '""'))}"`;
}

const ATTR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function assertAttributeName(name: string): void {
  if (!ATTR_NAME.test(name))
    throw new CondorInvalidInputError(`invalid ClassAd attribute name ${JSON.stringify(name)}`);
}

/** A ClassAd literal for a `+Attr = …` line: strings quoted and backslash-escaped. */
export function classAdLiteral(what: string, value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CondorInvalidInputError(`${what} must be a finite number`);
    return String(value);
  }
  assertSingleLine(what, value);
  return escapeMacros(`"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`);
}

const HOST = /^[A-Za-z0-9._:-]{1,255}$/;

/** `Machine =!= "<host>"` for each excluded (quarantined) node, joined with &&. */
export function machineExclusions(hosts: readonly string[]): string {
  return hosts
    .map((h) => {
      if (!HOST.test(h)) throw new CondorInvalidInputError(`invalid host name to exclude: ${JSON.stringify(h)}`);
      return `(Machine =!= "${h}")`;
    })
    .join(' && ');
}
