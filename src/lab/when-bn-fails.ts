/** The notebook "New Notebook: When BN Fails" creates: BN at batches of 2, its alternatives, its repair, BN vs batch size, and why BN helps (the loss landscape). */
import type { LabNotebook } from './notebook-format';
import { lab, md } from './starter';

const NET = (norm: string) => `conv(32,5,pad=2) ${norm} relu maxpool(2) flatten linear(128) ${norm} relu linear`;

export function whenBnFailsNotebook(): LabNotebook {
  return {
    metadata: {},
    cells: [
      md(
        '# When BN fails: batches of 2',
        '',
        'BN normalizes with the statistics of the batch. With 2 samples per batch those statistics are noisy, and the',
        'running averages that eval mode uses follow that noise. The runs below train the seed ConvNet on the embedded',
        'digits with batches of 2: with BN, with GroupNorm (statistics per sample, none across the batch) and with',
        'Batch Renormalization (Ioffe 2017: corrects the batch statistics towards the running ones, within rmax and dmax).',
        '`eval_modes: true` reports test accuracy in eval mode and in train mode after training.',
      ),
      lab(
        'name: batch 2 BN',
        'model: seed',
        'data: digits',
        'steps: 1000',
        'batch: 2',
        'seed: 1',
        'eval_modes: true',
        'compare:',
        `  - { label: batch 2 GroupNorm, model: "${NET('groupnorm(8)')}" }`,
        '  - { label: batch 2 Batch Renorm, bn: { renorm: true, warmup: 200 } }',
      ),
      md(
        '## The train/eval gap and its repair',
        '',
        'Recalibration ("precise BN", as `torch.optim.swa_utils.update_bn`) keeps the weights and recomputes the running',
        'statistics over training batches in train mode, as a cumulative average, into a new checkpoint. The output',
        'gives eval-mode test accuracy before and after.',
      ),
      lab('recalibrate:', '  run: batch 2 BN', '  batches: 50', '  batch: 100'),
      md(
        '## Small batches in one chart',
        '',
        'Wu & He (2018, Fig. 1) in miniature: BN, Ghost BN (virtual batches of 4), GroupNorm and Batch Renorm at batch',
        '2, 4, 8, 16 and 32. `sweep` runs each of them at each batch size on the same 1920 training samples',
        '(steps = 1920 / batch), so only the batch size differs; the chart gives eval-mode test accuracy after training.',
      ),
      lab(
        'name: BN',
        'model: seed',
        'data: digits',
        'seed: 1',
        'compare:',
        '  - { label: Ghost BN, bn: { ghost: 4 } }',
        `  - { label: GroupNorm, model: "${NET('groupnorm(8)')}" }`,
        '  - { label: Batch Renorm, bn: { renorm: true, warmup: 100 } }',
        'sweep: { batch: [2, 4, 8, 16, 32], samples: 1920 }',
      ),
      md(
        '## Why BN helps: a smoother landscape along the gradient',
        '',
        'Santurkar et al. (2018, "How does batch normalization help optimization?", Sec. 3.1, Fig. 4) look along the',
        'gradient g at the weights w during training: the loss L(w − ηg) one step of size η away ("loss landscape"), and',
        'how much the gradient changes over that step, ‖∇L(w − ηg) − ∇L(w)‖ ("gradient predictiveness"). With BN both',
        'vary less over the step sizes: the gradient is a better guide, so larger steps are safe. `landscape` measures',
        'both at every stats step, after the optimizer step, on the first training batch (1 + 4 extra forward and backward',
        'passes; training goes on exactly as without it). The charts draw, per run, the band from the smallest to the',
        'largest value over η.',
      ),
      lab(
        'name: seed with BN',
        'model: seed',
        'data: digits',
        'steps: 400',
        'batch: 32',
        'seed: 1',
        'stats_interval: 40',
        'landscape: { step_sizes: [0.05, 0.1, 0.2, 0.4] }',
        'compare:',
        '  - { label: seed without BN, bn: off }',
      ),
    ],
  };
}
