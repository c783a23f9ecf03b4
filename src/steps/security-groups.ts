import { notYet, waitNotYet } from './stub.js';

export const albSecurityGroupStep = notYet('alb-security-group', 'Load balancer security group', ['vpc']);
export const instanceSecurityGroupStep = notYet('instance-security-group', 'Instance security group', ['vpc', 'alb-security-group']);
