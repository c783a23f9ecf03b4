import { notYet, waitNotYet } from './stub.js';

export const autoScalingGroupStep = notYet('auto-scaling-group', 'Auto Scaling group', ['launch-template', 'subnets', 'target-group', 'route-table']);
export const instancesInServiceStep = waitNotYet('instances-in-service', 'Instances in service', ['auto-scaling-group']);
