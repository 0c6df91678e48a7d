import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from compiled tests under dist/test/... */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
