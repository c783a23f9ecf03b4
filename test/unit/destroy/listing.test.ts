import { describe, expect, it } from 'vitest';
import { emptyState } from '../../../src/engine/state.js';
import { deletionListing, keptResources } from '../../../src/destroy/listing.js';
import type { Leftover } from '../../../src/destroy/inventory.js';

describe("destroy's listing of what it deletes", () => {
  it('one line per resource, grouped by kind in build order, named as AWS shows it; what the stack reuses apart', () => {
    // GIVEN the inventory's findings (in its delete order) and a state that reused a VPC, its subnets and a certificate
    const owned: Leftover[] = [
      { type: 'task-definition', id: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop:3' },
      { type: 'ecs-service', id: 'shop', meta: { cluster: 'shop' } },
      { type: 'auto-scaling-group', id: 'shop-ecs' },
      { type: 'load-balancer', id: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188', name: 'shop-alb' },
      { type: 'security-group', id: 'sg-0aaa', name: 'shop-alb-sg' },
      { type: 'subnet', id: 'subnet-0b', name: 'shop-private-2' },
      { type: 'subnet', id: 'subnet-0a', name: 'shop-private-1' },
    ];
    const state = emptyState('shop');
    state.resources.vpc = { stepId: 'vpc', status: 'created', external: true, outputs: { vpcId: 'vpc-0123', cidr: '10.0.0.0/16' }, updatedAt: '' };
    state.resources.subnets = { stepId: 'subnets', status: 'created', external: true, outputs: { subnetIds: ['subnet-1', 'subnet-2'], availabilityZones: ['us-east-1a', 'us-east-1b'] }, updatedAt: '' };
    state.resources.certificate = { stepId: 'certificate', status: 'created', external: true, outputs: { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc', requested: false }, updatedAt: '' };
    state.resources['load-balancer'] = { stepId: 'load-balancer', status: 'created', outputs: {}, updatedAt: '' };
    // WHEN listed
    const lines = deletionListing(owned, keptResources(state, { network: { vpcId: 'vpc-0123', subnetIds: ['subnet-1', 'subnet-2'] } }));
    // THEN
    expect(lines).toEqual([
      '  Subnet              shop-private-2 subnet-0b',
      '  Subnet              shop-private-1 subnet-0a',
      '  Security group      shop-alb-sg sg-0aaa',
      '  Load balancer       shop-alb',
      '  Auto Scaling group  shop-ecs',
      '  Task definition     shop:3',
      '  ECS service         shop',
      'Kept (not made by ecs-wizard):',
      '  VPC                 vpc-0123',
      '  Subnet              subnet-1',
      '  Subnet              subnet-2',
      '  ACM certificate     arn:aws:acm:us-east-1:123456789012:certificate/abc',
    ]);
  });

  it('nothing reused: no "kept" heading', () => {
    expect(deletionListing([{ type: 'vpc', id: 'vpc-1', name: 'shop-vpc' }], keptResources(emptyState('shop'), { network: {} }))).toEqual(['  VPC  shop-vpc vpc-1']);
  });
});
