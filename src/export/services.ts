import type { Answers } from '../wizard/schema.js';

/**
 * One service of the stack as the export reads it — the shape of the multi-service answers'
 * `ServiceSpec` (name, primary, route, worker or not, its own scaling …) — so that moving to
 * `servicesOf(answers)` is one line. Until then a stack has exactly one service, named after the
 * stack, taking the listener's default route.
 */
export type ExportService = Answers['service'] & {
  name: string;
  primary: boolean;
  loadBalanced: boolean;
  defaultRoute: boolean;
  path?: string;
  host?: string;
  priority?: number;
  command?: string[];
  healthCheckPath: string;
  scaling: Answers['scaling']['service'];
  exec: boolean;
  discovery: boolean;
};

export function exportServices(answers: Answers): ExportService[] {
  return [
    {
      ...answers.service,
      name: answers.stack,
      primary: true,
      loadBalanced: true,
      defaultRoute: true,
      healthCheckPath: answers.loadBalancer.healthCheckPath,
      scaling: answers.scaling.service,
      exec: false,
      discovery: false,
    },
  ];
}

/** The service a plan step stands for: `<kind>:<svc>` names it, a bare `<kind>` is the primary one. */
export function serviceOfStep(stepId: string, services: ExportService[]): ExportService | undefined {
  const name = stepId.includes(':') ? stepId.slice(stepId.indexOf(':') + 1) : undefined;
  return name === undefined ? services.find((s) => s.primary) : services.find((s) => s.name === name);
}
