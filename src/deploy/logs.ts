import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { inputError, type Problem } from '../errors.js';
import type { Sleep } from '../aws/poll.js';
import type { Style } from '../ui/style.js';

/** One log event as `logs` prints it: `--output json` writes exactly these keys, one object per line. */
export interface LogLine {
  timestamp: string;
  task: string;
  stream: string;
  message: string;
  /** The service whose task wrote it, on a stack of several (from the stream's prefix). */
  service?: string;
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

/**
 * --task: a task id (or its ARN, or the start of its id): 32 hex digits, or a UUID with hyphens,
 * as tasks of accounts still on ECS's old ARN format are named.
 */
export function parseTaskId(text: string, problems: Problem[]): string | undefined {
  const id = text.trim().split('/').pop() ?? '';
  if (/^[0-9a-f]{1,32}$/i.test(id) || /^[0-9a-f]{8}(-[0-9a-f]{0,4}){0,3}(-[0-9a-f]{0,12})?$/i.test(id)) return id.toLowerCase();
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
/**
 * One event as a line. `services` (a stack of several): stream prefix → service name (a task's
 * stream is `<prefix>/<container>/<task id>`; the stack's own service's prefix is `ecs`), so each
 * line says whose it is.
 */
export function toLine(e: FilteredLogEvent, services?: ReadonlyMap<string, string>): LogLine {
  const stream = e.logStreamName ?? '';
  const service = services?.get(stream.split('/')[0] ?? '');
  return { timestamp: new Date(e.timestamp ?? 0).toISOString(), task: stream.split('/').pop() ?? stream, stream, message: (e.message ?? '').replace(/\r?\n$/, ''), ...(service !== undefined ? { service } : {}) };
}

/** A line as `logs` prints it: `[api] <time> <task> <message>` (the service only when the line names one: several services interleaved). */
export function lineText(line: LogLine, s: Pick<Style, 'dim' | 'cyan'>): string {
  return `${line.service !== undefined ? `[${line.service}] ` : ''}${s.dim(line.timestamp)} ${s.cyan(line.task.slice(0, 12))} ${line.message}`;
}

const eventKey = (e: FilteredLogEvent): string => `${e.logStreamName}/${e.eventId}`;

/**
 * FilterLogEvents allows 5 requests per second per account and region, shared with everyone
 * reading logs there. Every request of one command — a read's pages, --follow's polls — waits its
 * turn here, at least `1000 / perSecond` ms after the one before.
 */
export interface Pacer {
  wait(signal?: AbortSignal): Promise<void>;
}

export function pacer(timing: { sleep: Sleep; now: () => number }, perSecond = 5): Pacer {
  const gap = Math.ceil(1000 / perSecond);
  let next = Number.NEGATIVE_INFINITY;
  return {
    async wait(signal) {
      const now = timing.now();
      const at = Math.max(now, next);
      next = at + gap;
      if (at > now) await timing.sleep(at - now, signal);
    },
  };
}

/**
 * Every event from `startTime` on, all pages, each page handed to `emit` as it arrives (in time
 * order within the page, as FilterLogEvents interleaves the streams), so the first lines show
 * while later pages are still being read. The stream prefix is also applied here: CloudWatch
 * filters by it, but an emulator may not. Returns how many events were emitted.
 */
export async function readEvents(
  logs: CloudWatchLogsClient,
  q: LogQuery,
  emit: (e: FilteredLogEvent) => void,
  opts: { pacer?: Pacer; signal?: AbortSignal } = {},
): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    if (opts.signal?.aborted) break;
    await opts.pacer?.wait(opts.signal);
    const r = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: q.logGroupName,
        startTime: q.startTime,
        ...(q.streamPrefix ? { logStreamNamePrefix: q.streamPrefix } : {}),
        ...(q.filterPattern ? { filterPattern: q.filterPattern } : {}),
        nextToken,
      }),
    );
    const page = (r.events ?? []).filter((e) => !q.streamPrefix || e.logStreamName?.startsWith(q.streamPrefix));
    // Stable: events of one stream with the same timestamp keep their order.
    for (const e of page.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0))) emit(e);
    count += page.length;
    nextToken = r.nextToken;
  } while (nextToken);
  return count;
}

/** The event ids printed within a trailing window, with their timestamps: what a poll must not print again. */
export class RecentEvents {
  private readonly seen = new Map<string, number>();

  /** True the first time an event is seen. */
  add(e: FilteredLogEvent, timestamp: number): boolean {
    const key = eventKey(e);
    if (this.seen.has(key)) return false;
    this.seen.set(key, timestamp);
    return true;
  }

  /** Forgets the events stamped before `t`: a read from `t` on cannot return them. */
  forgetBefore(t: number): void {
    for (const [key, at] of this.seen) if (at < t) this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }
}

/**
 * Polls for new events until `signal` aborts: every second while events come, backing off ×1.5 to
 * 10 s while none do. The awslogs driver sends in batches, so an event stamped before the newest
 * one printed can arrive after it: each poll reads again a trailing window (`windowMs`, 30 s)
 * before the newest timestamp seen and prints only the events it has not printed, by event id.
 * Ids are forgotten once they fall out of the window (the next poll cannot return them), so
 * memory holds one window's ids, however long the command runs.
 */
export async function followEvents(
  logs: CloudWatchLogsClient,
  q: LogQuery,
  emit: (e: FilteredLogEvent) => void,
  opts: { sleep: Sleep; signal: AbortSignal; pacer?: Pacer; minDelayMs?: number; maxDelayMs?: number; windowMs?: number; seen?: RecentEvents },
): Promise<void> {
  const min = opts.minDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 10_000;
  const window = opts.windowMs ?? 30_000;
  const seen = opts.seen ?? new RecentEvents();
  let newest: number | undefined;
  let delay = min;
  while (!opts.signal.aborted) {
    const since = newest === undefined ? q.startTime : Math.max(q.startTime, newest - window);
    let fresh = 0;
    try {
      await readEvents(
        logs,
        { ...q, startTime: since },
        (e) => {
          const t = e.timestamp ?? since;
          if (!seen.add(e, t)) return;
          if (newest === undefined || t > newest) newest = t;
          fresh++;
          emit(e);
        },
        { pacer: opts.pacer, signal: opts.signal },
      );
    } catch (err) {
      // Ctrl-C while a page waited its turn: the normal end of a follow.
      if (opts.signal.aborted) return;
      throw err;
    }
    if (newest !== undefined) seen.forgetBefore(Math.max(q.startTime, newest - window));
    delay = fresh ? min : Math.min(max, Math.round(delay * 1.5));
    try {
      await opts.sleep(delay, opts.signal);
    } catch {
      return;
    }
  }
}
