/**
 * The little of a PostgreSQL client that the journal and the account lock need, so that send/
 * speaks SQL without knowing the driver: input/postgres.ts gives it a `pg` pool.
 */
export interface SqlResult<Row> {
	rows: Row[];
	rowCount: number | null;
}

export interface SqlClient {
	query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<SqlResult<Row>>;
}

/** One connection held for a while: what a session-level advisory lock or a transaction needs. */
export interface SqlSession extends SqlClient {
	/** Gives the connection back; `broken` closes it instead (its state is unknown). */
	release(broken?: boolean): void;
}

/** A pool of connections: each query takes any free one. */
export interface SqlDatabase extends SqlClient {
	session(): Promise<SqlSession>;
}

/** PostgreSQL's error code (SQLSTATE) of a failed query, when it has one. */
export function sqlState(error: unknown): string | undefined {
	const code = (error as { code?: unknown } | undefined)?.code;
	return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
