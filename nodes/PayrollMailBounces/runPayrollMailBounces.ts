import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { configurationError } from '../PayrollMail/core/mailError';
import { readMailId } from '../PayrollMail/core/mailId';
import { SecretScrubber } from '../PayrollMail/core/secretScrubber';
import { openPostgres } from '../PayrollMail/input/postgres';
import { markBounced, type JournalMail } from '../PayrollMail/send/ledger/journalBounces';
import { ensureJournal, journalTable, JournalTableError, JournalUnusableError } from '../PayrollMail/send/ledger/journalTable';
import { readItemMail } from './read/n8nMail';
import type { Bounce, BouncedMailReference } from './report/bounce';
import { readBounce } from './report/readBounce';

/** The send journal, opened for the run when the clerk asked to look bounces up in it. */
interface Journal {
	mark(mail: BouncedMailReference, bounce: Bounce): Promise<JournalMail | undefined>;
	scrub(text: string): string;
	close(): Promise<void>;
}

/**
 * Every input mail goes out once: a bounce as one item on Bounced per failed or delayed recipient
 * (each paired with the mail), anything else as it came on Other.
 */
export async function runPayrollMailBounces(context: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	const journal = context.getNodeParameter('useJournal', 0, false) === true ? await openJournal(context) : undefined;
	const bounced: INodeExecutionData[] = [];
	const other: INodeExecutionData[] = [];
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const binaryField = String(context.getNodeParameter('binaryPropertyName', itemIndex, 'data')).trim();
			const report = readBounce(await readItemMail(context, items[itemIndex], itemIndex, binaryField));
			if (!report) {
				other.push({ ...items[itemIndex], pairedItem: { item: itemIndex } });
				continue;
			}
			for (const bounce of report.bounces) {
				bounced.push({ json: await bounceItem(report.mail, bounce, journal), pairedItem: { item: itemIndex } });
			}
		}
	} finally {
		await journal?.close();
	}
	return [bounced, other];
}

/**
 * One bounced recipient: what the report says, which mail it was, and the run and item that sent
 * it — from the journal when it is looked up, else from the mail ID itself.
 */
async function bounceItem(mail: BouncedMailReference, bounce: Bounce, journal: Journal | undefined): Promise<IDataObject> {
	let row: JournalMail | undefined;
	let journalError: string | undefined;
	try {
		row = await journal?.mark(mail, bounce);
	} catch (error) {
		journalError = journal?.scrub(`The send journal could not be read or marked: ${(error as Error).message}`);
	}
	const mailId = mail.mailId || row?.mailId || '';
	const origin = readMailId(mailId);
	return {
		recipient: bounce.recipient,
		action: bounce.action,
		status: bounce.status,
		diagnostic: bounce.diagnostic,
		remoteMta: bounce.remoteMta || null,
		reportingMta: bounce.reportingMta || null,
		reportFormat: bounce.format,
		mailId: mailId || null,
		messageId: mail.messageId || row?.messageId || null,
		subject: mail.subject || row?.subject || null,
		execution: row?.executionId ?? origin?.execution ?? null,
		itemIndex: origin?.itemIndex ?? null,
		...(journal
			? {
					inJournal: row !== undefined,
					idempotencyKey: row?.idempotencyKey ?? null,
					recipients: row?.recipients ?? null,
					workflowId: row?.workflowId ?? null,
				}
			: {}),
		...(journalError ? { journalError } : {}),
	};
}

async function openJournal(context: IExecuteFunctions): Promise<Journal> {
	let table: ReturnType<typeof journalTable>;
	try {
		table = journalTable(String(context.getNodeParameter('journalTable', 0, 'payroll_mail_journal')));
	} catch (error) {
		throw configurationError(context.getNode(), (error as JournalTableError).message.replace('Skip Already Sent: ', ''));
	}
	const { database, password } = await openPostgres(context, 1);
	const scrubber = new SecretScrubber([password]);
	try {
		// Also adds the bounce columns to a journal an earlier version made.
		await ensureJournal(database, table);
	} catch (error) {
		await database.end().catch(() => undefined);
		const why = error instanceof JournalUnusableError ? error.message : `it could not be opened: ${(error as Error).message}`;
		throw configurationError(context.getNode(), scrubber.scrub(`The send journal is the PostgreSQL table ${table.name}, but ${why}`));
	}
	return {
		mark: async (mail, bounce) => markBounced(database, table, { ...mail, ...bounce }),
		scrub: (text) => scrubber.scrub(text),
		close: async () => database.end(),
	};
}
