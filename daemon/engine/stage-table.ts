import type { Stage } from './stage.js';
import { discoverStage } from './stages/discover.js';
import { downloadStage } from './stages/download.js';
import { stageStage } from './stages/stage-release.js';
import { preflightStage } from './stages/preflight.js';
import { applyStage, maintenanceOnStage, snapshotStage, upgradeStage, waitCronStage } from './stages/window.js';
import { checksStage, finalProbeStage, maintenanceOffStage } from './stages/commit.js';

/** The transaction (design.md), in order. The runner is generic; each row holds only its stage's logic. */
export const STAGES: readonly Stage[] = [
  discoverStage, downloadStage, stageStage, preflightStage,
  maintenanceOnStage, waitCronStage, snapshotStage, applyStage, upgradeStage, checksStage, maintenanceOffStage,
  finalProbeStage,
];

/** `--dry-run` stops before the window. */
export const DRY_RUN_STOP: Stage['name'] = 'maintenance-on';
