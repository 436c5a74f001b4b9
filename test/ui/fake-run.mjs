// Plausible trainer events (src/engine/events.ts shapes) for webview tests: a falling loss, BN
// batch statistics that drift, running statistics that follow them with the run's momentum, and
// (with `modes`) test accuracy in BN eval mode trailing train mode the more, the smaller the momentum, and (with
// `landscape`) the loss and gradient change along the gradient, wider without BN.

/** A small seeded PRNG (mulberry32), so screenshots are repeatable. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function histogram(rand, mean, std, bins = 32) {
  const min = mean - 3 * std;
  const max = mean + 3 * std;
  const counts = new Array(bins).fill(0);
  for (let i = 0; i < 2000; i++) {
    const g = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    const b = Math.floor(((mean + std * g - min) / (max - min)) * bins);
    if (b >= 0 && b < bins) counts[b]++;
  }
  return { min, max, counts };
}

/**
 * Events of one run up to `steps`, as an array. `bn: false` gives a run without BN layers.
 * Layers: 0 conv(32), 1 bn(32), 5 linear(128), 6 bn(128), 8 linear(10). `variant` 'ghost' adds 4 virtual
 * batches' means and variances to each layer's statistics, 'renorm' adds batch renorm's r and d.
 */
export function fakeRun({ runId = 'run-1', bn = true, steps = 60, totalSteps = 80, seed = 1, statsInterval = 5, momentum = 0.1, done = false, modes = false, landscape = false, variant = null } = {}) {
  const rand = rng(seed);
  const events = [
    { type: 'start', runId, spec: bn ? 'seed' : 'seed (no BN)', dataset: 'digits', backend: 'cpu', totalSteps, stepsPerEpoch: totalSteps, batchSize: 100, config: { lr: 0.001 } },
  ];
  const layers = bn ? [{ layer: 1, channels: 32 }, { layer: 6, channels: 128 }] : [];
  const running = layers.map((l) => ({ mean: new Array(l.channels).fill(0), var: new Array(l.channels).fill(1) }));
  for (let step = 1; step <= steps; step++) {
    const progress = step / totalSteps;
    const loss = (bn ? 2.3 * Math.exp(-4 * progress) : 2.3 * Math.exp(-2.2 * progress)) + 0.08 + 0.05 * (rand() - 0.5);
    events.push({ type: 'step', step, epoch: 0, loss, accuracy: Math.min(1, 1 - loss / 2.5 + 0.04 * (rand() - 0.5)), lr: 0.001, samplesPerSec: 380 + 40 * rand() });
    if (step % 20 === 0) events.push({ type: 'eval', step, epoch: 0, split: 'test', loss: loss * 1.05, accuracy: Math.min(1, 1 - (loss * 1.05) / 2.5) });
    if (step % statsInterval === 0 || step === 1) {
      const stats = layers.map((l, i) => {
        const batchMean = Array.from({ length: l.channels }, (_, c) => Math.sin(c * 0.7 + progress * 3) * (0.5 + progress) + 0.2 * (rand() - 0.5));
        const batchVar = Array.from({ length: l.channels }, (_, c) => 0.6 + 0.5 * Math.abs(Math.cos(c * 0.3)) + progress + 0.1 * rand());
        const r = running[i];
        for (let c = 0; c < l.channels; c++) {
          for (let k = 0; k < statsInterval; k++) {
            r.mean[c] = (1 - momentum) * r.mean[c] + momentum * batchMean[c];
            r.var[c] = (1 - momentum) * r.var[c] + momentum * batchVar[c];
          }
        }
        return {
          layer: l.layer, channels: l.channels, batchMean, batchVar, runningMean: [...r.mean], runningVar: [...r.var],
          gamma: Array.from({ length: l.channels }, (_, c) => 1 + progress * 0.3 * Math.sin(c)),
          beta: Array.from({ length: l.channels }, (_, c) => progress * 0.2 * Math.cos(c)),
          histBefore: histogram(rand, 0.5 + progress, 1 + progress * 1.5),
          histAfter: histogram(rand, 0, 1),
          ...(variant === 'ghost' ? { ghost: { mean: [0, 1, 2, 3].map((k) => batchMean.map((m) => m + 0.3 * (rand() - 0.5) * (k + 1))), variance: [0, 1, 2, 3].map(() => batchVar.map((v) => v * (0.8 + 0.4 * rand()))) } } : {}),
          ...(variant === 'renorm' ? { renorm: { r: batchVar.map((v, c) => Math.min(3, Math.max(1 / 3, Math.sqrt(v / r.var[c])))), d: batchMean.map((m, c) => Math.min(5, Math.max(-5, (m - r.mean[c]) / Math.sqrt(r.var[c])))) } } : {}),
        };
      });
      const gradNorms = [0, 5, 8].map((layer, j) => ({ layer, kind: layer === 0 ? 'conv' : 'linear', norm: (bn ? 0.5 : 1.5) * Math.exp(-progress) * (1 + j) * (0.8 + 0.4 * rand()) }));
      events.push({ type: 'stats', step, epoch: 0, bn: stats, gradNorms });
      // Santurkar et al.'s shape: along the gradient the loss and the gradient change vary less with BN.
      if (landscape)
        events.push({
          type: 'landscape', step, epoch: 0, samples: 100, loss, gradNorm: bn ? 0.8 : 2,
          points: [0.05, 0.1, 0.2, 0.4].map((eta) => ({ eta, loss: loss * (bn ? 1 - 0.6 * eta + 0.5 * eta * eta : 1 - eta + 12 * eta * eta) * (0.95 + 0.1 * rand()), gradChange: eta * (bn ? 0.6 : 4) * (0.8 + 0.4 * rand()) })),
        });
      if (modes && bn) {
        const train = Math.min(0.99, 0.2 + 0.75 * (1 - Math.exp(-5 * progress)));
        events.push({ type: 'modes', step, epoch: 0, samples: 500, train, eval: train - (train - 0.1) * Math.exp(-step * momentum * 0.5) });
      }
    }
  }
  if (done) events.push({ type: 'checkpoint', step: steps, dir: `/tmp/${runId}` }, { type: 'done', reason: 'completed', step: steps, checkpoint: `/tmp/${runId}`, seconds: steps / 4 });
  return events;
}
