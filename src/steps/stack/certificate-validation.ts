import { ACMClient } from '@aws-sdk/client-acm';
import { Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { WizardError } from '../../errors.js';
import { poll } from '../../aws/poll.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { certificatesSharingValidation, describeCertificate, validatedName } from './certificate.js';
import { deleteRecordSets, recordSet, sameRecord, upsertRecords } from './dns.js';
import { wasCreatedThisRun } from '../common.js';
import type { StackEnv } from '../env.js';
import type { CertificateOutputs, DnsRecord, DnsRecordsOutputs, HostedZoneOutputs } from '../outputs.js';

type Ctx = StepContext<StackEnv>;

/** Validation records stay up: ACM renews the certificate with them. 5 minutes is ACM's own suggestion. */
const TTL = 300;

/**
 * The CNAME records ACM asks for. Right after RequestCertificate ACM has not filled them in yet
 * (DomainValidationOptions without ResourceRecord for a few seconds): polled, bounded.
 */
async function validationRecords(ctx: Ctx): Promise<DnsRecord[]> {
  const acm = ctx.env.aws.get(ACMClient);
  const { certificateArn } = ctx.output<CertificateOutputs>('certificate');
  return poll(
    async () => {
      const cert = await describeCertificate(acm, certificateArn);
      if (!cert && !wasCreatedThisRun(ctx, certificateArn)) throw new WizardError('AWS', `Certificate ${certificateArn} does not exist any more.`, { hint: 'Run `ecs-wizard create` again: a new certificate is requested.' });
      const options = cert?.DomainValidationOptions ?? [];
      const records = options.map((o) => o.ResourceRecord).filter((r) => r?.Name && r.Value);
      if (options.length === 0 || records.length < options.length) return { done: false, waitingFor: `waiting for ACM to name the DNS validation record of ${certificateArn}` };
      // Two names of one certificate may share a record: write each once.
      const unique = records.filter((r, i) => records.findIndex((o) => o!.Name === r!.Name) === i);
      return { done: true, value: unique.map((r) => ({ name: r!.Name!, type: r!.Type ?? 'CNAME', ttl: TTL, values: [r!.Value!] })) };
    },
    { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress },
  );
}

/** The domain name an ACM validation record proves: its name without the first label (`_<hash>.app.example.com.`). */
export const domainOfValidationRecord = (recordName: string): string => validatedName(recordName.split('.').slice(1).join('.'));

/**
 * The DNS records that prove to ACM the stack's domain is ours, UPSERTed into the hosted zone
 * holding the domain. Removed with the stack — unless another certificate of the account, of any
 * region or key type, is validated with the same record (certificatesSharingValidation): then it
 * is kept, and destroy says so.
 */
export const certificateValidationStep: ResourceStep<StackEnv> = {
  id: 'certificate-validation',
  title: 'Certificate validation records',
  dependsOn: ['certificate', 'hosted-zone'],
  async find(ctx) {
    const route53 = ctx.env.aws.get(Route53Client);
    const { hostedZoneId } = ctx.output<HostedZoneOutputs>('hosted-zone');
    const records = await validationRecords(ctx);
    const sets = await Promise.all(records.map((r) => recordSet(route53, hostedZoneId, r.name, r.type)));
    if (!records.every((r, i) => sameRecord(sets[i], r))) return undefined;
    return { hostedZoneId, records } satisfies DnsRecordsOutputs;
  },
  async create(ctx) {
    const { hostedZoneId } = ctx.output<HostedZoneOutputs>('hosted-zone');
    const records = await validationRecords(ctx);
    await upsertRecords(ctx.env.aws.get(Route53Client), hostedZoneId, records, `ecs-wizard ${ctx.env.names.stack}: ACM validation`);
    return { hostedZoneId, records } satisfies DnsRecordsOutputs;
  },
  async destroy(ctx, outputs) {
    const route53 = ctx.env.aws.get(Route53Client);
    const { hostedZoneId, records } = outputs as unknown as DnsRecordsOutputs;
    const sets = (await Promise.all((records ?? []).map(async (r) => ({ r, set: await recordSet(route53, hostedZoneId, r.name, r.type) }))))
      .filter((x) => sameRecord(x.set, x.r))
      .map((x) => x.set as ResourceRecordSet);
    if (!sets.length) return;
    const ours = new Set([ctx.tryOutput<CertificateOutputs>('certificate')?.certificateArn].filter((a): a is string => !!a));
    const shared = await certificatesSharingValidation(ctx.env.aws, ctx.env.region, ctx.env.names.stack, sets.map((x) => domainOfValidationRecord(x.Name ?? '')), ours);
    const kept = sets.filter((x) => shared.has(domainOfValidationRecord(x.Name ?? '')));
    for (const x of kept) {
      const other = shared.get(domainOfValidationRecord(x.Name ?? ''))!;
      ctx.progress(`kept: validation record ${x.Name} — shared with certificate ${other.certificateArn} (${other.region}), which ACM renews with it`);
    }
    await deleteRecordSets(
      route53,
      hostedZoneId,
      sets.filter((x) => !kept.includes(x)),
      `ecs-wizard ${ctx.env.names.stack}: destroy`,
    );
  },
};
