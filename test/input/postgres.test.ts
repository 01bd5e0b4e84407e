import { postgresConfig } from '../../nodes/PayrollMail/input/postgres';

/** n8n's Postgres credential read as n8n's own Postgres node reads it (n8n-nodes-base 2.41's transport). */
describe('the Postgres credential', () => {
	it('takes the credential type\'s defaults for what a credential lacks', () => {
		expect(postgresConfig({})).toMatchObject({ host: 'localhost', port: 5432, database: 'postgres', user: 'postgres', password: '', ssl: false });
	});

	it.each([
		[{ ssl: 'disable' }, false],
		[{ ssl: 'allow' }, true],
		[{ ssl: 'require' }, true],
		[{ ssl: 'disable', allowUnauthorizedCerts: true }, { rejectUnauthorized: false }],
		[{ ssl: 'require', allowUnauthorizedCerts: true }, { rejectUnauthorized: false }],
	])('SSL %j: %j', (fields, ssl) => {
		expect(postgresConfig({ host: 'db.example.com', ...fields }).ssl).toEqual(ssl);
	});

	it('refuses an SSH tunnel instead of connecting around it', () => {
		expect(() => postgresConfig({ sshTunnel: true })).toThrow(/SSH tunnel, which Payroll Mail does not open/);
	});

	it('bounds a connection and every statement in time', () => {
		expect(postgresConfig({ host: 'db', port: 6543 })).toMatchObject({ port: 6543, connectionTimeoutMillis: 30_000, query_timeout: 60_000, keepAlive: true });
	});
});
