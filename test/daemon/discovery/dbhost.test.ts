import assert from 'node:assert/strict';
import { parseDbHost } from '../../../daemon/discovery/dbhost.js';

describe('dbhost forms (contract 6.2)', () => {
  const cases: [string, { host: string; port: number | undefined; socket: string | undefined }][] = [
    ['localhost', { host: 'localhost', port: undefined, socket: undefined }],
    ['db.example.com:3307', { host: 'db.example.com', port: 3307, socket: undefined }],
    ['[::1]:5432', { host: '::1', port: 5432, socket: undefined }],
    ['[2001:db8::5]', { host: '2001:db8::5', port: undefined, socket: undefined }],
    ['localhost:/run/mysqld/mysqld.sock', { host: 'localhost', port: undefined, socket: '/run/mysqld/mysqld.sock' }],
    ['/run/postgresql/', { host: 'localhost', port: undefined, socket: '/run/postgresql/' }],
  ];
  for (const [dbhost, expected] of cases) {
    it(`parses ${dbhost}`, () => assert.deepEqual(parseDbHost(dbhost), expected));
  }
});
