import { Route53Client } from '@aws-sdk/client-route-53';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { WizardError } from '../../errors.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { deleteRecordSets, isStackLoadBalancerHost, recordSet, sameRecord, upsertRecords } from './dns.js';
import type { StackEnv } from '../env.js';
import { describeLoadBalancer } from './load-balancer.js';
import type { DnsRecord, DnsRecordsOutputs, HostedZoneOutputs, LoadBalancerOutputs } from '../outputs.js';

type Ctx = StepContext<StackEnv>;

/** The alias the domain should have: A → the load balancer (its DNS name and canonical hosted zone). */
async function wantedAlias(ctx: Ctx): Promise<DnsRecord> {
  const { loadBalancerArn, loadBalancerName } = ctx.output<LoadBalancerOutputs>('load-balancer');
  const lb = await describeLoadBalancer(ctx.env.aws.get(ElasticLoadBalancingV2Client), { arn: loadBalancerArn });
  if (!lb?.DNSName || !lb.CanonicalHostedZoneId) throw new WizardError('AWS', `Load balancer ${loadBalancerName} is gone: the alias has nothing to point at.`, { hint: 'Run `ecs-wizard create` again.' });
  return { name: ctx.env.answers.loadBalancer.domain!, type: 'A', alias: { hostedZoneId: lb.CanonicalHostedZoneId, dnsName: lb.DNSName } };
}

/**
 * loadBalancer.domain → the load balancer: an alias A record in the hosted zone that holds the
 * domain (alias queries to an ALB are free, and follow its changing addresses). Found by reading
 * the name's A record; it is the stack's when it aliases the stack's ALB by name. Deleting the
 * ALB does not need the record gone first, so the ALB (whose network interfaces linger) need not
 * wait for it.
 */
export const aliasRecordStep: ResourceStep<StackEnv> = {
  id: 'alias-record',
  title: 'DNS alias record',
  dependsOn: ['load-balancer', 'hosted-zone'],
  teardown: { mayGoFirst: ['load-balancer'] },
  async find(ctx) {
    const route53 = ctx.env.aws.get(Route53Client);
    const { hostedZoneId } = ctx.output<HostedZoneOutputs>('hosted-zone');
    const domain = ctx.env.answers.loadBalancer.domain!;
    const set = await recordSet(route53, hostedZoneId, domain, 'A');
    if (!set?.AliasTarget || !isStackLoadBalancerHost(set.AliasTarget.DNSName, ctx.env.names.loadBalancer)) return undefined;
    const found: DnsRecord = { name: domain, type: 'A', alias: { hostedZoneId: set.AliasTarget.HostedZoneId!, dnsName: set.AliasTarget.DNSName! } };
    if (!ctx.repair) return { hostedZoneId, records: [found] } satisfies DnsRecordsOutputs;
    // The ALB may have been replaced since (a new DNS name): point the alias at the current one.
    const wanted = await wantedAlias(ctx);
    if (!sameRecord(set, wanted)) await upsertRecords(route53, hostedZoneId, [wanted], `ecs-wizard ${ctx.env.names.stack}: alias to the load balancer`);
    return { hostedZoneId, records: [wanted] } satisfies DnsRecordsOutputs;
  },
  async create(ctx) {
    const { hostedZoneId } = ctx.output<HostedZoneOutputs>('hosted-zone');
    const wanted = await wantedAlias(ctx);
    await upsertRecords(ctx.env.aws.get(Route53Client), hostedZoneId, [wanted], `ecs-wizard ${ctx.env.names.stack}: alias to the load balancer`);
    return { hostedZoneId, records: [wanted] } satisfies DnsRecordsOutputs;
  },
  async destroy(ctx, outputs) {
    const route53 = ctx.env.aws.get(Route53Client);
    const { hostedZoneId, records } = outputs as unknown as DnsRecordsOutputs;
    const name = records?.[0]?.name ?? ctx.env.answers.loadBalancer.domain;
    if (!hostedZoneId || !name) return;
    const set = await recordSet(route53, hostedZoneId, name, 'A');
    // Only the stack's own alias: a record someone pointed elsewhere since is theirs.
    if (!set?.AliasTarget || !isStackLoadBalancerHost(set.AliasTarget.DNSName, ctx.env.names.loadBalancer)) return;
    await deleteRecordSets(route53, hostedZoneId, [set], `ecs-wizard ${ctx.env.names.stack}: destroy`);
  },
};
