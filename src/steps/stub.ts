import { WizardError } from '../errors.js';
import type { ResourceStep, WaitStep } from '../engine/types.js';
import type { StackEnv } from './env.js';

/** Placeholder for a step not written yet: finds nothing, refuses to create. Remove when all steps exist. */
export function notYet(id: string, title: string, dependsOn: string[]): ResourceStep<StackEnv> {
  return {
    id,
    title,
    dependsOn,
    async find() {
      return undefined;
    },
    async create() {
      throw new WizardError('NOT_IMPLEMENTED', `${title} is not implemented yet.`);
    },
  };
}

export function waitNotYet(id: string, title: string, dependsOn: string[]): WaitStep<StackEnv> {
  return { id, title, dependsOn, kind: 'wait', async run() {} };
}
