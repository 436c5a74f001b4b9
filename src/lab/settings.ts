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

/** Setting names without the `bnLab.` prefix; values as VS Code returns them (undefined = use the default). */
export type SettingsInput = Partial<Record<SettingKey, unknown>>;
export type SettingKey = (typeof SETTING_KEYS)[number];

export const SETTING_KEYS = [
  'model',
  'dataset',
  'epochs',
  'batchSize',
  'optimizer',
  'learningRate',
  'bnMomentum',
  'bnEps',
  'bnAffine',
  'bnTrackRunningStats',
  'bnGhost',
  'bnRenorm',
  'convention',
  'backend',
  'cpuThreads',
  'statsInterval',
  'seed',
  'dropLast',
  'maxMemory',
] as const;

export interface SettingError {
  /** Full setting id, e.g. `bnLab.bnMomentum`. */
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
  bnMomentum: rule(checks.momentum, (c, v) => (bnOf(c).momentum = v)),
  bnEps: rule(checks.number(0, 1, true), (c, v) => (bnOf(c).eps = v)),
  bnAffine: rule(checks.bool, (c, v) => (bnOf(c).affine = v)),
  bnTrackRunningStats: rule(checks.bool, (c, v) => (bnOf(c).trackRunningStats = v)),
  bnGhost: rule<number | null>((v) => (v === null || v === 0 ? { value: null } : checks.int(1, 65_536)(v)), (c, v) => (v === null ? delete bnOf(c).ghost : (bnOf(c).ghost = v))),
  bnRenorm: rule(checks.bool, (c, v) => (v ? (bnOf(c).renorm = { ...RENORM_DEFAULTS }) : delete bnOf(c).renorm)),
  backend: rule(checks.oneOf(BACKENDS), (c, v) => (c.backend = v)),
  cpuThreads: rule(checks.int(0, 256), (c, v) => (c.cpuThreads = v)),
  statsInterval: rule(checks.int(1, 1_000_000), (c, v) => (c.statsInterval = v)),
  seed: rule(checks.int(0, 2 ** 32 - 1), (c, v) => (c.seed = v)),
  dropLast: rule(checks.bool, (c, v) => (c.dropLast = v)),
  maxMemory: rule<number | null>((v) => (v === null ? { value: null } : checks.number(0, 1 << 20, true)(v)), (c, v) => (c.maxMemoryGiB = v)),
};

const FIELD_TO_SETTING: Partial<Record<string, SettingKey>> = {
  'bn.momentum': 'bnMomentum', 'bn.ghost': 'bnGhost', 'bn.renorm': 'bnRenorm', epochs: 'epochs', model: 'model', data: 'dataset',
};

export function validateSettings(input: SettingsInput, deep: DeepChecks = {}): SettingsResult {
  const config = defaultConfig();
  config.name = 'settings';
  const errors: SettingError[] = [];
  const fail = (key: SettingKey, message: string) => errors.push({ setting: `bnLab.${key}`, message: `Setting bnLab.${key}: ${message}` });
  for (const key of Object.keys(RULES) as SettingKey[]) {
    const v = input[key];
    if (v === undefined) continue;
    const r = RULES[key].check(v);
    if ('error' in r) fail(key, r.error);
    else RULES[key].apply(config, r.value as never);
  }
  for (const key of Object.keys(input)) if (!(SETTING_KEYS as readonly string[]).includes(key)) fail(key as SettingKey, 'is not a BN Lab setting');
  if (errors.length === 0) {
    for (const [field, message] of crossCheck(config)) fail(FIELD_TO_SETTING[field] ?? 'convention', message);
    const modelErr = deep.model?.(config.model);
    if (modelErr) fail('model', modelErr);
    const dataErr = deep.data?.(config.data);
    if (dataErr) fail('dataset', dataErr);
  }
  return errors.length ? { ok: false, errors } : { ok: true, config };
}
