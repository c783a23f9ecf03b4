import type { Outputs, ResourceStep, Step, WaitStep } from '../../../src/engine/types.js';

/** An in-memory "cloud" and steps over it, to test the engine without AWS. */
export class FakeCloud {
  readonly resources = new Map<string, Outputs>();
  readonly log: string[] = [];
  private running = 0;
  maxRunning = 0;
  readonly intervals = new Map<string, { start: number; end: number }>();

  async busy<T>(id: string, ms: number, fn: () => T): Promise<T> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    const start = performance.now();
    try {
      await new Promise((r) => setTimeout(r, ms));
      return fn();
    } finally {
      this.running--;
      this.intervals.set(id, { start, end: performance.now() });
    }
  }
}

export interface FakeStepOptions {
  delayMs?: number;
  failCreate?: boolean | (() => boolean);
  failDestroy?: boolean;
  external?: boolean;
}

export function fakeStep(cloud: FakeCloud, id: string, dependsOn: string[] = [], o: FakeStepOptions = {}): ResourceStep<null> {
  return {
    id,
    title: `Fake ${id}`,
    dependsOn,
    external: o.external,
    async find() {
      cloud.log.push(`find:${id}`);
      return cloud.resources.get(id);
    },
    async create(ctx) {
      // Dependencies' outputs must be there: a step reads them.
      for (const d of dependsOn) ctx.output(d);
      cloud.log.push(`create:${id}`);
      return cloud.busy(id, o.delayMs ?? 0, () => {
        const fail = typeof o.failCreate === 'function' ? o.failCreate() : o.failCreate;
        if (fail) throw new Error(`boom in ${id}`);
        const out = { id: `${id}-1` };
        cloud.resources.set(id, out);
        return out;
      });
    },
    async destroy(_ctx, outputs) {
      cloud.log.push(`destroy:${id}`);
      await cloud.busy(`destroy:${id}`, o.delayMs ?? 0, () => {
        if (o.failDestroy) throw new Error(`cannot delete ${id}`);
        if (outputs.id === `${id}-1`) cloud.resources.delete(id);
      });
    },
  };
}

export function fakeWait(cloud: FakeCloud, id: string, dependsOn: string[]): WaitStep<null> {
  return {
    id,
    title: `Wait ${id}`,
    kind: 'wait',
    dependsOn,
    async run() {
      cloud.log.push(`wait:${id}`);
    },
  };
}

export type FakeSteps = Step<null>[];
