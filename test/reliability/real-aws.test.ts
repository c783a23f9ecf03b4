import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { CreateVpcCommand, DescribeVpcsCommand, EC2Client, ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { runCreate } from '../../src/engine/engine.js';
import { vpcStep } from '../../src/steps/vpc.js';
import { startMoto, type Moto } from '../support/moto.js';
import { StackCounter, leftovers } from '../support/counts.js';
import { tempDir, testStack } from '../support/stack.js';

/**
 * Real-AWS behaviours that moto does not show and that the step helpers' own unit tests do not
 * cover: eventual consistency right after a create, two runs on one stack, and a damaged state
 * file — the last two through the built CLI, as a user meets them.
 */

function awsError(name: string): Error {
  return Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

describe('eventual consistency (scripted AWS)', () => {
  const ec2 = mockClient(EC2Client);
  afterEach(() => ec2.reset());
  afterAll(() => ec2.restore());

  it('a VPC not yet visible to DescribeVpcs right after CreateVpc is waited for, not created twice', async () => {
    // GIVEN AWS that answers InvalidVpcID.NotFound for a VPC it has just created, then catches up
    const t = testStack({ stack: 'ec-vpc' });
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    ec2.on(CreateVpcCommand).resolves({ Vpc: { VpcId: 'vpc-0aaaaaaaaaaaaaaa1', State: 'pending' } });
    ec2
      .on(DescribeVpcsCommand, { VpcIds: ['vpc-0aaaaaaaaaaaaaaa1'] })
      .rejectsOnce(awsError('InvalidVpcID.NotFound'))
      .resolves({ Vpcs: [{ VpcId: 'vpc-0aaaaaaaaaaaaaaa1', State: 'available', CidrBlock: '10.0.0.0/16' }] });
    ec2.on(ModifyVpcAttributeCommand).resolves({});

    // WHEN the VPC step runs
    const r = await runCreate([vpcStep], { env: t.env, state: t.state });

    // THEN it created exactly one VPC and recorded it
    expect(r.ok).toBe(true);
    expect(ec2.commandCalls(CreateVpcCommand)).toHaveLength(1);
    expect(t.state.get('vpc')).toMatchObject({ status: 'created', outputs: { vpcId: 'vpc-0aaaaaaaaaaaaaaa1' } });
  });

  it('a rerun whose recorded VPC is briefly invisible by id still finds it by tag', async () => {
    // GIVEN a state whose create intent recorded the VPC id, and AWS whose by-id view lags behind its tag index
    const t = testStack({ stack: 'ec-rerun' });
    await t.state.put({ stepId: 'vpc', status: 'creating', outputs: { vpcId: 'vpc-0aaaaaaaaaaaaaaa2' }, updatedAt: 'x' });
    ec2.on(DescribeVpcsCommand, { VpcIds: ['vpc-0aaaaaaaaaaaaaaa2'] }).rejects(awsError('InvalidVpcID.NotFound'));
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-0aaaaaaaaaaaaaaa2', State: 'available', CidrBlock: '10.0.0.0/16' }] });

    // WHEN create runs again
    const r = await runCreate([vpcStep], { env: t.env, state: t.state });

    // THEN it adopts the VPC and creates nothing
    expect(r.results[0]!.outcome).toBe('exists');
    expect(ec2.commandCalls(CreateVpcCommand)).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the built CLI.

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/ecs-wizard.js');

describe('the CLI with a lock or a damaged state file', () => {
  let moto: Moto;
  let counter: StackCounter;
  const holders: ChildProcess[] = [];
  beforeAll(async () => {
    moto = await startMoto();
    counter = new StackCounter(moto.endpoint);
  });
  afterAll(async () => {
    for (const h of holders) if (h.exitCode === null) h.kill('SIGKILL');
    counter?.destroy();
    await moto?.stop();
  });

  function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [bin, ...args], { env: moto.env({ PATH: process.env.PATH ?? '' }), encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function setup(stack: string) {
    const dir = tempDir('ecs-wizard-rel-');
    const stateDir = path.join(dir, 'state');
    mkdirSync(stateDir, { recursive: true });
    const answers = path.join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify({ stack, region: 'us-east-1' }));
    const common = ['--state-dir', stateDir, '--endpoint-url', moto.endpoint];
    return {
      stateDir,
      stateFile: path.join(stateDir, `${stack}.json`),
      lockFile: path.join(stateDir, `${stack}.lock`),
      create: ['create', '--answers', answers, '--yes', '--no-wait', ...common],
      destroy: ['destroy', stack, '--yes', ...common],
    };
  }

  /** A live process that holds the stack's lock through the real lock code, as a running `create` would. */
  async function holdLock(stateDir: string, stack: string): Promise<ChildProcess> {
    const lockUrl = new URL(`file://${path.join(root, 'dist/engine/lock.js')}`).href;
    const code = `const m = await import(${JSON.stringify(lockUrl)}); await m.acquireLock(${JSON.stringify(stateDir)}, ${JSON.stringify(stack)}, 'create'); console.log('held'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    holders.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
    });
    return child;
  }

  describe('concurrency', () => {
    it('a second create on a locked stack fails at once naming the lock holder, and changes nothing', async () => {
      // GIVEN a create in progress on the stack (a live process holding its lock)
      const s = setup('lock-two');
      const holder = await holdLock(s.stateDir, 'lock-two');
      // WHEN a second create starts
      const started = Date.now();
      const r = cli(s.create);
      // THEN it fails at once, names the holder's pid, and made nothing in AWS
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`pid ${holder.pid}`);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(leftovers(await counter.count('lock-two'))).toEqual({});
      expect(existsSync(s.stateFile)).toBe(false);
      holder.kill('SIGKILL');
    });

    it('destroy while create runs is refused, naming the holder, and the state file is untouched', async () => {
      // GIVEN a created stack and a create running on it again
      const s = setup('lock-destroy');
      expect(cli(s.create).code).toBe(0);
      const before = readFileSync(s.stateFile, 'utf8');
      const holder = await holdLock(s.stateDir, 'lock-destroy');
      // WHEN destroy starts
      const r = cli(s.destroy);
      // THEN it is refused, names the holder, and deleted nothing
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`pid ${holder.pid}`);
      expect(readFileSync(s.stateFile, 'utf8')).toBe(before);
      expect((await counter.count('lock-destroy')).vpcs).toBe(1);
      holder.kill('SIGKILL');
      await new Promise((res) => holder.once('exit', res));
      // AND once the holder is gone (killed: its lock is stale), destroy takes the lock over and cleans up
      expect(existsSync(s.lockFile)).toBe(true);
      const gone = cli(s.destroy);
      expect(gone.code, gone.stderr).toBe(0);
      expect(leftovers(await counter.count('lock-destroy'))).toEqual({});
    });

    it('a stale lock left by a killed process is taken over', async () => {
      // GIVEN a lock whose holder was SIGKILLed (so it never released it)
      const s = setup('lock-stale');
      const holder = await holdLock(s.stateDir, 'lock-stale');
      holder.kill('SIGKILL');
      await new Promise((res) => holder.once('exit', res));
      expect(existsSync(s.lockFile)).toBe(true);
      // WHEN create runs
      const r = cli(s.create);
      // THEN it takes the lock over, creates the stack, and releases the lock
      expect(r.code, r.stderr).toBe(0);
      expect((await counter.count('lock-stale')).vpcs).toBe(1);
      expect(existsSync(s.lockFile)).toBe(false);
      expect(cli(s.destroy).code).toBe(0);
    });
  });

  describe('state-file faults', () => {
    const validState = (stack: string, version = 1) =>
      JSON.stringify(
        {
          version,
          stack,
          region: 'us-east-1',
          createdAt: '2025-01-01T00:00:00.000Z',
          updatedAt: '2025-01-01T00:00:00.000Z',
          resources: { vpc: { stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-0bbbbbbbbbbbbbbb1', cidr: '10.0.0.0/16' }, updatedAt: '2025-01-01T00:00:00.000Z' } },
        },
        null,
        2,
      );

    const cases: [string, (stack: string) => string, RegExp][] = [
      ['truncated', (stack) => validState(stack).slice(0, 120), /corrupt/i],
      ['corrupt', () => '\u0000\u0007garbage{{{', /corrupt/i],
      ['not an object', () => '[1, 2, 3]', /corrupt/i],
      ['of an unknown version', (stack) => validState(stack, 99), /version 99/],
    ];

    for (const [what, content, message] of cases) {
      for (const command of ['create', 'destroy'] as const) {
        it(`a state file that is ${what}: ${command} fails with a clear error, calls no AWS mutation, leaves the file as it was`, async () => {
          // GIVEN a damaged state file
          const stack = `sf-${command}-${what.replace(/\W+/g, '-')}`.slice(0, 28).replace(/-$/, '');
          const s = setup(stack);
          const text = content(stack);
          writeFileSync(s.stateFile, text);
          // WHEN the command runs
          const r = cli(command === 'create' ? s.create : s.destroy);
          // THEN it exits 1 naming the file and the problem, with a hint, and nothing changed anywhere
          expect(r.code).toBe(1);
          expect(r.stderr).toContain(s.stateFile);
          expect(r.stderr).toMatch(message);
          expect(r.stderr).toMatch(/Hint:/);
          expect(readFileSync(s.stateFile, 'utf8')).toBe(text);
          expect(leftovers(await counter.count(stack))).toEqual({});
          expect(existsSync(s.lockFile)).toBe(false);
        });
      }
    }

    it('a missing state file: destroy says there is nothing to destroy, and creates no state', async () => {
      // GIVEN no state file for the stack
      const s = setup('sf-missing');
      // WHEN destroy runs
      const r = cli(s.destroy);
      // THEN it explains, suggests --discover, and writes nothing
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/No state for stack "sf-missing"/);
      expect(r.stderr).toContain('--discover');
      expect(existsSync(s.stateFile)).toBe(false);
    });

    it('a state directory that is a file: create fails clearly and makes nothing', async () => {
      // GIVEN --state-dir naming a regular file
      const s = setup('sf-notdir');
      const file = path.join(path.dirname(s.stateDir), 'not-a-dir');
      writeFileSync(file, 'x');
      // WHEN create runs
      const r = cli([...s.create, '--state-dir', file]);
      // THEN it fails naming the path, and no AWS resource exists
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(file);
      expect(leftovers(await counter.count('sf-notdir'))).toEqual({});
      expect(readFileSync(file, 'utf8')).toBe('x');
    });

    // root ignores directory permissions, so this one can only run as an ordinary user.
    it.skipIf(process.getuid?.() === 0)('a read-only state directory: create fails clearly and makes nothing', async () => {
      // GIVEN a state directory nobody may write to
      const s = setup('sf-readonly');
      chmodSync(s.stateDir, 0o500);
      try {
        // WHEN create runs
        const r = cli(s.create);
        // THEN it fails naming the directory, and no AWS resource exists
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(s.stateDir);
        expect(leftovers(await counter.count('sf-readonly'))).toEqual({});
      } finally {
        chmodSync(s.stateDir, 0o700);
      }
    });
  });
});
