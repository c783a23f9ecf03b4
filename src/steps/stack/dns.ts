import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type HostedZone,
  type ResourceRecordSet,
  type RRType,
} from '@aws-sdk/client-route-53';
import type { DnsRecord } from '../outputs.js';

/**
 * What the DNS steps share: finding the hosted zone that holds a name, reading one record set,
 * writing (UPSERT) and deleting exactly what was written. Route 53 names end with a dot; ours do
 * not, so every comparison goes through `fqdn`.
 */

export const fqdn = (name: string): string => `${name.toLowerCase().replace(/\.$/, '')}.`;

/** The names a zone holding `domain` may have, longest first: app.example.com, example.com (never a bare TLD). */
export function zoneCandidates(domain: string): string[] {
  const labels = domain.replace(/\.$/, '').split('.');
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
}

export interface ZoneLookup {
  /** The longest public zone holding the domain, if any. */
  zone?: HostedZone;
  /** Zone names looked for, longest first. */
  lookedFor: string[];
  /** Two or more public zones share the winning name: which one the registrar delegates to is unknown. */
  ambiguous?: HostedZone[];
}

/**
 * The longest public hosted zone of the account that holds `domain` (ListHostedZonesByName per
 * candidate name: it lists zones from that name on, in order, so an exact match comes first).
 * Private zones never serve the internet: skipped.
 */
export async function zoneHolding(route53: Route53Client, domain: string): Promise<ZoneLookup> {
  const lookedFor = zoneCandidates(domain);
  for (const candidate of lookedFor) {
    const r = await route53.send(new ListHostedZonesByNameCommand({ DNSName: candidate, MaxItems: 10 }));
    const zones = (r.HostedZones ?? []).filter((z) => z.Name === fqdn(candidate) && z.Config?.PrivateZone !== true);
    if (zones.length > 1) return { lookedFor, ambiguous: zones };
    if (zones.length === 1) return { zone: zones[0], lookedFor };
  }
  return { lookedFor };
}

/** Public zone names of the account (the first `max`), to show when none holds the domain. */
export async function someZoneNames(route53: Route53Client, max = 10): Promise<string[]> {
  const r = await route53.send(new ListHostedZonesByNameCommand({ MaxItems: 100 }));
  return (r.HostedZones ?? []).filter((z) => z.Config?.PrivateZone !== true).slice(0, max).map((z) => z.Name!);
}

/** The record set of this name and type in the zone, if there is one. */
export async function recordSet(route53: Route53Client, hostedZoneId: string, name: string, type: string): Promise<ResourceRecordSet | undefined> {
  const r = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, StartRecordName: fqdn(name), StartRecordType: type as RRType, MaxItems: 1 }));
  const set = r.ResourceRecordSets?.[0];
  return set && fqdn(set.Name ?? '') === fqdn(name) && set.Type === type ? set : undefined;
}

const sameHost = (a: string | undefined, b: string | undefined): boolean => fqdn(a ?? '').replace(/^dualstack\./, '') === fqdn(b ?? '').replace(/^dualstack\./, '');

/** True when the record set in Route 53 is exactly the record ecs-wizard writes. */
export function sameRecord(set: ResourceRecordSet | undefined, record: DnsRecord): boolean {
  if (!set || fqdn(set.Name ?? '') !== fqdn(record.name) || set.Type !== record.type) return false;
  if (record.alias) return set.AliasTarget?.HostedZoneId === record.alias.hostedZoneId && sameHost(set.AliasTarget.DNSName, record.alias.dnsName);
  const values = (set.ResourceRecords ?? []).map((v) => fqdn(v.Value ?? '')).sort();
  return set.AliasTarget === undefined && JSON.stringify(values) === JSON.stringify((record.values ?? []).map(fqdn).sort());
}

export function recordSetOf(record: DnsRecord): ResourceRecordSet {
  return record.alias
    ? { Name: fqdn(record.name), Type: record.type as RRType, AliasTarget: { HostedZoneId: record.alias.hostedZoneId, DNSName: record.alias.dnsName, EvaluateTargetHealth: false } }
    : { Name: fqdn(record.name), Type: record.type as RRType, TTL: record.ttl ?? 300, ResourceRecords: (record.values ?? []).map((Value) => ({ Value })) };
}

/** Writes the records (UPSERT: creates or replaces, so a rerun or a resume is harmless). */
export async function upsertRecords(route53: Route53Client, hostedZoneId: string, records: DnsRecord[], comment: string): Promise<void> {
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: { Comment: comment, Changes: records.map((r) => ({ Action: 'UPSERT', ResourceRecordSet: recordSetOf(r) })) },
    }),
  );
}

/** Deletes record sets exactly as Route 53 holds them now (a DELETE must match name, type, TTL and values). */
export async function deleteRecordSets(route53: Route53Client, hostedZoneId: string, sets: ResourceRecordSet[], comment: string): Promise<void> {
  if (!sets.length) return;
  await route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, ChangeBatch: { Comment: comment, Changes: sets.map((s) => ({ Action: 'DELETE', ResourceRecordSet: s })) } }));
}

/**
 * An alias target that is the stack's load balancer: `<stack>-alb-<id>.<region>.elb.amazonaws.com`
 * (`.cn` in China; `dualstack.` in front as the console writes it). The id never holds a hyphen,
 * so stack "shop"'s ALB never matches stack "shop-alb"'s `shop-alb-alb-…`.
 */
export function isStackLoadBalancerHost(dnsName: string | undefined, loadBalancerName: string): boolean {
  const host = fqdn(dnsName ?? '').replace(/^dualstack\./, '');
  return new RegExp(`^${loadBalancerName}-[a-z0-9]+\\.[a-z0-9-]+\\.elb\\.amazonaws\\.com(\\.cn)?\\.$`).test(host);
}
