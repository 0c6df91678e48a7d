import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { openJournal } from '../../../daemon/engine/journal.js';
import { factsPath, readFacts, writeFacts, type RecoveryFacts } from '../../../daemon/engine/recovery-facts.js';

const journalFailed = (e: unknown) => isNcupdError(e, 'NCUPD_JOURNAL_FAILED');

const facts: RecoveryFacts = {
  fromVersion: '29.0.4.1',
  targetVersion: '30.0.0.14',
  snapshotDir: '/var/lib/ncupd/snapshots/cloud/tx-1',
  database: {
    type: 'mysql', name: 'nextcloud', endpoint: { host: 'localhost', port: 3306, socket: undefined }, sqlitePath: undefined,
    utf8mb4: true, tablePrefix: 'oc_', php: '/usr/bin/php8.3', webUser: 'www-data',
  },
  integrityBaseline: { core: { INVALID_HASH: { 'lib/base.php': { expected: 'a', current: 'b' } } } },
  appsBefore: { files: { shipped: true }, calendar: { shipped: false } },
  workDir: '/srv/.ncupd-cloud/work',
  oldRoot: '/srv/.ncupd-cloud/old',
};

describe('recovery facts', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'ncupd-facts-'));
    // The journal is opened first in a run (it creates the folder); the facts go beside it.
    await (await openJournal(stateDir, 'cloud', 'tx-1')).close();
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('round-trips through <stateDir>/journal/<instance>/<txid>.facts.json, 0600, leaving no temporary file', async () => {
    const path = await writeFacts(stateDir, 'cloud', 'tx-1', facts);
    assert.equal(path, join(stateDir, 'journal', 'cloud', 'tx-1.facts.json'));
    assert.equal(path, factsPath(stateDir, 'cloud', 'tx-1'));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(join(stateDir, 'journal', 'cloud'))).sort(), ['tx-1.facts.json', 'tx-1.jsonl']);
    const read = await readFacts(stateDir, 'cloud', 'tx-1');
    // JSON drops undefined members (endpoint.socket, sqlitePath); everything else comes back as written.
    assert.deepEqual(read, JSON.parse(JSON.stringify(facts)));
    assert.equal(read?.database.endpoint.port, 3306);
    assert.deepEqual(read?.appsBefore, facts.appsBefore);
  });

  it('rewriting replaces the whole file (a shorter second version leaves no tail of the first)', async () => {
    await writeFacts(stateDir, 'cloud', 'tx-1', facts);
    const smaller: RecoveryFacts = { ...facts, integrityBaseline: undefined, appsBefore: {}, workDir: undefined, oldRoot: undefined };
    await writeFacts(stateDir, 'cloud', 'tx-1', smaller);
    assert.deepEqual(await readFacts(stateDir, 'cloud', 'tx-1'), JSON.parse(JSON.stringify(smaller)));
    assert.equal((await stat(factsPath(stateDir, 'cloud', 'tx-1'))).mode & 0o777, 0o600);
  });

  it('reads a missing facts file (a crash before preflight wrote it) as undefined', async () => {
    assert.equal(await readFacts(stateDir, 'cloud', 'tx-1'), undefined);
    assert.equal(await readFacts(join(stateDir, 'nowhere'), 'cloud', 'tx-1'), undefined);
  });

  it('refuses garbage with NCUPD_JOURNAL_FAILED naming the file', async () => {
    const path = factsPath(stateDir, 'cloud', 'tx-1');
    for (const garbage of ['not json at all', '{"fromVersion":"29.0.4.1","targetVer', '\0\0\0\0']) {
      await writeFile(path, garbage);
      await assert.rejects(readFacts(stateDir, 'cloud', 'tx-1'), (e) => journalFailed(e) && e.message.includes(path) && e.cause instanceof SyntaxError, JSON.stringify(garbage));
    }
  });

  it('refuses unreadable facts (a folder in its place) with NCUPD_JOURNAL_FAILED', async () => {
    const path = factsPath(stateDir, 'cloud', 'tx-1');
    await rm(path, { force: true });
    await mkdir(path);
    await assert.rejects(readFacts(stateDir, 'cloud', 'tx-1'), journalFailed);
    await assert.rejects(writeFacts(stateDir, 'cloud', 'tx-1', facts), journalFailed);
  });

  it('refuses unsafe instance names and transaction ids before touching the file system', async () => {
    await assert.rejects(writeFacts(stateDir, '../etc', 'tx-1', facts), journalFailed);
    await assert.rejects(readFacts(stateDir, 'cloud', '../../passwd'), journalFailed);
    assert.throws(() => factsPath(stateDir, 'cloud', '.hidden'), journalFailed);
  });

  it('a write into a missing journal folder fails with NCUPD_JOURNAL_FAILED, not a bare ENOENT', async () => {
    await assert.rejects(writeFacts(stateDir, 'other', 'tx-1', facts), (e) => journalFailed(e) && (e.cause as NodeJS.ErrnoException).code === 'ENOENT');
  });
});
