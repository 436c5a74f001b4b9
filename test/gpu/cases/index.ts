/** Every parity case, in one list (each file under cases/ adds its own). */
import type { ParityCase } from '../parity';
import { convCases } from './conv';
import { elementwiseCases } from './elementwise';
import { linearCases } from './linear';
import { lossCases } from './loss';
import { normCases } from './norm';
import { poolCases } from './pool';
import { stateCases } from './state';
import { trainCases } from './train';

export const allCases: ParityCase[] = [
  ...elementwiseCases, ...stateCases, ...lossCases, ...linearCases, ...convCases, ...normCases, ...poolCases, ...trainCases,
];
