import { exists, rename } from '../../../engine/host-fs.js';
import { bytesBelow, LONG_MS, makeRunFolder, record, runTool, TAKE_FAILURE } from '../common.js';
import { hardlinkSpace } from '../space.js';
import type { DataSnapshotMethod } from '../method.js';
import { onHomeDevice } from '../same-device.js';
import { swapBack } from '../swap.js';

/**
 * A hard-link tree of the data directory: each user file costs an inode entry, not its bytes.
 * Valid only because nothing rewrites user files in place while maintenance is on; what
 * Nextcloud does rewrite in place (app data, the SQLite file and other top-level files) is copied
 * for real. Rollback renames the live directory aside and the tree into place: constant time.
 */
export const hardlinkDataMethod: DataSnapshotMethod = {
  id: 'hardlink',
  exact: false,
  coversUserFiles: true,
  restoresLater: true,
  needsTools: ['cp', 'find', 'du', 'perl'],
  async applies(host, target, signal) {
    return onHomeDevice(host, target, target.dataDir, signal);
  },
  spaceNeeded: hardlinkSpace,
  async take(host, target, txid, signal) {
    const started = Date.now();
    const folder = await makeRunFolder(host, target, txid);
    const location = `${folder}/data`;
    // A tree left by a crashed attempt is ours and holds only links and copies: start over.
    if (await exists(host, location)) await runTool(host, { file: 'rm', args: ['-rf', '--one-file-system', '--', location], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'removing a partial hard-link tree');
    await runTool(host, { file: 'cp', args: ['-a', '--link', '--', target.dataDir, location], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'making the hard-link tree of the data directory');
    await runTool(host, { file: 'find', args: [target.dataDir, '-mindepth', '1', '-maxdepth', '1', '-type', 'f', '-exec', 'cp', '-a', '--remove-destination', '-t', location, '--', '{}', '+'], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'copying the top-level files of the data directory');
    let bytes = 0;
    const appdata = `appdata_${target.instanceId}`;
    if (await exists(host, `${target.dataDir}/${appdata}`)) {
      await runTool(host, { file: 'rm', args: ['-rf', '--one-file-system', '--', `${location}/${appdata}`], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'replacing the linked app data by a copy');
      await runTool(host, { file: 'cp', args: ['-a', '--', `${target.dataDir}/${appdata}`, `${location}/${appdata}`], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'copying the app data');
      bytes = await bytesBelow(host, `${location}/${appdata}`, signal);
    }
    return record('hardlink', target, txid, { location, replacedAt: `${folder}/data-replaced`, started, bytes });
  },
  async restore(host, snapshot) {
    return swapBack(host, snapshot.dataDir, snapshot.replacedAt, () => rename(host, snapshot.location, snapshot.dataDir));
  },
  async remove(host, snapshot, signal) {
    // Removing links never removes a file from the data directory, which holds its own link.
    if (!(await exists(host, snapshot.location))) return;
    await runTool(host, { file: 'rm', args: ['-rf', '--one-file-system', '--', snapshot.location], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'removing an old hard-link tree');
  },
};
