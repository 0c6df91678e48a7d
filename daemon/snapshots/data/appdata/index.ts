import { exists, rename } from '../../../engine/host-fs.js';
import { bytesBelow, LONG_MS, makeRunFolder, record, runTool, TAKE_FAILURE } from '../common.js';
import { appdataSpace } from '../space.js';
import type { DataSnapshotMethod } from '../method.js';
import { onHomeDevice } from '../same-device.js';
import { swapBack } from '../swap.js';

/**
 * A copy of `appdata_<instanceid>` only: what migrations touch (previews, theming, app folders).
 * User files are not snapshotted; the instance accepts that by choosing this method.
 */
export const appdataDataMethod: DataSnapshotMethod = {
  id: 'appdata',
  exact: false,
  coversUserFiles: false,
  restoresLater: true,
  needsTools: ['cp', 'du', 'perl'],
  async applies(host, target, signal) {
    return onHomeDevice(host, target, `${target.dataDir}/appdata_${target.instanceId}`, signal);
  },
  spaceNeeded: appdataSpace,
  async take(host, target, txid, signal) {
    const started = Date.now();
    const folder = await makeRunFolder(host, target, txid);
    const location = `${folder}/appdata_${target.instanceId}`;
    if (await exists(host, location)) await runTool(host, { file: 'rm', args: ['-rf', '--one-file-system', '--', location], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'removing a partial app data copy');
    await runTool(host, { file: 'cp', args: ['-a', '--', `${target.dataDir}/appdata_${target.instanceId}`, location], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'copying the app data');
    return record('appdata', target, txid, { location, replacedAt: `${folder}/appdata-replaced`, started, bytes: await bytesBelow(host, location, signal), extra: { live: `${target.dataDir}/appdata_${target.instanceId}` } });
  },
  async restore(host, snapshot) {
    const live = snapshot.extra.live ?? '';
    return swapBack(host, live, snapshot.replacedAt, () => rename(host, snapshot.location, live));
  },
  async remove(host, snapshot, signal) {
    if (!(await exists(host, snapshot.location))) return;
    await runTool(host, { file: 'rm', args: ['-rf', '--one-file-system', '--', snapshot.location], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'removing an old app data copy');
  },
};
