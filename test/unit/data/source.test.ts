import assert from 'node:assert/strict';
import { absoluteSource, DataError, parseDataSource } from '../../../src/data/load';

describe('parseDataSource', () => {
  it('parses every kind', () => {
    assert.deepEqual(parseDataSource(''), { kind: 'digits' });
    assert.deepEqual(parseDataSource('digits'), { kind: 'digits' });
    assert.deepEqual(parseDataSource('mnist:/a/b'), { kind: 'mnist', dir: '/a/b' });
    assert.deepEqual(parseDataSource('fashion-mnist:rel/dir'), { kind: 'fashion-mnist', dir: 'rel/dir' });
    assert.deepEqual(parseDataSource('cifar10:C:\\data\\cifar'), { kind: 'cifar10', dir: 'C:\\data\\cifar' });
    assert.deepEqual(parseDataSource('idx:a,b'), { kind: 'idx', trainImages: 'a', trainLabels: 'b', testImages: undefined, testLabels: undefined, classes: undefined });
    assert.deepEqual(parseDataSource('idx:a,b,c,d,classes=47'), { kind: 'idx', trainImages: 'a', trainLabels: 'b', testImages: 'c', testLabels: 'd', classes: 47 });
    assert.deepEqual(parseDataSource('synthetic'), { kind: 'synthetic', shape: 'shapes', n: 2000, test: 500, seed: 1, classes: 10, dim: 0 });
    assert.deepEqual(parseDataSource('synthetic:blobs,n=100,test=20,seed=7,classes=4,dim=5'), { kind: 'synthetic', shape: 'blobs', n: 100, test: 20, seed: 7, classes: 4, dim: 5 });
    assert.deepEqual(parseDataSource('synthetic,seed=3'), { kind: 'synthetic', shape: 'shapes', n: 2000, test: 500, seed: 3, classes: 10, dim: 0 });
  });

  const bad: [string, RegExp][] = [
    ['foo', /unknown kind 'foo'/],
    ['mnist', /needs a folder/],
    ['cifar10:', /needs a folder/],
    ['idx:a', /2 or 4/],
    ['idx:a,b,c', /2 or 4/],
    ['idx:a,,c,d', /2 or 4/],
    ['idx:a,b,classes=1', /classes must be an integer in 2\.\.256/],
    ['synthetic:cubes', /unknown synthetic kind 'cubes'/],
    ['synthetic:shapes,n=abc', /n must be an integer/],
    ['synthetic:shapes,n=0', /n must be an integer/],
    ['synthetic:shapes,classes=11', /classes must be an integer in 2\.\.10/],
    ['synthetic:shapes,dim=3', /dim' applies to blobs only/],
    ['synthetic:shapes,x=3', /unknown option 'x=3'/],
    ['synthetic:blobs,n=150000,test=60000', /at most 200000/],
    ['digits,n=3', /takes no options/],
  ];
  for (const [source, why] of bad) {
    it(`rejects '${source}' with a DataError`, () => {
      assert.throws(() => parseDataSource(source), (e: unknown) => e instanceof DataError && why.test(e.message) && e.message.includes(`'${source}'`));
    });
  }
});

describe('absoluteSource', () => {
  it('makes paths absolute (a checkpoint records it, so eval/export work from any folder) and leaves the rest', () => {
    assert.equal(absoluteSource('idx: a/i.idx , l.idx ,classes=3', '/w'), 'idx:/w/a/i.idx,/w/l.idx,classes=3');
    assert.equal(absoluteSource('idx:i,l,../ti,tl', '/w/x'), 'idx:/w/x/i,/w/x/l,/w/ti,/w/x/tl');
    assert.equal(absoluteSource('fashion-mnist:data', '/w'), 'fashion-mnist:/w/data');
    assert.equal(absoluteSource('cifar10:/abs/c', '/w'), 'cifar10:/abs/c');
    assert.equal(absoluteSource('synthetic:blobs,n=10', '/w'), 'synthetic:blobs,n=10');
    assert.equal(absoluteSource('digits', '/w'), 'digits');
  });
});
