import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import {
  type CommandReply,
  CommandReplySchema,
  ContractError,
  commandSubject,
  parseWith,
  rejected,
} from '@condorhub/contracts';

export interface CommandHandler<S extends z.ZodType> {
  schema: S;
  handle(command: z.infer<S>): Promise<CommandReply>;
}

/**
 * Serves `<prefix>.cmd.<service>.<verb>` over core NATS request/reply, in a queue group so
 * replicas share the load. A request that fails its schema is rejected with the field named;
 * a handler error becomes a rejection, never a silent timeout.
 */
export function serveCommands(
  nc: NatsConnection,
  prefix: string,
  service: string,
  handlers: Record<string, CommandHandler<z.ZodType>>,
  log?: (line: string) => void,
): Subscription[] {
  return Object.entries(handlers).map(([verb, handler]) =>
    nc.subscribe(commandSubject(prefix, service, verb), {
      queue: service,
      callback: (err, msg) => {
        if (err) return log?.(`command ${verb}: ${err}`);
        void (async () => {
          let reply: CommandReply;
          try {
            const command = parseWith(handler.schema, msg.json(), `${service}.${verb} command`);
            reply = await handler.handle(command);
          } catch (error) {
            reply =
              error instanceof ContractError
                ? rejected('invalid', error.message)
                : rejected('failed', error instanceof Error ? error.message : String(error));
            if (!(error instanceof ContractError)) log?.(`command ${verb} failed: ${String(error)}`);
          }
          msg.respond(JSON.stringify(reply));
        })();
      },
    }),
  );
}

/** Sends a command and waits for its reply; no reply within the timeout rejects with a clear error. */
export async function sendCommand(
  nc: NatsConnection,
  prefix: string,
  service: string,
  verb: string,
  payload: unknown,
  timeoutMs = 5_000,
): Promise<CommandReply> {
  try {
    const msg = await nc.request(commandSubject(prefix, service, verb), JSON.stringify(payload), {
      timeout: timeoutMs,
    });
    return parseWith(CommandReplySchema, msg.json(), `${service}.${verb} reply`);
  } catch (error: any) {
    if (/timeout|no responders|503/i.test(String(error?.message ?? error))) {
      return rejected('unavailable', `${service} did not answer ${verb} within ${timeoutMs} ms`);
    }
    throw error;
  }
}
