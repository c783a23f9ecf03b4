import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CommanderError } from 'commander';
import { AwsClients } from '../../../src/aws/clients.js';
import { DEFAULT_TIMING } from '../../../src/aws/poll.js';
import type { CliContext } from '../../../src/cli/context.js';
import { EXIT, exitCodeFor } from '../../../src/cli/exit.js';
import { interruptNotice } from '../../../src/cli/interrupt.js';
import { buildProgram } from '../../../src/cli/main.js';
import { formatError } from '../../../src/cli/errors-format.js';
import { rerunCommands } from '../../../src/cli/commands/create.js';
import { isWizardError, type WizardError } from '../../../src/errors.js';
import { acquireLock, lockedError } from '../../../src/engine/lock.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { closeNames, plural } from '../../../src/words.js';
import { hostsVerdict, type Host, type HostFacts } from '../../../src/hosts/inspect.js';
import { buildReviewPlan } from '../../../src/wizard/plan.js';
import { renderPlan } from '../../../src/wizard/review.js';
import { readAnswersFile, saveAnswersFile } from '../../../src/wizard/answers-file.js';
import { printResult } from '../../../src/cli/output.js';
import type { CommonOptions } from '../../../src/cli/options.js';
import { judge } from '../../../src/cli/commands/status.js';
import type { StackState } from '../../../src/engine/state.js';
import { runController } from '../../../src/cli/interrupt.js';
import { runCreate } from '../../../src/engine/engine.js';
import { StateFile, emptyState } from '../../../src/engine/state.js';
import { poll } from '../../../src/aws/poll.js';
import type { WaitStep } from '../../../src/engine/types.js';

/**
 * The messages a new user meets when something is not quite right (issue 27): a mistyped stack
 * name or answers key, a state directory that is a file, an unlocked stack, a lock that stayed
 * held. Each runs the CLI's command table in-process against a loopback server that counts every
 * request (and answers only what a test sets up), and pins the exact text.
 */
let requests = 0;
let answer: (req: IncomingMessage, body: string, res: ServerResponse) => void = (_req, _body, res) => {
  res.statusCode = 403;
  res.end();
};
let server: Server;
let endpoint = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => answer(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  answer = (_req, _body, res) => {
    res.statusCode = 403;
    res.end();
  };
});

/** A directory holding `.ecs-wizard/<stack>.json` for each stack named. */
function project(...stacks: string[]): string {
  const cwd = mkdtempSync(join(tmpdir(), 'messages-'));
  mkdirSync(join(cwd, '.ecs-wizard'));
  for (const stack of stacks) {
    const doc = {
      version: 1,
      stack,
      region: 'us-east-1',
      createdAt: '2026-12-06T10:00:00.000Z',
      updatedAt: '2026-12-06T10:00:00.000Z',
      answers: validateAnswers({ stack, region: 'us-east-1' }),
      resources: { vpc: { stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-0123456789abcdef0' }, updatedAt: '2026-12-06T10:00:00.000Z' } },
    };
    writeFileSync(join(cwd, '.ecs-wizard', `${stack}.json`), JSON.stringify(doc));
  }
  return cwd;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  error?: unknown;
}

/** The CLI as main() runs it, in-process: every AWS client points at the counting server. */
async function run(args: string[], o: { cwd: string; isTTY?: boolean; env?: NodeJS.ProcessEnv; signal?: AbortSignal; timing?: typeof DEFAULT_TIMING }): Promise<Run> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  let error: unknown;
  const sink = (write: (s: string) => void) => new Writable({ write: (chunk, _enc, cb) => (write(String(chunk)), cb()) });
  const ctx: CliContext = {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: Readable.from([]),
    env: o.env ?? {},
    cwd: o.cwd,
    isTTY: o.isTTY ?? false,
    makeClients: (t) => new AwsClients({ ...t, endpointUrl: endpoint, region: t.region ?? 'us-east-1', maxAttempts: 1 }),
    timing: o.timing ?? DEFAULT_TIMING,
    signal: o.signal ?? new AbortController().signal,
  };
  const program = buildProgram(async (load) => {
    code = await load();
  }, () => ctx);
  for (const cmd of [program, ...program.commands]) cmd.configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s) });
  try {
    await program.parseAsync(['node', 'ecs-wizard', ...args]);
  } catch (err) {
    error = err;
    code = err instanceof CommanderError ? (err.exitCode === 0 ? 0 : EXIT.usage) : exitCodeFor(err);
    stderr += formatError(err, false);
  }
  return { code, stdout, stderr, error };
}

describe('a mistyped stack name', () => {
  const commands: [string, string[]][] = [
    ['status', ['status', 'shop-wbe']],
    ['logs', ['logs', 'shop-wbe']],
    ['releases', ['releases', 'shop-wbe']],
    ['hosts', ['hosts', 'shop-wbe']],
    ['hosts refresh', ['hosts', 'refresh', 'shop-wbe', '--yes']],
    ['scale', ['scale', 'shop-wbe', '--desired-count', '3']],
    ['deploy', ['deploy', 'shop-wbe', '--image', 'nginx:1.27']],
    ['rollback', ['rollback', 'shop-wbe']],
    ['state migrate', ['state', 'migrate', 'shop-wbe', '--to', 'elsewhere']],
  ];

  it.each(commands)('%s: "no stack shop-wbe in ./.ecs-wizard; did you mean shop-web?", no --discover, no AWS call', async (_name, args) => {
    // GIVEN the default state directory holding shop-web (and an unrelated stack)
    const cwd = project('shop-web', 'billing');
    const before = requests;
    // WHEN a command names shop-wbe
    const r = await run(args, { cwd });
    // THEN it names where it looked and the close name, and suggests nothing about tags
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('Error: no stack shop-wbe in ./.ecs-wizard; did you mean shop-web?');
    expect(r.stderr).not.toContain('--discover');
    expect(isWizardError(r.error, 'STATE_MISSING')).toBe(true);
    expect((r.error as WizardError).problems).toEqual([{ path: 'STACK', message: 'did you mean shop-web?' }]);
    expect(requests - before).toBe(0);
  });

  it('without a close name, says where it looked and what is there', async () => {
    const cwd = project('shop-web');
    const r = await run(['status', 'payments'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: no stack payments in ./.ecs-wizard\n');
    expect(r.stderr).toContain('Hint: ./.ecs-wizard holds shop-web. Check the name, or pass --state-dir where the stack\'s state is.');
  });

  it('destroy stays exit 0 (nothing to destroy) but names the location and the close name, in text and JSON', async () => {
    const cwd = project('shop-web');
    const text = await run(['destroy', 'shop-wbe', '--yes'], { cwd });
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('no stack shop-wbe in ./.ecs-wizard: nothing to destroy; did you mean shop-web? (If its resources exist without a state file, add --discover.)\n');
    const json = await run(['destroy', 'shop-wbe', '--yes', '--output', 'json'], { cwd });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      stack: 'shop-wbe',
      ok: true,
      nothing: true,
      destroyed: [],
      note: 'no state: nothing to destroy',
      stateDir: join(cwd, '.ecs-wizard'),
      didYouMean: ['shop-web'],
      calls: { mutating: 0, read: 0 },
    });
    expect(existsSync(join(cwd, '.ecs-wizard', 'shop-wbe.json'))).toBe(false);
  });

  it('close names: one transposition or one letter away; only the closest', () => {
    expect(closeNames('shop-wbe', ['shop-web', 'shop-api', 'billing'])).toEqual(['shop-web']);
    expect(closeNames('desiredCont', ['desiredCount', 'cpu', 'memory'])).toEqual(['desiredCount']);
    expect(closeNames('vpcCird', ['vpcCidr', 'vpcId', 'subnetCidrs'])).toEqual(['vpcCidr']);
    expect(closeNames('web', ['api', 'worker'])).toEqual([]);
    expect(closeNames('shop', ['shop-web', 'shop-api', 'billing'])).toEqual(['shop-api', 'shop-web']);
  });
});

describe('unknown answers keys', () => {
  it('each one is named at its path with the close key, all at once, exit 2, no AWS call', async () => {
    // GIVEN an answers file with three mistyped keys at three levels, and one with no close key
    const cwd = project();
    const file = join(cwd, 'stack.yaml');
    writeFileSync(file, 'stack: shop-web\nregoin: us-east-1\nservice:\n  desiredCont: 3\n  imagee: nginx:1.27\ninstances:\n  spot:\n    onDemandBase: 1\nscaling:\n  service:\n    colour: blue\n');
    const before = requests;
    // WHEN create reads it
    const r = await run(['create', '--answers', file, '--yes', '--dry-run'], { cwd });
    // THEN exit 2 with every unknown key, each with its suggestion
    expect(r.code).toBe(2);
    const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    expect([...(r.error as WizardError).problems].sort(byPath)).toEqual([
      { path: 'instances.spot.onDemandBase', message: 'unknown key: did you mean onDemandBaseCapacity?' },
      { path: 'regoin', message: 'unknown key: did you mean region?' },
      {
        path: 'scaling.service.colour',
        message: 'unknown key (the keys here: enabled, minCount, maxCount, targetCpuPercent, targetMemoryPercent, requestsPerTarget, scaleInCooldownSeconds, scaleOutCooldownSeconds)',
      },
      { path: 'service.desiredCont', message: 'unknown key: did you mean desiredCount?' },
      { path: 'service.imagee', message: 'unknown key: did you mean image?' },
    ]);
    expect(r.stderr).toContain('  service.desiredCont: unknown key: did you mean desiredCount?');
    expect(requests - before).toBe(0);
  });
});

describe('--state-dir naming a file', () => {
  const commands: string[][] = [
    ['status', 'shop'],
    ['list'],
    ['destroy', 'shop', '--yes'],
    ['create', '--answers', 'stack.yaml', '--yes', '--dry-run'],
    ['unlock', 'shop', '--yes'],
    ['logs', 'shop'],
    ['hosts', 'shop'],
    ['scale', 'shop', '--desired-count', '2'],
  ];
  it.each(commands.map((c) => [c.join(' '), c] as const))('%s: exit 2 naming the flag and the fix, no ENOTDIR, no AWS call', async (_name, args) => {
    // GIVEN a regular file where the state directory should be
    const cwd = project();
    writeFileSync(join(cwd, 'stack.yaml'), 'stack: shop\n');
    writeFileSync(join(cwd, 'notes.txt'), 'x');
    const before = requests;
    // WHEN a command is pointed at it (and at a path below it)
    const r = await run([...args, '--state-dir', 'notes.txt'], { cwd });
    const below = await run([...args, '--state-dir', 'notes.txt/states'], { cwd });
    // THEN it is bad input with a hint, not ENOTDIR
    expect(r.code, r.stderr).toBe(2);
    expect((r.error as WizardError).problems).toEqual([
      { path: '--state-dir', message: '"notes.txt" is a file, not a directory: give a directory for the states (it is made when missing), or s3://BUCKET/PREFIX' },
    ]);
    expect(below.code).toBe(2);
    expect((below.error as WizardError).problems[0]!.message).toBe(`"notes.txt/states" is inside ${join(cwd, 'notes.txt')}, which is a file: give a directory for the states (it is made when missing), or s3://BUCKET/PREFIX`);
    expect(r.stderr + below.stderr).not.toMatch(/ENOTDIR|scandir/);
    expect(requests - before).toBe(0);
  });

  it('ECS_WIZARD_STATE_DIR naming a file is named as such', async () => {
    const cwd = project();
    writeFileSync(join(cwd, 'notes.txt'), 'x');
    const r = await run(['list'], { cwd, env: { ECS_WIZARD_STATE_DIR: join(cwd, 'notes.txt') } });
    expect(r.code).toBe(2);
    expect((r.error as WizardError).problems.map((p) => p.path)).toEqual(['ECS_WIZARD_STATE_DIR']);
  });
});

describe('locks', () => {
  it('unlock of a stack that is not locked says so, even without --yes and a terminal (exit 0)', async () => {
    const cwd = project('shop-web');
    const r = await run(['unlock', 'shop-web'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Stack "shop-web" is not locked (${join(cwd, '.ecs-wizard')}): nothing to remove.\n`);
    const json = await run(['unlock', 'shop-web', '--output', 'json'], { cwd });
    expect(JSON.parse(json.stdout)).toEqual({ stack: 'shop-web', unlocked: false, holder: null, calls: { mutating: 0, read: 0 } });
  });

  it('unlock of a locked stack still needs --yes without a terminal (exit 2), and removes it with it', async () => {
    const cwd = project('shop-web');
    const lock = await acquireLock(join(cwd, '.ecs-wizard'), 'shop-web', 'create');
    const refused = await run(['unlock', 'shop-web'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Refusing to remove the lock of stack "shop-web" without confirmation.');
    expect(existsSync(lock.location)).toBe(true);
    const removed = await run(['unlock', 'shop-web', '--yes', '--output', 'json'], { cwd });
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ stack: 'shop-web', unlocked: true, holder: { pid: process.pid }, calls: { mutating: 0, read: 0 } });
    await lock.release();
  });

  it('after --lock-timeout runs out, the hint does not suggest --lock-timeout again', async () => {
    // GIVEN a stack locked by a live run (this process)
    const cwd = project('shop-web');
    const held = await acquireLock(join(cwd, '.ecs-wizard'), 'shop-web', 'deploy');
    try {
      // WHEN scale waits 1 s for it
      const r = await run(['scale', 'shop-web', '--desired-count', '3', '--lock-timeout', '1s'], { cwd });
      // THEN it says it waited, names the holder, and the hint is what to do now
      expect(r.code).toBe(1);
      const err = r.error as WizardError;
      expect(err.message).toMatch(new RegExp(`^Stack "shop-web" is still locked by another ecs-wizard run after waiting 1 s: user [^,]*, pid ${process.pid} on ${hostname()} \\(deploy\\), since `));
      expect(err.hint).toBe(`Run the command again once that run has finished. If it is gone, clear the lock (${held.location}) with: ecs-wizard unlock shop-web --state-dir ${join(cwd, '.ecs-wizard')}`);
      expect(r.stderr).not.toContain('--lock-timeout');
    } finally {
      await held.release();
    }
  });

  it('a holder that is a dead process on this host is said to be dead (an S3 lock is never taken over)', () => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    const dead = { host: hostname(), pid: child.pid!, user: 'ana', command: 'create', since: '2026-12-06T10:00:00.000Z', revision: 'e1' };
    const err = lockedError('shop-web', dead, 's3://team/ecs/shop-web.lock', 'ecs-wizard unlock shop-web --state-dir s3://team/ecs', 30_000);
    expect(err.message).toBe(`Stack "shop-web" is locked by a run that is no longer running: user ana, pid ${child.pid} on ${hostname()} (create), since 2026-12-06T10:00:00.000Z (no such process on this host).`);
    expect(err.hint).toBe('That run died holding the lock: clear it (s3://team/ecs/shop-web.lock) with: ecs-wizard unlock shop-web --state-dir s3://team/ecs');
    // Another host's process cannot be checked: it is a live holder
    expect(lockedError('shop-web', { ...dead, host: 'ci-7' }, 'l', 'u').message).toMatch(/^Stack "shop-web" is locked by another ecs-wizard run: /);
  });
});

describe('Ctrl-C and the words around it', () => {
  it('logs --follow on a terminal: Ctrl-C ends it (exit 0) without "saving the state"', async () => {
    // GIVEN a stack and a log group that has no events; a terminal
    const cwd = project('shop-web');
    const controller = new AbortController();
    answer = (req, body, res) => {
      // The first poll has been answered: the user presses Ctrl-C.
      if (String(req.headers['x-amz-target']).endsWith('FilterLogEvents')) setTimeout(() => controller.abort(), 20);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(body ? JSON.stringify({ events: [] }) : '{}');
    };
    interruptNotice.shown = false;
    // WHEN logs --follow runs and is interrupted
    const r = await run(['logs', 'shop-web', '--follow'], { cwd, isTTY: true, signal: controller.signal, timing: { ...DEFAULT_TIMING, minDelayMs: 10, maxDelayMs: 50 } });
    // THEN it stops quietly
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Following /ecs/shop-web: Ctrl-C to stop.');
    expect(r.stderr).not.toContain('saving the state');
    expect(r.stderr).not.toContain('Interrupted');
  });

  it('the resume command after Ctrl-C names the answers file and where the state is', () => {
    expect(rerunCommands({ answers: 'stack.yaml', yes: true }, 'shop-web')).toEqual({ create: 'ecs-wizard create --answers stack.yaml --yes', destroy: 'ecs-wizard destroy shop-web' });
    expect(rerunCommands({ saveAnswers: 'my answers.yaml', stateDir: 's3://team/ecs', endpointUrl: 'http://127.0.0.1:5000' }, 'shop-web')).toEqual({
      create: "ecs-wizard create --answers 'my answers.yaml' --state-dir s3://team/ecs --endpoint-url http://127.0.0.1:5000",
      destroy: 'ecs-wizard destroy shop-web --state-dir s3://team/ecs --endpoint-url http://127.0.0.1:5000',
    });
    // Without a file the wizard asks again
    expect(rerunCommands({}, 'shop-web').create).toBe('ecs-wizard create');
  });
});

describe('JSON results carry calls', () => {
  it('list, with no call about any stack', async () => {
    const cwd = project('shop-web');
    const r = await run(['list', '--output', 'json'], { cwd });
    expect(JSON.parse(r.stdout)).toMatchObject({ stacks: [{ stack: 'shop-web' }], calls: { mutating: 0, read: 0 } });
  });

  it('state migrate', async () => {
    const cwd = project('shop-web');
    const r = await run(['state', 'migrate', 'shop-web', '--to', 'moved', '--output', 'json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stack: 'shop-web', alreadyMoved: false, calls: { mutating: 0, read: 0 } });
    expect(readFileSync(join(cwd, 'moved', 'shop-web.json'), 'utf8')).toContain('"stack":"shop-web"');
  });
});

describe('plurals', () => {
  it('one helper: 1 task, 2 tasks, 0 tasks', () => {
    expect([0, 1, 2].map((n) => plural(n, 'task'))).toEqual(['0 tasks', '1 task', '2 tasks']);
    expect(plural(1, 'policy', 'policies')).toBe('1 policy');
  });
});

describe('hosts', () => {
  const host = (id: string, over: Partial<Host> = {}): Host => ({
    instanceId: id,
    instanceType: 't3.small',
    amiId: 'ami-0new',
    lifecycleState: 'InService',
    onLaunchVersion: true,
    onLatestAmi: true,
    current: true,
    reasons: [],
    containerInstance: { status: 'ACTIVE' },
    ...over,
  });
  const facts = (hosts: Host[]): HostFacts => ({ latestAmi: {}, hosts });

  it('the verdict counts a host not joined to the cluster as not current, and says how many', () => {
    expect(hostsVerdict(facts([host('i-1'), host('i-2')])).text).toBe('2 of 2 hosts current');
    const v = hostsVerdict(facts([host('i-1'), host('i-2', { containerInstance: undefined })]));
    expect(v).toMatchObject({ current: 1, total: 2, notJoined: 1, text: '1 of 2 hosts current (1 not joined to the cluster)' });
    expect(hostsVerdict(facts([host('i-1', { containerInstance: { status: 'INACTIVE' } })])).text).toBe('0 of 1 host current (1 not joined to the cluster)');
  });
});

describe('the plan and its cost', () => {
  const answers = validateAnswers({ stack: 'shop-web', region: 'us-east-1' });
  const vpc = { stepId: 'vpc', title: 'VPC', outcome: 'exists' as const, durationMs: 5, outputs: { vpcId: 'vpc-0123456789abcdef0' } };

  it('the dry-run plan of an existing stack does not call what exists "new"', () => {
    // GIVEN a dry run whose finds found the stack's VPC
    const plan = buildReviewPlan(answers, { region: 'us-east-1', results: [vpc, { stepId: 'subnets', title: 'Subnets', outcome: 'exists', durationMs: 5 }] });
    // THEN the VPC line says it exists, with its id
    expect(plan.network.vpc).toBe('shop-web-vpc 10.0.0.0/16 (exists: vpc-0123456789abcdef0)');
    expect(renderPlan(plan)).toContain('  VPC       shop-web-vpc 10.0.0.0/16 (exists: vpc-0123456789abcdef0)\n');
    expect(renderPlan(plan)).not.toMatch(/\bnew\b/);
    // AND a new stack's still does
    expect(buildReviewPlan(answers, { region: 'us-east-1', results: [{ ...vpc, outcome: 'would-create', outputs: undefined }] }).network.vpc).toBe('new shop-web-vpc 10.0.0.0/16');
  });

  it('the review of an existing stack marks what its state recorded as made', () => {
    const current = { ...structuredClone(emptyState('shop-web')), answers, resources: { vpc: { stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-0123456789abcdef0' }, updatedAt: 'x' } } } as StackState;
    const plan = buildReviewPlan(answers, { region: 'us-east-1', current });
    expect(plan.network.vpc).toBe('shop-web-vpc 10.0.0.0/16 (exists: vpc-0123456789abcdef0)');
    expect(plan.resources.find((r) => r.stepId === 'vpc')?.status).toBe('exists');
    expect(plan.resources.find((r) => r.stepId === 'cluster')?.status).toBeUndefined();
  });

  it("a new stack's cost block includes the load balancer and the instances", () => {
    const fresh = buildReviewPlan(answers, { region: 'us-east-1' });
    // (the bundled table's us-east-1 prices: 2 × 730 h at $0.0208 per t3.small, 730 h at $0.0225 for the ALB)
    expect(fresh.cost.items.find((i) => i.item === 'EC2 t3.small On-Demand')).toMatchObject({ quantity: 2 * 730, unit: 'Hrs', monthly: 30.37 });
    expect(fresh.cost.items.find((i) => i.item === 'Application Load Balancer')).toMatchObject({ quantity: 730, unit: 'Hrs', monthly: 16.43 });
    expect(renderPlan(fresh)).toMatch(/≈ \$\d+\/month at desired capacity/);
  });

  it('counts by hand no more: × 1 task, 0 of 1 task running', () => {
    const one = validateAnswers({ stack: 'one', service: { desiredCount: 1 }, scaling: { service: { enabled: false } } });
    const text = renderPlan(buildReviewPlan(one, { region: 'us-east-1' }));
    expect(text).toContain('MiB  × 1 task\n');
    expect(text).toContain('service: fixed at 1 task (no auto scaling)');
    const v = judge({ resources: [], service: { name: 'one', desired: 1, running: 0, pending: 1, events: [] } });
    expect(v.verdict).toBe('degraded: service one: 0 of 1 task running; service one: 1 task pending');
  });
});

describe('saved answers', () => {
  it('--save-answers writes instances.keyName: its value, or a commented line where one goes; both replay as given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saved-'));
    const withKey = validateAnswers({ stack: 'shop-web', instances: { keyName: 'ops', sshCidr: '203.0.113.7/32' } });
    await saveAnswersFile(join(dir, 'with.yaml'), withKey);
    expect(readFileSync(join(dir, 'with.yaml'), 'utf8')).toMatch(/\ninstances:\n(  .+\n)*  keyName: ops\n/);
    expect(validateAnswers(await readAnswersFile(join(dir, 'with.yaml')))).toEqual(withKey);
    const without = validateAnswers({ stack: 'shop-web' });
    await saveAnswersFile(join(dir, 'without.yaml'), without);
    expect(readFileSync(join(dir, 'without.yaml'), 'utf8')).toContain('\n  # keyName: my-key-pair       # an EC2 key pair for SSH (none: no SSH); with sshCidr: 203.0.113.7/32\n');
    expect(validateAnswers(await readAnswersFile(join(dir, 'without.yaml')))).toEqual(without);
  });
});

describe('the summary after a run', () => {
  it('counts a step under its own word ("up to date"), not as "already exists"; an interrupted step is not FAILED', () => {
    let out = '';
    const ctx = { stdout: { write: (s: string) => ((out += s), true) }, env: {}, isTTY: false } as unknown as CliContext;
    printResult(ctx, { output: 'text' } as CommonOptions, {
      stack: 'shop-web',
      ok: false,
      steps: [
        { title: 'VPC', outcome: 'created' },
        { title: 'Secrets access policy', outcome: 'exists', word: 'up to date' },
        { title: 'Service stable', outcome: 'interrupted' },
        { title: 'Service auto scaling', outcome: 'skipped' },
      ],
    });
    expect(out).toBe('\n✖ Not finished — stack shop-web: 4 steps (1 created, 1 up to date, 1 interrupted, 1 skipped)\n');
  });
});

describe('the run signal', () => {
  it('more steps waiting at once than Node\'s default of 10 listeners is no MaxListenersExceededWarning', async () => {
    // GIVEN 16 wait steps that all poll at once on the run's signal, with the real sleep
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const controller = runController();
      const timing = { ...DEFAULT_TIMING, minDelayMs: 5, maxDelayMs: 5, timeoutMs: 1000 };
      const waits: WaitStep<null>[] = Array.from({ length: 16 }, (_, k) => ({
        id: `w${k}`,
        title: `Wait ${k}`,
        dependsOn: [],
        kind: 'wait',
        async run(ctx) {
          let checks = 0;
          await poll(async () => (++checks < 4 ? { done: false, waitingFor: 'x' } : { done: true, value: undefined }), { timing, signal: ctx.signal });
        },
      }));
      // WHEN they run 16 at a time
      const r = await runCreate(waits, { env: null, state: StateFile.scratch('demo'), concurrency: 16, signal: controller.signal });
      await new Promise((resolve) => setImmediate(resolve));
      // THEN they all finished, and Node did not warn
      expect(r.results.every((x) => x.outcome === 'waited')).toBe(true);
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
