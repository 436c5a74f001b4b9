import assert from 'node:assert/strict';
import { getBackend, kernel, setBackend } from '../../../src/engine/backend';
import { KERNEL_NAMES } from '../../../src/engine/kernel-names';
import { hasKernel } from '../../../src/engine/kernel-registry';
import '../../../src/engine/ops';

describe('backend selection', () => {
  it('importing the ops registers every kernel on the cpu backend, which is active', () => {
    for (const name of KERNEL_NAMES) assert.ok(hasKernel('cpu', name), name);
    assert.equal(getBackend(), 'cpu');
    assert.equal(typeof kernel('Conv2D'), 'function');
  });

  it('refuses a backend that lacks kernels and keeps the active one', function () {
    if (KERNEL_NAMES.every((k) => hasKernel('webgpu', k))) this.skip(); // webgpu complete: nothing to refuse
    assert.throws(() => setBackend('webgpu'), /backend webgpu is missing kernels: Conv2D/);
    assert.equal(getBackend(), 'cpu');
    setBackend('cpu');
  });
});
