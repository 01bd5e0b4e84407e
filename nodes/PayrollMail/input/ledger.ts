import type { IExecuteFunctions } from 'n8n-workflow';

import { configurationError } from '../core/mailError';
import { SecretScrubber } from '../core/secretScrubber';
import { systemClock } from '../plan/clock';
import { bothLocks, processAccountLock, type AccountUse } from '../send/accountLock';
import { DeduplicationLedger, type DeduplicationHelpers } from '../send/ledger/deduplicationLedger';
import { ensureJournal, journalTable, JournalTableError, JournalUnusableError } from '../send/ledger/journalTable';
import { withLegacyRecord } from '../send/ledger/legacyRecord';
import type { MailLedger } from '../send/ledger/mailLedger';
import { PostgresLedger } from '../send/ledger/postgresLedger';
import { postgresAccountLock } from '../send/postgresAccountLock';
import { openPostgres } from './postgres';
import type { RunSettings } from './runSettings';

/** What keeps a run from sending a mail twice or sending alongside another run: opened before the first mail. */
export interface SendGuards {
	/** With Skip Already Sent: the record of every mail. */
	ledger?: MailLedger;
	/** The account, one sender at a time. */
	account: AccountUse;
	/** Secrets met on the way (the database password), for the scrubber. */
	secrets: string[];
	close(): Promise<void>;
}

/**
 * The run's guards. Skip Already Sent keeps its record in n8n's own database (its deduplication
 * store) or in a PostgreSQL journal table; what version 0.1.0 noted in the workflow's static data
 * is honoured with either. The account lock is this n8n process's; with the PostgreSQL journal
 * also an advisory lock in that database, which holds across processes and queue-mode workers.
 */
export async function openSendGuards(context: IExecuteFunctions, settings: RunSettings, accountName: string): Promise<SendGuards> {
	const waitSeconds = settings.accountWaitMs / 1000;
	const onBusy = (holder: string | undefined) =>
		context.logger.info(`Payroll Mail: ${accountName} is busy${holder ? ` (execution ${holder} sends from it)` : ''}; waiting up to ${waitSeconds} s for it`);
	const processLock = processAccountLock(accountName, systemClock);
	const account: AccountUse = { lock: processLock, waitMs: settings.accountWaitMs, name: accountName, onBusy };
	const none = { account, secrets: [], close: async () => undefined };
	if (!settings.skipAlreadySent) return none;
	if (settings.ledgerStore === 'n8n') return { ...none, ledger: deduplicationLedger(context) };

	let table: ReturnType<typeof journalTable>;
	try {
		table = journalTable(settings.ledgerTable);
	} catch (error) {
		throw configurationError(context.getNode(), (error as JournalTableError).message);
	}
	const { database, password } = await openPostgres(context, settings.tuning.parallelConnections + 2);
	try {
		await ensureJournal(database, table);
	} catch (error) {
		await database.end().catch(() => undefined);
		const why = error instanceof JournalUnusableError ? error.message : `it could not be opened: ${(error as Error).message}`;
		throw configurationError(context.getNode(), new SecretScrubber([password]).scrub(`Skip Already Sent keeps its record in the PostgreSQL table ${table.name}, but ${why}`));
	}
	const ledger = new PostgresLedger(database, table, { workflowId: context.getWorkflow().id ?? '', account: accountName });
	return {
		ledger: withLegacyRecord(ledger, context.getWorkflowStaticData('node')),
		account: { ...account, lock: bothLocks(processLock, postgresAccountLock(database, table, accountName, systemClock), systemClock) },
		secrets: [password],
		close: async () => database.end(),
	};
}

function deduplicationLedger(context: IExecuteFunctions): MailLedger {
	const helpers = context.helpers as Partial<DeduplicationHelpers>;
	if (typeof helpers.checkProcessedAndRecord !== 'function' || typeof helpers.removeProcessed !== 'function') {
		throw configurationError(context.getNode(), 'Skip Already Sent keeps its record in n8n\'s deduplication store, which needs n8n 1.63 or later: update n8n, or switch the option off');
	}
	const scope = `${context.getWorkflow().id ?? ''}:${context.getNode().id}`;
	return withLegacyRecord(new DeduplicationLedger(helpers as DeduplicationHelpers, scope), context.getWorkflowStaticData('node'));
}
