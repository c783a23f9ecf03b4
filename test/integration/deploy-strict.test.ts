import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { CIRCUIT_BREAKER, ROLLOUT_RULE, STOPPED_REASON, simulatedRollout, type SimulatedRollout } from '../support/ecs-rollout.js';
import { registerFakeAgents } from '../support/fake-agent.js';
import { stackNames } from '../../src/steps/names.js';
import { tempDir } from '../support/stack.js';
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
