import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchNorm } from '../../../src/engine/layers/batchnorm';
import { buildModel, type Sequential } from '../../../src/engine/model';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';

export const ROOT = resolve(__dirname, '../../..');

/** A model from `spec` with every BN's γ, β and running statistics random (γ of both signs). */
export function randomModel(spec: string, sampleShape: number[], seed: number): Sequential {
  const model = buildModel(spec, { sampleShape, seed });
  const rng = new Rng(seed + 1000);
  for (const layer of model.layers) {
    if (!(layer instanceof BatchNorm)) continue;
    for (let c = 0; c < layer.numFeatures; c++) {
      if (layer.weight) layer.weight.value.data[c] = rng.uniform(-1.5, 1.5);
      if (layer.bias) layer.bias.value.data[c] = rng.uniform(-0.5, 0.5);
      if (layer.runningMean) layer.runningMean.data[c] = rng.uniform(-0.3, 0.3);
      if (layer.runningVar) layer.runningVar.data[c] = rng.uniform(0.2, 2);
    }
  }
  return model.eval();
}

export function randomInput(n: number, sampleShape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const t = new Tensor([n, ...sampleShape]);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(0, 1);
  return t;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

const tempDirs: string[] = [];

export function tempDir(prefix = 'bnlab-onnxtest-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder tempDir made (call from a suite's after hook). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Files written for the ONNX checker, checked together at the end of a suite. */
export class CheckerQueue {
  readonly files: string[] = [];
  private dir?: string;
  add(name: string, bytes: Uint8Array): string {
    this.dir ??= tempDir();
    const file = join(this.dir, `${name.replace(/[^\w.-]+/g, '_')}.onnx`);
    writeFileSync(file, bytes);
    this.files.push(file);
    return file;
  }
}

/**
 * Runs Debian's onnx checker (full_check) on `files` via scripts/onnx_check.py. Throws with a
 * clear message when python3-onnx is missing or a file fails.
 */
export function onnxCheck(files: string[]): string {
  const python = '/usr/bin/python3';
  const r = spawnSync(python, [join(ROOT, 'scripts', 'onnx_check.py'), ...files], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${python} (${r.error.message}): install python3 and python3-onnx (apt-get install -y python3-onnx)`);
  if (r.status === 2) throw new Error(`python3-onnx is missing: apt-get install -y python3-onnx (npm test installs it). ${r.stderr.trim()}`);
  if (r.status !== 0) throw new Error(`onnx checker failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}
