import { createRequire } from 'node:module';

/** The package version, read once from package.json (kept out of the bundle of any SDK). */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
