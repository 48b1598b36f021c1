import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { lastValueFrom } from 'rxjs';
import type { z } from 'zod';
import { type CommandReply, ContractError, commandSubject, parseWith, rejected } from '@condorhub/contracts';

/**
 * The reason a caller sees for a handler's failure. Nest's exception layer hands RPC errors on
 * as plain objects (`{ status, message }`), which `String()` would turn into "[object Object]".
 */
export function commandErrorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string')
    return (error as { message: string }).message;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * A Nest microservice transport for condorhub commands: `@MessagePattern('<service>.<verb>')`
 * handlers answer core NATS requests on `<prefix>.cmd.<service>.<verb>` in plain JSON (the
 * CommandReply contract), in a queue group per service. Nest's own NATS transport wraps
 * payloads in its packet format, which non-Nest callers would have to imitate.
 */
export class NatsCommandServer extends Server implements CustomTransportStrategy {
  private subscriptions: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
  ) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => any) {
    for (const [pattern, handler] of this.messageHandlers) {
      const dot = pattern.indexOf('.');
      if (dot < 0) throw new Error(`command pattern "${pattern}" is not <service>.<verb>`);
      const service = pattern.slice(0, dot);
      const subject = commandSubject(this.prefix, service, pattern.slice(dot + 1));
      this.subscriptions.push(
        this.nc.subscribe(subject, {
          queue: service,
          callback: (err, msg) => {
            if (err) return this.logger.error(`${subject}: ${err}`);
            void (async () => {
              let reply: CommandReply;
              try {
                let payload: unknown;
                try {
                  payload = msg.json();
                } catch {
                  throw new ContractError(`${pattern} command`, [{ path: '', message: 'body is not JSON' }]);
                }
                reply = await lastValueFrom(this.transformToObservable(await handler(payload)));
              } catch (error) {
                reply =
                  error instanceof ContractError
                    ? rejected('invalid', error.message)
                    : rejected('failed', commandErrorText(error));
              }
              msg.respond(JSON.stringify(reply));
            })();
          },
        }),
      );
    }
    callback();
  }

  close() {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }

  on() {
    throw new Error('NatsCommandServer has no events');
  }

  unwrap<T>(): T {
    return this.nc as T;
  }
}

/**
 * A `@MessagePattern` handler's body: the payload parsed against its contract, then handled. A
 * payload that breaks the contract is answered 'invalid' with the reason; thrown from the
 * handler, Nest's exception layer would turn it into 'failed', "Internal server error".
 */
export async function handleCommand<S extends z.ZodType>(
  schema: S,
  payload: unknown,
  what: string,
  handle: (command: z.infer<S>) => Promise<CommandReply>,
): Promise<CommandReply> {
  let command: z.infer<S>;
  try {
    command = parseWith(schema, payload, what);
  } catch (error) {
    if (error instanceof ContractError) return rejected('invalid', error.message);
    throw error;
  }
  return handle(command);
}
