import type { Deployment, ServiceConnectConfiguration } from '@aws-sdk/client-ecs';
import type { Answers } from '../../wizard/schema.js';
import { servicesOf, type ServiceSpec } from '../services.js';

/**
 * ECS Service Connect for services that ask to be found (`discovery: true`, issue 23): the stack
 * then has one AWS Cloud Map HTTP namespace, `<stack>.internal` (steps/stack/service-connect-namespace.ts);
 * EVERY ECS service of the stack joins it as a client (ECS adds a proxy to its tasks, which is
 * how `http://worker:8080` resolves), and a discovery service also serves under its own name: its
 * port mapping is named after it, and ECS makes a Cloud Map service for it. A stack whose answers
 * ask for none plans, creates and reruns exactly as before.
 */

/** Some service of the stack asks to be found: the stack has a namespace, and every service is a client of it. */
export function usesServiceConnect(answers: Answers): boolean {
  return servicesOf(answers).some((s) => s.discovery);
}

/** How the other services reach a discovery service: `http://worker:8080` (undefined for a service not found by name). */
export function discoveryUrl(svc: Pick<ServiceSpec, 'name' | 'discovery' | 'containerPort'>): string | undefined {
  return svc.discovery && svc.containerPort !== undefined ? `http://${svc.name}:${svc.containerPort}` : undefined;
}

/**
 * The port mapping's Service Connect fields for a discovery service: the name its
 * serviceConnectConfiguration's `portName` refers to, and HTTP (the proxy's telemetry and retries
 * follow it). Nothing for any other service: its port mapping stays exactly as before.
 */
export function portMappingName(svc: Pick<ServiceSpec, 'name' | 'discovery'>): { name: string; appProtocol: 'http' } | Record<string, never> {
  return svc.discovery ? { name: svc.name, appProtocol: 'http' } : {};
}

/**
 * What the ECS service is given: with the stack's namespace, a client of it — and a discovery
 * service serving `http://<name>:<port>` as well; without one, undefined (nothing sent, as before).
 */
export function wantedServiceConnect(svc: Pick<ServiceSpec, 'name' | 'discovery' | 'containerPort'>, namespaceArn: string | undefined): ServiceConnectConfiguration | undefined {
  if (namespaceArn === undefined) return undefined;
  const serves = svc.discovery && svc.containerPort !== undefined;
  return {
    enabled: true,
    namespace: namespaceArn,
    ...(serves ? { services: [{ portName: svc.name, discoveryName: svc.name, clientAliases: [{ port: svc.containerPort, dnsName: svc.name }] }] } : {}),
  };
}

/** The Service Connect configuration the service runs with: its PRIMARY deployment's (ECS reports it per deployment). */
export function runningServiceConnect(deployments: Deployment[] | undefined): ServiceConnectConfiguration | undefined {
  return (deployments ?? []).find((d) => d.status === 'PRIMARY')?.serviceConnectConfiguration;
}

/** A namespace as ECS may report it (its ARN, or the name or id it was given): compared by its last part too. */
const sameNamespace = (a: string | undefined, b: string | undefined, names: readonly string[]): boolean =>
  a === b || (a !== undefined && b !== undefined && (a.split('/').pop() === b.split('/').pop() || names.includes(a)));

/** Only the fields ecs-wizard sets: ECS may add defaults (timeouts, an ingress port) of its own. */
function servicesKey(c: ServiceConnectConfiguration | undefined): string {
  return JSON.stringify(
    (c?.services ?? [])
      .map((s) => [s.portName, s.discoveryName ?? s.portName, (s.clientAliases ?? []).map((a) => [a.port, a.dnsName ?? s.portName])])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
  );
}

/**
 * What the service step must change: `undefined` when the running configuration is the wanted
 * one, else the configuration to send in UpdateService. Without a namespace, a service that still
 * runs Service Connect is turned off (`enabled: false`); one that never ran it is left alone.
 * `namespaceNames` are the other ways ECS may name the stack's namespace (its name, its id).
 */
export function serviceConnectChange(
  running: ServiceConnectConfiguration | undefined,
  wanted: ServiceConnectConfiguration | undefined,
  namespaceNames: readonly string[] = [],
): ServiceConnectConfiguration | undefined {
  if (wanted === undefined) return running?.enabled ? { enabled: false } : undefined;
  const same = running?.enabled === true && sameNamespace(running.namespace, wanted.namespace, namespaceNames) && servicesKey(running) === servicesKey(wanted);
  return same ? undefined : wanted;
}
