import type { AwsClients, AwsTarget } from '../../aws/clients.js';
import { estimateFromRunning, type CostReport, type RunningFacts } from '../../cost/estimate.js';
import type { HostFacts } from '../../hosts/inspect.js';
import type { CliContext } from '../context.js';
import type { CommonOptions } from '../options.js';
import { loadPrices } from '../prices.js';
import type { LiveFacts } from '../../live/inspect.js';

/** What runs, as the estimate reads it: the group's instances (type, Spot or On-Demand, public IPv4), the ALB's zones, NAT gateways and addresses. */
export function runningFacts(live: LiveFacts, hosts: HostFacts | undefined): RunningFacts {
  const running = (hosts?.hosts ?? []).filter((h) => h.lifecycleState !== 'Terminated');
  return {
    hosts: running.map((h) => ({ ...(h.instanceType ? { instanceType: h.instanceType } : {}), spot: h.market === 'spot', publicIp: h.publicIp === true })),
    albZones: live.loadBalancer ? (live.loadBalancer.zones ?? 0) : 0,
    natGateways: live.natGateways?.billing ?? 0,
    natAddresses: live.elasticIps?.count ?? 0,
    ...(live.autoScalingGroup?.max !== undefined ? { maxSize: live.autoScalingGroup.max } : {}),
    ...(hosts?.launch?.instanceType ? { launchType: hosts.launch.instanceType } : {}),
  };
}

/** What the stack costs now: the prices of what runs (Spot hosts at the last hour's Spot price of their type and zone). */
export async function statusCost(opts: CommonOptions, ctx: CliContext, aws: AwsClients, target: AwsTarget, region: string, live: LiveFacts, hosts: HostFacts | undefined): Promise<CostReport> {
  const facts = runningFacts(live, hosts);
  const types = [...new Set([...facts.hosts.flatMap((h) => (h.instanceType ? [h.instanceType] : [])), ...(facts.launchType ? [facts.launchType] : [])])];
  const spotHosts = (hosts?.hosts ?? []).filter((h) => h.market === 'spot' && h.instanceType);
  const prices = await loadPrices(opts, ctx, target, region, {
    instanceTypes: types,
    ...(spotHosts.length ? { spot: { aws, instanceTypes: [...new Set(spotHosts.map((h) => h.instanceType!))], zones: [...new Set(spotHosts.flatMap((h) => (h.zone ? [h.zone] : [])))] } } : {}),
  });
  return estimateFromRunning(facts, prices.book, prices.spot);
}
