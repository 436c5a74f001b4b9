/** Linear (fully connected) on the CPU: y = x·wᵀ + b and its gradients, all through matmul. */
import type { LinearBackwardKernel, LinearKernel, KernelSignatures } from '../../ops/kernels';
import { matmul } from './gemm';

export const linearForward: LinearKernel = (x, w, b, y) => {
  const [N, I] = x.shape;
  const O = w.shape[0];
  matmul(false, true, N, O, I, x.data, 0, I, w.data, 0, I, y.data, 0, O, false);
  if (b) {
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < O; o++) y.data[n * O + o] += b.data[o];
    }
  }
};

export const linearBackward: LinearBackwardKernel = (dy, x, w, dx, dw, db) => {
  const [N, I] = x.shape;
  const O = w.shape[0];
  // dx[N, I] = dy[N, O] · w[O, I]
  if (dx) matmul(false, false, N, I, O, dy.data, 0, O, w.data, 0, I, dx.data, 0, I, false);
  // dw[O, I] = dyᵀ · x
  matmul(true, false, O, I, N, dy.data, 0, O, x.data, 0, I, dw.data, 0, I, false);
  for (let o = 0; o < O; o++) {
    let s = 0;
    for (let n = 0; n < N; n++) s += dy.data[n * O + o];
    db.data[o] = s;
  }
};

export const linearKernels = {
  Linear: linearForward,
  LinearBackward: linearBackward,
} satisfies Partial<KernelSignatures>;
