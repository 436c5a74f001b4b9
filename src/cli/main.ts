/** `bnlab` entry point, bundled to dist/cli.js (see program.ts for the commands). */
import { main } from './program';

main(process.argv.slice(2)).then((code) => process.exit(code));
