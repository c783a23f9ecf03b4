// `npm test`'s first half: the build (tsc to dist/, then the bundle) and the typecheck of src/ and
// test/ at the same time — each is one core's work, and CI has two. Each one's output is printed
// whole when it ends, so the two never interleave; the exit code is non-zero if either failed.
import { spawn } from 'node:child_process';

const run = (script) =>
  new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      process.stdout.write(`> npm run ${script}: ${code === 0 ? 'ok' : `failed (exit ${code})`}\n${out}`);
      resolve(code);
    });
  });

const codes = await Promise.all([run('build'), run('typecheck')]);
process.exitCode = codes.every((c) => c === 0) ? 0 : 1;
