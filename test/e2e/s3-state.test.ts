import { promises as fs, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { cliEnv, runCli, startCli, type CliRun } from './cli.js';

/**
 * Remote state through the built CLI: `--state-dir s3://BUCKET/PREFIX` for every command, the
 * lock object between two processes, a kill -9 and `unlock`, --lock-timeout, a corrupt object,
 * a write that lost its race, `state init` and `state migrate`. Every command runs in an empty
 * working directory that must stay empty: with remote state nothing is written locally.
 */
const BUCKET = 'e2e-team-state';
const STATE = `s3://${BUCKET}/teams`;
let moto: Moto;
let home: string;
let cwd: string;
let files: string;
let env: Record<string, string>;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'ecs-wizard-s3-home-'));
  cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'ecs-wizard-s3-cwd-'));
  files = await fs.mkdtemp(path.join(os.tmpdir(), 'ecs-wizard-s3-files-'));
  env = cliEnv(moto.env(), home);
  s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  for (const d of [home, cwd, files]) if (d) await fs.rm(d, { recursive: true, force: true });
});

/** Runs the CLI in the empty working directory, and checks it is still empty afterwards. */
async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  const r = await runCli(args, { env: { ...env, ...extraEnv }, cwd });
  expect(readdirSync(cwd), `files left in the working directory by: ${args.join(' ')}`).toEqual([]);
  return r;
}

async function answersFile(stack: string): Promise<string> {
  const file = path.join(files, `${stack}.json`);
  await fs.writeFile(file, JSON.stringify({ stack, region: 'us-east-1' }));
  return file;
}

const createArgs = async (stack: string, more: string[] = []): Promise<string[]> => [
  'create',
  '--answers',
  await answersFile(stack),
  '--yes',
  '--no-wait',
  '--state-dir',
  STATE,
  ...more,
];

async function text(key: string): Promise<string | undefined> {
  try {
    return await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
  } catch {
    return undefined;
  }
}

const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('ecs-wizard state init', () => {
  it("creates the bucket with versioning, default encryption, public access blocked and the prefix's lifecycle rule; a second run makes no change", async () => {
    // WHEN state init runs on a new bucket, then again (through a proxy that counts its calls)
    const first = await cli(['state', 'init', `s3://${BUCKET}`, '--output', 'json']);
    const proxy = await startStrictAws(moto.endpoint);
    const second = await cli(['state', 'init', `s3://${BUCKET}`, '--output', 'json', '--endpoint-url', proxy.endpoint]).finally(() => proxy.stop());
    // THEN the bucket has all four settings, and the second run found them in place: it only read
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ bucket: BUCKET, created: true, changed: ['versioning', 'encryption', 'publicAccessBlock', 'lifecycle'], stateDir: `s3://${BUCKET}/ecs-wizard` });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ created: false, changed: [] });
    expect(proxy.requests.map((r) => r.operation)).toContain('GetBucketLifecycleConfiguration');
    expect(proxy.mutating()).toEqual([]);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: BUCKET }));
    expect(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    // AND the lifecycle rule covers the state prefix's replaced versions: a month, and the newest 100 for ever
    const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }));
    expect(lifecycle.Rules).toMatchObject([
      { ID: 'ecs-wizard ecs-wizard/', Status: 'Enabled', Filter: { Prefix: 'ecs-wizard/' }, NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Expiration: { ExpiredObjectDeleteMarker: true } },
    ]);

    // WHEN it runs for another prefix of the same bucket
    const third = await cli(['state', 'init', STATE, '--output', 'json']);
    // THEN that prefix gets its own rule, and the first one stays
    expect(JSON.parse(third.stdout)).toMatchObject({ changed: ['lifecycle'], stateDir: STATE });
    const after = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }));
    expect(after.Rules?.map((r) => [r.ID, r.Filter?.Prefix])).toEqual([
      ['ecs-wizard ecs-wizard/', 'ecs-wizard/'],
      ['ecs-wizard teams/', 'teams/'],
    ]);
  });
});

describe('bad input about remote state: exit 2, the field named, no request made', () => {
  let proxy: StrictAws;
  beforeAll(async () => {
    proxy = await startStrictAws(moto.endpoint);
  });
  afterAll(() => proxy?.stop());

  it.each([
    [['list', '--state-dir', 's3://Bad_Bucket/x'], {}, '--state-dir'],
    [['status', 'shop', '--state-dir', 's3://ok-bucket/a//b'], {}, '--state-dir'],
    [['list'], { ECS_WIZARD_STATE_DIR: 's3:/missing-slash' }, 'ECS_WIZARD_STATE_DIR'],
    [['destroy', 'shop', '--yes', '--state-dir', STATE, '--lock-timeout', 'soon'], {}, '--lock-timeout'],
    [['state', 'migrate', 'shop', '--state-dir', STATE, '--to', 's3://x'], {}, '--to'],
    [['state', 'migrate', 'shop', '--state-dir', STATE, '--to', STATE], {}, '--to'],
    [['state', 'init', 'my-bucket'], {}, 'BUCKET'],
  ] as const)('%j %j → names %s', async (args, extra, field) => {
    proxy.clear();
    const r = await cli([...args, '--endpoint-url', proxy.endpoint, '--output', 'json'], extra);
    expect(r.code, r.stderr).toBe(2);
    expect(JSON.parse(r.stdout).error.problems.map((p: { path: string }) => p.path)).toContain(field);
    expect(proxy.requests).toEqual([]);
  });
});

describe('a stack whose state lives in S3', () => {
  const STACK = 's3-web';

  it('two creates at once: exactly one proceeds, the other exits 1 naming the holder before any AWS change', async () => {
    // GIVEN two processes, each through its own proxy (to tell their calls apart), where CreateCluster takes 2.5 s
    const proxies = [await startStrictAws(moto.endpoint), await startStrictAws(moto.endpoint)];
    for (const p of proxies) {
      p.rule({ name: 'slow-cluster', service: 'ecs', operation: 'CreateCluster', respond: async () => void (await new Promise((r) => setTimeout(r, 2500))) });
    }
    // WHEN both run create on the same S3 state at the same moment
    const runs = await Promise.all(proxies.map(async (p) => startCli([...(await createArgs(STACK)), '--endpoint-url', p.endpoint, '--concurrency', '2'], { env, cwd })));
    const done = await Promise.all(runs.map((r) => r.done));
    // THEN one succeeded and the other was refused, naming the winner's pid and the unlock command
    const codes = done.map((d) => d.code).sort();
    expect(codes, done.map((d) => d.stderr).join('\n---\n')).toEqual([0, 1]);
    const winner = done.findIndex((d) => d.code === 0);
    const loser = 1 - winner;
    expect(done[loser]!.stderr).toContain(`Stack "${STACK}" is locked by another ecs-wizard run`);
    expect(done[loser]!.stderr).toContain(`pid ${runs[winner]!.child.pid} on ${os.hostname()} (create), since 20`);
    expect(done[loser]!.stderr).toContain(`ecs-wizard unlock ${STACK} --state-dir ${STATE}`);
    // AND the loser changed nothing in AWS: its only write was the refused lock
    const loserWrites = proxies[loser]!.mutating();
    expect(loserWrites.filter((q) => q.service !== 's3')).toEqual([]);
    expect(loserWrites.map((q) => [q.operation, q.status])).toEqual([['PutObject', 412]]);
    // AND the state is in S3, the lock gone, and nothing was written locally
    expect(JSON.parse((await text(`teams/${STACK}.json`))!).resources.service.status).toBe('created');
    expect(await text(`teams/${STACK}.lock`)).toBeUndefined();
    expect(readdirSync(cwd)).toEqual([]);
    for (const p of proxies) await p.stop();
  });

  it('list, status and scale read and write the same state (ECS_WIZARD_STATE_DIR works like --state-dir)', async () => {
    const listed = await cli(['list', '--output', 'json'], { ECS_WIZARD_STATE_DIR: STATE });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ stateDir: STATE, stacks: [{ stack: STACK, file: `${STATE}/${STACK}.json`, status: 'complete' }] });

    const status = await cli(['status', '--state-dir', STATE, '--output', 'json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ stack: STACK, stateFile: `${STATE}/${STACK}.json` });

    const scaled = await cli(['scale', STACK, '--desired-count', '1', '--state-dir', STATE, '--output', 'json']);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(JSON.parse((await text(`teams/${STACK}.json`))!).answers.service.desiredCount).toBe(1);
    expect(await text(`teams/${STACK}.lock`)).toBeUndefined();
  });

  it('a custom endpoint uses path-style addressing (an emulator has no bucket subdomains)', async () => {
    // GIVEN an endpoint by host name, where BUCKET.localhost would not resolve
    const proxy = await startStrictAws(moto.endpoint);
    const paths: string[] = [];
    proxy.rule({ name: 'paths', service: 's3', operation: /.*/, respond: async (req) => void paths.push(`${req.headers.host} ${req.path}`) });
    // WHEN list runs through it
    const r = await cli(['list', '--state-dir', STATE, '--endpoint-url', `http://localhost:${new URL(proxy.endpoint).port}`, '--output', 'json']);
    await proxy.stop();
    // THEN it worked, with the bucket in the path
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stacks.map((s: { stack: string }) => s.stack)).toContain(STACK);
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(p).toMatch(new RegExp(`^localhost:\\d+ /${BUCKET}`));
  });

  it('destroy, verified empty, deletes the state object', async () => {
    const r = await cli(['destroy', STACK, '--yes', '--state-dir', STATE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`State file ${STATE}/${STACK}.json removed`);
    expect(await text(`teams/${STACK}.json`)).toBeUndefined();
    expect(await text(`teams/${STACK}.lock`)).toBeUndefined();
  });
});

describe('a run killed while holding the lock', () => {
  it('leaves the lock (no takeover); unlock shows the holder and clears it; destroy then cleans up', async () => {
    // GIVEN a create killed with SIGKILL once it has recorded some progress
    const STACK = 's3-killed';
    const run = startCli(await createArgs(STACK, ['--concurrency', '1']), { env, cwd });
    await waitFor(async () => /"status": "created"/.test((await text(`teams/${STACK}.json`)) ?? ''), 'the first recorded resource');
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    // THEN its lock is still there, naming it
    expect(JSON.parse((await text(`teams/${STACK}.lock`))!).pid).toBe(run.child.pid);
    // AND the next create is refused, naming the dead run and the way out
    const blocked = await cli(await createArgs(STACK));
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain(`pid ${run.child.pid}`);
    expect(blocked.stderr).toContain(`ecs-wizard unlock ${STACK}`);
    // WHEN unlock runs without a terminal and without --yes THEN it refuses (exit 2) and keeps the lock
    const unconfirmed = await cli(['unlock', STACK, '--state-dir', STATE]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    expect(await text(`teams/${STACK}.lock`)).toBeDefined();
    // WHEN unlock --yes runs THEN it shows the holder and removes the lock
    const unlocked = await cli(['unlock', STACK, '--yes', '--state-dir', STATE, '--output', 'json']);
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(JSON.parse(unlocked.stdout)).toMatchObject({ stack: STACK, unlocked: true, holder: { pid: run.child.pid, command: 'create', host: os.hostname() } });
    expect(unlocked.stderr).toContain(`pid ${run.child.pid}`);
    expect(await text(`teams/${STACK}.lock`)).toBeUndefined();
    // AND the next command runs from the state the kill left (resuming a create is the S3 crash matrix's job)
    const gone = await cli(['destroy', STACK, '--yes', '--state-dir', STATE]);
    expect(gone.code, gone.stderr).toBe(0);
    expect(await text(`teams/${STACK}.json`)).toBeUndefined();
    // AND unlock on a stack nobody holds says so
    const free = await cli(['unlock', STACK, '--yes', '--state-dir', STATE]);
    expect(free.code).toBe(0);
    expect(free.stdout).toContain('is not locked');
  });
});

describe('Ctrl-C twice', () => {
  it('quits at once, without waiting for the calls in flight, and still releases the S3 lock', async () => {
    // GIVEN a create whose CreateCluster call hangs for 8 s
    const STACK = 's3-ctrl-c';
    const proxy = await startStrictAws(moto.endpoint);
    let entered = false;
    let finished = false;
    proxy.rule({
      name: 'hang',
      service: 'ecs',
      operation: 'CreateCluster',
      respond: async () => {
        entered = true;
        await new Promise((r) => setTimeout(r, 8000));
        finished = true;
        return undefined;
      },
    });
    const run = startCli([...(await createArgs(STACK)), '--endpoint-url', proxy.endpoint], { env, cwd });
    await waitFor(async () => entered, 'CreateCluster in flight');
    expect(await text(`teams/${STACK}.lock`)).toBeDefined();
    // WHEN Ctrl-C is pressed twice
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    run.child.kill('SIGINT');
    const r = await run.done;
    // THEN it exited 130 while the call was still in flight, and the lock is gone
    expect(finished).toBe(false);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).not.toContain('The state is saved: run');
    expect(await text(`teams/${STACK}.lock`)).toBeUndefined();
    expect(readdirSync(cwd)).toEqual([]);
    await proxy.stop();
  });
});

describe('--lock-timeout', () => {
  it('S3: waits for a held lock with backoff and proceeds once it is released; gives up naming the holder when it is not', async () => {
    const lock = JSON.stringify({ host: 'ci-7', pid: 77, user: 'bot', command: 'deploy', since: '2025-05-05T05:05:05.000Z' });
    await put('teams/waited.lock', lock);
    // WHEN destroy waits at most 1 s THEN it fails naming the holder, after saying it waits
    const short = await cli(['destroy', 'waited', '--yes', '--state-dir', STATE, '--lock-timeout', '1s']);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('waiting up to 1 s');
    expect(short.stderr).toContain('user bot, pid 77 on ci-7 (deploy), since 2025-05-05T05:05:05.000Z');
    // WHEN it may wait 30 s and the lock goes away after a moment THEN it proceeds
    const long = startCli(['destroy', 'waited', '--yes', '--state-dir', STATE, '--lock-timeout', '30s'], { env, cwd });
    await waitFor(async () => long.stderrSoFar().includes('waiting up to 30 s'), 'the wait notice');
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'teams/waited.lock' }));
    const r = await long.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('nothing to destroy');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('local: waits for a live local holder the same way', async () => {
    const dir = await fs.mkdtemp(path.join(files, 'local-'));
    // A lock held by a live process on this host (this test's own): never stale.
    await fs.writeFile(path.join(dir, 'waited.lock'), JSON.stringify({ host: os.hostname(), pid: process.pid, user: 'me', command: 'create', since: new Date().toISOString() }));
    const run = startCli(['destroy', 'waited', '--yes', '--state-dir', dir, '--lock-timeout', '5m'], { env, cwd });
    await waitFor(async () => run.stderrSoFar().includes('waiting up to 300 s'), 'the wait notice');
    await fs.rm(path.join(dir, 'waited.lock'));
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

describe('a corrupt state object', () => {
  it('is refused by every command and kept byte for byte; the lock is released', async () => {
    const torn = '{"version": 1, "stack": "torn", "resources": {"vpc": {"status": "crea';
    await put('teams/torn.json', torn);
    for (const args of [['destroy', 'torn', '--yes'], ['status', 'torn'], await createArgs('torn')]) {
      const r = await cli([...args, '--state-dir', STATE]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`${STATE}/torn.json is corrupt`);
      expect(await text('teams/torn.json')).toBe(torn);
      expect(await text('teams/torn.lock')).toBeUndefined();
    }
    const listed = await cli(['list', '--state-dir', STATE, '--output', 'json']);
    expect(JSON.parse(listed.stdout).stacks).toContainEqual(expect.objectContaining({ stack: 'torn', status: 'invalid' }));
  });
});

describe('a state write that lost its race (If-Match answered PreconditionFailed)', () => {
  it('stops the create with exit 1, no AWS change after it, the stored state intact and the lock released', async () => {
    // GIVEN S3 answering the 4th write of the state as S3 does when someone else wrote it meanwhile
    const STACK = 's3-raced';
    const proxy = await startStrictAws(moto.endpoint);
    proxy.rule({
      name: 'lost-race',
      service: 's3',
      operation: 'PutObject',
      when: (req) => req.path.startsWith(`/${BUCKET}/teams/${STACK}.json`),
      skip: 3,
      times: 1,
      error: { code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold', status: 412 },
    });
    let before: string | undefined;
    proxy.rule({
      name: 'snapshot',
      service: 's3',
      operation: 'GetObject',
      respond: async (req, ctx) => {
        // The store looks at the object after a refused write: what it sees is what must stay.
        if (req.path.startsWith(`/${BUCKET}/teams/${STACK}.json`) && proxy.fired('lost-race') === 1 && before === undefined) before = (await ctx.forward()).body;
        return undefined;
      },
    });
    // WHEN create runs, sequentially, through it
    const r = await cli([...(await createArgs(STACK)), '--endpoint-url', proxy.endpoint, '--concurrency', '1']);
    // THEN the rule fired and the run stopped on it
    expect(proxy.fired('lost-race')).toBe(1);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The state of stack "${STACK}" (${STATE}/${STACK}.json) was changed by someone else during this run`);
    // AND nothing changed in AWS after the refused write
    const refused = proxy.requests.findIndex((q) => q.rule === 'lost-race');
    expect(proxy.requests.slice(refused + 1).filter((q) => !q.read && q.service !== 's3')).toEqual([]);
    // AND the stored state is what it was, and the lock is gone
    expect(before).toBeDefined();
    expect(await text(`teams/${STACK}.json`)).toBe(before);
    expect(await text(`teams/${STACK}.lock`)).toBeUndefined();
    await proxy.stop();
    const gone = await cli(['destroy', STACK, '--yes', '--state-dir', STATE]);
    expect(gone.code, gone.stderr).toBe(0);
  });
});

describe('ecs-wizard state migrate', () => {
  it('moves a local state to S3 and back, byte for byte, removing each source only after the target read back', async () => {
    const local = await fs.mkdtemp(path.join(files, 'from-'));
    const back = await fs.mkdtemp(path.join(files, 'back-'));
    const doc = `${JSON.stringify({ version: 1, stack: 'moved', createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z', resources: {} }, null, 2)}\n`;
    await fs.writeFile(path.join(local, 'moved.json'), doc);
    // WHEN it moves to S3
    const up = await cli(['state', 'migrate', 'moved', '--state-dir', local, '--to', STATE]);
    expect(up.code, up.stderr).toBe(0);
    expect(await text('teams/moved.json')).toBe(doc);
    expect(await fs.readdir(local)).toEqual([]);
    expect(await text('teams/moved.lock')).toBeUndefined();
    // WHEN it moves back to a directory
    const down = await cli(['state', 'migrate', 'moved', '--state-dir', STATE, '--to', back, '--output', 'json']);
    expect(down.code, down.stderr).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ stack: 'moved', from: `${STATE}/moved.json`, to: path.join(back, 'moved.json') });
    expect(await fs.readFile(path.join(back, 'moved.json'), 'utf8')).toBe(doc);
    expect(await text('teams/moved.json')).toBeUndefined();
    expect(await fs.readdir(back)).toEqual(['moved.json']);
  });

  it('refuses to replace a different state at the target, and keeps both', async () => {
    const local = await fs.mkdtemp(path.join(files, 'clash-'));
    const mine = JSON.stringify({ version: 1, stack: 'clash', createdAt: 'a', updatedAt: 'a', resources: {} });
    const theirs = JSON.stringify({ version: 1, stack: 'clash', createdAt: 'b', updatedAt: 'b', resources: {} });
    await fs.writeFile(path.join(local, 'clash.json'), mine);
    await put('teams/clash.json', theirs);
    const r = await cli(['state', 'migrate', 'clash', '--state-dir', local, '--to', STATE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('already holds a different state');
    expect(await fs.readFile(path.join(local, 'clash.json'), 'utf8')).toBe(mine);
    expect(await text('teams/clash.json')).toBe(theirs);
    expect(await fs.readdir(local)).toEqual(['clash.json']);
  });
});
