/**
 * Every message between the extension host and its webviews (dashboard, notebook renderer).
 * Commands go webview → host, notifications host → webview; each is `{ method, params }` keyed by
 * its method string, with a runtime schema. Receivers call `parseCommand`/`parseNotification`
 * and act only on `ok` results; senders build messages with `command()`/`notification()`.
 * Add a message by adding one line to `commands` or `notifications`.
 */
import * as z from 'zod/mini';
import type { $ZodIssue } from 'zod/v4/core';
import { trainEventSchema } from './train-events';

const runId = z.string().check(z.minLength(1), z.maxLength(200));

/** Webview → host. */
export const commands = {
  /** The webview's script is running and listening (sent once per load, also after a restore). */
  'webview/ready': z.object({}),
  /** Something failed inside the webview; the host logs it. */
  'webview/error': z.object({ message: z.string().check(z.maxLength(10_000)) }),
  /** Stop one run, or every run when runId is absent. */
  'training/stop': z.object({ runId: z.optional(runId) }),
  /** Run one of the extension's commands (the dashboard's toolbar buttons). */
  'command/run': z.object({ command: z.enum(['train', 'compare', 'exportOnnx', 'newNotebook']) }),
  /** The user cleared the dashboard; the host forgets finished runs. */
  'dashboard/clear': z.object({}),
  /** The user deleted one finished run from the dashboard; the host forgets it (its files stay). */
  'dashboard/forget': z.object({ runId }),
} as const;

/** Host → webview. */
export const notifications = {
  /** Events of one run, in order, batched by the host (the first batch of a run starts with `start`). */
  'run/events': z.object({
    runId,
    label: z.string().check(z.maxLength(200)),
    /** The run's number in this session: its colour and "#n", the same in the notebook output. */
    seq: z.optional(z.int().check(z.positive())),
    /** The Compare sweep the run belongs to (its runs are shown as a group). */
    group: z.optional(z.string().check(z.maxLength(200))),
    events: z.array(trainEventSchema).check(z.maxLength(100_000)),
  }),
  /** Forget one run. */
  'run/remove': z.object({ runId }),
  /** Forget every run. */
  'runs/reset': z.object({}),
  /** Whether a training is in progress (enables the Stop button). */
  'dashboard/status': z.object({ training: z.boolean(), message: z.optional(z.string().check(z.maxLength(10_000))) }),
} as const;

type Schemas = Record<string, z.ZodMiniType>;
type MessageOf<S extends Schemas> = { [M in keyof S & string]: { method: M; params: z.output<S[M]> } }[keyof S & string];

export type CommandMethod = keyof typeof commands;
export type NotificationMethod = keyof typeof notifications;
export type Command = MessageOf<typeof commands>;
export type Notification = MessageOf<typeof notifications>;
export type CommandParams<M extends CommandMethod> = z.output<(typeof commands)[M]>;
export type NotificationParams<M extends NotificationMethod> = z.output<(typeof notifications)[M]>;

export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

export function command<M extends CommandMethod>(method: M, params: CommandParams<M>): { method: M; params: CommandParams<M> } {
  return { method, params };
}

export function notification<M extends NotificationMethod>(
  method: M,
  params: NotificationParams<M>,
): { method: M; params: NotificationParams<M> } {
  return { method, params };
}

/** Narrows a parsed message to one method (`if (is(msg, 'run/events')) msg.params.events`). */
export function is<T extends { method: string }, M extends T['method']>(msg: T, method: M): msg is Extract<T, { method: M }> {
  return msg.method === method;
}

export function parseCommand(raw: unknown): Parsed<Command> {
  return parse(commands, raw, 'command') as Parsed<Command>;
}

export function parseNotification(raw: unknown): Parsed<Notification> {
  return parse(notifications, raw, 'notification') as Parsed<Notification>;
}

const envelope = z.strictObject({ method: z.string(), params: z.unknown() });

function parse(schemas: Schemas, raw: unknown, kind: string): Parsed<{ method: string; params: unknown }> {
  const env = envelope.safeParse(raw);
  if (!env.success) return { ok: false, reason: `malformed ${kind}: expected { method, params } (${describeIssue(env.error.issues[0], 'message')})` };
  const { method } = env.data;
  const schema = Object.prototype.hasOwnProperty.call(schemas, method) ? schemas[method] : undefined;
  if (!schema) return { ok: false, reason: `unknown ${kind} method "${truncate(method)}"` };
  const params = schema.safeParse(env.data.params);
  if (!params.success) return { ok: false, reason: `invalid ${kind} "${method}": ${describeIssue(params.error.issues[0], 'params')}` };
  return { ok: true, message: { method, params: params.data } };
}

function describeIssue(issue: $ZodIssue | undefined, root: string): string {
  if (!issue) return 'invalid';
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `${root}${path}: ${issue.message}`;
}

const truncate = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s);
