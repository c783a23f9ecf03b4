import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { runCreate } from '../../src/engine/engine.js';
import { vpcStep } from '../../src/steps/stack/vpc.js';
import { STACK_TAG } from '../../src/aws/tags.js';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { StackCounter, leftovers, type StackCounts } from '../support/counts.js';
import { tempDir, testStack } from '../support/stack.js';
import { failures } from './harness.js';

/**
 * Real-AWS behaviours that moto does not show and that the step helpers' own unit tests do not
 * cover: eventual consistency right after a create, two runs on one stack, and a damaged or
 * unwritable state directory — the last two through the built CLI, as a user meets them. Every
 * call goes through the strict-AWS proxy in front of moto, so "nothing was changed" is checked
 * where it matters: no mutating request reached AWS at all.
 */

let moto: Moto;
let aws: StrictAws;
let counter: StackCounter;
beforeAll(async () => {
  moto = await startMoto();
  aws = await startStrictAws(moto.endpoint);
  counter = new StackCounter(moto.endpoint);
});
afterEach(() => aws.clear());
afterAll(async () => {
  counter?.destroy();
  await aws?.stop();
  await moto?.stop();
});

const notFound = { code: 'InvalidVpcID.NotFound', message: "The vpc ID 'vpc-0123' does not exist" };
/** A DescribeVpcs that asks for VPCs by id (not by tag): EC2's query protocol sends `VpcId.1`. */
const byId = (r: { params: URLSearchParams }): boolean => r.params.has('VpcId.1');

describe('eventual consistency (strict AWS in front of moto)', () => {
  it('a VPC not yet visible by id right after CreateVpc is waited for, not created twice', async () => {
    // GIVEN AWS that answers InvalidVpcID.NotFound to the first two looks at a new VPC by id
    aws.rule({ name: 'vpc-not-yet', service: 'ec2', operation: 'DescribeVpcs', when: byId, times: 2, error: notFound });
    const t = testStack({ stack: 'ec-vpc' }, { endpoint: aws.endpoint });

    // WHEN the VPC step runs
    const r = await runCreate([vpcStep], { env: t.env, state: t.state });
    t.aws.destroy();

    // THEN AWS's lag was met and waited out: one CreateVpc, the DNS attribute set only once the
    // VPC showed, one VPC in AWS, and its id recorded
    expect(failures(r)).toEqual([]);
    expect(aws.fired('vpc-not-yet')).toBe(2);
    const ops = aws.requests.map((q) => (q.rule ? `${q.operation}:${q.rule}` : q.operation));
    expect(ops.filter((o) => o === 'CreateVpc')).toHaveLength(1);
    expect(ops.indexOf('ModifyVpcAttribute')).toBeGreaterThan(ops.lastIndexOf('DescribeVpcs:vpc-not-yet'));
    expect((await counter.count('ec-vpc')).vpcs).toBe(1);
    expect(t.state.get('vpc')).toMatchObject({ status: 'created', outputs: { vpcId: expect.stringMatching(/^vpc-/) } });
  });

  it('a rerun whose recorded VPC is invisible by id still finds it by tag, and creates nothing', async () => {
    // GIVEN a VPC of the stack, a state whose create intent recorded its id, and AWS whose by-id
    // view lags behind its tag index
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const made = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: STACK_TAG, Value: 'ec-rerun' }] }] }),
    );
    ec2.destroy();
    const vpcId = made.Vpc!.VpcId!;
    const t = testStack({ stack: 'ec-rerun' }, { endpoint: aws.endpoint });
    await t.state.put({ stepId: 'vpc', status: 'creating', outputs: { vpcId }, updatedAt: 'x' });
    aws.rule({ name: 'vpc-lagging', service: 'ec2', operation: 'DescribeVpcs', when: byId, error: notFound });

    // WHEN create runs again
    const r = await runCreate([vpcStep], { env: t.env, state: t.state });
    t.aws.destroy();

    // THEN it looked by id, was told "not found", adopted the VPC by tag, and changed nothing
    expect(aws.fired('vpc-lagging')).toBeGreaterThan(0);
    expect(r.results[0]!.outcome).toBe('exists');
    expect(aws.mutating()).toEqual([]);
    expect((await counter.count('ec-rerun')).vpcs).toBe(1);
    expect(t.state.get('vpc')?.outputs.vpcId).toBe(vpcId);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the built CLI.

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/ecs-wizard.js');

describe('the CLI with a lock or a damaged state file', () => {
  const holders: ChildProcess[] = [];
  afterAll(() => {
    for (const h of holders) if (h.exitCode === null) h.kill('SIGKILL');
  });

  /**
   * The built CLI, every AWS call through the strict proxy (so its request log sees them all).
   * Asynchronous: the proxy lives in this process, and must keep answering while the CLI runs.
   */
  function cli(args: string[], opts: { prefix?: string[] } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const command = [...(opts.prefix ?? []), process.execPath, bin, ...args];
    return new Promise((resolve, reject) => {
      const child = spawn(command[0]!, command.slice(1), { env: moto.env({ PATH: process.env.PATH ?? '', AWS_ENDPOINT_URL: aws.endpoint }), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  function setup(stack: string) {
    const dir = tempDir('ecs-wizard-rel-');
    const stateDir = path.join(dir, 'state');
    mkdirSync(stateDir, { recursive: true });
    const answers = path.join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify({ stack, region: 'us-east-1' }));
    const common = ['--state-dir', stateDir, '--endpoint-url', aws.endpoint];
    return {
      dir,
      answers,
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
      const r = await cli(s.create);
      // THEN it fails at once, names the holder's pid, and made nothing in AWS
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`pid ${holder.pid}`);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(aws.mutating()).toEqual([]);
      expect(leftovers(await counter.count('lock-two'))).toEqual({});
      expect(existsSync(s.stateFile)).toBe(false);
      holder.kill('SIGKILL');
    });

    it('destroy while create runs is refused, naming the holder, and the state file is untouched', async () => {
      // GIVEN a created stack and a create running on it again
      const s = setup('lock-destroy');
      expect((await cli(s.create)).code).toBe(0);
      const before = readFileSync(s.stateFile, 'utf8');
      const made = await counter.count('lock-destroy');
      const holder = await holdLock(s.stateDir, 'lock-destroy');
      aws.clear();
      // WHEN destroy starts
      const r = await cli(s.destroy);
      // THEN it is refused, names the holder, and deleted nothing
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`pid ${holder.pid}`);
      expect(aws.mutating()).toEqual([]);
      expect(readFileSync(s.stateFile, 'utf8')).toBe(before);
      expect(await counter.count('lock-destroy')).toEqual(made);
      holder.kill('SIGKILL');
      await new Promise((res) => holder.once('exit', res));
      // AND once the holder is gone (killed: its lock is stale), destroy takes the lock over and cleans up
      expect(existsSync(s.lockFile)).toBe(true);
      const gone = await cli(s.destroy);
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
      const r = await cli(s.create);
      // THEN it takes the lock over, creates the stack, and releases the lock
      expect(r.code, r.stderr).toBe(0);
      expect((await counter.count('lock-stale')).vpcs).toBe(1);
      expect(existsSync(s.lockFile)).toBe(false);
      expect((await cli(s.destroy)).code).toBe(0);
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

    /** A damaged state file refused: exit 1 naming the file and the problem, a hint, no mutating call, the file as it was, no lock left. */
    const expectRefused = (r: { code: number | null; stderr: string }, s: { stateFile: string; lockFile: string }, text: string, message: RegExp): void => {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(s.stateFile);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/Hint:/);
      expect(aws.mutating()).toEqual([]);
      expect(readFileSync(s.stateFile, 'utf8')).toBe(text);
      expect(existsSync(s.lockFile)).toBe(false);
    };

    for (const [what, content, message] of cases) {
      it(`a state file that is ${what}: create fails with a clear error, calls no AWS mutation, leaves the file as it was`, async () => {
        // GIVEN a damaged state file
        const stack = `sf-create-${what.replace(/\W+/g, '-')}`.slice(0, 28).replace(/-$/, '');
        const s = setup(stack);
        const text = content(stack);
        writeFileSync(s.stateFile, text);
        // WHEN create runs
        const r = await cli(s.create);
        // THEN it exits 1 naming the file and the problem, with a hint, and nothing changed anywhere
        expectRefused(r, s, text, message);
        expect(leftovers(await counter.count(stack))).toEqual({});
      });
    }

    describe('destroy of a stack that exists, whose state file is damaged', () => {
      // One real stack every case aims at: a damaged state file must not delete any of it.
      const stack = 'sf-destroy';
      let s: ReturnType<typeof setup>;
      let good: string;
      let made: StackCounts;
      beforeAll(async () => {
        s = setup(stack);
        const r = await cli(s.create);
        expect(r.code, r.stderr).toBe(0);
        good = readFileSync(s.stateFile, 'utf8');
        made = await counter.count(stack);
        expect(made.vpcs).toBe(1);
        aws.clear();
      });
      afterEach(() => writeFileSync(s.stateFile, good));
      afterAll(async () => {
        const r = await cli(s.destroy);
        expect(r.code, r.stderr).toBe(0);
        expect(leftovers(await counter.count(stack))).toEqual({});
      });

      for (const [what, content, message] of cases) {
        it(`a state file that is ${what}: destroy fails with a clear error, deletes nothing, leaves the file as it was`, async () => {
          // GIVEN the stack's state file damaged
          const text = content(stack);
          writeFileSync(s.stateFile, text);
          // WHEN destroy runs
          const r = await cli(s.destroy);
          // THEN it exits 1 naming the file and the problem, with a hint; no delete reached AWS and
          // every resource of the stack is still there
          expectRefused(r, s, text, message);
          expect(await counter.count(stack)).toEqual(made);
        });
      }
    });

    it('a missing state file: destroy says there is nothing to destroy, and creates no state', async () => {
      // GIVEN no state file for the stack
      const s = setup('sf-missing');
      // WHEN destroy runs
      const r = await cli(s.destroy);
      // THEN it explains where it looked, suggests --discover, and writes nothing
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^no stack sf-missing in \S+: nothing to destroy\. \(If its resources exist without a state file, add --discover\.\)$/m);
      expect(existsSync(s.stateFile)).toBe(false);
    });

    it('a state directory that is a file: create fails clearly and makes nothing', async () => {
      // GIVEN --state-dir naming a regular file
      const s = setup('sf-notdir');
      const file = path.join(path.dirname(s.stateDir), 'not-a-dir');
      writeFileSync(file, 'x');
      // WHEN create runs
      const r = await cli([...s.create, '--state-dir', file]);
      // THEN it is bad input naming the path (exit 2), and no AWS resource exists
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--state-dir: "${file}" is a file, not a directory`);
      expect(aws.mutating()).toEqual([]);
      expect(leftovers(await counter.count('sf-notdir'))).toEqual({});
      expect(readFileSync(file, 'utf8')).toBe('x');
    });

    it('a read-only state directory: create fails clearly and makes nothing', async () => {
      // GIVEN a state directory the user may read but not write. Root ignores permissions through
      // two capabilities, so as root the CLI runs without them (setpriv): still root, so it reads
      // the checkout wherever it lies (another uid could not enter a 0700 home or temp directory).
      const s = setup('sf-readonly');
      const noOverride = ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search'];
      const prefix = process.getuid?.() === 0 ? ['setpriv', ...noOverride] : [];
      chmodSync(s.stateDir, 0o555);
      try {
        // (the unprivileged CLI itself starts: a failure below is the state directory's)
        expect((await cli(['--version'], { prefix })).code).toBe(0);
        // WHEN create runs
        const r = await cli(s.create, { prefix });
        // THEN it fails naming the directory, and nothing reached AWS that would change it
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(s.stateDir);
        expect(r.stderr).toMatch(/EACCES|permission denied/i);
        expect(aws.mutating()).toEqual([]);
        expect(leftovers(await counter.count('sf-readonly'))).toEqual({});
        expect(existsSync(s.stateFile)).toBe(false);
      } finally {
        chmodSync(s.stateDir, 0o700);
      }
    });
  });
});
