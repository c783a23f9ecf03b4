import type { StepContext } from '../../src/engine/types.js';
import type { StackEnv } from '../../src/steps/env.js';
import { serviceNames, servicesOf, type ServiceNames, type ServiceSpec } from '../../src/steps/services.js';
import { stackNames, type StackNames } from '../../src/steps/names.js';
import { validateAnswers } from '../../src/wizard/answers-file.js';

/** The service a one-service test drives: the one named after the stack, else the only one. */
export function primaryOf(env: StackEnv): ServiceSpec {
  const services = servicesOf(env.answers);
  return services.find((s) => s.primary) ?? services[0]!;
}

/**
 * A per-service step (a factory of one ServiceSpec) as the one-service tests drive it: its id,
 * title and dependencies are a one-service stack's, and each call (find, create, destroy, run …)
 * instantiates it for the primary service of the answers in the context it is given — so a test's
 * own answers (its image, counts, secrets) reach the step, exactly as buildPlan would pass them.
 */
export function onPrimary<T extends object>(factory: (svc: ServiceSpec) => T): T {
  const base = factory(servicesOf(validateAnswers({ stack: 'stack' })).find((s) => s.primary)!);
  return new Proxy(base, {
    get(target, prop) {
      const value = (target as Record<string | symbol, unknown>)[prop];
      if (typeof value !== 'function') return value;
      return (ctx: StepContext<StackEnv>, ...rest: unknown[]) => (factory(primaryOf(ctx.env)) as Record<string | symbol, (...a: unknown[]) => unknown>)[prop]!(ctx, ...rest);
    },
  });
}

/** A one-service stack's names: the stack's, and its primary service's (`service`, `taskFamily`, `targetGroup` …), as tests of one-service stacks read them. */
export function oneServiceNames(stack: string): StackNames & ServiceNames {
  return { ...stackNames(stack), ...serviceNames(stack, { name: stack, primary: true }) };
}
