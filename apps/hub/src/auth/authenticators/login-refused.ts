import { UserName } from '@condorhub/contracts';

/** A login that did not succeed, with the sentence the login page shows. */
export class LoginRefused extends Error {
  constructor(
    message: string,
    readonly status = 403,
  ) {
    super(message);
  }
}

/** As JupyterHub normalises: trimmed and lower-cased; then it must be a valid condorhub user name. */
export function normalizeUserName(raw: unknown): string {
  if (typeof raw !== 'string' || !raw.trim()) throw new LoginRefused('Enter a user name.', 400);
  const name = raw.trim().toLowerCase();
  if (!UserName.safeParse(name).success) {
    throw new LoginRefused(
      `“${name.slice(0, 64)}” is not a valid user name: use 1-64 of a-z 0-9 . _ @ + -, starting with a letter or digit.`,
      400,
    );
  }
  return name;
}
