import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunEvents } from '../../../src/lab/run-file';

/** A run folder written by an exported train.py under PyTorch 1.13 (see scripts/torch/README.md). */
const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'pytorch-run', 'metrics.jsonl');

describe('lab/metrics.jsonl of a run folder', () => {
  const text = readFileSync(FIXTURE, 'utf8');

  it("reads a PyTorch run's events as BN Lab's own", () => {
    const events = parseRunEvents(text, FIXTURE);
    const count = (type: string) => events.filter((e) => e.type === type).length;
    assert.deepEqual([events[0].type, count('step'), count('stats'), count('eval'), events.at(-1)?.type], ['start', 80, 4, 1, 'done']);
  });

  it('names file:line of the first bad line, and leaves out an unterminated last line', () => {
    const lines = text.trimEnd().split('\n');
    const with3 = (line: string) => [...lines.slice(0, 2), line, ...lines.slice(3)].join('\n') + '\n';
    assert.throws(() => parseRunEvents(with3('{"type": "step", "step": 3'), 'm.jsonl'), /^UserError: m\.jsonl:3: not JSON \(/);
    assert.throws(() => parseRunEvents(with3('{"type": "step", "step": -1}'), 'm.jsonl'), /^UserError: m\.jsonl:3: not a BN Lab training event \(step: /);
    assert.throws(() => parseRunEvents(with3('{"type": "party"}'), 'm.jsonl'), /^UserError: m\.jsonl:3: not a BN Lab training event/);
    assert.throws(() => parseRunEvents(with3(lines[0]), 'm.jsonl'), /^UserError: m\.jsonl:3: a second "start" event$/);
    assert.throws(() => parseRunEvents(lines.slice(1).join('\n') + '\n', 'm.jsonl'), /^UserError: m\.jsonl:1: the first event must be "start", not "step"$/);
    assert.throws(() => parseRunEvents('\n', 'm.jsonl'), /^UserError: m\.jsonl: no training events$/);
    assert.equal(parseRunEvents(lines.join('\n') + '\n{"type": "st', 'm.jsonl').length, lines.length);
  });
});
