import type { z } from 'zod';

/** A payload that does not match its contract; `issues` names each bad field by path. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    readonly what: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`invalid ${what}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }

  static fromZod(what: string, error: z.ZodError): ContractError {
    return new ContractError(
      what,
      error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw ContractError.fromZod(what, result.error);
  return result.data;
}
