/**
 * Validates the `bnLab.*` settings into an ExperimentConfig, or lists one error per bad setting,
 * each naming it. Pure: the extension reads the values and passes them in.
 */
import { RENORM_DEFAULTS } from '../engine/layers/batchnorm';
import {
  BACKENDS,
  checks,
  CONVENTIONS,
  crossCheck,
  defaultBn,
  defaultConfig,
  OPTIMIZERS,
  type Check,
  type DeepChecks,
  type ExperimentConfig,
} from './config';

/** Setting names without the `bnLab.` prefix (current or renamed); values as VS Code returns them (undefined = use the default). */
export type SettingsInput = Partial<Record<SettingKey | RenamedKey, unknown>>;
export type SettingKey = (typeof SETTING_KEYS)[number];
export type RenamedKey = keyof typeof RENAMED;

export const SETTING_KEYS = [
  'model',
  'dataset',
  'epochs',
  'batchSize',
  'optimizer',
  'learningRate',
  'batchNorm.momentum',
  'batchNorm.epsilon',
  'batchNorm.affine',
  'batchNorm.trackRunningStats',
  'batchNorm.ghost',
  'batchNorm.renorm',
  'convention',
  'backend',
  'cpuThreads',
  'statsInterval',
  'seed',
  'dropLast',
  'maxMemory',
] as const;

/**
 * Keys renamed so the Settings editor, which titles a setting from its key, reads "Batch Norm: Epsilon" (not
 * "Bn Eps"). A value under the old key is still used while the new key is not set, and errors name the key it came from.
 */
export const RENAMED = {
  bnMomentum: 'batchNorm.momentum',
  bnEps: 'batchNorm.epsilon',
  bnAffine: 'batchNorm.affine',
  bnTrackRunningStats: 'batchNorm.trackRunningStats',
} as const satisfies Record<string, SettingKey>;

export interface SettingError {
  /** Full setting id, e.g. `bnLab.batchNorm.momentum`. */
  setting: string;
  message: string;
}

export type SettingsResult = { ok: true; config: ExperimentConfig } | { ok: false; errors: SettingError[] };

type Rule = { check: Check<unknown>; apply: (c: ExperimentConfig, v: never) => void };
const rule = <T>(check: Check<T>, apply: (c: ExperimentConfig, v: T) => void): Rule => ({ check, apply: apply as Rule['apply'] });
const bnOf = (c: ExperimentConfig) => (c.bn ??= defaultBn());

/** In application order: convention first, so explicit momentum/eps override its defaults. */
const RULES: Record<SettingKey, Rule> = {
  convention: rule(checks.oneOf(CONVENTIONS), (c, v) => (c.bn = { ...bnOf(c), ...defaultBn(v) })),
  model: rule(checks.text, (c, v) => (c.model = v)),
  dataset: rule(checks.text, (c, v) => (c.data = v)),
  epochs: rule(checks.int(1, 10_000), (c, v) => (c.epochs = v)),
  batchSize: rule(checks.int(1, 65_536), (c, v) => (c.batchSize = v)),
  optimizer: rule(checks.oneOf(OPTIMIZERS), (c, v) => (c.optimizer = v)),
  learningRate: rule(checks.number(0, 10, true), (c, v) => (c.lr = v)),
  'batchNorm.momentum': rule(checks.momentum, (c, v) => (bnOf(c).momentum = v)),
  'batchNorm.epsilon': rule(checks.number(0, 1, true), (c, v) => (bnOf(c).eps = v)),
  'batchNorm.affine': rule(checks.bool, (c, v) => (bnOf(c).affine = v)),
  'batchNorm.trackRunningStats': rule(checks.bool, (c, v) => (bnOf(c).trackRunningStats = v)),
  'batchNorm.ghost': rule<number | null>((v) => (v === null || v === 0 ? { value: null } : checks.int(1, 65_536)(v)), (c, v) => (v === null ? delete bnOf(c).ghost : (bnOf(c).ghost = v))),
  'batchNorm.renorm': rule(checks.bool, (c, v) => (v ? (bnOf(c).renorm = { ...RENORM_DEFAULTS }) : delete bnOf(c).renorm)),
  backend: rule(checks.oneOf(BACKENDS), (c, v) => (c.backend = v)),
  cpuThreads: rule(checks.int(0, 256), (c, v) => (c.cpuThreads = v)),
  statsInterval: rule(checks.int(1, 1_000_000), (c, v) => (c.statsInterval = v)),
  seed: rule(checks.int(0, 2 ** 32 - 1), (c, v) => (c.seed = v)),
  dropLast: rule(checks.bool, (c, v) => (c.dropLast = v)),
  maxMemory: rule<number | null>((v) => (v === null ? { value: null } : checks.number(0, 1 << 20, true)(v)), (c, v) => (c.maxMemoryGiB = v)),
};

const FIELD_TO_SETTING: Partial<Record<string, SettingKey>> = {
  'bn.momentum': 'batchNorm.momentum', 'bn.ghost': 'batchNorm.ghost', 'bn.renorm': 'batchNorm.renorm', epochs: 'epochs', model: 'model', data: 'dataset',
};

export function validateSettings(input: SettingsInput, deep: DeepChecks = {}): SettingsResult {
  const config = defaultConfig();
  config.name = 'settings';
  const errors: SettingError[] = [];
  // Where each value came from: its key, or the old key it was renamed from.
  const from = new Map<SettingKey, string>();
  for (const [old, key] of Object.entries(RENAMED)) if (input[old as RenamedKey] !== undefined && input[key] === undefined) from.set(key, old);
  const name = (key: SettingKey) => from.get(key) ?? key;
  const fail = (key: string, message: string) => errors.push({ setting: `bnLab.${key}`, message: `Setting bnLab.${key}: ${message}` });
  for (const key of Object.keys(RULES) as SettingKey[]) {
    const v = input[name(key) as SettingKey];
    if (v === undefined) continue;
    const r = RULES[key].check(v);
    if ('error' in r) fail(name(key), r.error);
    else RULES[key].apply(config, r.value as never);
  }
  for (const key of Object.keys(input)) if (!(SETTING_KEYS as readonly string[]).includes(key) && !(key in RENAMED)) fail(key, 'is not a BN Lab setting');
  if (errors.length === 0) {
    for (const [field, message] of crossCheck(config)) fail(name(FIELD_TO_SETTING[field] ?? 'convention'), message);
    const modelErr = deep.model?.(config.model);
    if (modelErr) fail('model', modelErr);
    const dataErr = deep.data?.(config.data);
    if (dataErr) fail('dataset', dataErr);
  }
  return errors.length ? { ok: false, errors } : { ok: true, config };
}
