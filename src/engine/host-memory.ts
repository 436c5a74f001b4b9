/** The default memory limit of a training run on this machine (Node only; plan.ts stays pure). */
import { totalmem } from 'node:os';
import { MAX_MEMORY_DEFAULT } from './plan';

/** Half the machine's RAM, at most MAX_MEMORY_DEFAULT (16 GiB). */
export function hostMemoryLimit(): number {
  return Math.min(totalmem() / 2, MAX_MEMORY_DEFAULT);
}
