import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { startMoto, type Moto } from '../support/moto.js';
import type { Plan } from '../../src/wizard/plan.js';
import { BIN, cliEnv, runCli } from './cli.js';

/**
 * The wizard in a real terminal: the built CLI runs inside tmux, the test answers its prompts by
 * keystrokes against moto and reaches a created stack; then the saved answers are replayed
 * non-interactively and must plan the same stack.
 */
const ROOT = resolve(__dirname, '../..');
const SOCKET = `ecs-wizard-e2e-${process.pid}`;
// The session the helpers below talk to. A new session is opened before the old one is killed:
// killing a server's last session makes it exit, and a new-session racing that exit fails.
let SESSION = 'wizard';
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', SESSION);

async function waitFor(text: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = screen();
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`terminal never showed ${String(text)}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const keys = (...k: string[]): void => void tmux('send-keys', '-t', SESSION, ...k);

let moto: Moto;
const dir = mkdtempSync(join(tmpdir(), 'wizard-e2e-'));
const saved = join(dir, 'saved.yaml');

beforeAll(async () => {
  moto = await startMoto();
}, 120_000);

afterAll(async () => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
  await moto?.stop();
});

describe('the wizard in a terminal', () => {
  let reviewScreen = '';

  it('answers the prompts by keystrokes, re-asks bad input, and creates the stack on moto', async () => {
    // GIVEN the built CLI in a 200×50 terminal, talking to moto
    const env = cliEnv(moto.env(), dir);
    const script = join(dir, 'run.sh');
    writeFileSync(
      script,
      // A person at a terminal: CI (set when the suite runs in CI) would make the CLI plain and non-interactive.
      `unset CI\n${Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join('\n')}\ncd '${dir}'\n` +
        `node '${BIN}' create --endpoint-url '${moto.endpoint}' --no-wait --state-dir '${dir}/state' --save-answers '${saved}'\necho "EXIT=$?"\nsleep 600\n`,
    );
    tmux('new-session', '-d', '-s', SESSION, '-x', '200', '-y', '50', `sh '${script}'`);

    // WHEN the user types a bad stack name, then a good one, and accepts the defaults
    await waitFor('Stack name');
    keys('-l', 'Bad_Name');
    keys('Enter');
    await waitFor('must start with a lowercase letter');
    keys(...Array(8).fill('BSpace'));
    keys('-l', 'e2e-web');
    keys('Enter');
    for (const q of ['AWS region', 'Network', 'VPC CIDR block', 'Public subnet CIDRs', 'HTTPS?', 'listener port', 'reach the load balancer', 'Health check path', 'EC2 instance type']) {
      await waitFor(q);
      keys('Enter');
    }
    await waitFor('Availability zones');
    keys('Enter');
    for (const q of ['Where do the instances run', 'How instances are launched', 'Use Spot capacity', 'desired capacity', 'Minimum instances', 'Maximum instances', 'key pair', 'Container image', 'Container port', 'Task CPU units', 'Task memory', 'desired count', 'CloudWatch Logs', 'how many days', 'Container Insights', 'Scale the service automatically', 'Minimum tasks', 'Maximum tasks', 'Scale on which metrics', 'Target average CPU', 'How instances scale', 'Target capacity']) {
      await waitFor(q);
      keys('Enter');
    }
    // THEN the review shows the plan and asks, defaulting to no
    reviewScreen = await waitFor('Create these resources? (y/N)');
    expect(reviewScreen).toContain('ALB :80 from 0.0.0.0/0 (anyone on the internet)');
    expect(reviewScreen).toMatch(/AMI ami-[0-9a-f]+/);
    // AND it ends with what the stack will cost (moto's Price List API answers 500: the bundled table's prices)
    expect(reviewScreen).toContain('≈ $72/month at desired capacity (up to $115 at max), us-east-1 prices as of 2026-11-01');
    expect(reviewScreen).toContain('public instances: private instances instead: +$29.20/month');
    keys('y');
    keys('Enter');
    const end = await waitFor(/EXIT=\d+/, 120_000);
    expect(end, end).toContain('EXIT=0');
    // AND the cluster exists in moto
    const ecs = new ECSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['e2e-web'] }));
    expect(clusters.clusters?.map((c) => c.status)).toEqual(['ACTIVE']);
    ecs.destroy();
    expect(readFileSync(saved, 'utf8')).toContain('stack: e2e-web');
  }, 240_000);

  it('replays the saved answers non-interactively and gets the same plan, with everything existing', async () => {
    // GIVEN the answers the interactive run saved WHEN they are replayed as a dry run
    const r = await runCli(['create', '--answers', saved, '--yes', '--dry-run', '--output', 'json', '--state-dir', join(dir, 'state')], { env: cliEnv(moto.env(), dir), cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const plan = (JSON.parse(r.stdout) as { plan: Plan }).plan;
    // THEN it plans the stack the keystrokes asked for (the defaults, stack e2e-web), written out here
    expect(plan).toMatchObject({
      stack: 'e2e-web',
      region: 'us-east-1',
      network: { vpc: 'new e2e-web-vpc 10.0.0.0/16', subnets: ['e2e-web-public-1 10.0.0.0/24 in us-east-1a', 'e2e-web-public-2 10.0.1.0/24 in us-east-1b'] },
      loadBalancer: { name: 'e2e-web-alb', listenerPort: 80, healthCheckPath: '/' },
      instances: { instanceType: 't3.small', launch: 'template', minSize: 1, desiredCapacity: 2, maxSize: 4 },
      service: { image: 'nginx:latest', containerPort: 80, cpu: 256, memory: 512, desiredCount: 2 },
      access: ['ALB :80 from 0.0.0.0/0 (anyone on the internet)', 'instances: ports 32768-65535 from the ALB only'],
    });
    // AND the interactive review showed that same stack
    for (const line of [
      'VPC       new e2e-web-vpc 10.0.0.0/16',
      'subnet    e2e-web-public-2 10.0.1.0/24 in us-east-1b',
      'e2e-web-alb  HTTP :80  health check /',
      't3.small × 2 (min 1, max 4), launch template',
      'nginx:latest  port 80  256 CPU units  512 MiB  × 2 tasks',
      'instances: 1–4, capacity provider cp-e2e-web with managed scaling at 90% target capacity',
    ]) {
      expect(reviewScreen).toContain(line);
    }
    // AND nothing would be created again
    expect(plan.resources.filter((x) => x.status !== 'exists')).toEqual([]);
  }, 120_000);

  it('Ctrl-C at a prompt exits 130 with nothing created and no stack trace', async () => {
    const env = cliEnv(moto.env(), dir);
    const script = join(dir, 'interrupt.sh');
    writeFileSync(
      script,
      // A person at a terminal: CI (set when the suite runs in CI) would make the CLI plain and non-interactive.
      `unset CI\n${Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join('\n')}\ncd '${dir}'\n` +
        `node '${BIN}' create --endpoint-url '${moto.endpoint}' --state-dir '${dir}/state2' --answers '${saved}'\necho "EXIT=$?"\nsleep 600\n`,
    );
    tmux('new-session', '-d', '-s', 'interrupt', '-x', '200', '-y', '50', `sh '${script}'`);
    tmux('kill-session', '-t', SESSION);
    SESSION = 'interrupt';
    // GIVEN an answers file that leaves only the optional key pair to ask WHEN Ctrl-C is pressed there
    await waitFor('key pair');
    keys('C-c');
    const end = await waitFor(/EXIT=\d+/);
    // THEN exit 130, a plain message, no stack trace
    expect(end).toContain('EXIT=130');
    expect(end).toContain('nothing was created');
    expect(end).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }, 60_000);
});
