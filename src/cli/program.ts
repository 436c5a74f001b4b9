/**
 * The `bnlab` program (main.ts runs it). Each subcommand lives in its own file and exports
 * register(program); add yours to COMMANDS. Errors meant for the user print as one line and exit
 * with their EXIT code (common.ts): usage 2, input 3.
 */
import { Command, CommanderError } from 'commander';
import { BNLAB_VERSION } from '../engine/checkpoint';
import { EXIT, isUserFacing, UsageError } from './common';
import { registerEval } from './eval';
import { registerExport } from './export';
import { registerPredict } from './predict';
import { registerRecalibrate } from './recalibrate';
import { registerTrain } from './train';
import { registerValidate } from './validate';

export const COMMANDS: ((program: Command) => void)[] = [registerTrain, registerEval, registerPredict, registerExport, registerValidate, registerRecalibrate];

export function createProgram(): Command {
  const program = new Command('bnlab')
    .description('BN Lab: train and inspect networks with Batch Normalization')
    .version(BNLAB_VERSION)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(`bnlab: ${s.replace(/^error: /, '').trim()}\n`) });
  for (const register of COMMANDS) register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (isUserFacing(e)) {
      process.stderr.write(`bnlab: ${e.message}\n`);
      return e instanceof UsageError || e.name === 'InvalidArgumentError' ? EXIT.usage : EXIT.input;
    }
    if (process.env.BNLAB_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
    else process.stderr.write(`bnlab: internal error: ${(e as Error)?.message ?? e} (set BNLAB_DEBUG=1 for a stack trace)\n`);
    return EXIT.failed;
  }
}

