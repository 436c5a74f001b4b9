/** Registers every CPU kernel (import for its side effect); the object must hold every KernelSignatures name. */
import { registerKernels } from '../../kernel-registry';
import { activationKernels } from './activation';
import { convKernels } from './conv';
import { linearKernels } from './linear';
import { lossKernels } from './loss';
import { normKernels } from './norm';
import { poolKernels } from './pool';
import { stateKernels } from './state';

registerKernels('cpu', {
  ...convKernels, ...linearKernels, ...normKernels, ...activationKernels, ...poolKernels, ...lossKernels, ...stateKernels,
});
