import { notYet, waitNotYet } from './stub.js';

export const asgScalingPolicyStep = notYet('asg-scaling-policy', 'Instance scaling policy', ['auto-scaling-group']);
