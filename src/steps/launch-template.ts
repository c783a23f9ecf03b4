import { notYet, waitNotYet } from './stub.js';

export const launchTemplateStep = notYet('launch-template', 'Launch template', ['instance-profile', 'instance-security-group', 'cluster']);
