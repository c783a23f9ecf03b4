import { Route53Client } from '@aws-sdk/client-route-53';
import { WizardError, inputError } from '../../errors.js';
import type { ResourceStep } from '../../engine/types.js';
import { isStackLoadBalancerHost, recordSet, someZoneNames, zoneHolding } from './dns.js';
import type { StackEnv } from '../env.js';
import type { HostedZoneOutputs } from '../outputs.js';

/**
 * The Route 53 public hosted zone that holds loadBalancer.domain: the longest one (a zone for
 * app.example.com wins over example.com, as DNS delegation does). The user's: found and checked
 * before anything is made (no zone → exit 2, naming the domain and the zones looked for), never
 * changed or deleted. Also checked then: the name carries no record of someone else's that the
 * alias would replace.
 */
export const hostedZoneStep: ResourceStep<StackEnv> = {
  id: 'hosted-zone',
  title: 'Hosted zone (existing)',
  dependsOn: [],
  external: true,
  async find(ctx) {
    const route53 = ctx.env.aws.get(Route53Client);
    const domain = ctx.env.answers.loadBalancer.domain!;
    const path = 'loadBalancer.domain';
    const found = await zoneHolding(route53, domain);
    if (found.ambiguous) {
      throw inputError([
        {
          path,
          message: `${found.ambiguous.length} public hosted zones are named ${found.ambiguous[0]!.Name} (${found.ambiguous.map((z) => z.Id!.replace('/hostedzone/', '')).join(', ')}): only the one the registrar delegates to serves the name; delete the others`,
        },
      ]);
    }
    if (!found.zone) {
      const have = await someZoneNames(route53);
      throw inputError([
        {
          path,
          message: `no public Route 53 hosted zone of this account holds ${domain}: looked for zones named ${found.lookedFor.map((n) => `${n}.`).join(', ')}; the account's public zones are ${have.length ? have.join(', ') : 'none'}. Create the zone (and delegate the domain to it), or choose a domain in one of those zones`,
        },
      ]);
    }
    const hostedZoneId = found.zone.Id!.replace('/hostedzone/', '');
    // The alias replaces an A record, and cannot sit beside a CNAME: neither may be someone else's.
    const [a, cname] = await Promise.all([recordSet(route53, hostedZoneId, domain, 'A'), recordSet(route53, hostedZoneId, domain, 'CNAME')]);
    const foreignA = a && !(a.AliasTarget && isStackLoadBalancerHost(a.AliasTarget.DNSName, ctx.env.names.loadBalancer));
    if (foreignA || cname) {
      const what = cname ? `a CNAME record (→ ${cname.ResourceRecords?.[0]?.Value ?? '?'})` : `an A record (→ ${a!.AliasTarget?.DNSName ?? a!.ResourceRecords?.map((r) => r.Value).join(', ')})`;
      throw inputError([{ path, message: `${domain} already has ${what} in zone ${found.zone.Name} that is not this stack's: choose another domain, or delete that record first` }]);
    }
    return { hostedZoneId, zoneName: found.zone.Name! } satisfies HostedZoneOutputs;
  },
  async create() {
    throw new WizardError('INPUT_INVALID', 'Hosted zones are never created.');
  },
};
