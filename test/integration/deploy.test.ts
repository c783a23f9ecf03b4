import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRepositoriesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { PassThrough, Writable } from 'node:stream';
import { AwsClients } from '../../src/aws/clients.js';
import { create } from '../../src/cli/commands/create.js';
import type { CliContext } from '../../src/cli/context.js';
import type { Prompter } from '../../src/wizard/prompter.js';
import { startMoto, type Moto } from '../support/moto.js';
import { FAST_TIMING, tempDir } from '../support/stack.js';
import { cliEnv, runCli, startCli } from '../e2e/cli.js';

/**
 * Day 2 on moto, through the built CLI: deploy (image, variables, --force, a no-op), rollback,
 * the release history, create converging back to its answers file, logs (one-shot, per task,
 * JSON lines, --follow), and the first image of a stack's own ECR repository. moto runs no tasks:
 * every service reports 2 running (MOTO_ECS_SERVICE_RUNNING), and its deployments never follow an
 * update, so these rollouts end by the services-stable rule (the AWS-like path is tested through
 * the strict harness in deploy-strict.test.ts).
 */
const STACK = 'shop-deploy';
let moto: Moto;
let dir: string;
let home: string;
const cfg = () => ({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const cli = (args: string[]) => runCli([...args, '--state-dir', dir], { env: cliEnv(moto.env(), home), cwd: dir });
const json = async (args: string[]) => {
  const r = await cli([...args, '--output', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const answers = (name: string, doc: object): string => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ stack: STACK, region: 'us-east-1', ...doc }));
  return file;
};
const state = () => JSON.parse(readFileSync(path.join(dir, `${STACK}.json`), 'utf8'));

async function service(stack = STACK) {
  const ecs = new ECSClient(cfg());
  try {
    return (await ecs.send(new DescribeServicesCommand({ cluster: stack, services: [stack] }))).services![0]!;
  } finally {
    ecs.destroy();
  }
}
async function taskDefinition(arn: string) {
  const ecs = new ECSClient(cfg());
  try {
    return (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition!;
  } finally {
    ecs.destroy();
  }
}
async function scalableBounds(): Promise<[number | undefined, number | undefined]> {
  const aas = new ApplicationAutoScalingClient(cfg());
  try {
    const t = (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/${STACK}/${STACK}`] }))).ScalableTargets![0]!;
    return [t.MinCapacity, t.MaxCapacity];
  } finally {
    aas.destroy();
  }
}
async function revisionCount(): Promise<number> {
  const ecs = new ECSClient(cfg());
  try {
    return (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: STACK, status: 'ACTIVE' }))).taskDefinitionArns!.length;
  } finally {
    ecs.destroy();
  }
}

let original = '';

beforeAll(async () => {
  moto = await startMoto({ serviceRunning: 2 });
  dir = tempDir('deploy-');
  home = tempDir('deploy-home-');
  original = answers('answers.json', { service: { image: 'httpd:2.4', environment: { GREETING: 'hello' } } });
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

describe('deploy, rollback and releases on moto', () => {
  it('create records the first release', async () => {
    const r = await cli(['create', '--answers', original, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    const { releases } = await json(['releases', STACK]);
    expect(releases).toEqual([expect.objectContaining({ revision: 1, image: 'httpd:2.4', result: 'succeeded', kind: 'create', startedAt: expect.any(String), changed: [] })]);
  });

  it('deploy registers from the running revision with only the asked changes, keeps what ecs-wizard does not manage, and records the answers (secrets redacted)', async () => {
    // GIVEN someone changed the running revision by hand: a task role, a volume, a label
    const ecs = new ECSClient(cfg());
    const current = await taskDefinition((await service()).taskDefinition!);
    const byHand = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: STACK,
        networkMode: 'bridge',
        executionRoleArn: current.executionRoleArn,
        taskRoleArn: 'arn:aws:iam::123456789012:role/shop-deploy-task',
        volumes: [{ name: 'scratch', host: {} }],
        containerDefinitions: [{ ...current.containerDefinitions![0]!, dockerLabels: { team: 'web' } }],
      }),
    );
    await ecs.send(new UpdateServiceCommand({ cluster: STACK, service: STACK, taskDefinition: byHand.taskDefinition!.taskDefinitionArn }));
    ecs.destroy();
    // WHEN deploy changes the image and two variables
    const r = await cli(['deploy', STACK, '--image', 'httpd:2.4.62', '--env', 'LOG_LEVEL=debug', '--env', 'API_TOKEN=s3cret', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    // THEN one new revision, one service update, and the rollout watched to its end
    expect(result).toMatchObject({ ok: true, kind: 'deploy', revision: 3, previousRevision: 2, image: 'httpd:2.4.62', changed: ['API_TOKEN', 'LOG_LEVEL'], unchanged: false, calls: { mutating: 2 } });
    expect(result.release).toMatchObject({ revision: 3, result: 'succeeded', kind: 'deploy', changed: ['API_TOKEN', 'LOG_LEVEL'], by: expect.stringMatching(/.+@.+/) });
    expect(result.phases.map((p: { id: string; outcome: string }) => `${p.id} ${p.outcome}`)).toEqual([
      'task-definition created',
      'service created',
      'rollout-placing waited',
      'rollout-healthy waited',
      'rollout-draining waited',
    ]);
    // AND the new revision is the hand-made one with the image and variables changed, nothing else
    const svc = await service();
    expect(svc.taskDefinition).toBe(result.release.taskDefinitionArn);
    const td = await taskDefinition(svc.taskDefinition!);
    expect(td).toMatchObject({ taskRoleArn: 'arn:aws:iam::123456789012:role/shop-deploy-task', volumes: [{ name: 'scratch', host: {} }] });
    expect(td.containerDefinitions![0]).toMatchObject({ image: 'httpd:2.4.62', dockerLabels: { team: 'web' } });
    expect(td.containerDefinitions![0]!.environment).toEqual([{ name: 'API_TOKEN', value: 's3cret' }, { name: 'GREETING', value: 'hello' }, { name: 'LOG_LEVEL', value: 'debug' }]);
    // AND the state's answers say what runs, without the secret-looking value, and the user was warned
    const s = state();
    expect(s.answers.service).toMatchObject({ image: 'httpd:2.4.62', environment: { API_TOKEN: '***', GREETING: 'hello', LOG_LEVEL: 'debug' } });
    expect(JSON.stringify(s)).not.toContain('s3cret');
    expect(s.resources['task-definition'].outputs.revision).toBe(3);
    expect(r.stderr).toContain('API_TOKEN looks secret');
  });

  it('deploy --force starts a new deployment of the same revision; progress reads as plain lines, the result as one line', async () => {
    const before = await service();
    const revisions = await revisionCount();
    // WHEN forced, in text mode without a terminal
    const r = await cli(['deploy', STACK, '--force']);
    expect(r.code, r.stderr).toBe(0);
    // THEN the same revision, a new deployment, no new revision registered
    const after = await service();
    expect(after.taskDefinition).toBe(before.taskDefinition);
    expect(after.deployments![0]!.id).not.toBe(before.deployments![0]!.id);
    expect(await revisionCount()).toBe(revisions);
    // AND one timestamped line per event, the phases in order
    const lines = r.stderr.split('\n').map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''));
    const order = ['Task definition: ready', 'ECS service: updating', 'ECS service: updated', 'Placing tasks: ready', 'Targets healthy: ready', 'Draining old tasks: ready'];
    const at = order.map((o) => lines.findIndex((l) => l.startsWith(o)));
    expect(at.every((i) => i >= 0), r.stderr).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(r.stderr).not.toContain('\x1b[');
    expect(r.stdout).toMatch(/^\n✔ Deployed shop-deploy: revision 3 \(httpd:2\.4\.62\) in \d/);
    expect((await json(['releases', STACK])).releases[0]).toMatchObject({ revision: 3, kind: 'force', result: 'succeeded' });
  });

  it('a deploy that changes nothing changes nothing: no revision, no update, no release', async () => {
    const count = (await json(['releases', STACK])).releases.length;
    const result = await json(['deploy', STACK, '--image', 'httpd:2.4.62', '--env', 'LOG_LEVEL=debug']);
    expect(result).toMatchObject({ ok: true, unchanged: true, revision: 3, calls: { mutating: 0 } });
    expect((await json(['releases', STACK])).releases).toHaveLength(count);
  });

  it('rollback goes to the previous successful release, --to to the one named; the answers follow', async () => {
    // WHEN rolled back: the release before revision 3 that succeeded is the create's revision 1
    const back = await json(['rollback', STACK]);
    expect(back).toMatchObject({ ok: true, kind: 'rollback', revision: 1, previousRevision: 3, image: 'httpd:2.4', changed: ['API_TOKEN', 'LOG_LEVEL'], calls: { mutating: 1 } });
    expect((await service()).taskDefinition).toMatch(/:1$/);
    expect(state().answers.service).toMatchObject({ image: 'httpd:2.4', environment: { GREETING: 'hello' } });
    // AND forward again by number
    const forward = await json(['rollback', STACK, '--to', '3']);
    expect(forward).toMatchObject({ revision: 3, image: 'httpd:2.4.62' });
    expect((await service()).taskDefinition).toMatch(/:3$/);
  });

  it('create --answers naming what runs makes no change; the original answers are shown as a revert first, then converged to', async () => {
    // GIVEN a last deploy
    await json(['deploy', STACK, '--env', 'LOG_LEVEL=info']);
    // WHEN create gets answers that name exactly what runs THEN it makes 0 mutating calls and no release
    const running = answers('running.json', { service: { image: 'httpd:2.4.62', environment: { GREETING: 'hello', LOG_LEVEL: 'info', API_TOKEN: 's3cret' } } });
    const releases = (await json(['releases', STACK])).releases.length;
    const same = await json(['create', '--answers', running, '--yes']);
    expect(same.calls.mutating).toBe(0);
    expect((await json(['releases', STACK])).releases).toHaveLength(releases);
    // WHEN the original answers are planned THEN the plan says what it changes back, by name only
    const plan = await cli(['create', '--answers', original, '--yes', '--dry-run']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('Changes to what runs\n  image httpd:2.4.62 → httpd:2.4 (reverts the last deploy)\n  environment -API_TOKEN, -LOG_LEVEL (reverts the last deploy)\n');
    // AND create converges to them, saying so first, and records the release
    const r = await cli(['create', '--answers', original, '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('This create changes what the service runs: image httpd:2.4.62 → httpd:2.4 (reverts the last deploy)');
    const td = await taskDefinition((await service()).taskDefinition!);
    expect(td.containerDefinitions![0]).toMatchObject({ image: 'httpd:2.4', environment: [{ name: 'GREETING', value: 'hello' }] });
    const list = (await json(['releases', STACK])).releases;
    expect(list[0]).toMatchObject({ kind: 'create', image: 'httpd:2.4', result: 'succeeded', changed: ['API_TOKEN', 'LOG_LEVEL'] });
    // AND a rerun changes nothing
    expect((await json(['create', '--answers', original, '--yes'])).calls.mutating).toBe(0);
  });

  it('releases lists the history newest first (text and JSON)', async () => {
    const { releases } = await json(['releases', STACK]);
    expect(releases.map((r: { revision: number; kind: string }) => `${r.revision} ${r.kind}`)).toEqual(['5 create', '4 deploy', '3 rollback', '1 rollback', '3 force', '3 deploy', '1 create']);
    for (const r of releases) expect(r).toEqual(expect.objectContaining({ revision: expect.any(Number), image: expect.any(String), result: 'succeeded', startedAt: expect.any(String), durationMs: expect.any(Number) }));
    const text = await cli(['releases', STACK]);
    const rows = text.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^REVISION +IMAGE +RESULT +STARTED \(UTC\) +DURATION +BY/);
    expect(rows[1]).toMatch(/^5 +httpd:2\.4 +succeeded \(create\) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +[\d.]+ s +\S+@\S+/);
    expect(rows).toHaveLength(8);
  });
});

describe('create --answers after scale (issue 27)', () => {
  it('the review names what it sets back and who set it, and asks while holding the lock; --yes sets it back and says so', async () => {
    // GIVEN `scale --max-count 10`, recorded with who did it
    expect(await json(['scale', STACK, '--max-count', '10'])).toMatchObject({ ok: true, service: { maxCount: 10 } });
    const set = state().changedBy['scaling.service.maxCount'];
    expect(set).toEqual({ by: 'scale', flag: '--max-count', at: expect.any(String), user: expect.stringMatching(/.@./) });
    const said = `service scaling max 10 → 6 (set by scale on ${set.at.slice(0, 10)} ${set.at.slice(11, 16)} by ${set.user})`;
    // AND an answers file that still says 6 (every other answer as recorded)
    const recorded = state().answers;
    const file = path.join(dir, 'stack.json');
    writeFileSync(file, JSON.stringify({ ...recorded, scaling: { ...recorded.scaling, service: { ...recorded.scaling.service, maxCount: 6 } } }));
    const change = { path: 'scaling.service.maxCount', from: 10, to: 6, text: said, changedBy: set };

    // WHEN planned THEN the dry run's JSON lists the change, with who set it
    const plan = await json(['create', '--answers', file, '--yes', '--dry-run']);
    expect(plan.changes).toEqual([change]);
    expect(plan.plan.changes).toEqual([said]);

    // WHEN create runs in a terminal, and a scale from another shell comes while it asks
    let stdout = '';
    let question = '';
    let review = '';
    let meanwhile: Awaited<ReturnType<typeof cli>> | undefined;
    const sink = (write: (t: string) => void) => new Writable({ write: (chunk, _enc, cb) => (write(String(chunk)), cb()) });
    // Answers every other question with its default (the file leaves only optional ones).
    const prompter = {
      input: async (q: { default?: string }) => q.default ?? '',
      number: async (q: { default?: number }) => q.default,
      select: async (q: { default?: unknown; choices: { value: unknown }[] }) => q.default ?? q.choices[0]!.value,
      checkbox: async (q: { choices: { value: unknown; checked?: boolean }[] }) => q.choices.filter((c) => c.checked).map((c) => c.value),
      confirm: async (q: { message: string; default?: boolean }) => {
        if (!q.message.startsWith('Create these resources')) return q.default ?? false;
        question = q.message;
        review = stdout;
        meanwhile = await cli(['scale', STACK, '--desired-count', '3']);
        return false;
      },
    } as unknown as Prompter;
    const ctx: CliContext = {
      stdout: sink((t) => (stdout += t)),
      stderr: sink(() => undefined),
      stdin: new PassThrough(),
      env: cliEnv(moto.env(), home),
      cwd: dir,
      isTTY: true,
      makeClients: (target) => new AwsClients(target),
      timing: FAST_TIMING,
      signal: new AbortController().signal,
      prompter: async () => prompter,
    };
    const code = await create({ answers: file, stateDir: dir, endpointUrl: moto.endpoint }, ctx);
    // THEN the review showed the change and the question named it (default no)
    expect(review).toContain(`Changes to what runs\n  ${said}\n`);
    expect(question).toBe('Create these resources, setting back a value set by scale?');
    // AND the other shell's scale was refused: the lock was create's while it asked (exit 1, naming it)
    expect(meanwhile?.code, meanwhile?.stderr).toBe(1);
    expect(meanwhile?.stderr).toMatch(/Stack "shop-deploy" is locked by .*\(create\)/);
    // AND answering no changed nothing, and said how to keep the value
    expect(code).toBe(0);
    expect(stdout).toContain(`Nothing was created.\nTo keep it, set it in ${file}:\n  scaling.service.maxCount: 10\n`);
    expect(await scalableBounds()).toEqual([1, 10]);
    expect(state().changedBy['scaling.service.maxCount']).toEqual(set);

    // WHEN create runs with --yes
    const r = await cli(['create', '--answers', file, '--yes', '--output', 'json']);
    // THEN it says what it sets back, sets it back, and the record no longer claims scale set it
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: This create changes what the service runs: ${said}\n`);
    expect(JSON.parse(r.stdout).changes).toEqual([change]);
    expect(await scalableBounds()).toEqual([1, 6]);
    expect(state().changedBy).toBeUndefined();
    // AND a rerun has nothing to say and changes nothing
    const again = await cli(['create', '--answers', file, '--yes', '--output', 'json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ changes: [], calls: { mutating: 0 } });
    expect(again.stderr).not.toContain('This create changes');
  }, 120_000);
});

describe('a release nobody watched to its end', () => {
  it('deploy --no-wait leaves it in progress; releases shows how it ended without writing; the next deploy records it', async () => {
    // WHEN deployed without watching
    const started = await json(['deploy', STACK, '--env', 'FEATURE=on', '--no-wait']);
    expect(started.release).toMatchObject({ result: 'in-progress' });
    expect(started.release.endedAt).toBeUndefined();
    expect(started.phases.filter((p: { id: string }) => p.id.startsWith('rollout-')).map((p: { outcome: string }) => p.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
    // THEN releases settles it from the service (moto: the services-stable rule), but only in what it shows
    const shown = (await json(['releases', STACK])).releases[0];
    expect(shown).toMatchObject({ revision: started.revision, result: 'succeeded', endedAt: expect.any(String) });
    expect(state().releases.at(-1)).toMatchObject({ revision: started.revision, result: 'in-progress' });
    // AND the next command that holds the lock writes it down
    const again = await json(['deploy', STACK, '--env', 'FEATURE=on']);
    expect(again).toMatchObject({ unchanged: true, calls: { mutating: 0 } });
    expect(state().releases.at(-1)).toMatchObject({ revision: started.revision, result: 'succeeded' });
  });
});

describe('logs on moto', () => {
  const T1 = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
  const T2 = 'ffeeddccbbaa00998877665544332211';
  const group = `/ecs/${STACK}`;

  async function put(task: string, events: { ago: number; message: string }[]): Promise<void> {
    const logs = new CloudWatchLogsClient(cfg());
    try {
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: `ecs/app/${task}` })).catch(() => undefined);
      await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: `ecs/app/${task}`, logEvents: events.map((e) => ({ timestamp: Date.now() - e.ago, message: e.message })) }));
    } finally {
      logs.destroy();
    }
  }

  beforeAll(async () => {
    // GIVEN two tasks' output in the stack's log group, interleaved in time, and an old line
    await put(T1, [{ ago: 3 * 3600_000, message: 'old start' }, { ago: 50_000, message: 'GET / 200' }, { ago: 30_000, message: 'ERROR upstream timed out' }]);
    await put(T2, [{ ago: 40_000, message: 'GET /health 200' }, { ago: 20_000, message: 'GET / 200' }]);
  });

  it('prints events in time order, each with its task id; JSON is one object per line', async () => {
    const r = await cli(['logs', STACK, '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.task} ${l.message}`)).toEqual([`${T1} GET / 200`, `${T2} GET /health 200`, `${T1} ERROR upstream timed out`, `${T2} GET / 200`]);
    expect(Object.keys(lines[0]).sort()).toEqual(['message', 'stream', 'task', 'timestamp']);
    expect(lines[0].stream).toBe(`ecs/app/${T1}`);
    const text = await cli(['logs', STACK, '--since', '4h']);
    const rows = text.stdout.trim().split('\n');
    expect(rows[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${T1.slice(0, 12)} old start$`));
    expect(rows).toHaveLength(5);
  });

  it('--task and --filter narrow it down', async () => {
    const one = await cli(['logs', STACK, '--task', T2.slice(0, 8), '--output', 'json']);
    expect(one.stdout.trim().split('\n').map((l) => JSON.parse(l).task)).toEqual([T2, T2]);
    const errors = await cli(['logs', STACK, '--filter', 'ERROR', '--output', 'json']);
    expect(errors.stdout.trim().split('\n').map((l) => JSON.parse(l).message)).toEqual(['ERROR upstream timed out']);
  });

  it('--follow prints new events as they come and Ctrl-C ends it with exit 0', async () => {
    const run = startCli(['logs', STACK, '--follow', '--output', 'json', '--state-dir', dir], { env: cliEnv(moto.env(), home), cwd: dir });
    let out = '';
    run.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const until = async (pred: () => boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`never saw ${what}:\n${out}\n${run.stderrSoFar()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until(() => out.split('\n').filter(Boolean).length >= 4, 'the first events');
    // WHEN a task logs something new
    await put(T2, [{ ago: 0, message: 'a fresh line' }]);
    // THEN it appears, once
    await until(() => out.includes('a fresh line'), 'the new event');
    run.child.kill('SIGINT');
    const end = await run.done;
    expect(end.code, end.stderr).toBe(0);
    expect(out.split('\n').filter((l) => l.includes('a fresh line'))).toHaveLength(1);
    expect(end.stderr).not.toContain('Interrupted');
  });
});

describe('the first image of the stack\'s own ECR repository', () => {
  const ECR_STACK = 'shop-ecr';
  const REPO = 'shop-ecr-app';
  let uri = '';
  const ecrAnswers = () => {
    const file = path.join(dir, 'ecr.json');
    writeFileSync(file, JSON.stringify({ stack: ECR_STACK, region: 'us-east-1', network: { vpcCidr: '10.82.0.0/16', subnetCidrs: ['10.82.0.0/24', '10.82.1.0/24'] }, service: { ecrRepository: REPO, desiredCount: 2 }, scaling: { service: { minCount: 1, maxCount: 4 } } }));
    return file;
  };

  it('a tag not pushed yet is refused with the push commands; once pushed, the service starts at the answers\' count and scaling minimum', async () => {
    // GIVEN a stack waiting at 0 tasks for its first image
    expect((await cli(['create', '--answers', ecrAnswers(), '--yes', '--no-wait'])).code).toBe(0);
    const ecr = new ECRClient(cfg());
    uri = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [REPO] }))).repositories![0]!.repositoryUri!;
    expect((await service(ECR_STACK)).desiredCount).toBe(0);
    // WHEN v1 is deployed before it is pushed THEN exit 1 with the exact push commands, nothing changed
    const refused = await cli(['deploy', ECR_STACK, '--image', `${uri}:v1`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`docker push ${uri}:v1`);
    expect(refused.stderr).toContain(`ecs-wizard deploy ${ECR_STACK} --image ${uri}:v1`);
    expect((await service(ECR_STACK)).desiredCount).toBe(0);
    // WHEN it is pushed and deployed
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: `sha256:${'b'.repeat(64)}` }, layers: [] };
    await ecr.send(new PutImageCommand({ repositoryName: REPO, imageTag: 'v1', imageManifest: JSON.stringify(manifest) }));
    ecr.destroy();
    const r = await cli(['deploy', ECR_STACK, '--image', `${uri}:v1`, '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    // THEN the service runs v1 at 2 tasks, scaling may not go below 1 again, and nothing waits for an image
    const svc = await service(ECR_STACK);
    expect(svc.desiredCount).toBe(2);
    expect((await taskDefinition(svc.taskDefinition!)).containerDefinitions![0]!.image).toBe(`${uri}:v1`);
    const aas = new ApplicationAutoScalingClient(cfg());
    const target = (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/${ECR_STACK}/${ECR_STACK}`] }))).ScalableTargets![0]!;
    aas.destroy();
    expect(target.MinCapacity).toBe(1);
    const s = JSON.parse(readFileSync(path.join(dir, `${ECR_STACK}.json`), 'utf8'));
    expect(s.resources.service.outputs.imageMissing).toBeUndefined();
    const status = JSON.parse((await cli(['status', ECR_STACK, '--output', 'json'])).stdout);
    expect(status.image).toEqual({ uri: `${uri}:v1`, present: true });
    expect(status.release).toMatchObject({ kind: 'deploy', result: 'succeeded', image: `${uri}:v1`, revision: 2 });
    expect((await cli(['status', ECR_STACK])).stdout).toMatch(new RegExp(`Release: revision 2 \\(${uri.replace(/[.]/g, '\\.')}:v1\\) succeeded — deploy by \\S+@\\S+ at \\d{4}-`));
    // AND the answers file without a tag would go back to :latest — which the plan says first
    const plan = await cli(['create', '--answers', ecrAnswers(), '--yes', '--dry-run']);
    expect(plan.stdout).toContain(`image ${uri}:v1 → ${uri}:latest (reverts the last deploy)`);
  });
});
