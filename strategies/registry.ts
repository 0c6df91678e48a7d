import type { UpdateStrategy } from './strategy.js';
import { archiveStrategy } from './archive/index.js';
import { updaterStrategy } from './updater/index.js';
import { gitStrategy } from './git/index.js';

/** Every strategy, by id, listed by hand (style.md, point 1). */
export const strategies: Readonly<Record<string, UpdateStrategy>> = {
  archive: archiveStrategy,
  updater: updaterStrategy,
  git: gitStrategy,
};
