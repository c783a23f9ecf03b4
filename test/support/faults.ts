import { readFileSync } from 'node:fs';
import { isReadOperation } from '../../src/aws/clients.js';

/**
 * Fault injection for the real SDK clients: a middleware inside the SDK's retry loop (so the SDK's
 * adaptive retry mode sees every fault) that answers a seeded share of attempts with the errors
 * real AWS throws at busy callers — before the request leaves the process — and, separately, lets
 * a call reach AWS and then loses its response (the crash-in-the-middle case, where idempotency
 * matters). Deterministic for a given seed and call order.
 */

export type FaultKind = 'ThrottlingException' | 'RequestLimitExceeded' | 'HTTP500' | 'HTTP503' | 'ECONNRESET';
export const FAULT_KINDS: FaultKind[] = ['ThrottlingException', 'RequestLimitExceeded', 'HTTP500', 'HTTP503', 'ECONNRESET'];

/** mulberry32: a tiny seeded PRNG, enough for reproducible fault schedules. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An error shaped the way the SDK shapes the one AWS would send, so its retry classifier treats it as real. */
export function faultError(kind: FaultKind, operation: string): Error {
  const meta = (status: number) => ({ httpStatusCode: status, requestId: 'injected', attempts: 1, totalRetryDelay: 0 });
  switch (kind) {
    case 'ThrottlingException':
      return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: meta(400) });
    case 'RequestLimitExceeded':
      return Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded', $fault: 'client', $metadata: meta(503) });
    case 'HTTP500':
      return Object.assign(new Error(`We encountered an internal error (${operation}).`), { name: 'InternalError', $fault: 'server', $metadata: meta(500) });
    case 'HTTP503':
      return Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: meta(503) });
    case 'ECONNRESET':
      return Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
  }
}

/** The process "died": every later call fails at once and is never retried. */
export class InjectedCrash extends Error {
  constructor(readonly at: string) {
    super(`injected crash ${at}`);
    this.name = 'InjectedCrash';
  }
}

export interface FaultOptions {
  seed?: number;
  /** Share of attempts (0–1) answered with a transient fault before reaching AWS. */
  rate?: number;
  kinds?: FaultKind[];
  /** Share of mutating attempts that reach AWS and then lose the response (a retryable ECONNRESET). */
  responseLostRate?: number;
  /** Crash on the k-th mutating call (1-based): it reaches AWS, its response is lost, and the process is dead. */
  crashAtMutatingCall?: number;
  /** Called once when the crash happens (e.g. to snapshot the state file as it is on disk). */
  onCrash?: (at: string) => void;
}

type Next = (args: unknown) => Promise<unknown>;
interface Ctx {
  commandName?: string;
  __faultAttempts?: number;
}

export class FaultInjector {
  readonly injected: Record<FaultKind, number> = { ThrottlingException: 0, RequestLimitExceeded: 0, HTTP500: 0, HTTP503: 0, ECONNRESET: 0 };
  /** Calls whose request reached AWS but whose response was thrown away (retryable). */
  responsesLost = 0;
  readonly lostResponses: string[] = [];
  /** Attempts beyond the first, i.e. retries the SDK made. */
  retries = 0;
  /** Logical calls (one per command sent) and attempts (each pass through the retry loop). */
  calls = 0;
  attempts = 0;
  /** Mutating calls that reached AWS, with their operation names in order. */
  readonly mutatingSent: string[] = [];
  crashed: string | undefined;
  private readonly random: () => number;

  constructor(readonly opts: FaultOptions = {}) {
    this.random = seededRandom(opts.seed ?? 1);
  }

  get totalInjected(): number {
    return Object.values(this.injected).reduce((a, b) => a + b, 0) + this.responsesLost;
  }

  /** Pass as AwsTarget.middleware. */
  readonly attach = (client: { middlewareStack: { add: (mw: unknown, opts: unknown) => void } }, service: string): void => {
    // Outside the retry loop: counts logical calls.
    client.middlewareStack.add(
      (next: Next) => async (args: unknown) => {
        this.calls++;
        return next(args);
      },
      { step: 'initialize', priority: 'high', name: 'faultCallCounter', override: true },
    );
    // Inside the retry loop (the retry middleware is finalizeRequest/high): sees every attempt.
    client.middlewareStack.add(
      (next: Next, context: Ctx) => async (args: unknown) => this.attempt(next, args, context, service),
      { step: 'finalizeRequest', priority: 'low', name: 'faultInjector', override: true },
    );
  };

  private async attempt(next: Next, args: unknown, context: Ctx, service: string): Promise<unknown> {
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    const label = `${service}.${operation}`;
    this.attempts++;
    context.__faultAttempts = (context.__faultAttempts ?? 0) + 1;
    if (context.__faultAttempts > 1) this.retries++;
    if (this.crashed) throw new InjectedCrash(`(process already dead since ${this.crashed})`);

    const o = this.opts;
    const kinds = o.kinds ?? FAULT_KINDS;
    if (o.rate && this.random() < o.rate) {
      const kind = kinds[Math.floor(this.random() * kinds.length)]!;
      this.injected[kind]++;
      throw faultError(kind, label);
    }
    const mutating = !isReadOperation(operation);
    if (!mutating) return next(args);

    this.mutatingSent.push(label);
    const k = this.mutatingSent.length;
    const result = await next(args);
    if (o.crashAtMutatingCall === k) {
      this.crashed = `mutating call #${k} ${label}`;
      o.onCrash?.(this.crashed);
      throw new InjectedCrash(this.crashed);
    }
    if (o.responseLostRate && this.random() < o.responseLostRate) {
      this.responsesLost++;
      this.lostResponses.push(label);
      throw faultError('ECONNRESET', label);
    }
    return result;
  }

  /** Kill the "process" now (a crash at a step boundary): every later call fails. */
  crash(at: string): void {
    if (this.crashed) return;
    this.crashed = at;
    this.opts.onCrash?.(at);
  }

  summary(): string {
    const kinds = Object.entries(this.injected)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    return `${this.calls} calls, ${this.attempts} attempts; injected ${this.totalInjected} faults (${kinds}, response lost ${this.responsesLost}); SDK retries ${this.retries}`;
  }
}

/** The state file as it is on disk right now (what a crash at this instant would leave), or undefined. */
export function snapshotFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
