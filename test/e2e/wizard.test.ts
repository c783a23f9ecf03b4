import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { parse as parseYaml } from 'yaml';
import { startMoto, type Moto } from '../support/moto.js';
import type { Plan } from '../../src/wizard/plan.js';
import { BIN, cliEnv, runCli } from './cli.js';

/**
 * The wizard in a real terminal: the built CLI runs inside tmux, the test answers its prompts by
 * keystrokes against moto. The quick path reaches a created stack after four answers and Enter;
 * the saved answers are replayed non-interactively and must plan the same stack; --advanced walks
 * every question to the same answers; Ctrl-C keeps what was typed for the next create.
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
// The review comes after every account read of the run (zones, AMI, state), which a loaded machine makes slow.
const REVIEW_WAIT_MS = 90_000;
/** The questions answered so far, as Inquirer leaves them on screen ("✔ <question> <answer>"; a step's line is "✔ <title>: …"). */
const answered = (s: string): string[] => s.split('\n').filter((l) => l.startsWith('✔ ') && !/^✔ [\w ()-]+: /.test(l) && !l.startsWith('✔ Done'));

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

  /** Starts the CLI in a new terminal session (opened before the old one is killed), as a person at a terminal would. */
  function startSession(name: string, cwd: string, args: string): void {
    const env = cliEnv(moto.env(), dir);
    const script = join(dir, `${name}.sh`);
    writeFileSync(
      script,
      // A person at a terminal: CI (set when the suite runs in CI) would make the CLI plain and non-interactive.
      `unset CI\n${Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join('\n')}\ncd '${cwd}'\n` +
        `node '${BIN}' create --endpoint-url '${moto.endpoint}' ${args}\necho "EXIT=$?"\nsleep 600\n`,
    );
    tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50', `sh '${script}'`);
    if (SESSION !== name) spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', SESSION], { stdio: 'ignore' });
    SESSION = name;
  }

  it('the quick path: four answers and No to "Add another service?" (Enter at each: the stack is named after the directory) and Enter create the stack on moto', async () => {
    // GIVEN the built CLI in a 200×50 terminal, in a directory named e2e-web, talking to moto
    const project = join(dir, 'e2e-web');
    mkdirSync(project);
    startSession('wizard', project, `--no-wait --state-dir '${dir}/state' --save-answers '${saved}'`);
    // WHEN the user presses Enter at the four questions
    await waitFor('Stack name (prefixes every resource name) (e2e-web)');
    keys('Enter');
    for (const q of ['AWS region', 'Container image', 'Container port', 'Add another service?']) {
      await waitFor(`? ${q}`);
      keys('Enter');
    }
    // THEN the review shows every other answer at its default, and offers to customize a section
    reviewScreen = await waitFor('Customize a section?', REVIEW_WAIT_MS);
    expect(reviewScreen).toContain('ALB :80 from 0.0.0.0/0 (anyone on the internet)');
    expect(reviewScreen).toMatch(/AMI ami-[0-9a-f]+/);
    // AND it ends with what the stack will cost (moto's Price List API answers 500: the bundled table's prices)
    expect(reviewScreen).toContain('≈ $72/month at desired capacity (up to $115 at max), us-east-1 prices as of 2026-11-01');
    expect(reviewScreen).toContain('public instances: private instances instead: +$29.20/month');
    // (what was typed is kept while the session lasts)
    expect(JSON.parse(readFileSync(join(dir, 'state', '.draft.json'), 'utf8'))).toMatchObject({ stack: 'e2e-web', typed: ['stack', 'region', 'service.image', 'service.containerPort'] });
    // WHEN Enter ("none"), then y at the confirmation, which defaults to no
    keys('Enter');
    await waitFor('Create these resources? (y/N)');
    keys('y');
    keys('Enter');
    const end = await waitFor(/EXIT=\d+/, 120_000);
    expect(end, end).toContain('EXIT=0');
    // THEN exactly five questions were asked before the review (the fifth: "Add another service?"), and two after it
    expect(answered(end).map((l) => l.replace(/^✔ (.*?)( \(.*\))? \S+$/, '$1'))).toEqual(['Stack name', 'AWS region', 'Container image', 'Container port', 'Add another service?', 'Customize a section?', 'Create these resources?']);
    // AND the cluster exists in moto, the answers are saved, and the draft is gone with the stack created
    const ecs = new ECSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['e2e-web'] }));
    expect(clusters.clusters?.map((c) => c.status)).toEqual(['ACTIVE']);
    ecs.destroy();
    expect(readFileSync(saved, 'utf8')).toContain('stack: e2e-web');
    expect(existsSync(join(dir, 'state', '.draft.json'))).toBe(false);
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
      // (the VPC the interactive run made: shown as existing, not "new")
      network: { vpc: expect.stringMatching(/^e2e-web-vpc 10\.0\.0\.0\/16 \(exists: vpc-[0-9a-f]+\)$/), subnets: ['e2e-web-public-1 10.0.0.0/24 in us-east-1a', 'e2e-web-public-2 10.0.1.0/24 in us-east-1b'] },
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

  it('--advanced walks every question, re-asks bad input, and Enter at each gives the quick path\'s answers', async () => {
    const advanced = join(dir, 'advanced.yaml');
    startSession('advanced', dir, `--advanced --no-wait --state-dir '${dir}/state' --save-answers '${advanced}'`);
    // WHEN the user types a bad stack name, then a good one, and accepts every default
    await waitFor('Stack name');
    keys('-l', 'Bad_Name');
    keys('Enter');
    await waitFor('must start with a lowercase letter');
    keys(...Array(8).fill('BSpace'));
    keys('-l', 'e2e-web');
    keys('Enter');
    const questions = ['AWS region', 'Network', 'VPC CIDR block', 'Public subnet CIDRs', 'HTTPS?', 'listener port', 'reach the load balancer', 'Health check path', 'EC2 instance type', 'Availability zones',
      'Where do the instances run', 'How instances are launched', 'Use Spot capacity', 'desired capacity', 'Minimum instances', 'Maximum instances', 'key pair', 'Container image', 'Container port', 'Task CPU units', 'Task memory', 'desired count',
      'CloudWatch Logs', 'how many days', 'Container Insights', 'Add another service?', 'Scale the service automatically', 'Minimum tasks', 'Maximum tasks', 'Scale on which metrics', 'Target average CPU', 'How instances scale', 'Target capacity'];
    for (const q of questions) {
      await waitFor(q);
      keys('Enter');
    }
    // THEN the review goes straight to the confirmation (no section to customize: all were asked); Enter is no
    const review = await waitFor('Create these resources? (y/N)', REVIEW_WAIT_MS);
    expect(review).not.toContain('Customize a section?');
    keys('Enter');
    const end = await waitFor(/EXIT=\d+/);
    expect(end).toContain('Nothing was created.');
    expect(end).toContain('EXIT=0');
    expect(answered(end)).toHaveLength(questions.length + 2);
    // AND the answers are the quick path's, question for question
    expect(parseYaml(readFileSync(advanced, 'utf8'))).toEqual(parseYaml(readFileSync(saved, 'utf8')));
  }, 180_000);

  it('Ctrl-C mid-wizard exits 130 keeping the answers typed; the next create offers them back and asks only the rest', async () => {
    // GIVEN a stack name and an image typed, then Ctrl-C at the port
    startSession('interrupt', dir, `--no-wait --state-dir '${dir}/state2'`);
    await waitFor('Stack name');
    keys('-l', 'e2e-draft');
    keys('Enter');
    await waitFor('? AWS region');
    keys('Enter');
    await waitFor('? Container image');
    keys('-l', 'httpd:2.4');
    keys('Enter');
    await waitFor('? Container port');
    keys('C-c');
    const end = await waitFor(/EXIT=\d+/);
    // THEN exit 130, a plain message, no stack trace, and the typed answers in the draft (owner-only)
    expect(end).toContain('EXIT=130');
    expect(end).toContain('nothing was created. The answers typed so far are kept');
    expect(end).not.toMatch(/\n\s+at .+:\d+:\d+/);
    const draft = join(dir, 'state2', '.draft.json');
    expect(statSync(draft).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(draft, 'utf8'))).toMatchObject({ stack: 'e2e-draft', answers: { service: { image: 'httpd:2.4' } } });
    // WHEN create runs again and the user accepts the offer (Enter: yes)
    startSession('resume', dir, `--no-wait --state-dir '${dir}/state2'`);
    await waitFor(/Resume the answers you gave on \d{4}-\d\d-\d\d \d\d:\d\d for e2e-draft\? \(Y\/n\)/);
    keys('Enter');
    // THEN only the port is asked; the review shows the typed image with it
    await waitFor('? Container port');
    keys(...Array(4).fill('BSpace'));
    keys('-l', '8080');
    keys('Enter');
    await waitFor('? Add another service?');
    keys('Enter');
    const review = await waitFor('Customize a section?', REVIEW_WAIT_MS);
    expect(review).toContain('httpd:2.4  port 8080');
    expect(answered(review).map((l) => l.replace(/^✔ (.*?)\?? \S+$/, '$1'))).toEqual([expect.stringMatching(/^Resume the answers you gave on .* for e2e-draft/), 'Container port', 'Add another service']);
    keys('Enter');
    await waitFor('Create these resources? (y/N)');
    keys('Enter');
    expect(await waitFor(/EXIT=\d+/)).toContain('EXIT=0');
  }, 180_000);

  it('adds an api by path and a worker on the quick path: the review lists each service with its route', async () => {
    // GIVEN create in a terminal (a state of its own: nothing is created)
    startSession('services', dir, `--no-wait --state-dir '${dir}/state3'`);
    const answer = async (question: string, ...k: string[][]): Promise<void> => {
      await waitFor(`? ${question}`);
      for (const x of k) keys(...x);
      keys('Enter');
    };
    await answer('Stack name', ['-l', 'e2e-svc']);
    await answer('AWS region');
    await answer('Container image');
    await answer('Container port');
    // WHEN an api on /api/* (the path offered) at 8080, and a worker with a command, are added
    await answer('Add another service?', ['y']);
    await answer('Service name', ['-l', 'api']);
    await answer('Container image for api');
    await answer('Does api take traffic from the load balancer?');
    await answer('Container port for api', Array(4).fill('BSpace'), ['-l', '8080']);
    await answer('Route api by');
    await answer('Path pattern for api');
    await answer('Add another service?', ['y']);
    await answer('Service name', ['-l', 'worker']);
    await answer('Container image for worker');
    await answer('Does worker take traffic from the load balancer?', ['n']);
    await answer('Command for worker', ['-l', 'sleep 3600']);
    await answer('Add another service?');
    // THEN the review lists each service with its route, and "service: api" is a section to customize
    const review = await waitFor('Customize a section?', REVIEW_WAIT_MS);
    expect(review).toContain('default → e2e-svc:80  nginx:latest');
    expect(review).toContain('/api/* → api:8080  nginx:latest');
    expect(review).toContain('worker: no load balancer  nginx:latest');
    expect(review).toContain('command sleep 3600');
    expect(review).toContain('service: api');
    // AND 17 questions were asked before it: the quick four, then 1 + 6 for the api, 1 + 4 for the worker, and the last No
    expect(answered(review)).toHaveLength(17);
    // WHEN "none", then Enter (no) at the confirmation
    keys('Enter');
    await waitFor('Create these resources? (y/N)');
    keys('Enter');
    const end = await waitFor(/EXIT=\d+/);
    expect(end).toContain('Nothing was created.');
    expect(end).toContain('EXIT=0');
  }, 180_000);

  it('destroy asks with a listing of what goes, by kind and name, and shows its live progress after the typed name', async () => {
    // GIVEN the stack the first case created, and destroy started in a terminal
    const env = cliEnv(moto.env(), dir);
    const script = join(dir, 'destroy.sh');
    writeFileSync(
      script,
      `unset CI\n${Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join('\n')}\ncd '${dir}'\n` +
        `node '${BIN}' destroy e2e-web --endpoint-url '${moto.endpoint}' --state-dir '${dir}/state'\necho "EXIT=$?"\nsleep 600\n`,
    );
    tmux('new-session', '-d', '-s', 'destroy', '-x', '200', '-y', '50', `sh '${script}'`);
    tmux('kill-session', '-t', SESSION);
    SESSION = 'destroy';
    // THEN the question lists each resource under its kind, named as AWS shows it
    const asked = await waitFor('Type the stack name (e2e-web) to delete all of it:');
    expect(asked).toMatch(/This deletes \d+ resources of stack "e2e-web" in us-east-1:/);
    for (const line of [/ VPC +e2e-web-vpc vpc-[0-9a-f]+\n/, / Subnet +e2e-web-public-1 subnet-[0-9a-f]+\n/, / Load balancer +e2e-web-alb\n/, / Target group +e2e-web-tg\n/, / Auto Scaling group +e2e-web-ecs\n/, / ECS cluster +e2e-web\n/, / ECS service +e2e-web\n/]) {
      expect(asked).toMatch(line);
    }
    // (grouped: both subnets together, right after the VPC)
    expect(asked).toMatch(/ VPC +e2e-web-vpc vpc-\w+\n +Subnet +e2e-web-public-\d subnet-\w+\n +Subnet +e2e-web-public-\d subnet-\w+\n/);
    // WHEN the name is typed
    keys('-l', 'e2e-web');
    keys('Enter');
    const end = await waitFor(/EXIT=\d+/, 120_000);
    expect(end, end).toContain('EXIT=0');
    // THEN between the answer and the final summary, the steps showed as they finished
    const answered = end.lastIndexOf('to delete all of it: e2e-web');
    const summary = end.indexOf('Verified: nothing of stack "e2e-web" is left');
    expect(answered).toBeGreaterThan(0);
    expect(summary).toBeGreaterThan(answered);
    const between = end.slice(answered, summary);
    const deleted = [...between.matchAll(/^✔ (.+): deleted /gm)].map((m) => m[1]);
    expect(deleted, between).toEqual(expect.arrayContaining(['ECS service', 'Auto Scaling group', 'Application load balancer', 'VPC']));
  }, 180_000);
});
