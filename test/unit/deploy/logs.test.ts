import { describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { followEvents, parseLogFlags, readEvents, toLine } from '../../../src/deploy/logs.js';
import { isWizardError } from '../../../src/errors.js';

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

describe('reading and following events', () => {
  it('reads every page, keeps only the task asked for, and gives time order with the task id', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(FilterLogEventsCommand).resolvesOnce({ events: [ev('bbb', '1', 20, 'b1'), ev('aaa', '1', 10, 'a1')], nextToken: 'p2' }).resolvesOnce({ events: [ev('aaa', '2', 15, 'a2\n')] });
    const client = new CloudWatchLogsClient({});
    const events = await readEvents(client, { logGroupName: '/ecs/shop', startTime: 0, streamPrefix: 'ecs/app/aaa' });
    expect(events.map(toLine)).toEqual([
      { timestamp: new Date(10).toISOString(), task: 'aaa', stream: 'ecs/app/aaa', message: 'a1' },
      { timestamp: new Date(15).toISOString(), task: 'aaa', stream: 'ecs/app/aaa', message: 'a2' },
    ]);
    expect(logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: '/ecs/shop', startTime: 0, logStreamNamePrefix: 'ecs/app/aaa', nextToken: undefined },
      { logGroupName: '/ecs/shop', startTime: 0, logStreamNamePrefix: 'ecs/app/aaa', nextToken: 'p2' },
    ]);
    logs.restore();
  });

  it('--follow asks again from the last timestamp, prints nothing twice (even events sharing a millisecond), backs off while quiet, stops on Ctrl-C', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [ev('aaa', '1', 100, 'one'), ev('bbb', '1', 200, 'two')] })
      // The same millisecond again, plus a new event at it and a later one.
      .resolvesOnce({ events: [ev('bbb', '1', 200, 'two'), ev('aaa', '2', 200, 'two-bis'), ev('aaa', '3', 300, 'three')] })
      .resolves({ events: [ev('aaa', '3', 300, 'three')] });
    const controller = new AbortController();
    const printed: string[] = [];
    const delays: number[] = [];
    const sleep = async (ms: number) => {
      delays.push(ms);
      if (delays.length >= 5) controller.abort();
      if (controller.signal.aborted) throw new Error('aborted');
    };
    await followEvents(new CloudWatchLogsClient({}), { logGroupName: '/ecs/shop', startTime: 50 }, (e) => printed.push(e.message!), { sleep, signal: controller.signal, minDelayMs: 100, maxDelayMs: 400 });
    expect(printed).toEqual(['one', 'two', 'two-bis', 'three']);
    expect(logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input.startTime)).toEqual([50, 200, 300, 300, 300]);
    // New events: poll again soon; nothing new: back off ×1.5 up to the maximum.
    expect(delays).toEqual([100, 100, 150, 225, 338]);
    logs.restore();
  });
});
