import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Dataset } from '../../../src/data/dataset';
import { DataError, loadDataset } from '../../../src/data/load';
import { imageSet, tempDir } from './helpers';

/** One edit of a byte string: truncate, flip bytes, overwrite header bytes, append junk. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('header' as const), at: fc.nat({ max: 15 }), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, edits: Mutation[]): Uint8Array {
  let b = bytes.slice();
  for (const m of edits) {
    if (m.kind === 'truncate') b = b.subarray(0, m.at % (b.length + 1));
    else if (m.kind === 'append') b = Uint8Array.from([...b, ...m.bytes]);
    else if (b.length > 0) {
      const at = m.at % b.length;
      b[at] = m.kind === 'flip' ? b[at] ^ m.mask : m.value;
    }
  }
  return b;
}

/** A file's bytes: either random, or a mutated valid IDX (optionally gzipped before or after the edits). */
const fileBytes = (valid: Uint8Array) =>
  fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 1 },
    { arbitrary: fc.constant(valid), weight: 1 },
    { arbitrary: fc.record({ edits: fc.array(mutation, { maxLength: 3 }), gz: fc.constantFrom('none', 'inner', 'outer') }).map(({ edits, gz }) =>
      gz === 'inner' ? gzipSync(mutate(valid, edits)) : mutate(gz === 'outer' ? gzipSync(valid) : valid, edits),
    ), weight: 3 },
  );

function assertValid(ds: Dataset): void {
  const size = ds.sampleShape.reduce((a, b) => a * b, 1);
  assert.ok(size > 0 && ds.numClasses >= 2);
  for (const s of [ds.train, ds.test]) {
    assert.ok(s.count > 0);
    assert.equal(s.pixels.length, s.count * size);
    assert.equal(s.labels.length, s.count);
    assert.ok(s.labels.every((l) => l < ds.numClasses));
  }
}

describe('IDX loading over random and mutated bytes (property)', () => {
  it('every input yields a valid dataset or a DataError', async () => {
    const { dir, cleanup } = tempDir();
    const good = imageSet(12, 3, 2, 4);
    const [img, lbl, timg, tlbl] = ['a', 'b', 'c', 'd'].map((f) => join(dir, f));
    let loaded = 0;
    let rejected = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fileBytes(good.images), fileBytes(good.labels), fc.boolean(), async (images, labels, withTest) => {
          writeFileSync(img, images);
          writeFileSync(lbl, labels);
          writeFileSync(timg, withTest ? labels : good.images);
          writeFileSync(tlbl, withTest ? images : good.labels);
          try {
            assertValid(await loadDataset(withTest ? `idx:${timg},${tlbl},${img},${lbl}` : `idx:${img},${lbl}`, { cache: false }));
            loaded++;
          } catch (e) {
            if (!(e instanceof DataError)) throw e;
            rejected++;
          }
        }),
        { numRuns: 400, seed: 20261126 },
      );
    } finally {
      cleanup();
    }
    // The generator must exercise both outcomes, or the property proves little.
    assert.ok(loaded > 20 && rejected > 100, `loaded ${loaded}, rejected ${rejected}`);
  });
});
