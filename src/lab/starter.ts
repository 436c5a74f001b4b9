/** The notebook "New Lab Notebook" creates: the blog's experiment, step by step. */
import type { LabNotebook, LabNotebookCell } from './notebook-format';

export const md = (...lines: string[]): LabNotebookCell => ({ kind: 'markdown', source: lines.join('\n'), outputs: [], metadata: {} });
export const lab = (...lines: string[]): LabNotebookCell => ({ kind: 'lab', source: lines.join('\n'), outputs: [], metadata: {} });

export function starterNotebook(): LabNotebook {
  return {
    metadata: {},
    cells: [
      md(
        '# Batch Normalization, measured',
        '',
        'This notebook repeats the blog experiment: the **seed ConvNet** trained on real handwritten digits',
        '(embedded in BN Lab: 8,000 for training, 2,000 for testing) **with and without BatchNorm**, same seed, same recipe.',
        '',
        'Each `lab` cell is YAML declaring an experiment. Run a cell (or **Run All**) and watch the curves and the BN',
        'statistics table update live; the BN Lab dashboard (flask icon in the activity bar) shows every channel.',
      ),
      md(
        '## 1. With vs without BN',
        '',
        '`compare` adds runs that change some keys of the first one. `bn: off` removes the BN layers from the model.',
      ),
      lab(
        'name: seed with BN',
        'model: seed            # conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear',
        'data: digits',
        'epochs: 1',
        'batch: 100',
        'optimizer: adam',
        'lr: 0.001',
        'seed: 1',
        'bn:',
        '  momentum: 0.1',
        '  eps: 1e-5',
        '  convention: pytorch',
        'compare:',
        '  - label: seed without BN',
        '    bn: off',
      ),
      md(
        'The text under the charts states what these two runs measured: final training loss and test accuracy of each,',
        'side by side. For reference, PyTorch 1.13 with the same recipe on this split reaches 0.935–0.954 with BN and',
        '0.897–0.9135 without after epoch 1 (seeds 0–9).',
      ),
      md(
        '## 2. Train mode vs eval mode',
        '',
        'In train mode BN normalizes with the statistics of the current batch; in eval mode with its running averages,',
        'updated with `momentum` at every step. `eval_modes: true` measures test accuracy both ways during training (at every',
        'stats step, on the first 500 test samples, which bounds the cost) and after it (on the whole test split).',
        'A small momentum makes the running averages lag behind the weights, and the two modes disagree;',
        '`momentum: none` uses the cumulative average of all batches.',
        '',
        'Momentum changes only the running statistics, not the training itself. The text under the charts says whether the',
        'loss curves of these three runs coincide, and how far eval mode trailed train mode during each run.',
      ),
      lab(
        'name: momentum 0.1',
        'model: seed',
        'steps: 40',
        'batch: 100',
        'seed: 1',
        'eval_modes: true',
        'bn: { momentum: 0.1 }',
        'compare:',
        '  - { label: momentum 0.01, bn: { momentum: 0.01 } }',
        '  - { label: momentum none, bn: { momentum: none } }',
      ),
      md(
        '## 3. Export',
        '',
        'The trained model with BN goes to ONNX with every BN folded into the convolution or linear layer before it;',
        'onnxruntime checks that the folded model gives the same outputs.',
      ),
      lab('export:', '  run: seed with BN', '  out: seed-bn.onnx', '  validate: true'),
    ],
  };
}
