/** `bnlab` entry point, bundled to dist/cli.js (see program.ts for the commands). */
import { main } from './program';

// `bnlab ... | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then((code) => process.exit(code));
