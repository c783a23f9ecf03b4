import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { AwsClients } from '../../../src/aws/clients.js';
import { DEFAULT_TIMING } from '../../../src/aws/poll.js';
import type { CliContext } from '../../../src/cli/context.js';
import { EXIT, exitCodeFor } from '../../../src/cli/exit.js';
import { buildProgram } from '../../../src/cli/main.js';
import { isWizardError } from '../../../src/errors.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { wireJson } from '../../support/aws-wire.js';

/**
 * Bad input to the day-2 commands (deploy, rollback, releases, logs): exit 2, the bad flag or key
 * named, and not one request to AWS — counted by a loopback server every client points at. Some
 * judgements need the stack's state (a secret's name, the known revisions, logs switched off): the
 * state is read, AWS is not.
 */
const stateDir = mkdtempSync(join(tmpdir(), 'day2-bad-input-'));
const arn = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/shop:${n}`;
const release = (revision: number, kind: string) => ({ revision, taskDefinitionArn: arn(revision), image: `httpd:2.4.${revision}`, changed: [], kind, startedAt: '2024-05-01T10:00:00.000Z', endedAt: '2024-05-01T10:01:00.000Z', result: 'succeeded', by: 'ana@laptop' });

function writeState(stack: string, answers: Record<string, unknown>, releases: unknown[], revision: number): void {
  const doc = {
    version: 1,
    stack,
    region: 'us-east-1',
    createdAt: '2024-05-01T10:00:00.000Z',
    updatedAt: '2024-05-01T10:00:00.000Z',
    answers: validateAnswers({ stack, region: 'us-east-1', ...answers }),
    resources: { 'task-definition': { stepId: 'task-definition', status: 'created', outputs: { taskDefinitionArn: arn(revision), family: stack, revision }, updatedAt: '' } },
    releases,
  };
  writeFileSync(join(stateDir, `${stack}.json`), JSON.stringify(doc));
}

let server: Server;
let requests = 0;
const targets: string[] = [];
let secretsGone = false;
let endpoint = '';

beforeAll(async () => {
  writeState('shop', { service: { secrets: { DB_PASSWORD: '/shop/db-password' } } }, [release(1, 'create'), release(2, 'deploy')], 2);
  writeState('fresh', {}, [release(1, 'create')], 1);
  writeState('quiet', { service: { logs: false } }, [release(1, 'create')], 1);
  // Three services: the stack's own (default route), api on /api/*, a worker.
  writeState('trio', { services: { trio: {}, api: { path: '/api/*', containerPort: 8080 }, worker: { loadBalanced: false, command: ['run-jobs'] } } }, [release(1, 'create')], 1);
  writeState('duo', { service: undefined, services: { duo: { image: 'nginx:1.27' }, api: { image: 'nginx:1.27', path: '/api/*' } } }, [release(1, 'create')], 1);
  server = createServer((req, res) => {
    requests++;
    targets.push(String(req.headers['x-amz-target'] ?? req.url));
    // SSM answers a lookup of parameters: none of those asked exists (a secret deleted since create).
    if (secretsGone && req.headers['x-amz-target'] === 'AmazonSSM.DescribeParameters') {
      const answer = wireJson('ssm', { Parameters: [] });
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    res.statusCode = 403;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  let code = 0;
  const sink = (write: (s: string) => void) => new Writable({ write: (chunk, _enc, cb) => (write(String(chunk)), cb()) });
  const ctx: CliContext = {
    stdout: sink(() => undefined),
    stderr: sink((s) => (stderr += s)),
    stdin: Readable.from([]),
    env: { ECS_WIZARD_STATE_DIR: stateDir },
    cwd: stateDir,
    isTTY: false,
    makeClients: (t) => new AwsClients({ ...t, endpointUrl: endpoint, region: t.region ?? 'us-east-1', maxAttempts: 1 }),
    timing: DEFAULT_TIMING,
    signal: new AbortController().signal,
  };
  const program = buildProgram(async (load) => {
    code = await load();
  }, () => ctx);
  for (const cmd of [program, ...program.commands]) cmd.configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
  try {
    await program.parseAsync(['node', 'ecs-wizard', ...args]);
  } catch (err) {
    if (err instanceof CommanderError) code = err.exitCode === 0 ? 0 : EXIT.usage;
    else {
      code = exitCodeFor(err);
      stderr += `Error: ${(err as Error).message}\n${isWizardError(err) ? err.problems.map((p) => `${p.path}: ${p.message}\n`).join('') : `${(err as Error).stack}\n`}`;
    }
  }
  return { code, stderr };
}

const cases: [string, string[], string][] = [
  ['deploy: an image Docker refuses (uppercase repository)', ['deploy', 'shop', '--image', 'MyApp:1.0'], '--image'],
  ['deploy: an image with an empty tag', ['deploy', 'shop', '--image', 'nginx:'], '--image'],
  ['deploy: --env without =', ['deploy', 'shop', '--env', 'LOG_LEVEL'], '--env'],
  ['deploy: --env with a bad name', ['deploy', 'shop', '--env', '1ST=x'], '--env'],
  ['deploy: --unset-env with a bad name', ['deploy', 'shop', '--unset-env', 'a-b'], '--unset-env'],
  ['deploy: nothing to change', ['deploy', 'shop'], '--image'],
  ['deploy: --env naming one of the stack\'s secrets', ['deploy', 'shop', '--env', 'DB_PASSWORD=x'], '--env'],
  ['deploy: --output xml', ['deploy', 'shop', '--image', 'nginx:1', '--output', 'xml'], '--output'],
  ['rollback: --to is not a number', ['rollback', 'shop', '--to', 'abc'], '--to'],
  ['rollback: --to a revision the stack never released', ['rollback', 'shop', '--to', '9'], '--to'],
  ['rollback: no earlier successful release', ['rollback', 'fresh'], '--to'],
  ['logs: service.logs is false', ['logs', 'quiet'], 'service.logs'],
  ['logs: --since in words', ['logs', 'shop', '--since', 'yesterday'], '--since'],
  ['logs: --task not a task id', ['logs', 'shop', '--task', 'web-1'], '--task'],
  ['releases: --output yaml', ['releases', 'shop', '--output', 'yaml'], '--output'],
  // A stack of several services: which one is a usage error to leave out (logs interleaves, but --task needs it).
  ['deploy: several services, no --service', ['deploy', 'trio', '--image', 'nginx:1'], '--service'],
  ['rollback: several services, no --service', ['rollback', 'trio'], '--service'],
  ['releases: several services, no --service', ['releases', 'trio'], '--service'],
  ['scale: several services, no --service', ['scale', 'trio', '--desired-count', '2'], '--service'],
  ['logs --task: several services, no --service', ['logs', 'trio', '--task', '0a1b2c3d'], '--service'],
  ['deploy: --service names no service', ['deploy', 'trio', '--service', 'apj', '--image', 'nginx:1'], '--service'],
  ['scale: --service names no service (with instance flags only)', ['scale', 'trio', '--service', 'wroker', '--max-size', '4'], '--service'],
  ['deploy --service on a stack of one: a name that is not its service', ['deploy', 'shop', '--service', 'api', '--image', 'nginx:1'], '--service'],
  ['run: nothing after --', ['run', 'shop', '--'], 'CMD'],
  ['run: no -- and no command', ['run', 'shop'], 'CMD'],
  ['run: the command before --', ['run', 'shop', 'migrate', '--', '--fast'], 'CMD'],
  ['run: --env without =', ['run', 'shop', '--env', 'DRY_RUN', '--', 'true'], '--env'],
  ['run: --env naming one of the stack\'s secrets', ['run', 'shop', '--env', 'DB_PASSWORD=x', '--', 'true'], '--env'],
  ['run: --cpu below ECS\'s range', ['run', 'shop', '--cpu', '64', '--', 'true'], '--cpu'],
  ['run: --memory not a number', ['run', 'shop', '--memory', '1g', '--', 'true'], '--memory'],
  ['run: --cpu above what a t3.small host offers', ['run', 'shop', '--cpu', '4096', '--', 'true'], '--cpu'],
  ['run: --memory above what a t3.small host offers', ['run', 'shop', '--memory', '4096', '--', 'true'], '--memory'],
  ['run: an image Docker refuses', ['run', 'shop', '--image', 'My/App', '--', 'true'], '--image'],
  ['run: a service the stack does not have', ['run', 'shop', '--service', 'api', '--', 'true'], '--service'],
  ['exec: --task not a task id', ['exec', 'shop', '--task', 'web-1'], '--task'],
  ['exec: --container not a container name', ['exec', 'shop', '--container', 'a b'], '--container'],
  ['exec: a service the stack does not have', ['exec', 'shop', '--service', 'shop-wbe'], '--service'],
  ['run: a stack of two services and no --service', ['run', 'duo', '--', 'true'], '--service'],
  ['exec: a stack of two services and no --service', ['exec', 'duo'], '--service'],
  ['run: --cpu above the host, for the named service', ['run', 'duo', '--service', 'api', '--cpu', '9000', '--', 'true'], '--cpu'],
];

describe('day-2 bad input: exit 2, the bad flag named, zero AWS requests', () => {
  it('the stacks are fine for a command that reaches AWS (so the failures below are the bad flag)', async () => {
    // GIVEN the same state WHEN a valid deploy runs THEN it gets as far as calling AWS (which refuses here)
    const before = requests;
    const r = await run(['deploy', 'shop', '--image', 'nginx:1.27']);
    expect(r.code).not.toBe(2);
    expect(requests).toBeGreaterThan(before);
    // (and so does a valid run, and an exec)
    for (const args of [['run', 'shop', '--cpu', '512', '--env', 'A=1', '--', 'sh', '-c', 'exit 3'], ['exec', 'shop', '--task', '0123abcd'], ['run', 'duo', '--service', 'api', '--', 'true']]) {
      const at = requests;
      expect((await run(args)).code, args.join(' ')).not.toBe(2);
      expect(requests, args.join(' ')).toBeGreaterThan(at);
    }
  });

  it.each(cases)('%s', async (_name, args, field) => {
    const before = requests;
    const r = await run(args);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 2 });
    expect(r.stderr).toContain(field);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(requests - before).toBe(0);
  });
});

describe('several services: which one, said exactly', () => {
  it('deploy without --service names the services and how to pick one', async () => {
    const r = await run(['deploy', 'trio', '--image', 'nginx:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Stack "trio" has 3 services (trio, api, worker): say which one with --service.');
    expect(r.stderr).toContain('--service: is required on a stack of several services: one of trio, api, worker');
  });

  it('an unknown --service asks "did you mean"', async () => {
    const r = await run(['releases', 'trio', '--service', 'apj']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Stack "trio" has no service "apj"; did you mean api?');
  });

  it('with --service the command goes on to AWS (the service found)', async () => {
    const before = requests;
    const r = await run(['deploy', 'trio', '--service', 'api', '--image', 'nginx:1.27']);
    expect(r.code).not.toBe(2);
    expect(requests).toBeGreaterThan(before);
  });
});

describe('deploy when a parameter the stack\'s secrets name is gone', () => {
  it('exits 2 naming service.secrets.DB_PASSWORD before any change: deploy does not change secrets, but its new tasks read them', async () => {
    // GIVEN the stack's secret parameter was deleted since create
    secretsGone = true;
    const before = targets.length;
    try {
      // WHEN a deploy runs
      const r = await run(['deploy', 'shop', '--image', 'nginx:1.27']);
      // THEN it stops after the lookup alone, naming the secret and how to fix it
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('service.secrets.DB_PASSWORD: names no SSM parameter in us-east-1');
      expect(targets.slice(before)).toEqual(['AmazonSSM.DescribeParameters']);
    } finally {
      secretsGone = false;
    }
  });
});
