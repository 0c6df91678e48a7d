import assert from 'node:assert/strict';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { queryUpdateServer } from '../../../daemon/releases/update-server-client.js';
import { serverVersionParameter, updateCheckUrl, updaterVersionParameter, type UpdateRequestFacts } from '../../../daemon/releases/update-request.js';
import { CONTRACT_BUILD, CONTRACT_INSTALLED_AT, CONTRACT_TODAY, startUpdateServer, unreachableUrl, type UpdateServerDouble } from '../../fixtures/update-server/index.js';

// The worked examples of contract 1.6, sent by ncupd's own client to the update server double.
describe('update server client', () => {
  let server: UpdateServerDouble;
  before(async () => {
    server = await startUpdateServer({ today: CONTRACT_TODAY });
  });
  after(() => server.close());
  afterEach(() => server.setFault('none'));

  const facts = (codeVersion: string, php: [number, number, number], channel = 'stable'): UpdateRequestFacts => ({
    codeVersion, installedAt: CONTRACT_INSTALLED_AT, lastCheck: 1764230400, channel, build: CONTRACT_BUILD,
    php: { major: php[0], minor: php[1], release: php[2] }, category: 1, isSubscriber: false,
  });
  const query = (parameter: string, timeoutMs = 5000) => queryUpdateServer(server.url, parameter, { timeoutMs });

  it('sends the 14 fields exactly as example A shows them', () => {
    const parameter = serverVersionParameter(facts('33.0.5.1', [8, 3, 12]));
    assert.equal(updateCheckUrl('https://updates.nextcloud.com/updater_server/', parameter),
      'https://updates.nextcloud.com/updater_server/?version=33x0x5x1x1700000000.1234x1764230400xstablexx2026-05-01T10:00:00%2B00:00%20abcdef0123456789x8x3x12x1x0');
  });

  it('example A: the latest patch of its own major, every element read', async () => {
    const offer = await query(serverVersionParameter(facts('33.0.5.1', [8, 3, 12])));
    assert.ok(offer);
    assert.equal(offer.version, '33.0.8.2');
    assert.equal(offer.versionString, '33.0.8');
    assert.equal(offer.url, 'https://download.nextcloud.com/server/releases/nextcloud-33.0.8.zip');
    assert.deepEqual(offer.downloads.zip, ['https://github.com/nextcloud-releases/server/releases/download/v33.0.8/nextcloud-33.0.8.zip', 'https://download.nextcloud.com/server/releases/nextcloud-33.0.8.zip']);
    assert.deepEqual(offer.downloads.bz2, ['https://github.com/nextcloud-releases/server/releases/download/v33.0.8/nextcloud-33.0.8.tar.bz2', 'https://download.nextcloud.com/server/releases/nextcloud-33.0.8.tar.bz2']);
    assert.equal(offer.web, 'https://docs.nextcloud.com/server/33/admin_manual/maintenance/upgrade.html');
    assert.equal(offer.changes, 'https://updates.nextcloud.com/changelog_server/?version=33.0.8');
    assert.equal(offer.autoupdater, true);
    assert.equal(offer.eol, false);
    assert.equal(offer.eolDate, '2027-02-18');
    assert.match(offer.signature ?? '', /^[A-Za-z0-9+/]+=*$/, 'signature without its line breaks');
    const recorded = server.requests.at(-1);
    assert.equal(recorded?.headers['user-agent'], 'Nextcloud Server Crawler');
  });

  it('example B: the next major from the newest patch', async () => {
    const offer = await query(serverVersionParameter(facts('33.0.8.2', [8, 3, 12])));
    assert.equal(offer?.version, '34.0.3.2');
    assert.equal(offer?.versionString, '34.0.3');
    assert.equal(offer?.eolDate, '2027-06-09');
  });

  it('example C: an empty body (no update) for 32.0.14 on PHP 8.1', async () => {
    assert.equal(await query(serverVersionParameter(facts('32.0.14.1', [8, 1, 30]))), undefined);
  });

  it('the other observed cases of contract 1.6', async () => {
    assert.equal((await query(updaterVersionParameter(facts('34.0.1.1', [8, 3, 0]), '34.0.1.1')))?.version, '34.0.3.2');
    const eol = await query(serverVersionParameter(facts('32.0.5.1', [8, 1, 30])));
    assert.equal(eol?.version, '32.0.14.1');
    assert.equal(eol?.eol, true);
    assert.equal(await query(serverVersionParameter(facts('34.0.3.2', [8, 3, 12]))), undefined);
    const beta = await query(serverVersionParameter(facts('34.0.3.2', [8, 3, 12], 'beta')));
    assert.equal(beta?.version, '35.0.0.5');
    assert.equal(beta?.versionString, '35.0.0 beta 4');
    const daily = await query(serverVersionParameter(facts('33.0.5.1', [8, 3, 12], 'daily')));
    assert.equal(daily?.version, '100.0.0.0');
    assert.equal(daily?.signature, undefined);
    assert.equal(await query(serverVersionParameter(facts('33.0.5.1', [8, 3, 12], 'testing'))), undefined);
  });

  const failures: [string, () => Promise<unknown>, string][] = [
    ['HTTP 500', async () => (server.setFault('http500'), query(serverVersionParameter(facts('33.0.5.1', [8, 2, 0])))), 'NCUPD_UPDATE_SERVER_HTTP'],
    ['invalid XML', async () => (server.setFault('badxml'), query(serverVersionParameter(facts('33.0.5.1', [8, 2, 0])))), 'NCUPD_UPDATE_SERVER_INVALID'],
    ['a slow server', async () => (server.setFault('slow', { delayMs: 3000 }), query(serverVersionParameter(facts('33.0.5.1', [8, 2, 0])), 300)), 'NCUPD_UPDATE_SERVER_TIMEOUT'],
    ['an unreachable server', async () => queryUpdateServer(await unreachableUrl(), '33x0x5x1', { timeoutMs: 2000 }), 'NCUPD_UPDATE_SERVER_UNREACHABLE'],
  ];
  for (const [what, act, code] of failures) {
    it(`ends ${what} with ${code}`, async () => {
      await assert.rejects(act(), (e) => isNcupdError(e) && e.code === code && e.message.length > 0);
    });
  }
});
