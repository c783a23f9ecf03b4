import { isWaitStep, type Step } from './types.js';

/**
 * Checks that ids are unique, every dependency exists, teardown exceptions name dependencies, and
 * there is no cycle. Returns a topological order.
 */
export function topoOrder<E>(steps: readonly Step<E>[]): string[] {
  const byId = new Map<string, Step<E>>();
  for (const step of steps) {
    if (byId.has(step.id)) throw new Error(`duplicate step id "${step.id}"`);
    byId.set(step.id, step);
  }
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (!byId.has(dep)) throw new Error(`step "${step.id}" depends on unknown step "${dep}"`);
    }
    for (const dep of [...(step.teardown?.mayGoOnceDeleting ?? []), ...(step.teardown?.mayGoFirst ?? [])]) {
      if (!step.dependsOn.includes(dep)) throw new Error(`step "${step.id}": teardown names "${dep}", which is not one of its dependencies`);
    }
  }
  const order: string[] = [];
  const mark = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    const m = mark.get(id);
    if (m === 'done') return;
    if (m === 'visiting') throw new Error(`dependency cycle: ${[...path, id].join(' → ')}`);
    mark.set(id, 'visiting');
    for (const dep of byId.get(id)!.dependsOn) visit(dep, [...path, id]);
    mark.set(id, 'done');
    order.push(id);
  };
  for (const step of steps) visit(step.id, []);
  return order;
}

/** Prerequisites of each step for creating it: its dependencies. */
export function prerequisites<E>(steps: readonly Step<E>[]): Map<string, string[]> {
  return new Map(steps.map((s) => [s.id, [...s.dependsOn]]));
}

/** Reverse dependency order: the order a sequential teardown would take. */
export function teardownOrder<E>(steps: readonly Step<E>[]): string[] {
  return topoOrder(steps).reverse();
}

/** The node of a step's slow "really gone" tail (`waitUntilGone`) in the destroy graph. */
export function goneNode(id: string): string {
  return `${id}:gone`;
}

const hasTail = <E>(step: Step<E>): boolean => !isWaitStep(step) && step.waitUntilGone !== undefined;

/**
 * The graph destroy runs: a node per step (its delete) and, for a step with a `waitUntilGone`
 * tail, a node for the tail. By default a dependency is deleted once everything that depends on
 * it is gone (the create graph reversed: there is no second list); a dependent's `teardown` lets
 * the few dependencies AWS allows go once its delete has begun, or first.
 */
export function destroyGraph<E>(steps: readonly Step<E>[]): { order: string[]; prerequisites: Map<string, string[]> } {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const order = teardownOrder(steps).flatMap((id) => (hasTail(byId.get(id)!) ? [id, goneNode(id)] : [id]));
  const pre = new Map<string, string[]>(order.map((node) => [node, []]));
  for (const step of steps) {
    if (hasTail(step)) pre.get(goneNode(step.id))!.push(step.id);
    const gone = hasTail(step) ? goneNode(step.id) : step.id;
    for (const dep of step.dependsOn) {
      if (step.teardown?.mayGoFirst?.includes(dep)) continue;
      pre.get(dep)!.push(step.teardown?.mayGoOnceDeleting?.includes(dep) ? step.id : gone);
    }
  }
  return { order, prerequisites: pre };
}

/**
 * Runs `run` for every node once all its prerequisites have succeeded, at most `concurrency` at a
 * time. After a failure (run returns false) no new node starts unless `keepGoing`; in-flight nodes
 * finish. Nodes never started are reported through `onSkip`.
 */
export async function runGraph(opts: {
  order: readonly string[];
  prerequisites: Map<string, string[]>;
  concurrency: number;
  keepGoing?: boolean;
  shouldStop?: () => boolean;
  run: (id: string) => Promise<boolean>;
  onSkip: (id: string, reason: 'dependency-failed' | 'stopped') => void;
}): Promise<void> {
  const { order, prerequisites: pre, run } = opts;
  const concurrency = Math.max(1, Math.floor(opts.concurrency));
  const state = new Map<string, 'pending' | 'running' | 'ok' | 'failed' | 'skipped'>(order.map((id) => [id, 'pending']));
  let failed = false;
  let running = 0;

  return new Promise<void>((resolve) => {
    const pump = (): void => {
      const stop = (failed && !opts.keepGoing) || (opts.shouldStop?.() ?? false);
      // Skip everything that can no longer run, repeatedly, so skips cascade down the graph.
      let changed = true;
      while (changed) {
        changed = false;
        for (const id of order) {
          if (state.get(id) !== 'pending') continue;
          const deps = pre.get(id) ?? [];
          if (deps.some((d) => state.get(d) === 'failed' || state.get(d) === 'skipped')) {
            state.set(id, 'skipped');
            opts.onSkip(id, 'dependency-failed');
            changed = true;
          }
        }
      }
      if (!stop) {
        for (const id of order) {
          if (running >= concurrency) break;
          if (state.get(id) !== 'pending') continue;
          if (!(pre.get(id) ?? []).every((d) => state.get(d) === 'ok')) continue;
          state.set(id, 'running');
          running++;
          run(id)
            .catch(() => false)
            .then((ok) => {
              running--;
              state.set(id, ok ? 'ok' : 'failed');
              if (!ok) failed = true;
              pump();
            });
        }
      }
      if (running === 0) {
        for (const id of order) {
          if (state.get(id) === 'pending') {
            state.set(id, 'skipped');
            opts.onSkip(id, 'stopped');
          }
        }
        resolve();
      }
    };
    pump();
  });
}
