import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { AwsClients } from '../../../src/aws/clients.js';
import type { CliContext } from '../../../src/cli/context.js';
import { exitCodeFor } from '../../../src/cli/exit.js';
import { buildProgram } from '../../../src/cli/main.js';
import { RecentEvents, followEvents, pacer, parseLogFlags, readEvents, toLine } from '../../../src/deploy/logs.js';
import { WizardError, isWizardError } from '../../../src/errors.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { wireError, wireJson } from '../../support/aws-wire.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ev = (stream: string, id: string, t: number, message: string): FilteredLogEvent => ({ logStreamName: `ecs/app/${stream}`, eventId: id, timestamp: t, message });

describe('logs flags', () => {
  it('--since takes 10m, 2h, 1d and ISO-8601; --task an id, its start or its ARN', () => {
    expect(parseLogFlags({ since: '10m' }, NOW).startTime).toBe(NOW - 600_000);
    expect(parseLogFlags({ since: '2h' }, NOW).startTime).toBe(NOW - 7_200_000);
    expect(parseLogFlags({ since: '2024-05-01T11:00:00Z' }, NOW).startTime).toBe(Date.parse('2024-05-01T11:00:00Z'));
    expect(parseLogFlags({}, NOW).startTime).toBe(NOW - 600_000);
    expect(parseLogFlags({ task: 'arn:aws:ecs:us-east-1:1:task/shop/0A1B2C3D' }, NOW).task).toBe('0a1b2c3d');
  });

  it('names every bad flag at once (exit 2)', () => {
    let err: unknown;
    try {
      parseLogFlags({ since: 'yesterday', task: 'not-a-task', filter: ' ' }, NOW);
    } catch (e) {
      err = e;
    }
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual(['--since', '--task', '--filter']);
    expect(() => parseLogFlags({ since: '2099-01-01' }, NOW)).toThrow(/in the future/);
  });
});

/** A virtual clock: sleeping moves it on, and each sleep is recorded. */
function virtualClock(start = 0) {
  let t = start;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw new WizardError('INTERRUPTED', 'Interrupted.');
      slept.push(ms);
      t += ms;
    },
    slept,
  };
}

describe('reading events', () => {
  it('prints each page as it comes (in time order within it), keeps only the task asked for, and gives the task id', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    const printed: string[] = [];
    const printedBeforeCall: number[] = [];
    const pages = [
      { events: [ev('bbb', '1', 20, 'b1'), ev('aaa', '1', 10, 'a1')], nextToken: 'p2' },
      { events: [ev('aaa', '2', 15, 'a2\n')] },
    ];
    logs.on(FilterLogEventsCommand).callsFake(() => {
      printedBeforeCall.push(printed.length);
      return pages[printedBeforeCall.length - 1];
    });
    const n = await readEvents(new CloudWatchLogsClient({}), { logGroupName: '/ecs/shop', startTime: 0, streamPrefix: 'ecs/app/aaa' }, (e) => printed.push(toLine(e).message));
    // THEN the first page was out before the second was asked for
    expect(printedBeforeCall).toEqual([0, 1]);
    expect(printed).toEqual(['a1', 'a2']);
    expect(n).toBe(2);
    expect(toLine(ev('aaa', '2', 15, 'a2\n'))).toEqual({ timestamp: new Date(15).toISOString(), task: 'aaa', stream: 'ecs/app/aaa', message: 'a2' });
    expect(logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: '/ecs/shop', startTime: 0, logStreamNamePrefix: 'ecs/app/aaa', nextToken: undefined },
      { logGroupName: '/ecs/shop', startTime: 0, logStreamNamePrefix: 'ecs/app/aaa', nextToken: 'p2' },
    ]);
    logs.restore();
  });

  it('paces the requests at most 5 a second, across the pages of a read and the polls of --follow', async () => {
    // GIVEN a log group whose reads answer at once, three pages at first, then one
    const logs = mockClient(CloudWatchLogsClient);
    const clock = virtualClock(1_000_000);
    const at: number[] = [];
    let calls = 0;
    logs.on(FilterLogEventsCommand).callsFake(() => {
      at.push(clock.now());
      calls++;
      return calls < 3 ? { events: [ev('aaa', String(calls), calls, `line ${calls}`)], nextToken: `p${calls + 1}` } : { events: [] };
    });
    const controller = new AbortController();
    const pace = pacer(clock);
    // WHEN it follows with polls 100 ms apart, until the fifth request
    const sleep = async (ms: number, signal?: AbortSignal) => {
      if (calls >= 5) controller.abort();
      await clock.sleep(ms, signal);
    };
    await followEvents(new CloudWatchLogsClient({}), { logGroupName: '/ecs/shop', startTime: 0 }, () => undefined, { sleep, signal: controller.signal, pacer: pace, minDelayMs: 100, maxDelayMs: 100 });
    // THEN no two requests were less than 200 ms apart: the pages waited, and so did the poll after its own 100 ms
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([200, 200, 200, 200]);
    expect(clock.slept).toEqual([200, 200, 100, 100, 100, 100]);
    logs.restore();
  });
});

describe('following events', () => {
  it('prints a late event stamped before the newest one printed (the awslogs driver batches), nothing twice, reading again the trailing window', async () => {
    // GIVEN a log group where events arrive poll by poll, answering from the startTime asked for
    const W = 30_000;
    const T = 1_000_000;
    const arrivals = [
      [ev('aaa', '1', T, 'one'), ev('bbb', '1', T + 5000, 'two')],
      // bbb's batch came first; aaa's event of T + 2000 arrives a poll later, with one more of bbb's at T + 5000
      [ev('aaa', '2', T + 2000, 'late'), ev('bbb', '2', T + 5000, 'two-bis')],
      [ev('aaa', '3', T + 40_000, 'later')],
    ];
    const arrived: FilteredLogEvent[] = [];
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(FilterLogEventsCommand).callsFake((input: { startTime: number }) => {
      arrived.push(...(arrivals.shift() ?? []));
      return { events: arrived.filter((e) => e.timestamp! >= input.startTime).sort((a, b) => a.timestamp! - b.timestamp!) };
    });
    const controller = new AbortController();
    const printed: string[] = [];
    const delays: number[] = [];
    const seen = new RecentEvents();
    const remembered: number[] = [];
    const sleep = async (ms: number) => {
      delays.push(ms);
      remembered.push(seen.size);
      if (delays.length >= 5) controller.abort();
      if (controller.signal.aborted) throw new Error('aborted');
    };
    // WHEN it follows
    await followEvents(new CloudWatchLogsClient({}), { logGroupName: '/ecs/shop', startTime: T - 600_000 }, (e) => printed.push(e.message!), { sleep, signal: controller.signal, minDelayMs: 100, maxDelayMs: 400, windowMs: W, seen });
    // THEN the late event was printed when it came, and no event twice
    expect(printed).toEqual(['one', 'two', 'late', 'two-bis', 'later']);
    // AND each poll read from the window before the newest timestamp seen (never before --since)
    expect(logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input.startTime)).toEqual([T - 600_000, T + 5000 - W, T + 5000 - W, T + 40_000 - W, T + 40_000 - W]);
    // AND it remembers only the window's events: once "later" moved the window on, the first four are forgotten
    expect(remembered).toEqual([2, 4, 1, 1, 1]);
    // AND new events: poll again soon; nothing new: back off ×1.5 up to the maximum
    expect(delays).toEqual([100, 100, 100, 150, 225]);
    logs.restore();
  });

  it('ends quietly when Ctrl-C comes while a request waits its turn', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(FilterLogEventsCommand).resolvesOnce({ events: [], nextToken: 'more' }).resolves({ events: [] });
    const controller = new AbortController();
    const clock = virtualClock();
    const calls = () => logs.commandCalls(FilterLogEventsCommand).length;
    // Ctrl-C comes while the third request waits for its turn
    const pace = { wait: async (signal?: AbortSignal) => (calls() === 2 ? (controller.abort(), clock.sleep(200, signal)) : undefined) };
    const sleep = async (ms: number, signal?: AbortSignal) => {
      if (calls() > 5) controller.abort();
      await clock.sleep(ms, signal);
    };
    await expect(followEvents(new CloudWatchLogsClient({}), { logGroupName: '/ecs/shop', startTime: 0 }, () => undefined, { sleep, signal: controller.signal, pacer: pace })).resolves.toBeUndefined();
    expect(calls()).toBe(2);
    logs.restore();
  });
});

describe('logs when CloudWatch Logs throttles (its own JSON 1.1 ThrottlingException on the wire)', () => {
  // GIVEN a stack's state, and a CloudWatch Logs on loopback that answers one page, then only "Rate exceeded"
  const stateDir = mkdtempSync(join(tmpdir(), 'logs-throttled-'));
  const T = Date.parse('2024-05-01T11:59:00.000Z');
  let server: Server;
  let endpoint = '';
  let throttled = 0;
  let requests = 0;
  let stdout = '';
  let outBeforeThrottle = '';

  beforeAll(async () => {
    const doc = { version: 1, stack: 'shop', region: 'us-east-1', createdAt: '', updatedAt: '', answers: validateAnswers({ stack: 'shop', region: 'us-east-1' }), resources: {} };
    writeFileSync(join(stateDir, 'shop.json'), JSON.stringify(doc));
    server = createServer((req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      req.resume();
      req.on('end', () => {
        requests++;
        let answer = wireError('logs', 'UnknownOperationException', target, 400);
        if (target.endsWith('.FilterLogEvents') && requests === 1) {
          answer = wireJson('logs', { events: [ev('0a1b2c3d', 'e1', T, 'GET / 200'), ev('0a1b2c3d', 'e2', T + 1500, 'GET /health 200')], nextToken: 'page-2' });
        } else if (target.endsWith('.FilterLogEvents')) {
          throttled++;
          outBeforeThrottle ||= stdout;
          answer = wireError('logs', 'ThrottlingException', 'Rate exceeded');
        }
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('prints the page it got, then exits 1 saying how far it got and how to continue with --since', async () => {
    const clock = virtualClock(Date.now());
    const sink = (write: (s: string) => void) => new Writable({ write: (chunk, _enc, cb) => (write(String(chunk)), cb()) });
    const ctx: CliContext = {
      stdout: sink((s) => (stdout += s)),
      stderr: sink(() => undefined),
      stdin: Readable.from([]),
      env: { ECS_WIZARD_STATE_DIR: stateDir, NO_COLOR: '1' },
      cwd: stateDir,
      isTTY: false,
      // Two attempts: the SDK retries the throttled read once before giving up (standard mode: the
      // adaptive mode's rate limiter would hold the retry for seconds).
      makeClients: (t) => new AwsClients({ ...t, endpointUrl: endpoint, region: 'us-east-1', maxAttempts: 2, clientConfig: { retryMode: 'standard' } }),
      timing: { sleep: clock.sleep, now: clock.now, minDelayMs: 5, maxDelayMs: 50, timeoutMs: 10_000 },
      signal: new AbortController().signal,
    };
    let code = 0;
    let error: unknown;
    const program = buildProgram(async (load) => {
      code = await load();
    }, () => ctx);
    // WHEN logs reads the group's events of the last hour as JSON lines
    try {
      await program.parseAsync(['node', 'ecs-wizard', 'logs', 'shop', '--since', '1h', '--filter', 'GET /', '--output', 'json']);
    } catch (err) {
      error = err;
      code = exitCodeFor(err);
    }
    // THEN the first page was printed before the throttled read, one JSON object per line
    expect(outBeforeThrottle.trim().split('\n').map((l) => JSON.parse(l).message)).toEqual(['GET / 200', 'GET /health 200']);
    expect(stdout).toBe(outBeforeThrottle);
    // AND the throttling came back from the wire, after the SDK's retry
    expect(throttled).toBe(2);
    expect(awsCode((error as WizardError).cause)).toBe('ThrottlingException');
    // AND it exits 1, saying how far it got and the command that continues from there
    expect(code).toBe(1);
    expect((error as Error).message).toBe(
      'CloudWatch Logs throttled the reads of /ecs/shop (FilterLogEvents: 5 requests a second per account and region, shared with everyone reading logs there): 2 events printed, the last at 2024-05-01T11:59:01.500Z.',
    );
    expect((error as WizardError).hint).toBe("Continue from there in a moment (the events at that instant print again): ecs-wizard logs shop --since 2024-05-01T11:59:01.500Z --filter 'GET /' --output json");
    // AND the second page waited its turn (5 requests a second)
    expect(clock.slept).toContain(200);
  });
});

const awsCode = (err: unknown): string | undefined => (err as { name?: string })?.name;
