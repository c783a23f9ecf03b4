import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { inputError, type Problem } from '../errors.js';
import type { Sleep } from '../aws/poll.js';

/** One log event as `logs` prints it: `--output json` writes exactly these keys, one object per line. */
export interface LogLine {
  timestamp: string;
  task: string;
  stream: string;
  message: string;
}

export interface LogQuery {
  logGroupName: string;
  /** Stream name prefix (`ecs/app/<task id>` for --task). */
  streamPrefix?: string;
  startTime: number;
  filterPattern?: string;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** --since: `10m`, `2h`, `30s`, `1d`, or an ISO-8601 time; the epoch milliseconds it names. */
export function parseSince(text: string, now: number, problems: Problem[]): number | undefined {
  const rel = /^\s*(\d{1,6})\s*([smhd])\s*$/.exec(text);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  // A date, or a date and time (Date.parse alone would also take "May 1" or "1").
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const t = Date.parse(text.trim());
    if (!Number.isNaN(t)) {
      if (t > now) problems.push({ path: '--since', message: `${text} is in the future` });
      return t;
    }
  }
  problems.push({ path: '--since', message: `must be a duration like 10m, 2h, 30s, 1d or an ISO-8601 time like 2024-05-01T10:00:00Z, got "${text}"` });
  return undefined;
}

/** --task: a task id (or its ARN, or the start of its id). */
export function parseTaskId(text: string, problems: Problem[]): string | undefined {
  const id = text.trim().split('/').pop() ?? '';
  if (/^[0-9a-f]{1,32}$/i.test(id)) return id.toLowerCase();
  problems.push({ path: '--task', message: `must be an ECS task id (32 hex digits, or its start) or task ARN, got "${text}"` });
  return undefined;
}

export interface LogsFlagsInput {
  since?: string;
  task?: string;
  filter?: string;
}

/** Every --since/--task/--filter problem at once (exit 2, no AWS call). */
export function parseLogFlags(flags: LogsFlagsInput, now: number): { startTime: number; task?: string; filterPattern?: string } {
  const problems: Problem[] = [];
  const startTime = parseSince(flags.since ?? '10m', now, problems);
  const task = flags.task !== undefined ? parseTaskId(flags.task, problems) : undefined;
  if (flags.filter !== undefined && flags.filter.trim() === '') problems.push({ path: '--filter', message: 'must not be empty (a CloudWatch Logs filter pattern such as ERROR or "timed out")' });
  if (problems.length) throw inputError(problems, 'options');
  return { startTime: startTime!, ...(task ? { task } : {}), ...(flags.filter ? { filterPattern: flags.filter } : {}) };
}

/** `ecs/app/0123…` → the task id (the awslogs driver names streams prefix/container/task id). */
export function toLine(e: FilteredLogEvent): LogLine {
  const stream = e.logStreamName ?? '';
  return { timestamp: new Date(e.timestamp ?? 0).toISOString(), task: stream.split('/').pop() ?? stream, stream, message: (e.message ?? '').replace(/\r?\n$/, '') };
}

const eventKey = (e: FilteredLogEvent): string => `${e.logStreamName}/${e.eventId}`;

/**
 * Every event from `startTime` on, all pages, in time order. The stream prefix is also applied
 * here: CloudWatch filters by it, but an emulator may not.
 */
export async function readEvents(logs: CloudWatchLogsClient, q: LogQuery, signal?: AbortSignal): Promise<FilteredLogEvent[]> {
  const events: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  do {
    if (signal?.aborted) break;
    const r = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: q.logGroupName,
        startTime: q.startTime,
        ...(q.streamPrefix ? { logStreamNamePrefix: q.streamPrefix } : {}),
        ...(q.filterPattern ? { filterPattern: q.filterPattern } : {}),
        nextToken,
      }),
    );
    events.push(...(r.events ?? []).filter((e) => !q.streamPrefix || e.logStreamName?.startsWith(q.streamPrefix)));
    nextToken = r.nextToken;
  } while (nextToken);
  // Stable: events of one stream with the same timestamp keep their order.
  return events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
}

/**
 * Polls for new events until `signal` aborts: every second while events come, backing off ×1.5 to
 * 10 s while none do. Each poll asks from the last timestamp seen (inclusive) and drops the events
 * already printed, so nothing is lost or printed twice when several share a millisecond.
 */
export async function followEvents(
  logs: CloudWatchLogsClient,
  q: LogQuery,
  emit: (e: FilteredLogEvent) => void,
  opts: { sleep: Sleep; signal: AbortSignal; minDelayMs?: number; maxDelayMs?: number },
): Promise<void> {
  const min = opts.minDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 10_000;
  let since = q.startTime;
  let seen = new Set<string>();
  let delay = min;
  while (!opts.signal.aborted) {
    const events = (await readEvents(logs, { ...q, startTime: since }, opts.signal)).filter((e) => !seen.has(eventKey(e)));
    for (const e of events) emit(e);
    if (events.length) {
      const last = events[events.length - 1]!.timestamp ?? since;
      // Only the events at the new starting millisecond can come back.
      seen = new Set([...(last === since ? seen : []), ...events.filter((e) => e.timestamp === last).map(eventKey)]);
      since = last;
      delay = min;
    } else {
      delay = Math.min(max, Math.round(delay * 1.5));
    }
    try {
      await opts.sleep(delay, opts.signal);
    } catch {
      return;
    }
  }
}
