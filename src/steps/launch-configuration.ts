import { notYet, waitNotYet } from './stub.js';

export const launchConfigurationStep = notYet('launch-template', 'Launch configuration', ['instance-profile', 'instance-security-group', 'cluster']);
