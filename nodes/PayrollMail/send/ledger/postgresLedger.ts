import type { SqlClient } from '../sql';
import type { JournalTable } from './journalTable';
import type { Claim, ClaimRequest, MailLedger, SentRecord } from './mailLedger';
import type { MailIdentity } from './mailIdentity';

/** Who writes to the journal: noted on every row a run claims. */
export interface JournalWriter {
	workflowId: string;
	/** The sending account (`smtp:user@host:port` or `pickup:<folder>`), also what the account lock is keyed by. */
	account: string;
}

interface JournalRow {
	state: 'claimed' | 'accepted' | 'released';
	recipients: string[];
	accepted_recipients: string[];
	message_id: string | null;
	execution_id: string | null;
	claimed_at: Date;
	accepted_at: Date | null;
	/** Claimed before this run opened the journal: a claim the clerk can have checked before asking to resend it. */
	claimed_before_run: boolean;
	/** The row's version (PostgreSQL's xmin): a re-claim only succeeds on the row it read. */
	version: string;
}

/** How often a claim reads and tries again when another execution changed the row in between. */
const CLAIM_TRIES = 5;

/**
 * Skip Already Sent's record as a table in PostgreSQL, one row per mail: the send journal. Every
 * step is one atomic statement, so claims hold between executions, n8n processes and queue-mode
 * workers alike:
 *
 * - a claim is `INSERT … ON CONFLICT (key) DO NOTHING`: of any number of executions claiming one
 *   mail at once, exactly one gets the row; the others read what it holds;
 * - a released mail (or, with Resend Unconfirmed Mails, one claimed before this run began and never
 *   confirmed) is claimed again with an `UPDATE` on the very row version that was read, so of two
 *   re-claims one wins;
 * - times are the database's clock, the same for every worker.
 */
export class PostgresLedger implements MailLedger {
	constructor(
		private readonly db: SqlClient,
		private readonly table: JournalTable,
		private readonly writer: JournalWriter,
	) {
		this.runStart = db.query<{ now: string }>('SELECT clock_timestamp()::text AS now').then(({ rows }) => rows[0].now);
		// Awaited by the first claim; a failure is reported there, not as an unhandled rejection meanwhile.
		this.runStart.catch(() => undefined);
	}

	/** The database's clock as this run opened the journal, before it waited for the account or claimed. */
	private readonly runStart: Promise<string>;

	async claim(identity: MailIdentity, request: ClaimRequest): Promise<Claim> {
		const runStart = await this.runStart;
		for (let attempt = 1; attempt <= CLAIM_TRIES; attempt++) {
			if (await this.insertClaim(identity, request)) return { kind: 'granted' };
			const row = await this.read(identity.key, runStart);
			// Deleted in between (by hand): try the insert again.
			if (!row) continue;
			// Resend Unconfirmed Mails means a claim that was there when this run began; one made since
			// is another run's, on its way (perhaps another resending run's).
			const takeOver = row.state === 'released' || (row.state === 'claimed' && request.resendUnconfirmed && row.claimed_before_run);
			if (!takeOver) return verdict(identity, row);
			if (await this.claimAgain(identity, request, row)) return { kind: 'granted' };
			// Another execution changed the row since it was read: judge what it holds now.
		}
		throw new Error(`the journal row of this mail in ${this.table.name} kept changing while it was being claimed`);
	}

	async accepted(identity: MailIdentity, { accepted, messageId, response }: SentRecord): Promise<void> {
		const result = await this.db.query(
			`UPDATE ${this.table.sql} SET state = 'accepted', accepted_recipients = $2, accepted_at = clock_timestamp(),
				message_id = COALESCE($3, message_id), response = $4
			WHERE key = $1`,
			[identity.key, accepted, messageId ?? null, response ?? null],
		);
		if (!result.rowCount) throw new Error(`the journal ${this.table.name} no longer has this mail's row`);
	}

	async release(identity: MailIdentity): Promise<void> {
		await this.db.query(
			`UPDATE ${this.table.sql} SET state = 'released', released_at = clock_timestamp() WHERE key = $1 AND state = 'claimed'`,
			[identity.key],
		);
	}

	private async insertClaim(identity: MailIdentity, { execution, mail }: ClaimRequest): Promise<boolean> {
		const result = await this.db.query(
			`INSERT INTO ${this.table.sql}
				(key, idempotency_key, recipients, subject, message_id, mail_id, state, execution_id, workflow_id, account, claimed_at)
			VALUES ($1, $2, $3, $4, $5, $9, 'claimed', $6, $7, $8, clock_timestamp())
			ON CONFLICT (key) DO NOTHING
			RETURNING key`,
			[identity.key, mail.idempotencyKey ?? null, identity.recipients, mail.subject, mail.messageId, execution, this.writer.workflowId, this.writer.account, mail.mailId ?? null],
		);
		return result.rowCount === 1;
	}

	private async read(key: string, runStart: string): Promise<JournalRow | undefined> {
		const { rows } = await this.db.query<JournalRow>(
			`SELECT state, recipients, accepted_recipients, message_id, execution_id, claimed_at, accepted_at, xmin::text AS version,
				claimed_at < $2::timestamptz AS claimed_before_run
			FROM ${this.table.sql} WHERE key = $1`,
			[key, runStart],
		);
		return rows[0];
	}

	private async claimAgain(identity: MailIdentity, { execution, mail }: ClaimRequest, row: JournalRow): Promise<boolean> {
		const result = await this.db.query(
			`UPDATE ${this.table.sql} SET state = 'claimed', idempotency_key = $3, subject = $4, message_id = $5, execution_id = $6,
				workflow_id = $7, account = $8, claimed_at = clock_timestamp(), accepted_at = NULL, released_at = NULL,
				accepted_recipients = '{}', response = NULL, mail_id = $9, bounced_at = NULL, bounce_recipient = NULL,
				bounce_action = NULL, bounce_status = NULL, bounce_diagnostic = NULL
			WHERE key = $1 AND xmin::text = $2
			RETURNING key`,
			[identity.key, row.version, mail.idempotencyKey ?? null, mail.subject, mail.messageId, execution, this.writer.workflowId, this.writer.account, mail.mailId ?? null],
		);
		return result.rowCount === 1;
	}
}

/** What a row another execution holds means for this mail. */
function verdict(identity: MailIdentity, row: JournalRow): Claim {
	if (row.state === 'claimed') {
		return { kind: 'unconfirmed', claimedAt: row.claimed_at.toISOString(), execution: row.execution_id ?? undefined };
	}
	const record: SentRecord = {
		accepted: row.accepted_recipients,
		sentAt: row.accepted_at?.toISOString(),
		messageId: row.message_id ?? undefined,
		execution: row.execution_id ?? undefined,
	};
	const everyone = identity.recipients.every((recipient) => row.accepted_recipients.includes(recipient));
	return { kind: everyone ? 'accepted' : 'partial', record };
}
