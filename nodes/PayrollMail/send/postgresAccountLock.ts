import type { Clock } from '../plan/clock';
import { AccountBusyError, type AccountLock, type AccountTurn } from './accountLock';
import type { JournalTable } from './ledger/journalTable';
import type { SqlDatabase, SqlSession } from './sql';

/** How often a run waiting for a busy account asks the database again. */
export const ACCOUNT_POLL_MS = 250;

/** The advisory lock's key: one 64-bit number per account, from its name. */
const LOCK_KEY = "hashtextextended('n8n-nodes-payroll-mail account ' || $1, 0)";

/**
 * The lock across n8n processes and queue-mode workers: a PostgreSQL session-level advisory lock
 * per account, held on a connection of its own for the whole run. `pg_try_advisory_lock` is
 * asked again every ACCOUNT_POLL_MS until the wait runs out, so a waiting run stops at once when
 * its execution is cancelled, and never holds a statement open. A worker that dies loses its
 * connection, and PostgreSQL lets go of the lock with it.
 *
 * The previous sender's last mail is read from the journal: the newest claim, confirmation or
 * release of the account's mails, measured on the database's clock.
 */
export function postgresAccountLock(db: SqlDatabase, table: JournalTable, account: string, clock: Clock, pollMs = ACCOUNT_POLL_MS): AccountLock {
	return {
		async acquire({ execution, signal, waitMs, onBusy }) {
			signal.throwIfAborted();
			const session = await db.session();
			let held: AccountTurn | undefined;
			try {
				// Whoever waits for this run can tell which execution holds the account.
				await session.query("SELECT set_config('application_name', $1, false)", [`payroll-mail execution ${execution}`.slice(0, 63)]);
				const deadline = clock.now() + waitMs;
				for (let asked = 0; ; asked++) {
					const { rows } = await session.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS locked`, [account]);
					if (rows[0]?.locked) break;
					const holder = await holderOf(session, account);
					if (asked === 0) onBusy?.(holder);
					const left = deadline - clock.now();
					if (left <= 0) throw new AccountBusyError(holder);
					await clock.sleep(Math.min(pollMs, left), signal);
				}
				held = turn(session, account, await previousEnd(session, table, account, clock));
				return held;
			} finally {
				// Not held: waiting ended, or a query failed; the connection goes, and a lock taken on it with it.
				if (!held) session.release(true);
			}
		},
	};
}

function turn(session: SqlSession, account: string, previous: number | undefined): AccountTurn {
	let released = false;
	return {
		previousEnd: previous,
		async release() {
			if (released) return;
			released = true;
			try {
				await session.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [account]);
				session.release();
			} catch {
				// The connection is gone, and the lock with it.
				session.release(true);
			}
		},
	};
}

/** The execution holding the account's lock, from the application name its connection carries. */
async function holderOf(session: SqlSession, account: string): Promise<string | undefined> {
	const { rows } = await session.query<{ name: string }>(
		`SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			AND ((l.classid::bigint << 32) | l.objid::bigint) = ${LOCK_KEY}`,
		[account],
	);
	return /^payroll-mail execution (.+)$/.exec(rows[0]?.name ?? '')?.[1];
}

async function previousEnd(session: SqlSession, table: JournalTable, account: string, clock: Clock): Promise<number | undefined> {
	const { rows } = await session.query<{ ago_ms: number | null }>(
		`SELECT (extract(epoch FROM clock_timestamp() - max(greatest(claimed_at, accepted_at, released_at))) * 1000)::float8 AS ago_ms
		FROM (SELECT claimed_at, accepted_at, released_at FROM ${table.sql} WHERE account = $1 ORDER BY claimed_at DESC LIMIT 50) recent`,
		[account],
	);
	const ago = rows[0]?.ago_ms;
	return ago === null || ago === undefined ? undefined : clock.now() - Math.max(0, ago);
}
