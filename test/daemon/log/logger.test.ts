import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger, resolveLogFormat, type LoggerOptions } from '../../../daemon/log/logger.js';
import { NcupdError } from '../../../daemon/errors/ncupd-error.js';

/** A logger writing into memory; `lines()` closes it and returns what it wrote. */
function capture(options: LoggerOptions & { isTTY?: boolean } = {}) {
  const stream = Object.assign(new PassThrough(), { isTTY: options.isTTY });
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const logger = createLogger({ env: {}, ...options, stream });
  return {
    logger,
    async lines(): Promise<string[]> {
      await logger.close();
      return chunks.join('').split('\n').filter((line) => line !== '');
    },
  };
}

describe('logger', () => {
  it('auto is journal under systemd, human otherwise', () => {
    assert.equal(resolveLogFormat('auto', { JOURNAL_STREAM: '8:12345' }), 'journal');
    assert.equal(resolveLogFormat('auto', { INVOCATION_ID: 'abc' }), 'journal');
    assert.equal(resolveLogFormat('auto', {}), 'human');
    assert.equal(resolveLogFormat('json', { INVOCATION_ID: 'abc' }), 'json');
  });

  it('journal: every line carries its syslog priority, fields follow the message', async () => {
    const { logger, lines } = capture({ format: 'journal', level: 'debug' });
    logger.error('stage failed', { instance: 'cloud', stage: 'upgrade' });
    logger.warn('held');
    logger.notice('updated', { from: '29.0.1', to: '29.0.2' });
    logger.info('check done', { note: 'two words' });
    logger.debug('command', { durationMs: 12 });
    logger.error('first line\nsecond line');
    assert.deepEqual(await lines(), [
      '<3>stage failed instance=cloud stage=upgrade',
      '<4>held',
      '<5>updated from=29.0.1 to=29.0.2',
      '<6>check done note="two words"',
      '<7>command durationMs=12',
      '<3>first line',
      '<3>second line',
    ]);
  });

  it('auto picks the journal format from the environment', async () => {
    const { logger, lines } = capture({ env: { INVOCATION_ID: 'x' } });
    logger.info('hello');
    assert.deepEqual(await lines(), ['<6>hello']);
  });

  it('drops lines below the level', async () => {
    const { logger, lines } = capture({ format: 'journal', level: 'notice' });
    logger.info('not shown');
    logger.debug('not shown');
    logger.notice('shown');
    assert.deepEqual(await lines(), ['<5>shown']);
  });

  it('human: time, level and message; colour only on a terminal', async () => {
    const plain = capture({ format: 'human' });
    plain.logger.warn('disk almost full', { freeBytes: 1024 });
    const [line] = await plain.lines();
    assert.match(line ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d warn {3}disk almost full freeBytes=1024$/);

    const terminal = capture({ format: 'human', isTTY: true });
    terminal.logger.error('broken');
    assert.ok((await terminal.lines())[0]?.endsWith('\u001b[31merror \u001b[0m broken'));

    const noColour = capture({ format: 'human', isTTY: true, env: { NO_COLOR: '1' } });
    noColour.logger.error('broken');
    assert.ok(!(await noColour.lines())[0]?.includes('\u001b'));
  });

  it('json: one object per line with time, level, message and fields', async () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.child({ run: 'tx1', instance: 'cloud' }).notice('run finished', { result: 'updated', stages: { upgrade: 812 } });
    logger.error('failed', { error: new NcupdError('NCUPD_DISK_FULL', { detail: 'no space left in /var' }) });
    const [first, second] = (await lines()).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(typeof first?.time, 'string');
    assert.deepEqual({ ...first, time: undefined }, { time: undefined, level: 'notice', message: 'run finished', run: 'tx1', instance: 'cloud', result: 'updated', stages: { upgrade: 812 } });
    assert.equal(second?.error, 'NCUPD_DISK_FULL: no space left in /var');
  });

  it('masks secrets in messages and fields, plain, URL-encoded and base64, also ones added later', async () => {
    const secret = 'p@ss w/rd';
    const later = 'token-123456';
    const { logger, lines } = capture({ format: 'json', secrets: [secret] });
    const child = logger.child({ url: `mysql://u:${encodeURIComponent(secret)}@db/nc` });
    child.info(`login with ${secret}`, { header: `Basic ${Buffer.from(secret).toString('base64')}`, nested: { list: [secret] } });
    logger.addSecret(later);
    child.info('bearer', { auth: `Bearer ${later}` });
    const text = (await lines()).join('\n');
    for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), later]) assert.ok(!text.includes(form), `leaked ${form}`);
    assert.match(text, /login with \*\*\*/);
    assert.match(text, /"auth":"Bearer \*\*\*"/);
    assert.match(text, /"list":\["\*\*\*"\]/);
  });
});
