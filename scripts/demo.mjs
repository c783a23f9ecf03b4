#!/usr/bin/env node
// The demo: starts the local AWS emulator (moto server) on a free loopback port, then runs the real
// CLI against it — create (with the stand-in ECS agent of scripts/local-agent.mjs, since moto runs
// none), status, destroy — and stops the emulator. Nothing here talks to real AWS.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localAgent } from './local-agent.mjs';

// The pinned SDK supports Node 20; its notice about future versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const answers = process.argv[2] ?? path.join(root, 'examples/demo.yaml');
const { readAnswersFile, validateAnswers } = await import(path.join(root, 'dist/wizard/answers-file.js'));
const { colourEnabled, style } = await import(path.join(root, 'dist/ui/style.js'));
const stack = validateAnswers(await readAnswersFile(answers)).stack;
// Escape codes only for a terminal: `npm run demo | cat` (or a CI log) gets plain text.
const s = style(colourEnabled(process.env, Boolean(process.stdout.isTTY)));

function motoCommand() {
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0) return ['moto_server', []];
  if (spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0) return ['python3', ['-m', 'moto.server']];
  console.error('The demo needs moto server, the local AWS emulator: pip install "moto[server]>=5.2"');
  process.exit(2);
}

const port = await new Promise((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const p = srv.address().port;
    srv.close(() => resolve(p));
  });
});
const endpoint = `http://127.0.0.1:${port}`;
const [cmd, args] = motoCommand();
const moto = spawn(cmd, [...args, '-H', '127.0.0.1', '-p', String(port)], {
  env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', MOTO_ECS_SERVICE_RUNNING: '2' },
  stdio: 'ignore',
});
const stopMoto = () => moto.exitCode === null && moto.kill('SIGTERM');
process.on('exit', stopMoto);
for (let i = 0; ; i++) {
  try {
    await fetch(`${endpoint}/moto-api/`);
    break;
  } catch {
    if (i > 300) throw new Error('moto server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'demo',
  AWS_SECRET_ACCESS_KEY: 'demo',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  // The emulator answers at once: check every 50 ms, not at AWS's 1 s pace.
  ECS_WIZARD_POLL_MS: '50',
});
const stateDir = mkdtempSync(path.join(tmpdir(), 'ecs-wizard-demo-'));
const common = ['--endpoint-url', endpoint, '--state-dir', stateDir];

function run(title, cliArgs) {
  console.log(`\n${s.bold(`$ ecs-wizard ${cliArgs.join(' ')}`)}   # ${title}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/ecs-wizard.js'), ...cliArgs, ...common], { env: process.env, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

console.log(`Local AWS emulator (moto) on ${endpoint}; state in ${stateDir}`);
// moto has no ECS agent: the stand-in joins the instances to the cluster while create runs, and
// registers the running tasks in the target group, as ECS would.
const agent = await localAgent({ stack, endpointUrl: endpoint, stateDir, intervalMs: 500 });
const agents = agent.start();
const created = await run('build the whole stack', ['create', '--answers', path.relative(process.cwd(), answers) || answers, '--yes']);
await agent.stop();
await agents.catch(() => undefined);
// create may end (its service stable) before a pass saw the target group: one more, so status sees the targets.
if (created === 0) await agent.pass();
await agent.stop();
const healthy = await run('what exists, and is it healthy?', ['status', stack]);
const destroyed = await run('tear it all down and verify nothing is left', ['destroy', stack, '--yes']);
stopMoto();
console.log(`\nDemo finished: create exit ${created}, status exit ${healthy}, destroy exit ${destroyed}.`);
process.exit(created || healthy || destroyed ? 1 : 0);
