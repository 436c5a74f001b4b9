// Installs the Debian packages a tier or benchmark needs, when any is missing (apt-get, as root).
import { spawnSync } from 'node:child_process';

function sh(cmd, args, env) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed (${r.error?.message ?? r.status ?? r.signal})`);
}

/** Installs those of `packages` that dpkg does not list as installed; throws, naming them, when not root. */
export function ensureAptPackages(packages, why = 'setup') {
  const q = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...packages], { encoding: 'utf8' });
  const installed = new Set((q.stdout ?? '').split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  const missing = packages.filter((p) => !installed.has(p));
  if (!missing.length) return;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages: ${missing.join(' ')}; install them with \`sudo apt-get install -y ${missing.join(' ')}\``);
  console.log(`${why}: installing ${missing.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  sh('apt-get', ['update'], env);
  sh('apt-get', ['install', '-y', ...missing], env);
}

// `node scripts/apt.mjs WHY PKG...`: the same, from a script that cannot import this module.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [why, ...packages] = process.argv.slice(2);
  try {
    ensureAptPackages(packages, why);
  } catch (e) {
    console.error(`${why}: ${e.message}`);
    process.exit(1);
  }
}
