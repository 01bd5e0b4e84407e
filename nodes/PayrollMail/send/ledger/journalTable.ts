import { sqlState, type SqlClient, type SqlDatabase } from '../sql';

/**
 * The send journal in PostgreSQL: one row per mail, which is also Skip Already Sent's record. Its
 * name comes from the clerk, so it is checked here and only ever written into SQL quoted.
 */
export interface JournalTable {
	/** As the clerk sees it: `payroll_mail_journal` or `payroll.journal`. */
	name: string;
	/** Quoted and schema-qualified where given, ready for SQL text. */
	sql: string;
	/** The index on the account and claim time (the account lock's look back). */
	accountIndex: string;
	/** The schema, when one was given, and the table's own name, as PostgreSQL's catalog spells them. */
	schema?: string;
	table: string;
}

/** A table name that is not a plain SQL name. */
export class JournalTableError extends Error {}

const PART = /^[a-z_][a-z0-9_]*$/;
const MAX_PART = 63;

/**
 * Reads `table` or `schema.table`, letters, digits and underscores only. Upper-case letters are
 * read as lower case, as PostgreSQL reads a name written without quotes, so the journal answers
 * to `SELECT … FROM payroll_mail_journal` however the clerk typed it.
 */
export function journalTable(name: string): JournalTable {
	const typed = name.trim();
	const parts = typed.toLowerCase().split('.');
	if (!typed || parts.length > 2 || parts.some((part) => !PART.test(part) || part.length > MAX_PART)) {
		throw new JournalTableError(
			`Skip Already Sent: Table Name "${name}" is not a table name PostgreSQL takes without quotes: use letters, digits and ` +
				'underscores (not starting with a digit, at most 63), optionally after a schema and a dot, e.g. payroll_mail_journal or payroll.journal',
		);
	}
	const table = parts[parts.length - 1];
	return {
		name: parts.join('.'),
		sql: parts.map((part) => `"${part}"`).join('.'),
		accountIndex: `"${table.slice(0, MAX_PART - 12)}_account_idx"`,
		schema: parts.length === 2 ? parts[0] : undefined,
		table,
	};
}

/**
 * Columns added after the first journals were made (delivery reports): a new table has them, an
 * older one gets them added when it lacks them.
 */
const LATER_COLUMNS = {
	/** The mail's ID for delivery reports (DSN ENVID, header X-Payroll-Mail-ID). */
	mail_id: 'text',
	/** What Payroll Mail Bounces read of the latest report on the mail. */
	bounced_at: 'timestamptz',
	bounce_recipient: 'text',
	bounce_action: 'text',
	bounce_status: 'text',
	bounce_diagnostic: 'text',
};

/** The columns the node writes and reads; the README's SQL uses them too. */
export const JOURNAL_COLUMNS = [
	'key',
	'idempotency_key',
	'recipients',
	'accepted_recipients',
	'subject',
	'message_id',
	'state',
	'execution_id',
	'workflow_id',
	'account',
	'claimed_at',
	'accepted_at',
	'released_at',
	'response',
	...Object.keys(LATER_COLUMNS),
] as const;

function createStatements(table: JournalTable): string[] {
	return [
		`CREATE TABLE IF NOT EXISTS ${table.sql} (
			key text PRIMARY KEY,
			idempotency_key text,
			recipients text[] NOT NULL,
			accepted_recipients text[] NOT NULL DEFAULT '{}',
			subject text NOT NULL DEFAULT '',
			message_id text,
			state text NOT NULL CHECK (state IN ('claimed', 'accepted', 'released')),
			execution_id text,
			workflow_id text,
			account text,
			claimed_at timestamptz NOT NULL,
			accepted_at timestamptz,
			released_at timestamptz,
			response text,
			${Object.entries(LATER_COLUMNS).map(([column, type]) => `${column} ${type}`).join(',\n\t\t\t')}
		)`,
		`CREATE INDEX IF NOT EXISTS ${table.accountIndex} ON ${table.sql} (account, claimed_at)`,
	];
}

/** Adds the later columns a journal made by an earlier version lacks; asks for nothing when it has them all. */
async function addLaterColumns(session: SqlClient, table: JournalTable): Promise<void> {
	const { rows } = await session.query<{ column_name: string }>(
		`SELECT column_name FROM information_schema.columns
		WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2`,
		[table.schema ?? null, table.table],
	);
	const present = new Set(rows.map((row) => row.column_name));
	// Another kind of table under that name is left as it is; the check after this names it.
	if (!present.has('key') || !present.has('state')) return;
	const missing = Object.entries(LATER_COLUMNS).filter(([column]) => !present.has(column));
	if (!missing.length) return;
	await session.query(`ALTER TABLE ${table.sql} ${missing.map(([column, type]) => `ADD COLUMN IF NOT EXISTS ${column} ${type}`).join(', ')}`);
}

/** A journal that cannot be used as it is; the message says what to change. */
export class JournalUnusableError extends Error {}

/**
 * Creates the table if it is missing and checks that an existing one has the journal's columns.
 * Two workers starting at once would both try to create it; a transaction-scoped advisory lock
 * lets one do it while the other waits.
 */
export async function ensureJournal(db: SqlDatabase, table: JournalTable): Promise<void> {
	const session = await db.session();
	let broken = false;
	try {
		await session.query('BEGIN');
		await session.query("SELECT pg_advisory_xact_lock(hashtextextended('n8n-nodes-payroll-mail journal ' || $1, 0))", [table.name]);
		for (const statement of createStatements(table)) await session.query(statement);
		await addLaterColumns(session, table);
		await session.query('COMMIT');
	} catch (error) {
		broken = true;
		throw unusable(error, table);
	} finally {
		session.release(broken);
	}
	try {
		await db.query(`SELECT ${JOURNAL_COLUMNS.join(', ')} FROM ${table.sql} WHERE false`);
	} catch (error) {
		throw unusable(error, table);
	}
}

/** What the clerk can do about a journal PostgreSQL refused; other errors as they are. */
function unusable(error: unknown, table: JournalTable): Error {
	const why = (error as Error).message;
	switch (sqlState(error)) {
		case '3F000':
			return new JournalUnusableError(`the schema of ${table.name} does not exist: create it, or choose a table without a schema`);
		case '42501':
			return new JournalUnusableError(`the database user may not create or use ${table.name}: ${why}`);
		case '42703':
			return new JournalUnusableError(`the table ${table.name} exists but is not a Payroll Mail journal (${why}): choose another Table Name`);
		default:
			return error as Error;
	}
}
