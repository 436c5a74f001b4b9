/**
 * A run folder's metrics.jsonl (BN Lab's TrainEvent stream, one JSON object a line, from `bnlab
 * train` or an exported train.py) read back with every line validated. Pure.
 */
import type { TrainEvent } from '../engine/events';
import { UserError } from '../engine/errors';
import { trainEventSchema } from '../protocol/train-events';

/** The events of a metrics.jsonl text; a bad line throws a UserError naming `file:line`. An unterminated last line (a run still writing) is left out. */
export function parseRunEvents(text: string, file: string): TrainEvent[] {
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop();
  const events: TrainEvent[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `${file}:${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new UserError(`${at}: not JSON (${(e as Error).message})`);
    }
    const r = trainEventSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      throw new UserError(`${at}: not a BN Lab training event (${where ? `${where.slice(where.startsWith('.') ? 1 : 0)}: ` : ''}${issue.message})`);
    }
    const e = r.data;
    if ((events.length === 0) !== (e.type === 'start')) throw new UserError(`${at}: ${events.length === 0 ? `the first event must be "start", not "${e.type}"` : 'a second "start" event'}`);
    events.push(e);
  });
  if (events.length === 0) throw new UserError(`${file}: no training events`);
  return events;
}
