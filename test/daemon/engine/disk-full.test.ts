import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NcupdError } from '../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { diskFullPath } from '../../../daemon/engine/disk-full.js';
import { extractVerifiedZip } from '../../../integrity/archive/bounded-extract.js';
import { writeRawZip } from '../../helpers/zip-writer.js';

/** An error as Node's fs raises it on a full disk. */
function enospc(path?: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`ENOSPC: no space left on device, ${path ? `open '${path}'` : 'write'}`);
  error.code = 'ENOSPC';
  error.errno = -28;
  error.syscall = path ? 'open' : 'write';
  if (path) error.path = path;
  return error;
}

/** A failed command as the host reports it: the tool's stderr tail in the message. */
function toolFailure(stderr: string): NcupdError {
  return new NcupdError('NCUPD_COMMAND_FAILED', { detail: `exit 1: some-tool --args\n${stderr}` });
}

describe('diskFullPath', () => {
  describe('Node errors', () => {
    it('recognises ENOSPC by its code: the path when the error names one, else ""', () => {
      assert.equal(diskFullPath(enospc('/srv/nextcloud/data/x.part')), '/srv/nextcloud/data/x.part');
      assert.equal(diskFullPath(enospc()), '');
    });

    it('finds ENOSPC anywhere down the cause chain', () => {
      const deep = new NcupdError('NCUPD_SNAPSHOT_FAILED', { cause: new Error('copy failed', { cause: new Error('write failed', { cause: enospc('/var/lib/ncupd/snap/db.sql') }) }) });
      assert.equal(diskFullPath(deep), '/var/lib/ncupd/snap/db.sql');
      assert.equal(diskFullPath(new Error('outer', { cause: enospc() })), '');
    });

    it('stops on a cyclic cause chain', () => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      assert.equal(diskFullPath(a), undefined);
    });
  });

  describe('tool messages', () => {
    it('recognises coreutils "No space left on device"', () => {
      assert.notEqual(diskFullPath(toolFailure("cp: error writing '/x/y': No space left on device")), undefined);
      assert.notEqual(diskFullPath(toolFailure('tar: /srv/a/b: Cannot write: No space left on device')), undefined);
      assert.notEqual(diskFullPath("cp: error writing '/x/y': No space left on device"), undefined, 'a thrown string');
    });

    it('names the path cp quotes ("cp: error writing \'/x/y\': No space left on device")', () => {
      // Known bug: the lazy `[^\n]*?` before the optional quoted group lets the match succeed with the group
      // skipped, so a path is only captured when it starts the message. Expected '/x/y', actual ''.
      assert.equal(diskFullPath(toolFailure("cp: error writing '/x/y': No space left on device")), '/x/y');
    });

    it('names a path that starts the message', () => {
      assert.equal(diskFullPath(new Error('/srv/x: No space left on device')), '/srv/x');
    });

    it('recognises MariaDB "Errcode: 28" and names the file', () => {
      const message = "ERROR 3 (HY000) at line 17: Error writing file '/tmp/MYfd=5' (Errcode: 28 \"No space left on device\")";
      assert.notEqual(diskFullPath(toolFailure(message)), undefined);
      assert.notEqual(diskFullPath(toolFailure('mysqldump: Error writing file \'/snap/database.sql\' (Errcode: 28)')), undefined);
      // Same path-capture bug as cp: expected '/tmp/MYfd=5', actual ''.
      assert.equal(diskFullPath(toolFailure(message)), '/tmp/MYfd=5');
    });

    it('recognises mariadb-dump/mysqldump writing --result-file to a full disk ("Got errno 28 on write")', () => {
      // client/mysqldump.c check_io(): die(EX_EOF, "Got errno %d on write", errno). Known gap: expected a
      // disk-full match, actual undefined (the message has neither "Errcode: 28" nor "No space left on device").
      assert.notEqual(diskFullPath(toolFailure('mariadb-dump: Got errno 28 on write')), undefined);
    });

    it('recognises PostgreSQL "could not extend file" and names the file', () => {
      const message = 'ERROR:  could not extend file "base/16384/16390": No space left on device\nHINT:  Check free disk space.';
      assert.notEqual(diskFullPath(toolFailure(message)), undefined);
      assert.notEqual(diskFullPath(toolFailure('pg_dump: error: could not write to file: No space left on device')), undefined);
      // Same path-capture bug: expected 'base/16384/16390', actual ''.
      assert.equal(diskFullPath(toolFailure(message)), 'base/16384/16390');
    });

    it('recognises PostgreSQL\'s short-write form of "could not extend file"', () => {
      // md.c mdextend(): "could not extend file \"%s\": wrote only %d of %d bytes at block %u" with HINT
      // "Check free disk space." Known gap: expected a match, actual undefined.
      const message = 'ERROR:  could not extend file "base/16384/16390": wrote only 4096 of 8192 bytes at block 12\nHINT:  Check free disk space.';
      assert.notEqual(diskFullPath(toolFailure(message)), undefined);
    });

    it('recognises unzip\'s own disk-full words ("write error (disk full?)")', () => {
      // What Info-ZIP unzip 6.00 really prints on ENOSPC (captured on a 64 KiB tmpfs, exit 50):
      const stderr = 'nextcloud/lib/big.php:  write error (disk full?).  Continue? (y/n/^C) \nwarning:  nextcloud/lib/big.php is probably truncated';
      // Known bug: no "No space left on device" in it. Expected a disk-full match, actual undefined.
      assert.notEqual(diskFullPath(new NcupdError('NCUPD_STAGING_FAILED', { detail: `unzip exited 50: ${stderr}` })), undefined);
    });

    it('returns undefined for failures that are not a full disk', () => {
      const eacces: NodeJS.ErrnoException = Object.assign(new Error("EACCES: permission denied, open '/srv/x'"), { code: 'EACCES', path: '/srv/x' });
      for (const error of [
        undefined, null, 42, {}, '', 'timeout',
        new Error('update failed'),
        eacces,
        new Error('wrapped', { cause: eacces }),
        toolFailure("cp: cannot create regular file '/x/y': Permission denied"),
        toolFailure('ERROR 1045 (28000): Access denied for user \'nc\'@\'localhost\''),
        toolFailure('ERROR:  could not open file "base/1/2": Permission denied'),
        new NcupdError('NCUPD_STAGING_FAILED', { detail: 'unzip exited 9: cannot find zipfile directory' }),
      ]) {
        assert.equal(diskFullPath(error), undefined, String(error instanceof Error ? error.message : JSON.stringify(error)));
      }
    });
  });

  describe('on a real full disk (64 KiB tmpfs)', function () {
    const host = createLocalHost();
    let mounted: string | undefined;
    let work: string;
    before(async function () {
      work = await mkdtemp(join(tmpdir(), 'ncupd-diskfull-'));
      const dir = join(work, 'mnt');
      await mkdir(dir);
      const result = await host.run({ file: 'mount', args: ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], reject: false });
      if (result.failed) this.skip(); // needs root; CI runs as root
      mounted = dir;
    });
    after(async () => {
      if (mounted) await host.run({ file: 'umount', args: [mounted] });
      await rm(work, { recursive: true, force: true });
    });
    afterEach(async () => {
      if (mounted) await host.run({ file: 'find', args: [mounted, '-mindepth', '1', '-delete'] });
    });

    it('Node\'s own write error', async () => {
      const error = await writeFile(join(mounted!, 'big'), randomBytes(200_000)).then(() => undefined, (e: unknown) => e);
      assert.equal((error as NodeJS.ErrnoException | undefined)?.code, 'ENOSPC');
      assert.equal(typeof diskFullPath(error), 'string');
    });

    it('cp through the host', async () => {
      const source = join(work, 'source.bin');
      await writeFile(source, randomBytes(200_000));
      const error = await host.run({ file: 'cp', args: [source, join(mounted!, 'copy.bin')] }).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof NcupdError && error.message.includes('No space left on device'), String(error));
      assert.notEqual(diskFullPath(error), undefined);
    });

    it('unzip through the archive strategy\'s extractVerifiedZip', async () => {
      const zip = join(work, 'release.zip');
      const size = 200_000;
      writeRawZip(zip, [{ name: 'nextcloud/big.bin', data: randomBytes(size) }]);
      const dest = join(mounted!, 'staging');
      await mkdir(dest);
      const error = await extractVerifiedZip(host, zip, dest, { entries: 1, expandedBytes: size, largestEntry: size, files: 1 }).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof NcupdError && error.code === 'NCUPD_STAGING_FAILED', String(error));
      // What unzip really says on ENOSPC: its own words, not strerror.
      assert.ok(error.message.includes('write error (disk full?)'), error.message);
      assert.ok(!error.message.includes('No space left on device'), error.message);
      // Known bug: expected a disk-full match (so the runner reports NCUPD_DISK_FULL), actual undefined.
      assert.notEqual(diskFullPath(error), undefined, `not recognised as a full disk: ${error.message}`);
    });
  });
});
