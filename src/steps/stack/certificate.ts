import { randomBytes } from 'node:crypto';
import {
  ACMClient,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  KeyAlgorithm,
  ListTagsForCertificateCommand,
  paginateListCertificates,
  RequestCertificateCommand,
  type CertificateDetail,
} from '@aws-sdk/client-acm';
import type { AwsClients } from '../../aws/clients.js';
import { WizardError, inputError } from '../../errors.js';
import { isNotFound, isTransientDependency, unlessNotFound } from '../../aws/errors.js';
import { poll, retryWhile } from '../../aws/poll.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext, WaitStep } from '../../engine/types.js';
import { noteCreated, wasCreatedThisRun } from '../common.js';
import type { StackEnv } from '../env.js';
import type { CertificateOutputs, DnsRecordsOutputs, HostedZoneOutputs } from '../outputs.js';

type Ctx = StepContext<StackEnv>;

/** Certificates that can never serve: a find skips them (a new one is requested), the wait stops on them. */
const DEAD = new Set(['FAILED', 'VALIDATION_TIMED_OUT', 'REVOKED', 'EXPIRED', 'INACTIVE']);

export function describeCertificate(acm: ACMClient, arn: string): Promise<CertificateDetail | undefined> {
  return unlessNotFound(async () => (await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate);
}

/** True when the certificate's names cover `domain` (exactly, or by a wildcard one label deep). */
export function covers(cert: CertificateDetail, domain: string): boolean {
  const names = [cert.DomainName, ...(cert.SubjectAlternativeNames ?? [])].filter((n): n is string => !!n).map((n) => n.toLowerCase());
  return names.some((n) => n === domain || (n.startsWith('*.') && domain.endsWith(n.slice(1)) && !domain.slice(0, -(n.length - 1)).includes('.')));
}

/** The stack's requested certificate for the domain: by recorded ARN, then by the stack tag among the account's certificates for that name. */
async function stackCertificate(ctx: Ctx, acm: ACMClient, domain: string): Promise<CertificateDetail | undefined> {
  const usable = (c: CertificateDetail | undefined): c is CertificateDetail => c !== undefined && !DEAD.has(c.Status ?? '') && c.DomainName === domain;
  const recordedArn = ctx.recorded?.certificateArn as string | undefined;
  const recorded = recordedArn ? await describeCertificate(acm, recordedArn) : undefined;
  if (usable(recorded)) return recorded;
  for await (const page of paginateListCertificates({ client: acm }, { CertificateStatuses: ['PENDING_VALIDATION', 'ISSUED'] })) {
    for (const summary of page.CertificateSummaryList ?? []) {
      if (summary.DomainName !== domain || !summary.CertificateArn) continue;
      const tags = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: summary.CertificateArn }));
      if (!tags.Tags?.some((t) => t.Key === STACK_TAG && t.Value === ctx.env.names.stack)) continue;
      const cert = await describeCertificate(acm, summary.CertificateArn);
      if (usable(cert)) return cert;
    }
  }
  return undefined;
}

/** The name a DNS validation record proves: `*.example.com` is validated with example.com's record. */
export const validatedName = (name: string): string => name.toLowerCase().replace(/\.$/, '').replace(/^\*\./, '');

/** Regions whose certificates may share the stack's validation records: its own, and us-east-1 (where CloudFront's live). */
export const validationRegions = (region: string): string[] => [...new Set([region, 'us-east-1'])];

/** Another certificate that ACM validates with the same DNS record as one of the stack's names. */
export interface SharedValidation {
  certificateArn: string;
  region: string;
}

/**
 * For each of `names` that another certificate of the account is validated with, that certificate.
 * ACM gives one validation CNAME per domain name per account, shared by certificates of every
 * region and key type: deleting it makes the other one's renewal fail months later. ListCertificates
 * lists only RSA_1024 and RSA_2048 certificates unless `Includes.keyTypes` asks for more, so every
 * key type is asked for, in the stack's region and us-east-1. Certificates carrying the stack's tag
 * (or named in `ours`) are the stack's own, deleted with it: they share nothing.
 */
export async function certificatesSharingValidation(
  aws: AwsClients,
  region: string,
  stack: string,
  names: readonly string[],
  ours: ReadonlySet<string> = new Set(),
): Promise<Map<string, SharedValidation>> {
  const wanted = new Set(names.map(validatedName));
  const shared = new Map<string, SharedValidation>();
  for (const where of validationRegions(region)) {
    const acm = (where === region ? aws : aws.inRegion(where)).get(ACMClient);
    const pages = paginateListCertificates({ client: acm }, { CertificateStatuses: ['PENDING_VALIDATION', 'ISSUED'], Includes: { keyTypes: Object.values(KeyAlgorithm) } });
    for await (const page of pages) {
      for (const c of page.CertificateSummaryList ?? []) {
        const arn = c.CertificateArn;
        if (!arn || ours.has(arn)) continue;
        let certNames = [c.DomainName, ...(c.SubjectAlternativeNameSummaries ?? [])];
        // The summary lists the first names only; the rest are in the certificate itself.
        if (c.HasAdditionalSubjectAlternativeNames) certNames = [c.DomainName, ...((await describeCertificate(acm, arn))?.SubjectAlternativeNames ?? [])];
        const hits = [...new Set(certNames.filter((n): n is string => !!n).map(validatedName))].filter((n) => wanted.has(n) && !shared.has(n));
        if (!hits.length) continue;
        // Deleted since the listing: it shares nothing any more.
        const tags = await unlessNotFound(() => acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn })));
        if (!tags || tags.Tags?.some((t) => t.Key === STACK_TAG && t.Value === stack)) continue;
        for (const n of hits) shared.set(n, { certificateArn: arn, region: where });
      }
    }
  }
  return shared;
}

/**
 * The certificate ecs-wizard requests for loadBalancer.domain when no certificateArn is given:
 * DNS validation, tagged with the stack. Its idempotency token is recorded before the request, so
 * a request whose answer was lost (or a resume within the hour ACM honours it) returns the same
 * certificate; after that the stack tag finds it. A certificate that died (FAILED, timed out) is
 * not found, and the token that made it is not used again: a rerun gets a new certificate. Deleted with the stack — once no listener uses
 * it, which AWS says with ResourceInUseException for a while after the listener goes.
 */
export const certificateStep: ResourceStep<StackEnv> = {
  id: 'certificate',
  title: 'Certificate',
  dependsOn: [],
  async find(ctx) {
    const domain = ctx.env.answers.loadBalancer.domain!;
    const cert = await stackCertificate(ctx, ctx.env.aws.get(ACMClient), domain);
    return cert ? ({ certificateArn: cert.CertificateArn!, domainName: domain, requested: true } satisfies CertificateOutputs) : undefined;
  },
  async create(ctx) {
    const acm = ctx.env.aws.get(ACMClient);
    const domain = ctx.env.answers.loadBalancer.domain!;
    const recordedToken = ctx.recorded?.idempotencyToken as string | undefined;
    // ACM's token: at most 32 word characters.
    let idempotencyToken = recordedToken ?? randomBytes(16).toString('hex');
    const request = async (): Promise<string> => {
      await ctx.note({ idempotencyToken });
      const r = await acm.send(
        new RequestCertificateCommand({ DomainName: domain, ValidationMethod: 'DNS', IdempotencyToken: idempotencyToken, Tags: ctx.env.tags(ctx.env.names.certificate) }),
      );
      return r.CertificateArn!;
    };
    let arn = await request();
    if (recordedToken) {
      // For an hour ACM answers the same token with the same certificate — one that has FAILED meanwhile (the
      // find skipped it) would come straight back: a dead one is replaced by a request with a new token.
      const cert = await describeCertificate(acm, arn);
      if (cert && DEAD.has(cert.Status ?? '')) {
        idempotencyToken = randomBytes(16).toString('hex');
        ctx.progress(`certificate ${arn} is ${cert.Status}${cert.FailureReason ? ` (${cert.FailureReason})` : ''}: requesting a new one with a new idempotency token`);
        arn = await request();
      }
    }
    noteCreated(ctx, arn);
    const outputs: CertificateOutputs = { certificateArn: arn, domainName: domain, requested: true, idempotencyToken };
    await ctx.note({ ...outputs });
    return { ...outputs };
  },
  async destroy(ctx, outputs) {
    const acm = ctx.env.aws.get(ACMClient);
    const arn = outputs.certificateArn as string | undefined;
    if (!arn || outputs.requested === false) return;
    await retryWhile(
      async () => {
        try {
          await acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      },
      isTransientDependency,
      { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress, waitingFor: `waiting for the load balancer to let go of certificate ${arn}` },
    );
  },
};

/**
 * A certificate the user gave (loadBalancer.certificateArn): checked before anything is made — it
 * exists in the stack's region, is issued, and covers loadBalancer.domain when one is given —
 * then used, never deleted.
 */
export const existingCertificateStep: ResourceStep<StackEnv> = {
  id: 'certificate',
  title: 'Certificate (existing)',
  dependsOn: [],
  external: true,
  async find(ctx) {
    const { certificateArn, domain } = ctx.env.answers.loadBalancer;
    const path = 'loadBalancer.certificateArn';
    const cert = await describeCertificate(ctx.env.aws.get(ACMClient), certificateArn!);
    if (!cert) throw inputError([{ path, message: `${certificateArn} does not exist in ${ctx.env.region} (a load balancer needs a certificate of its own region and account)` }]);
    if (cert.Status !== 'ISSUED') {
      throw inputError([{ path, message: `${certificateArn} is ${cert.Status}${cert.FailureReason ? ` (${cert.FailureReason})` : ''}: an HTTPS listener needs an issued certificate` }]);
    }
    if (domain !== undefined && !covers(cert, domain)) {
      const names = [cert.DomainName, ...(cert.SubjectAlternativeNames ?? [])].filter((n, i, all) => n && all.indexOf(n) === i);
      throw inputError([{ path, message: `${certificateArn} covers ${names.join(', ')}, not loadBalancer.domain ${domain}: browsers would refuse it` }]);
    }
    return { certificateArn: certificateArn!, domainName: cert.DomainName, requested: false } satisfies CertificateOutputs;
  },
  async create() {
    throw new WizardError('INPUT_INVALID', 'A given certificate is never created.');
  },
};

/**
 * Waits until ACM has validated the requested certificate through the DNS record (minutes on AWS,
 * `MOTO_ACM_VALIDATION_WAIT` seconds on moto), bounded by --wait-timeout. A certificate ACM gave
 * up on stops the wait with its reason; one still pending at the timeout says which record ACM is
 * looking for, and where.
 */
export const certificateIssuedStep: WaitStep<StackEnv> = {
  id: 'certificate-issued',
  title: 'Certificate issued',
  dependsOn: ['certificate', 'certificate-validation'],
  kind: 'wait',
  async run(ctx) {
    await waitUntilIssued(ctx, ctx.output<CertificateOutputs>('certificate').certificateArn);
  },
};

/**
 * Polls the certificate until ACM says ISSUED (see certificateIssuedStep). Also what the HTTPS
 * listener waits on itself under --no-wait: ELB refuses a certificate still pending validation
 * (UnsupportedCertificate).
 */
export async function waitUntilIssued(ctx: Ctx, certificateArn: string): Promise<void> {
  const acm = ctx.env.aws.get(ACMClient);
  const records = ctx.tryOutput<DnsRecordsOutputs>('certificate-validation')?.records ?? [];
  const zone = ctx.tryOutput<HostedZoneOutputs>('hosted-zone');
  const domain = ctx.env.answers.loadBalancer.domain ?? certificateArn;
  const where = records.map((r) => `CNAME ${r.name} → ${r.values?.join(', ')}`).join('; ');
  await poll(
    async () => {
      const cert = await describeCertificate(acm, certificateArn);
      if (!cert) {
        // Just requested: ACM may not show it everywhere yet.
        if (wasCreatedThisRun(ctx, certificateArn)) return { done: false, waitingFor: `waiting for ACM to show certificate ${certificateArn}` };
        throw new WizardError('AWS', `Certificate ${certificateArn} disappeared while waiting for it to be issued.`, { hint: 'Run `ecs-wizard create` again: a new certificate is requested.' });
      }
      if (cert.Status === 'ISSUED') return { done: true, value: undefined };
      if (DEAD.has(cert.Status ?? '')) {
        throw new WizardError('AWS', `ACM did not issue the certificate for ${domain}: it is ${cert.Status}${cert.FailureReason ? ` (${cert.FailureReason})` : ''}.`, {
          hint: 'Check the domain and its hosted zone (CAA records must allow amazon.com), then run `ecs-wizard create` again: a new certificate is requested.',
        });
      }
      return { done: false, waitingFor: `waiting for ACM to validate ${domain} (${cert.Status})` };
    },
    {
      timing: ctx.env.timing,
      signal: ctx.signal,
      progress: ctx.progress,
      timeoutHint:
        `ACM validates by looking the record up in public DNS${where ? ` (${where}${zone ? ` in zone ${zone.zoneName}` : ''})` : ''}. ` +
        `If it never does, the zone is not the one the domain's registrar delegates to (compare its NS records with the registrar's), or a CAA record forbids amazon.com. ` +
        'The certificate stays requested: run `ecs-wizard create` again (with a longer --wait-timeout) to keep waiting.',
    },
  );
}
