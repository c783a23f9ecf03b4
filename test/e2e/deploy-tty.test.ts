import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { simulatedRollout, type SimulatedRollout } from '../support/ecs-rollout.js';
import { registerFakeAgents } from '../support/fake-agent.js';
import { tempDir } from '../support/stack.js';
import { stackNames } from '../../src/steps/names.js';
import { BIN, cliEnv, runCli } from './cli.js';

/**
 * The rollout timeline in a real terminal: the built CLI runs `deploy` inside tmux against the
 * strict-AWS proxy playing an ECS rollout (test/support/ecs-rollout.ts, one state every 1.2 s). The
 * live block shows the running phase with what it waits for and its clock; finished phases scroll
 * up with ✔ and their time; nothing of the live block is left at the end.
 */
const STACK = 'tty-deploy';
const SOCKET = `ecs-wizard-deploy-${process.pid}`;
const SESSION = 'deploy';
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', SESSION);
async function waitFor(text: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = screen();
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`terminal never showed ${String(text)}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let moto: Moto;
let aws: StrictAws;
let sim: SimulatedRollout;
const dir = tempDir('deploy-tty-');

beforeAll(async () => {
  moto = await startMoto({ serviceRunning: 2 });
  writeFileSync(join(dir, 'answers.json'), JSON.stringify({ stack: STACK, region: 'us-east-1', service: { image: 'httpd:2.4' } }));
  const r = await runCli(['create', '--answers', 'answers.json', '--yes', '--no-wait', '--state-dir', join(dir, 'state')], { env: cliEnv(moto.env(), dir), cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  const n = stackNames(STACK);
  await registerFakeAgents(moto.endpoint, n.cluster, n.autoScalingGroup);
  aws = await startStrictAws(moto.endpoint);
  sim = simulatedRollout(aws, { cluster: STACK, service: STACK, outcome: 'succeed', msPerState: 1200 });
  aws.rules(sim.rules);
}, 120_000);

afterAll(async () => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
  sim?.close();
  await aws?.stop();
  await moto?.stop();
});

describe('deploy in a terminal', () => {
  it('shows the rollout as a live timeline: the running phase with its clock, finished phases with ✔ and their time', async () => {
    const env = cliEnv(moto.env({ AWS_ENDPOINT_URL: aws.endpoint }), dir);
    const script = join(dir, 'deploy.sh');
    writeFileSync(
      script,
      // A person at a terminal: CI (set when the suite runs in CI) would make the output plain.
      `unset CI\n${Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join('\n')}\ncd '${dir}'\n` +
        `node '${BIN}' deploy ${STACK} --image httpd:2.4.62 --state-dir '${dir}/state'\necho "EXIT=$?"\nsleep 600\n`,
    );
    tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '40', `sh '${script}'`);
    // WHILE tasks wait for an instance: a spinner line with what it waits for and a running clock
    const waiting = await waitFor(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Placing tasks: 0\/2 tasks running — waiting for capacity: 2 tasks PROVISIONING.*\d+(\.\d)? s/);
    expect(waiting).toMatch(/✔ Task definition: registered +[\d.]+ s/);
    expect(waiting).toMatch(/✔ ECS service: updated +[\d.]+ s/);
    // THEN each phase ends with a mark and its own time, in order
    const end = await waitFor(/EXIT=\d+/);
    expect(end).toContain('EXIT=0');
    const marks = ['✔ Placing tasks: ready', '✔ Targets healthy: ready', '✔ Draining old tasks: ready', '✔ Deployed tty-deploy: revision 2 (httpd:2.4.62)'].map((m) => end.indexOf(m));
    expect(marks.every((i) => i >= 0), end).toBe(true);
    expect([...marks].sort((a, b) => a - b)).toEqual(marks);
    expect(end).toMatch(/✔ Placing tasks: ready +\d+(\.\d)? s/);
    // AND the live block is gone: no spinner line is left on the screen (the visible pane: tmux keeps
    // in its history what a full-screen erase removed, so the history still has early frames)
    const visible = tmux('capture-pane', '-p', '-J', '-t', SESSION);
    expect(visible).toContain('✔ Draining old tasks: ready');
    expect(visible).not.toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /m);
  }, 120_000);
});
