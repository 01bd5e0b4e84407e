import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';
import { Pool, type PoolClient, type PoolConfig } from 'pg';

import { configurationError } from '../core/mailError';
import type { SqlDatabase, SqlResult } from '../send/sql';

/** n8n's own `postgres` credential type (n8n-nodes-base's "Postgres"), as its Postgres node reads it. */
export const POSTGRES_CREDENTIAL = 'postgres';

/** A pool for one run: the SQL interface send/ speaks, and its end. */
export interface PostgresDatabase extends SqlDatabase {
	end(): Promise<void>;
}

/**
 * The connection settings of a `postgres` credential, with the credential type's own defaults
 * (n8n fills them in; a credential saved by an older n8n may lack a field). SSL as n8n's Postgres
 * node does it: Ignore SSL Issues connects over TLS without checking the certificate; SSL Allow
 * or Require connects over TLS with the certificate checked; Disable without TLS. The SSH tunnel
 * is not offered here.
 */
export function postgresConfig(data: ICredentialDataDecryptedObject): PoolConfig & { password: string } {
	const text = (name: string, fallback: string) => (typeof data[name] === 'string' && data[name] !== '' ? (data[name] as string) : fallback);
	if (data.sshTunnel === true) {
		throw new Error('the Postgres credential connects through an SSH tunnel, which Payroll Mail does not open: connect directly, or use n8n\'s database');
	}
	const ssl = data.allowUnauthorizedCerts === true ? { rejectUnauthorized: false } : !['disable', undefined, ''].includes(data.ssl as string);
	return {
		host: text('host', 'localhost'),
		port: Number(data.port ?? 5432) || 5432,
		database: text('database', 'postgres'),
		user: text('user', 'postgres'),
		password: typeof data.password === 'string' ? data.password : '',
		ssl,
		keepAlive: true,
		application_name: 'n8n-nodes-payroll-mail',
		connectionTimeoutMillis: 30_000,
		// No statement of the journal or the lock takes long; one that hangs fails its mail instead of the run.
		query_timeout: 60_000,
	};
}

/**
 * Opens a pool on the node's Postgres credential: `connections` at most, which the run's parallel
 * connections, the account lock's own connection and the journal's set-up need. A connection that
 * breaks while idle is only dropped, never an error thrown into n8n.
 */
export async function openPostgres(context: IExecuteFunctions, connections: number): Promise<{ database: PostgresDatabase; password: string }> {
	const data = await context.getCredentials(POSTGRES_CREDENTIAL);
	let config: ReturnType<typeof postgresConfig>;
	try {
		config = postgresConfig(data);
	} catch (error) {
		throw configurationError(context.getNode(), `Postgres credential: ${(error as Error).message}`);
	}
	return { database: poolDatabase(new Pool({ ...config, max: connections })), password: config.password };
}

/** The SQL interface of send/ on a `pg` pool, which it ends with `end()`. */
export function poolDatabase(pool: Pool): PostgresDatabase {
	pool.on('error', () => undefined);
	// A connection held for a while (the account lock's) has no pool listener meanwhile.
	const guarded = new WeakSet<PoolClient>();
	const query = async <Row>(client: Pool | PoolClient, text: string, values?: unknown[]) =>
		(await client.query(text, values)) as unknown as SqlResult<Row>;
	return {
		query: async (text, values) => query(pool, text, values),
		async session() {
			const client = await pool.connect();
			if (!guarded.has(client)) {
				guarded.add(client);
				client.on('error', () => undefined);
			}
			return {
				query: async (text, values) => query(client, text, values),
				release: (broken) => client.release(broken ? true : undefined),
			};
		},
		end: async () => pool.end(),
	};
}
