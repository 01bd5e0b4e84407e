import type { SqlClient } from '../sql';
import type { JournalTable } from './journalTable';

/** A delivery report on one recipient of a mail, as Payroll Mail Bounces writes it into the journal. */
export interface JournalBounce {
	/** The mail's ID (ENVID, X-Payroll-Mail-ID); '' when the report does not give it. */
	mailId: string;
	/** The returned Message-ID; '' when the report does not give it. */
	messageId: string;
	recipient: string;
	action: string;
	status: string;
	diagnostic: string;
}

/** The journal's row of the bounced mail: who was meant, by which run. */
export interface JournalMail {
	idempotencyKey: string | null;
	recipients: string[];
	subject: string;
	executionId: string | null;
	workflowId: string | null;
	mailId: string | null;
	messageId: string | null;
}

interface BouncedRow {
	idempotency_key: string | null;
	recipients: string[];
	subject: string;
	execution_id: string | null;
	workflow_id: string | null;
	mail_id: string | null;
	message_id: string | null;
}

/**
 * Notes the report on the mail's row (by its mail ID, else its Message-ID) and gives the row back;
 * undefined when the journal has no such mail. A later report on the mail replaces an earlier
 * one, except that a delay never hides a failure.
 */
export async function markBounced(db: SqlClient, table: JournalTable, bounce: JournalBounce): Promise<JournalMail | undefined> {
	if (!bounce.mailId && !bounce.messageId) return undefined;
	const { rows } = await db.query<BouncedRow>(
		`UPDATE ${table.sql} SET bounced_at = clock_timestamp(), bounce_recipient = $3, bounce_action = $4, bounce_status = $5,
			bounce_diagnostic = $6
		WHERE key = (
			SELECT key FROM ${table.sql}
			WHERE ($1 <> '' AND mail_id = $1) OR ($2 <> '' AND message_id = $2)
			ORDER BY claimed_at DESC LIMIT 1
		) AND NOT (bounce_action = 'failed' AND $4 = 'delayed')
		RETURNING idempotency_key, recipients, subject, execution_id, workflow_id, mail_id, message_id`,
		[bounce.mailId, bounce.messageId, bounce.recipient, bounce.action, bounce.status, bounce.diagnostic],
	);
	const row = rows[0] ?? (await findMail(db, table, bounce));
	return row && {
		idempotencyKey: row.idempotency_key,
		recipients: row.recipients,
		subject: row.subject,
		executionId: row.execution_id,
		workflowId: row.workflow_id,
		mailId: row.mail_id,
		messageId: row.message_id,
	};
}

/** The row as it is (a delay reported after the failure leaves it unchanged). */
async function findMail(db: SqlClient, table: JournalTable, bounce: JournalBounce): Promise<BouncedRow | undefined> {
	const { rows } = await db.query<BouncedRow>(
		`SELECT idempotency_key, recipients, subject, execution_id, workflow_id, mail_id, message_id FROM ${table.sql}
		WHERE ($1 <> '' AND mail_id = $1) OR ($2 <> '' AND message_id = $2)
		ORDER BY claimed_at DESC LIMIT 1`,
		[bounce.mailId, bounce.messageId],
	);
	return rows[0];
}
