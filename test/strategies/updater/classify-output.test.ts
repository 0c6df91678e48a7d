import assert from 'node:assert/strict';
import { classifyUpdaterOutput, updaterCapabilities } from '../../../strategies/updater/classify-output.js';

// Outputs as the official updater printed them (shared/captured/updater-cli.md), escape codes included.
const E = '\x1b[2K';
const BANNER = 'Nextcloud Updater - version: v33.0.0-30-ga7794fc\n\nCurrent version is 33.0.5.\n\n';

describe('updater output classification', () => {
  it('reads a successful --no-upgrade run', () => {
    const out = `${BANNER}[ ] Check for expected files ...${E}[✔] Check for expected files\n[ ] Done ...${E}[✔] Done\n\nUpdate of code successful.\nPlease execute "./occ upgrade" manually to finish the upgrade.\n`;
    assert.deepEqual(classifyUpdaterOutput(0, out), { kind: 'success' });
  });

  it('names the failed step and its message', () => {
    const out = `${BANNER}[ ] Verify integrity ...${E}[✘] Verify integrity failed\nSignature of update is not valid\n\nUpdate failed. To resume or retry just execute the updater again.\n`;
    assert.deepEqual(classifyUpdaterOutput(255, out), { kind: 'step-failed', step: 'Verify integrity', message: 'Signature of update is not valid' });
    const extra = `${BANNER}[ ] Check for expected files ...${E}[✘] Check for expected files failed\nUnknown files detected within the installation folder. This can be fixed by manually removing (or moving) these files. The following extra files have been found:\n    apps2\n`;
    assert.equal(classifyUpdaterOutput(255, extra).kind, 'step-failed');
  });

  it('recognises a .step left in state start, with the file to remove', () => {
    const out = 'Nextcloud Updater - version: v33.0.0-30-ga7794fc\n\nStep 4 is currently in process. Please call this command later or remove the following file to start from scratch: /srv/i5-upd/updater-ocrigcap1/.step\n';
    assert.deepEqual(classifyUpdaterOutput(255, out), { kind: 'step-in-process', step: 4, stepFile: '/srv/i5-upd/updater-ocrigcap1/.step' });
  });

  it('recognises the wrong user and the update server exceptions', () => {
    const user = 'Nextcloud Updater - version: v33.0.0-30-ga7794fc\n\nConsole has to be executed with the user that owns the file config/config.php\nCurrent user: root\nOwner of config.php: rigweb\n';
    assert.deepEqual(classifyUpdaterOutput(255, user), { kind: 'wrong-user', owner: 'rigweb' });
    const box = `${BANNER}In Updater.php line 606:\n                                                     \n  Update server returned unexpected HTTP status 500  \n                                                     \n\nupdate [--no-backup] [--no-upgrade] [--url [URL]] [--ignore-state] [--no-verify] [--signature [SIGNATURE]]\n`;
    assert.deepEqual(classifyUpdaterOutput(1, box), { kind: 'exception', message: 'Update server returned unexpected HTTP status 500' });
  });

  it('does not take exit 0 for an update', () => {
    assert.equal(classifyUpdaterOutput(0, `${BANNER}No update available.\n\nNothing to do.\n`).kind, 'no-update');
    assert.equal(classifyUpdaterOutput(0, `${BANNER}The updater is disabled for this update - please update manually.\n\nNothing to do.\n`).kind, 'no-update');
  });

  it('reads the options an installed updater has', () => {
    assert.deepEqual(updaterCapabilities('--no-backup\n--no-upgrade\n--url[=URL]\n--ignore-state\n--no-verify\n--signature[=SIGNATURE]'), { url: true, signature: true, noVerify: true, ignoreState: true });
    assert.deepEqual(updaterCapabilities('--no-backup\n--no-upgrade\n'), { url: false, signature: false, noVerify: false, ignoreState: false });
  });
});
