import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { deepChecks } from '../../../src/lab/deep-checks';
import { parseLabCell } from '../../../src/lab/lab-language';
import { decodeOutputItem, deserializeNotebook, encodeOutputItem, NotebookFormatError, serializeNotebook, type LabNotebook } from '../../../src/lab/notebook-format';
import { starterNotebook } from '../../../src/lab/starter';
import reference from './seed-ref-digits-epoch1.json';

const fails = (text: string, message: RegExp) =>
  assert.throws(() => deserializeNotebook(text, 'x.bnlab'), (e: unknown) => e instanceof NotebookFormatError && message.test(e.message));

describe('.bnlab notebook format', () => {
  const nb: LabNotebook = {
    metadata: { zeta: 1, alpha: { b: 2, a: 1 } },
    cells: [
      { kind: 'markdown', source: '# Title\n\ntext', outputs: [], metadata: {} },
      {
        kind: 'lab', source: 'model: seed\nepochs: 1', metadata: { z: 1, a: 2 },
        outputs: [{ items: [encodeOutputItem('text/plain', new TextEncoder().encode('loss 0.1\nacc 0.9')), encodeOutputItem('application/vnd.bnlab.run+json', new TextEncoder().encode('{"version":1,"runs":[]}')), encodeOutputItem('image/png', new Uint8Array([137, 80, 78, 71]))] }],
      },
    ],
  };

  it('round-trips and writes keys in a fixed order, one source line per JSON line', () => {
    const text = serializeNotebook(nb);
    assert.deepEqual(deserializeNotebook(text), { ...nb, metadata: { alpha: { a: 1, b: 2 }, zeta: 1 }, cells: [nb.cells[0], { ...nb.cells[1], metadata: { a: 2, z: 1 } }] });
    assert.equal(serializeNotebook(deserializeNotebook(text)), text, 'stable');
    assert.match(text, /^\{\n {2}"bnlab": 1,\n {2}"metadata": \{\n {4}"alpha"/);
    assert.match(text, /"source": \[\n\s+"model: seed",\n\s+"epochs: 1"\n/);
    assert.ok(text.indexOf('"a": 2') < text.indexOf('"z": 1'));
  });

  it('keeps output bytes exactly', () => {
    const items = deserializeNotebook(serializeNotebook(nb)).cells[1].outputs[0].items;
    assert.deepEqual(items.map((i) => Object.keys(i.data)[0]), ['text', 'json', 'base64']);
    assert.deepEqual([...decodeOutputItem(items[2])], [137, 80, 78, 71]);
    assert.equal(new TextDecoder().decode(decodeOutputItem(items[0])), 'loss 0.1\nacc 0.9');
  });

  it('reads an empty file as an empty notebook', () => {
    assert.deepEqual(deserializeNotebook('  \n'), { metadata: {}, cells: [] });
  });

  it('rejects malformed files with a message naming the fault and where', () => {
    fails('{"bnlab": 1, "cells": [', /^x\.bnlab is not valid JSON/);
    fails('{\n"bnlab": 1,\n"cells": [}\n}', /^x\.bnlab is not valid JSON/);
    fails('[1, 2]', /expected a JSON object/);
    fails('{"bnlab": 1}', /: cells is missing$/);
    fails('{"bnlab": 1, "cells": [{"kind": "python", "source": ""}]}', /cells\[0\]\.kind: .*"markdown"\|"lab"/);
    fails('{"bnlab": 1, "cells": [{"kind": "lab"}]}', /cells\[0\]\.source is missing/);
    fails('{"bnlab": 1, "cells": [{"kind": "lab", "source": 3}]}', /cells\[0\]\.source: expected text or a list of lines/);
    fails('{"bnlab": 1, "cells": [{"kind": "lab", "source": "", "outputs": [{"items": [{"mime": "text/plain"}]}]}]}', /cells\[0\]\.outputs\[0\]\.items\[0\] needs exactly one of text, json, base64/);
    fails('{"bnlab": 9, "cells": []}', /format 9; this version reads format 1/);
  });

  it('never fails other than with NotebookFormatError on mutated files (property)', () => {
    const text = serializeNotebook(nb);
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.nat(text.length), fc.string({ maxLength: 3 }), (at, len, insert) => {
        const mutated = text.slice(0, at) + insert + text.slice(at + Math.min(len, 5));
        try {
          deserializeNotebook(mutated);
        } catch (e) {
          assert.ok(e instanceof NotebookFormatError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('starter notebook', () => {
  it('has markdown and lab cells whose YAML parses without diagnostics, and survives a round trip', () => {
    const nb = starterNotebook();
    const labs = nb.cells.filter((c) => c.kind === 'lab');
    assert.ok(labs.length >= 3 && nb.cells.some((c) => c.kind === 'markdown'));
    const parsed = labs.map((c) => parseLabCell(c.source, deepChecks));
    for (const p of parsed) assert.deepEqual(p.diagnostics, []);
    const first = parsed[0].cell;
    assert.ok(first?.kind === 'experiment');
    assert.deepEqual(first.runs.map((r) => [r.label, r.config.model, r.config.data, r.config.bn === null]), [
      ['seed with BN', 'seed', 'digits', false],
      ['seed without BN', 'seed', 'digits', true],
    ]);
    assert.ok(parsed.some((p) => p.cell?.kind === 'experiment' && p.cell.runs.some((r) => r.config.evalModes)), 'shows train vs eval mode');
    const exp = parsed[parsed.length - 1].cell;
    assert.ok(exp?.kind === 'export' && exp.export.run === 'seed with BN', 'exports the BN run at the end');
    assert.deepEqual(deserializeNotebook(serializeNotebook(nb)), nb);
  });

  it("quotes PyTorch's epoch-1 accuracy ranges as the reference measured them", () => {
    const text = starterNotebook().cells.map((c) => c.source).join('\n');
    const m = /reaches ([\d.]+)–([\d.]+) with BN and ([\d.]+)–([\d.]+) without after epoch 1 \(seeds 0–9\)/.exec(text.replace(/\n/g, ' '));
    assert.ok(m, 'the starter states the reference ranges');
    const range = (a: number[]) => [String(Math.min(...a)), String(Math.max(...a))];
    assert.deepEqual(m.slice(1), [...range(reference.bn), ...range(reference.noBn)]);
  });
});
