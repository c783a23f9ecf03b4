import { servicesOf, type ServiceSpec } from '../steps/services.js';
import type { Answers } from '../wizard/schema.js';

/** One service of the stack as the export reads it: the stack's own `ServiceSpec` (steps/services.ts). */
export type ExportService = ServiceSpec;

export const exportServices = (answers: Answers): ExportService[] => servicesOf(answers);

/** The service a plan step stands for: `<kind>:<svc>` names it, a bare `<kind>` is the primary one. */
export function serviceOfStep(stepId: string, services: ExportService[]): ExportService | undefined {
  const name = stepId.includes(':') ? stepId.slice(stepId.indexOf(':') + 1) : undefined;
  return name === undefined ? services.find((s) => s.primary) : services.find((s) => s.name === name);
}
