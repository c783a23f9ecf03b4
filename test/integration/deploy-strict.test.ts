import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { AwsClients } from '../../src/aws/clients.js';
import type { CliContext } from '../../src/cli/context.js';
import { exitCodeFor } from '../../src/cli/exit.js';
import { buildProgram } from '../../src/cli/main.js';
import { isWizardError } from '../../src/errors.js';
import { isExecuteCommandRefused } from '../../src/aws/errors.js';
import { EXEC_NOT_ENABLED, PULL_FAILED, TASK_RULE, tasksProfile, type TaskOptions, type TaskProfile } from '../support/ecs-tasks.js';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { CIRCUIT_BREAKER, ROLLOUT_RULE, STOPPED_REASON, simulatedRollout, type SimulatedRollout } from '../support/ecs-rollout.js';
import { registerFakeAgents } from '../support/fake-agent.js';
import { stackNames } from '../../src/steps/names.js';
import { FAST_TIMING, tempDir } from '../support/stack.js';
import { cliEnv, runCli, startCli } from '../e2e/cli.js';

/**
 * Rollouts as real ECS reports them (moto's deployments never follow an update): the strict-AWS
 * proxy plays ECS's deployments, tasks and target health (test/support/ecs-rollout.ts) for the
 * built CLI. A healthy rollout through every phase (waiting for capacity included), a broken image
 * that the circuit breaker rolls back — explained — and Ctrl-C in the middle of a rollout, then the
 * same command again.
 */
const STACK = 'shop-strict';
let moto: Moto;
let aws: StrictAws;
let sim: SimulatedRollout | undefined;
let dir: string;
let home: string;
const cfg = () => ({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const args = (a: string[]) => [...a, '--state-dir', dir];
const viaProxy = () => cliEnv(moto.env({ AWS_ENDPOINT_URL: aws.endpoint }), home);
const cli = (a: string[]) => runCli(args(a), { env: viaProxy(), cwd: dir });
const state = () => JSON.parse(readFileSync(path.join(dir, `${STACK}.json`), 'utf8'));
const play = (outcome: 'succeed' | 'fail', pace: { callsPerState?: number; msPerState?: number } = {}) => {
  sim = simulatedRollout(aws, { cluster: STACK, service: STACK, outcome, ...pace });
  aws.rules(sim.rules);
  return sim;
};
async function runningRevision(): Promise<number> {
  const ecs = new ECSClient(cfg());
  try {
    return Number((await ecs.send(new DescribeServicesCommand({ cluster: STACK, services: [STACK] }))).services![0]!.taskDefinition!.split(':').pop());
  } finally {
    ecs.destroy();
  }
}

beforeAll(async () => {
  moto = await startMoto({ serviceRunning: 2 });
  dir = tempDir('deploy-strict-');
  home = tempDir('deploy-strict-home-');
  const file = path.join(dir, 'answers.json');
  writeFileSync(file, JSON.stringify({ stack: STACK, region: 'us-east-1', service: { image: 'httpd:2.4' } }));
  // GIVEN a stack made on moto, its instances joined to the cluster (as their ECS agents would)
  const r = await runCli(args(['create', '--answers', file, '--yes', '--no-wait']), { env: cliEnv(moto.env(), home), cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  const n = stackNames(STACK);
  expect(await registerFakeAgents(moto.endpoint, n.cluster, n.autoScalingGroup)).toBeGreaterThan(0);
  aws = await startStrictAws(moto.endpoint);
}, 120_000);
afterEach(() => {
  sim?.close();
  sim = undefined;
  aws.clear();
});
afterAll(async () => {
  await aws?.stop();
  await moto?.stop();
});

describe('a rollout as ECS reports it', () => {
  it('goes through every phase — waiting for capacity, targets healthy one by one, old tasks draining — and ends on COMPLETED', async () => {
    play('succeed');
    const r = await cli(['deploy', STACK, '--image', 'httpd:2.4.62']);
    expect(r.code, r.stderr).toBe(0);
    // THEN each phase said what it waited for, in order, as plain lines
    const lines = r.stderr.split('\n').map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''));
    const seen = [
      /^Placing tasks: 0\/2 tasks running — waiting for capacity: 2 tasks PROVISIONING while the capacity provider adds an instance/,
      /^Placing tasks: 1\/2 tasks running — waiting for capacity: 1 task PROVISIONING/,
      /^Placing tasks: ready/,
      /^Targets healthy: 1\/2 targets healthy/,
      /^Targets healthy: ready/,
      /^Draining old tasks: 2 old tasks stopping \(deregistration delay\)/,
      /^Draining old tasks: 1 old task stopping \(deregistration delay\)/,
      /^Draining old tasks: ready/,
    ].map((re) => lines.findIndex((l) => re.test(l)));
    expect(seen.every((i) => i >= 0), r.stderr).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(r.stdout).toMatch(/✔ Deployed shop-strict: revision 2 \(httpd:2\.4\.62\) in [\d.]+ s — was revision 1/);
    // AND every rule of the simulated ECS answered
    for (const rule of Object.values(ROLLOUT_RULE)) expect(aws.fired(rule), rule).toBeGreaterThan(0);
    expect(state().releases.at(-1)).toMatchObject({ revision: 2, result: 'succeeded', kind: 'deploy' });
  });

  it('a broken image: exit 1, the stopped tasks\' reasons, a stopped task\'s last log lines, the targets\' health and "ECS rolled back to revision N"', async () => {
    const s = play('fail');
    // GIVEN the tasks of the broken revision logged before they stopped
    const logs = new CloudWatchLogsClient(cfg());
    for (const id of s.stoppedTaskIds) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: `/ecs/${STACK}`, logStreamName: `ecs/app/${id}` }));
      await logs.send(new PutLogEventsCommand({ logGroupName: `/ecs/${STACK}`, logStreamName: `ecs/app/${id}`, logEvents: [{ timestamp: Date.now() - 2000, message: 'AH00526: Syntax error on line 7' }, { timestamp: Date.now() - 1000, message: `${id} exiting` }] }));
    }
    logs.destroy();
    // WHEN the broken image is deployed
    const r = await cli(['deploy', STACK, '--image', 'httpd:9-broken']);
    // THEN it fails with the whole story
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`✖ The deployment of revision 3 failed: ${CIRCUIT_BREAKER}`);
    expect(r.stdout).toContain(`Stopped tasks:\n  b0000000000000000000000000000001  ${STOPPED_REASON}\n    container app: exit code 1, CannotPullContainerError`);
    expect(r.stdout).toContain(`  b0000000000000000000000000000002  ${STOPPED_REASON}`);
    expect(r.stdout).toMatch(/Last log lines of task b000000000000000000000000000000\d:\n {2}AH00526: Syntax error on line 7\n {2}b000000000000000000000000000000\d exiting/);
    expect(r.stdout).toMatch(/Targets not healthy:\n {2}i-[0-9a-f]+:32772 {2}unhealthy {2}Target\.FailedHealthChecks \(Health checks failed with these codes: \[502\]\)/);
    expect(r.stdout).toContain('ECS rolled back to revision 2.');
    expect(r.stderr).toContain(`Error: The deployment of revision 3 failed: ${CIRCUIT_BREAKER} ECS rolled back to revision 2.`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(aws.fired(ROLLOUT_RULE.listTasks)).toBeGreaterThan(0);
    expect(aws.fired(ROLLOUT_RULE.describeTasks)).toBeGreaterThan(0);
    // AND the state tells the truth: the release rolled back, the service's revision is 2 again, the answers unchanged
    const st = state();
    expect(st.releases.at(-1)).toMatchObject({ revision: 3, result: 'rolled-back', note: 'ECS rolled back to revision 2', endedAt: expect.any(String) });
    expect(st.resources['task-definition'].outputs.revision).toBe(2);
    expect(st.answers.service.image).toBe('httpd:2.4.62');
  });

  it('the failure as one JSON document: the failure with its parts, the phases, exit 1', async () => {
    play('fail');
    const r = await cli(['deploy', STACK, '--image', 'httpd:9-broken-again', '--output', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: false, kind: 'deploy', revision: 4, release: { result: 'rolled-back' } });
    expect(doc.failure).toMatchObject({ revision: 4, reason: CIRCUIT_BREAKER, rolledBackTo: { revision: 2 }, unavailable: [] });
    expect(doc.failure.stoppedTasks[0]).toMatchObject({ stoppedReason: STOPPED_REASON, stopCode: 'TaskFailedToStart' });
    expect(doc.phases.find((p: { id: string }) => p.id === 'rollout-placing')).toMatchObject({ outcome: 'failed' });
  });

  it('rollback through the same phases, back to the previous good release', async () => {
    // GIVEN revision 2 runs (3 and 4 rolled back); the release before it that succeeded is the create's 1
    play('succeed');
    const r = await cli(['rollback', STACK, '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, kind: 'rollback', revision: 1, previousRevision: 2, release: { result: 'succeeded', kind: 'rollback' } });
    expect(doc.phases.filter((p: { id: string }) => p.id.startsWith('rollout-')).map((p: { outcome: string }) => p.outcome)).toEqual(['waited', 'waited', 'waited']);
    expect(aws.fired(ROLLOUT_RULE.targetHealth)).toBeGreaterThan(0);
    expect(await runningRevision()).toBe(1);
  });

  it('Ctrl-C during a rollout exits 130 with the release in progress; the same command again follows it to the end without changing anything', async () => {
    const s = play('succeed', { msPerState: 1500 });
    const run = startCli(args(['deploy', STACK, '--image', 'httpd:2.4.63']), { env: viaProxy(), cwd: dir });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/Placing tasks: 0\/2 tasks running/.test(run.stderrSoFar())) {
          clearInterval(timer);
          run.child.kill('SIGINT');
          resolve();
        }
      }, 20);
      run.child.once('close', () => {
        clearInterval(timer);
        reject(new Error(`deploy ended before the rollout:\n${run.stderrSoFar()}`));
      });
    });
    const first = await run.done;
    expect(first.code, first.stderr).toBe(130);
    const revision = Number(/the rollout of revision (\d+) goes on in AWS without us/.exec(first.stderr)?.[1]);
    expect(revision).toBeGreaterThan(1);
    expect(first.stderr).toContain(`Run \`ecs-wizard deploy ${STACK} --image httpd:2.4.63\` to follow it again`);
    expect(first.stderr).not.toMatch(/\n\s+at /);
    expect(state().releases.at(-1)).toMatchObject({ revision, result: 'in-progress' });
    expect(s.position()).toBeLessThan(7);
    // WHEN the same command runs again
    const again = await cli(['deploy', STACK, '--image', 'httpd:2.4.63', '--output', 'json']);
    // THEN it changes nothing, watches the rest, and settles the same release
    expect(again.code, again.stderr).toBe(0);
    const doc = JSON.parse(again.stdout);
    expect(doc).toMatchObject({ ok: true, unchanged: true, revision, calls: { mutating: 0 }, release: { revision, result: 'succeeded' } });
    const releases = state().releases.filter((x: { revision: number }) => x.revision === revision);
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ result: 'succeeded', endedAt: expect.any(String) });
  });
  it('a rerun of an interrupted deploy that ECS rolled back meanwhile does not send the broken revision again (without --force)', async () => {
    // GIVEN a deploy of a broken image stopped by Ctrl-C while its tasks were being placed
    const s = play('fail', { msPerState: 1000 });
    const run = startCli(args(['deploy', STACK, '--image', 'httpd:9-broken-unwatched']), { env: viaProxy(), cwd: dir });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/Placing tasks: 0\/2 tasks running/.test(run.stderrSoFar())) {
          clearInterval(timer);
          run.child.kill('SIGINT');
          resolve();
        }
      }, 20);
      run.child.once('close', () => {
        clearInterval(timer);
        reject(new Error(`deploy ended before the rollout:\n${run.stderrSoFar()}`));
      });
    });
    const first = await run.done;
    expect(first.code, first.stderr).toBe(130);
    const revision = Number(/the rollout of revision (\d+) goes on in AWS without us/.exec(first.stderr)?.[1]);
    const before = state().releases.at(-1);
    expect(before).toMatchObject({ revision, result: 'in-progress', deploymentId: expect.stringMatching(/^ecs-svc\//) });
    // AND while nobody watched, the circuit breaker failed it, rolled back, and the failed deployment left the service's list
    const deadline = Date.now() + 20_000;
    while (s.position() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(s.position()).toBeGreaterThanOrEqual(3);
    const updates = aws.fired(ROLLOUT_RULE.update);
    const mutatingBefore = aws.mutating().length;
    // WHEN the same command runs again "to follow it"
    const again = await cli(['deploy', STACK, '--image', 'httpd:9-broken-unwatched', '--output', 'json']);
    // THEN it refuses to send that revision again: exit 1, no request that changes anything
    expect(again.code, again.stderr).toBe(1);
    expect(aws.fired(ROLLOUT_RULE.update)).toBe(updates);
    expect(aws.mutating().slice(mutatingBefore)).toEqual([]);
    expect(again.stderr).toContain(`Error: Revision ${revision} is not sent again: ECS failed its deployment (rolled-back: ECS rolled back to revision ${before.previousRevision}).`);
    expect(again.stderr).toContain(`or add --force to send revision ${revision} again`);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, calls: { mutating: 0 } });
    // AND the release says how it ended (its recorded deployment, gone from the list, did happen), the service runs the revision before
    expect(state().releases.at(-1)).toMatchObject({ revision, result: 'rolled-back', note: `ECS rolled back to revision ${before.previousRevision}`, endedAt: expect.any(String) });
    expect(await runningRevision()).toBe(before.previousRevision);
  });
});

/**
 * One-off tasks and ECS Exec on the same stack, against the ECS the proxy plays (test/support/ecs-tasks.ts):
 * moto never stops a RunTask task and answers ExecuteCommand with HTTP 500. In-process, with fast
 * timing, except where the process itself is the point (Ctrl-C, the plugin's terminal).
 */
describe('run and exec', () => {
  let tasks: TaskProfile | undefined;
  let plugin: { dir: string; record: string };
  const n = stackNames(STACK);
  const profile = (o: TaskOptions = {}) => {
    tasks = tasksProfile(aws, { logGroup: n.logGroup, outputFor: (c) => [...c.join(' ').matchAll(/echo ([\w-]+)/g)].map((m) => m[1]!), ...o });
    aws.rules(tasks.rules);
    return tasks;
  };
  const inProcess = async (argv: string[], env: Record<string, string> = {}) => {
    let stdout = '';
    let stderr = '';
    let code = 0;
    const sink = (write: (s: string) => void) => new Writable({ write: (chunk, _enc, cb) => (write(String(chunk)), cb()) });
    const ctx: CliContext = {
      stdout: sink((s) => (stdout += s)),
      stderr: sink((s) => (stderr += s)),
      stdin: Readable.from([]),
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd: dir,
      isTTY: false,
      makeClients: (t) => new AwsClients({ ...t, endpointUrl: aws.endpoint, region: 'us-east-1', maxAttempts: 2, clientConfig: { credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } } }),
      timing: FAST_TIMING,
      signal: new AbortController().signal,
    };
    const program = buildProgram(async (load) => void (code = await load()), () => ctx);
    for (const cmd of [program, ...program.commands]) cmd.configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
    try {
      // (the state directory before `--`: what follows it is the container's command)
      await program.parseAsync(['node', 'ecs-wizard', argv[0]!, '--state-dir', dir, ...argv.slice(1)]);
    } catch (err) {
      code = err instanceof CommanderError ? (err.exitCode === 0 ? 0 : 2) : exitCodeFor(err);
      stderr += `Error: ${(err as Error).message}\n${isWizardError(err) && err.hint ? `Hint: ${err.hint}\n` : ''}`;
    }
    return { code, stdout, stderr };
  };
  const sent = (operation: string) => aws.requests.filter((r) => r.operation === operation);
  const ecs = () => new ECSClient(cfg());
  /** Through the proxy, as the tool sees ECS (its tasks move on each describe). */
  const viaEcs = () => new ECSClient({ ...cfg(), endpoint: aws.endpoint });

  beforeAll(() => {
    // A stand-in session-manager-plugin: records its arguments, exits with the code it is told.
    plugin = { dir: tempDir('smp-'), record: '' };
    plugin.record = path.join(plugin.dir, 'argv.json');
    writeFileSync(
      path.join(plugin.dir, 'session-manager-plugin'),
      `#!/bin/sh\n${JSON.stringify(process.execPath)} --input-type=commonjs -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))' ${JSON.stringify(plugin.record)} "$@"\nsleep "\${SMP_SLEEP:-0}"\nexit "\${SMP_EXIT:-0}"\n`,
      { mode: 0o755 },
    );
  });
  afterEach(async () => {
    await tasks?.close();
    tasks = undefined;
  });

  it('run STACK -- sh -c \'echo migrating; exit 3\': streams the output, says it waited for capacity, exits 3', async () => {
    profile();
    const r = await inProcess(['run', STACK, '--', 'sh', '-c', 'echo migrating; exit 3']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toBe('migrating\n');
    expect(r.stderr).toMatch(/task [0-9a-f-]+: waiting for capacity \(PROVISIONING\)/);
    expect(r.stderr).toMatch(/Task [0-9a-f-]+ exited with 3\./);
    expect(aws.fired(TASK_RULE.describeTasks)).toBeGreaterThanOrEqual(4);
    // AND the task was started the way the service's are: the stack's capacity provider, its group, tags, the command as an override
    const run = aws.requests.findIndex((q) => q.operation === 'RunTask');
    expect(run).toBeGreaterThanOrEqual(0);
    const [task] = [...tasks!.tasks.values()];
    expect(task!.command).toEqual(['sh', '-c', 'echo migrating; exit 3']);
  });

  it('run --output json -- true: exit 0 and the result document; the RunTask request carries group, startedBy, capacity provider and tags', async () => {
    profile();
    let body: Record<string, unknown> | undefined;
    aws.observe((req) => void (req.operation === 'RunTask' && (body = req.json)));
    const r = await inProcess(['run', STACK, '--env', 'DRY_RUN=1', '--output', 'json', '--', 'true']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ taskArn: expect.stringMatching(/:task\//), exitCode: 0, stoppedReason: 'Essential container in task exited', stopCode: 'EssentialContainerExited', startedAt: expect.any(String), stoppedAt: expect.any(String), calls: { mutating: 1 } });
    expect(body).toMatchObject({
      cluster: STACK,
      group: `run:${STACK}`,
      startedBy: 'ecs-wizard run',
      capacityProviderStrategy: [{ capacityProvider: n.capacityProvider, weight: 1, base: 0 }],
      overrides: { containerOverrides: [{ name: 'app', command: ['true'], environment: [{ name: 'DRY_RUN', value: '1' }] }] },
      enableExecuteCommand: false,
    });
    expect(body!.launchType).toBeUndefined();
    expect(body!.tags).toEqual(expect.arrayContaining([{ key: 'ecs-wizard:stack', value: STACK }, { key: 'ecs-wizard:service', value: STACK }]));
  });

  it('a task that never started (the image cannot be pulled): exit 1 with ECS\'s reason; the one-off --image revision is deregistered, the service untouched', async () => {
    profile({ unpullable: 'nope:404' });
    const svc = async () => (await ecs().send(new DescribeServicesCommand({ cluster: STACK, services: [STACK] }))).services![0]!.taskDefinition!;
    const before = await svc();
    const r = await inProcess(['run', STACK, '--image', 'nope:404', '--output', 'json', '--', './migrate']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`never ran its command: the task failed to start: ${PULL_FAILED}`);
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: null, stopCode: 'TaskFailedToStart', stoppedReason: PULL_FAILED, oneOffRevision: expect.stringMatching(new RegExp(`task-definition/${STACK}:\\d+$`)) });
    const oneOff = JSON.parse(r.stdout).oneOffRevision as string;
    const td = await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: oneOff, include: ['TAGS'] }));
    expect(td.taskDefinition).toMatchObject({ status: 'INACTIVE', containerDefinitions: [expect.objectContaining({ image: 'nope:404' })] });
    expect(td.tags).toEqual(expect.arrayContaining([{ key: 'ecs-wizard:run', value: 'one-off' }]));
    expect(sent('DeregisterTaskDefinition')).toHaveLength(1);
    expect(await svc()).toBe(before);
  });

  it('Ctrl-C with no terminal stops the task (StopTask), exit 130', async () => {
    profile({ callsPerState: 1000 });
    const run = startCli(['run', '--state-dir', dir, STACK, '--', 'sleep', '600'], { env: viaProxy(), cwd: dir });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/waiting for capacity \(PROVISIONING\)/.test(run.stderrSoFar())) {
          clearInterval(timer);
          run.child.kill('SIGINT');
          resolve();
        }
      }, 20);
      run.child.once('close', () => {
        clearInterval(timer);
        reject(new Error(`run ended before its task was placed:\n${run.stderrSoFar()}`));
      });
    });
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(aws.fired(TASK_RULE.stopTask)).toBe(1);
    expect(r.stderr).toMatch(/Stopping task [0-9a-f-]+ \(no terminal to ask\)/);
    expect(r.stderr).not.toContain('saving the state');
  });

  it('exec on a stack without ECS Exec: exit 2 naming service.exec, and no ExecuteCommand sent', async () => {
    profile();
    const r = await inProcess(['exec', STACK], { PATH: `${plugin.dir}:${process.env.PATH}` });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('ECS Exec check 1 of 5 failed: ECS Exec is off for the service shop-strict (service.exec is not true)');
    expect(r.stderr).toContain('Set service.exec: true in the answers file');
    expect(sent('ExecuteCommand')).toEqual([]);
  });

  it('the proxy\'s ECS refuses ExecuteCommand for a task not started with ECS Exec, with ECS\'s own error on the wire', async () => {
    const t = profile();
    const d = await inProcess(['run', STACK, '--detach', '--', 'sleep', '3600']);
    const arn = d.stdout.trim();
    expect(t.tasks.get(arn.split('/').pop()!)).toMatchObject({ exec: false });
    const err = await viaEcs()
      .send(new ExecuteCommandCommand({ cluster: STACK, task: arn, container: 'app', command: '/bin/sh', interactive: true }))
      .then(() => undefined, (e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode?: number } });
    expect(err).toMatchObject({ name: 'InvalidParameterException', message: EXEC_NOT_ENABLED, $metadata: { httpStatusCode: 400 } });
    expect(isExecuteCommandRefused(err)).toBe(true);
    expect(aws.fired(TASK_RULE.executeCommandRefused)).toBe(1);
  });

  describe('with exec: true in the answers', () => {
    let detached = '';
    const role = `${STACK}-ecs-task`;
    it('create turns ECS Exec on: the service allows it with a new deployment, a task role (within the boundary) opens the channels, the revision names it; a rerun changes nothing', async () => {
      // GIVEN the stack as it runs (its recorded answers), WHEN exec: true is added and create runs
      const recorded = state().answers;
      const file = path.join(dir, 'exec.json');
      writeFileSync(file, JSON.stringify({ ...recorded, service: { ...recorded.service, exec: true } }));
      const r = await cli(['create', '--answers', file, '--yes', '--no-wait', '--output', 'json']);
      expect(r.code, r.stderr).toBe(0);
      // THEN the role was made, the channels put on it, a revision registered with it, and the service updated once with both
      const ops = aws.mutating().map((q) => q.operation);
      expect(ops).toEqual(expect.arrayContaining(['CreateRole', 'PutRolePolicy', 'RegisterTaskDefinition', 'UpdateService']));
      expect(ops.filter((o) => o === 'UpdateService')).toHaveLength(1);
      const iam = new IAMClient(cfg());
      const made = (await iam.send(new GetRoleCommand({ RoleName: role }))).Role!;
      expect(made.PermissionsBoundary?.PermissionsBoundaryArn).toBe('arn:aws:iam::123456789012:policy/ecs-wizard-boundary');
      const policy = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'ecs-exec' }))).PolicyDocument!));
      expect(policy.Statement[0].Action).toEqual(['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel']);
      iam.destroy();
      const svc = (await ecs().send(new DescribeServicesCommand({ cluster: STACK, services: [STACK] }))).services![0]!;
      expect(svc.enableExecuteCommand).toBe(true);
      expect((await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }))).taskDefinition?.taskRoleArn).toBe(made.Arn);
      // WHEN it runs again THEN nothing changes
      aws.clear();
      const again = await cli(['create', '--answers', file, '--yes', '--no-wait', '--output', 'json']);
      expect(again.code, again.stderr).toBe(0);
      expect(aws.mutating()).toEqual([]);
    });

    it('run --detach prints the task ARN at once; exec --task into it starts session-manager-plugin with the AWS CLI\'s arguments and returns its exit status', async () => {
      const t = profile();
      const d = await inProcess(['run', STACK, '--detach', '--', 'sleep', '3600']);
      expect(d.code, d.stderr).toBe(0);
      detached = d.stdout.trim();
      expect(detached).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task\//);
      const id = detached.split('/').pop()!;
      expect(t.tasks.get(id)).toMatchObject({ exec: true });
      expect(sent('DescribeTasks')).toEqual([]);
      // WHEN exec reaches it (a few describes: the task is running by then)
      for (let i = 0; i < 3; i++) await viaEcs().send(new DescribeTasksCommand({ cluster: STACK, tasks: [detached] })).catch(() => undefined);
      const r = await inProcess(['exec', STACK, '--task', id.slice(0, 12), '--', 'ls', '-la', '/app'], { PATH: `${plugin.dir}:${process.env.PATH}`, SMP_EXIT: '7' });
      // THEN ExecuteCommand went out, and the plugin got exactly what the AWS CLI passes
      expect(r.code, r.stderr).toBe(7);
      expect(aws.fired(TASK_RULE.executeCommand)).toBe(1);
      const argv = JSON.parse(readFileSync(plugin.record, 'utf8')) as string[];
      expect(argv).toHaveLength(6);
      expect(JSON.parse(argv[0]!)).toEqual({ sessionId: `ecs-execute-command-${id.slice(0, 17)}`, streamUrl: expect.stringMatching(/^wss:\/\/ssmmessages\.us-east-1\.amazonaws\.com\/v1\/data-channel\//), tokenValue: `AAEAA${id}token` });
      expect(argv.slice(1, 4)).toEqual(['us-east-1', 'StartSession', '']);
      expect(JSON.parse(argv[4]!)).toEqual({ Target: `ecs:${STACK}_${id}_${id}-00000000` });
      expect(argv[5]).toBe(aws.endpoint);
      const call = aws.requests.filter((q) => q.operation === 'SimulatePrincipalPolicy');
      expect(call).toHaveLength(2);
      expect(aws.fired(TASK_RULE.simulate)).toBe(2);
    });

    it('Ctrl-C while the session runs is the session\'s: the CLI neither aborts nor quits, and exits with the plugin\'s status', async () => {
      profile();
      const d = await inProcess(['run', STACK, '--detach', '--', 'sleep', '3600']);
      const id = d.stdout.trim().split('/').pop()!;
      for (let i = 0; i < 3; i++) await viaEcs().send(new DescribeTasksCommand({ cluster: STACK, tasks: [id] }));
      rmSync(plugin.record, { force: true });
      const env = { ...viaProxy(), PATH: `${plugin.dir}:${process.env.PATH}`, SMP_SLEEP: '1.5', SMP_EXIT: '4' };
      const session = startCli(['exec', '--state-dir', dir, STACK, '--task', id], { env, cwd: dir });
      // WHEN the session has started (the plugin wrote its record), Ctrl-C twice reaches the CLI's process
      const deadline = Date.now() + 20_000;
      while (!existsSync(plugin.record) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(plugin.record), session.stderrSoFar()).toBe(true);
      session.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 100));
      session.child.kill('SIGINT');
      // THEN it waits for the plugin and exits with its status, saying nothing of an interruption
      const r = await session.done;
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).not.toContain('Interrupted');
    });

    it('without session-manager-plugin on PATH: check 4 fails with how to install it, no ExecuteCommand', async () => {
      profile();
      // (the task of the last test is one the proxy no longer plays: run another)
      const d = await inProcess(['run', STACK, '--detach', '--', 'sleep', '3600']);
      const id = d.stdout.trim().split('/').pop()!;
      for (let i = 0; i < 3; i++) await viaEcs().send(new DescribeTasksCommand({ cluster: STACK, tasks: [id] }));
      const r = await inProcess(['exec', STACK, '--task', id], { PATH: '/nonexistent' });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('ECS Exec check 4 of 5 failed: session-manager-plugin is not installed here');
      expect(r.stderr).toMatch(/session-manager-downloads\/plugin\/latest\/(ubuntu_64bit|ubuntu_arm64)\/session-manager-plugin\.deb/);
      expect(sent('ExecuteCommand')).toEqual([]);
    });

    it('a task the caller may not ExecuteCommand on: check 5 names ecs:ExecuteCommand', async () => {
      profile({ callerMay: (a) => a !== 'ecs:ExecuteCommand' });
      const d = await inProcess(['run', STACK, '--detach', '--', 'sleep', '3600']);
      const id = d.stdout.trim().split('/').pop()!;
      for (let i = 0; i < 3; i++) await viaEcs().send(new DescribeTasksCommand({ cluster: STACK, tasks: [id] }));
      const r = await inProcess(['exec', STACK, '--task', id], { PATH: `${plugin.dir}:${process.env.PATH}` });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/ECS Exec check 5 of 5 failed: you \(arn:aws:(iam|sts)::123456789012:[^)]+\) may not ecs:ExecuteCommand on task/);
      expect(sent('ExecuteCommand')).toEqual([]);
    });
  });
});
