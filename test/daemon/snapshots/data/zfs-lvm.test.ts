// zfs and lvm need kernel support this machine lacks (no ZFS module, no device-mapper thin
// pools in this container): their exact command sequences are tested against a scripted host
// that models the tools' state. They are untested on a real kernel here (docs say so too).
import assert from 'node:assert/strict';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { lvmDataMethod } from '../../../../daemon/snapshots/data/lvm/index.js';
import { planDataSnapshot } from '../../../../daemon/snapshots/data/plan.js';
import { zfsDataMethod } from '../../../../daemon/snapshots/data/zfs/index.js';
import { scriptedHost, type ScriptedAnswer } from '../../../helpers/scripted-host.js';
import { targetFor } from './data-scenario.js';

const DATA = '/srv/ncdata';
const TX = '20261127T120000Z-aaaaaa';
const ok = (stdout = ''): ScriptedAnswer => ({ exitCode: 0, stdout });
const no = (stderr = ''): ScriptedAnswer => ({ exitCode: 1, stderr });
const findmnt = (fstype: string, source: string, target: string) => ok(JSON.stringify({ filesystems: [{ fstype, source, target }] }));

/** ZFS: one dataset mounted at the data directory (or, `folderOnly`, a dataset mounted at /srv holding it). */
function zfsModel(options: { folderOnly?: boolean } = {}) {
  const dataset = options.folderOnly ? 'tank/srv' : 'tank/ncdata';
  const mountpoint = options.folderOnly ? '/srv' : DATA;
  const snapshots: string[] = [];
  const host = scriptedHost((file, args) => {
    const last = args[args.length - 1] ?? '';
    if (file === 'stat' && args[0] === '-f') return ok('zfs');
    if (file === 'findmnt') return findmnt('zfs', dataset, mountpoint);
    if (file !== 'zfs') return undefined;
    const [verb] = args;
    if (verb === 'list' && args.includes('-d')) return ok(snapshots.filter((s) => s.startsWith(`${last}@`)).join('\n'));
    if (verb === 'list' && args.includes('snapshot')) return snapshots.includes(last) ? ok(last) : no(`cannot open '${last}': dataset does not exist`);
    if (verb === 'list') return last === dataset ? ok(dataset) : no();
    if (verb === 'snapshot') return (snapshots.push(last), ok());
    if (verb === 'rollback') return snapshots[snapshots.length - 1] === last ? ok() : no('more recent snapshots or bookmarks exist');
    if (verb === 'destroy') return (snapshots.splice(snapshots.indexOf(last), 1), ok());
    return undefined;
  });
  return { host, snapshots };
}

describe('data snapshot: zfs (scripted host: no ZFS kernel module here)', () => {
  it('refuses a data directory that is a folder inside a larger dataset', async () => {
    const { host } = zfsModel({ folderOnly: true });
    const verdict = await zfsDataMethod.applies(host, targetFor(DATA));
    assert.equal(verdict.ok, false);
    assert.match(verdict.ok ? '' : verdict.reason, /roll back everything on that dataset/);
    await assert.rejects(planDataSnapshot(host, targetFor(DATA), 'zfs'), (e) => isNcupdError(e, 'NCUPD_DATA_SNAPSHOT_REFUSED'));
  });

  it('takes `zfs snapshot` of the dataset mounted at the data directory and rolls back to it without -r', async () => {
    const { host, snapshots } = zfsModel();
    assert.equal((await planDataSnapshot(host, targetFor(DATA), 'auto')).method.id, 'zfs');
    host.commands.length = 0;
    const snapshot = await zfsDataMethod.take(host, targetFor(DATA), TX);
    assert.equal(snapshot.location, `tank/ncdata@ncupd-${TX}`);
    assert.deepEqual(host.commands.filter((c) => c.startsWith('zfs snapshot') || c.startsWith('zfs rollback')), [`zfs snapshot -- tank/ncdata@ncupd-${TX}`]);
    host.commands.length = 0;
    await zfsDataMethod.restore(host, snapshot);
    assert.deepEqual(host.commands, [
      'zfs list -H -t snapshot -o name -s createtxg -d 1 -- tank/ncdata',
      `zfs rollback -- tank/ncdata@ncupd-${TX}`,
    ]);
    // Idempotent: run again by recovery, it rolls back to the same snapshot once more.
    await zfsDataMethod.restore(host, snapshot);
    await zfsDataMethod.remove(host, snapshot);
    assert.deepEqual(snapshots, []);
  });

  it('refuses to roll back over newer snapshots (an operator\'s included) instead of destroying them with -r', async () => {
    const { host, snapshots } = zfsModel();
    const snapshot = await zfsDataMethod.take(host, targetFor(DATA), TX);
    snapshots.push('tank/ncdata@autosnap-hourly');
    await assert.rejects(zfsDataMethod.restore(host, snapshot), (e) => isNcupdError(e, 'NCUPD_RESTORE_FAILED'));
    assert.ok(!host.commands.some((c) => c.startsWith('zfs rollback')));
    assert.deepEqual(snapshots, [`tank/ncdata@ncupd-${TX}`, 'tank/ncdata@autosnap-hourly']);
  });
});

/** LVM: thin volume vg0/ncdata mounted at the data directory; `failOnce` makes one command fail once (a crash there). */
function lvmModel(options: { segtype?: string; fstab?: string; failOnce?: string } = {}) {
  const lvs = new Set(['vg0/ncdata']);
  let mounted: string | undefined = 'vg0/ncdata';
  let failOnce = options.failOnce;
  const host = scriptedHost((file, args) => {
    const command = [file, ...args].join(' ');
    if (failOnce && command.startsWith(failOnce)) {
      failOnce = undefined;
      return no('simulated crash');
    }
    const last = args[args.length - 1] ?? '';
    if (file === 'findmnt' && args.includes('-T')) return findmnt('ext4', '/dev/mapper/vg0-ncdata', DATA);
    if (file === 'findmnt' && args.includes('OPTIONS')) return ok('rw,relatime');
    if (file === 'findmnt' && args.includes('SOURCE')) return mounted ? ok(`/dev/mapper/${mounted.replace('/', '-')}`) : no();
    if (file === 'lvs' && args.includes('vg_name,lv_name,segtype')) return ok(`  vg0|ncdata|${options.segtype ?? 'thin'}`);
    if (file === 'lvs') return lvs.has(last) ? ok(last.split('/')[1]) : { exitCode: 5, stderr: 'Failed to find logical volume' };
    if (file === 'lvcreate') return (lvs.add(`vg0/${args[2]}`), ok());
    if (file === 'umount') return (mounted = undefined, ok());
    if (file === 'lvrename') {
      lvs.delete(`vg0/${args[2]}`);
      lvs.add(`vg0/${args[3]}`);
      return ok();
    }
    if (file === 'lvchange') return ok();
    if (file === 'mount') return (mounted = 'vg0/ncdata', ok());
    if (file === 'lvremove') return (lvs.delete(last), ok());
    return undefined;
  }, { '/etc/fstab': options.fstab ?? `/dev/vg0/ncdata ${DATA} ext4 defaults 0 2\n` });
  return { host, lvs, mounted: () => mounted };
}

describe('data snapshot: lvm (scripted host: no device-mapper thin pools here)', () => {
  it('refuses a classic (non-thin) volume and an fstab entry by UUID, saying why', async () => {
    const linear = await lvmDataMethod.applies(lvmModel({ segtype: 'linear' }).host, targetFor(DATA));
    assert.match(linear.ok ? '' : linear.reason, /thin volumes only/);
    const byUuid = await lvmDataMethod.applies(lvmModel({ fstab: `UUID=1234 ${DATA} ext4 defaults 0 2\n` }).host, targetFor(DATA));
    assert.match(byUuid.ok ? '' : byUuid.reason, /same one/);
  });

  it('takes a thin snapshot; rollback mounts a writable copy in place of the origin and keeps the origin, never merging', async () => {
    const { host, lvs, mounted } = lvmModel();
    const snapshot = await lvmDataMethod.take(host, targetFor(DATA), TX);
    assert.ok(host.commands.includes(`lvcreate --snapshot --name ncupd-${TX} -- vg0/ncdata`));
    host.commands.length = 0;
    await lvmDataMethod.restore(host, snapshot);
    assert.deepEqual(host.commands.filter((c) => !c.startsWith('lvs ') && !c.startsWith('findmnt ')), [
      `lvcreate --snapshot --name ncupd-${TX}-restored -- vg0/ncupd-${TX}`,
      `umount -- ${DATA}`,
      `lvrename -- vg0 ncdata ncdata-ncupd-replaced-${TX}`,
      `lvrename -- vg0 ncupd-${TX}-restored ncdata`,
      'lvchange --setactivationskip n --activate y -- vg0/ncdata',
      `mount -o rw,relatime -- /dev/vg0/ncdata ${DATA}`,
    ]);
    assert.ok(!host.commands.some((c) => c.includes('--merge')));
    assert.deepEqual([...lvs].sort(), ['vg0/ncdata', `vg0/ncdata-ncupd-replaced-${TX}`, `vg0/ncupd-${TX}`]);
    assert.equal(mounted(), 'vg0/ncdata');
    await lvmDataMethod.remove(host, snapshot);
    assert.deepEqual([...lvs].sort(), ['vg0/ncdata', `vg0/ncdata-ncupd-replaced-${TX}`]);
  });

  for (const crashAt of ['umount', 'lvrename -- vg0 ncdata', 'lvrename -- vg0 ncupd', 'mount']) {
    it(`a restore cut at "${crashAt}" completes when recovery runs it again`, async () => {
      const { host, lvs, mounted } = lvmModel({ failOnce: crashAt });
      const snapshot = await lvmDataMethod.take(host, targetFor(DATA), TX);
      await assert.rejects(lvmDataMethod.restore(host, snapshot), (e) => isNcupdError(e, 'NCUPD_RESTORE_FAILED'));
      await lvmDataMethod.restore(host, snapshot);
      assert.deepEqual([...lvs].sort(), ['vg0/ncdata', `vg0/ncdata-ncupd-replaced-${TX}`, `vg0/ncupd-${TX}`]);
      assert.equal(mounted(), 'vg0/ncdata');
    });
  }
});
