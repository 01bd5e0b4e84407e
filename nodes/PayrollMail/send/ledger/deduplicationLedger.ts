import type { Claim, ClaimRequest, MailLedger, SentRecord } from './mailLedger';
import type { MailIdentity } from './mailIdentity';

/** The part of n8n's deduplication helpers (`this.helpers`, n8n 1.63 and later) the ledger uses. */
export interface DeduplicationHelpers {
	checkProcessedAndRecord(
		items: string[],
		scope: 'node',
		options: { mode: 'entries'; maxEntries: number },
	): Promise<{ new: Array<string | number>; processed: Array<string | number> }>;
	removeProcessed(items: string[], scope: 'node', options: { mode: 'entries'; maxEntries: number }): Promise<void>;
}

/**
 * Entries kept at most, the oldest first out: a mail is one entry, so a year of monthly runs for
 * 2,500 employees. n8n rewrites the node's whole list on every call, so the cap bounds a call's cost.
 */
export const LEDGER_ENTRIES = 30_000;
const OPTIONS = { mode: 'entries', maxEntries: LEDGER_ENTRIES } as const;

/**
 * The ledger in n8n's own database, through its deduplication helpers: it works in the editor,
 * survives restarts, is in n8n's backups and needs no set-up. That store only answers "was this
 * exact value recorded?", and only as a side effect of recording it, so each mail's state is a
 * set of markers, looked up and set in one call:
 *
 * - `mail:` stays once a mail was claimed; `pending:` is set with it and removed once the server
 *   accepted the mail. Both present: claimed, never confirmed. `mail:` alone: accepted.
 * - `partial:` is set when only some recipients took the mail.
 * - A marker set by a lookup that did not want it is removed again; a crash in between leaves
 *   `pending:`, which reads as "never confirmed": the safe side, never "sent".
 *
 * n8n's store is not atomic between executions; every call for one node goes through one queue
 * per n8n process, so two executions in one process (n8n's regular mode) never claim one mail.
 * It keeps no times or execution IDs: those are named for claims made in this process only.
 */
export class DeduplicationLedger implements MailLedger {
	constructor(
		private readonly helpers: DeduplicationHelpers,
		/** Workflow and node: whose calls share a queue and whose claims this process remembers. */
		private readonly scope: string,
	) {}

	/** When this run opened the ledger, before it waited for the account or claimed (this process's clock, as the claims it remembers). */
	private readonly openedAt = Date.now();

	async claim(identity: MailIdentity, { execution, resendUnconfirmed }: ClaimRequest): Promise<Claim> {
		const [mail, pending, partial] = markers(identity);
		return serially(this.scope, async () => {
			const { processed } = await this.helpers.checkProcessedAndRecord([mail, pending], 'node', OPTIONS);
			const mailSeen = processed.includes(mail);
			const pendingSeen = processed.includes(pending);
			if (!mailSeen && !pendingSeen) return this.granted(identity, execution);
			if (pendingSeen) {
				// Resend Unconfirmed Mails means a claim that was there when this run began; one made since
				// in this process is another run's, on its way (perhaps another resending run's).
				const holder = claimsInThisProcess.get(this.claimKey(identity));
				const claimedSince = holder !== undefined && Date.parse(holder.claimedAt) >= this.openedAt;
				if (resendUnconfirmed && !claimedSince) return this.granted(identity, execution);
				return { kind: 'unconfirmed', ...holder };
			}
			// Accepted earlier; the pending marker this lookup set goes again, and so does the
			// partial marker if the next lookup sets it.
			const earlier = await this.helpers.checkProcessedAndRecord([partial], 'node', OPTIONS);
			const wasPartial = earlier.processed.includes(partial);
			await this.helpers.removeProcessed(wasPartial ? [pending] : [pending, partial], 'node', OPTIONS);
			return { kind: wasPartial ? 'partial' : 'accepted', record: { accepted: wasPartial ? [] : identity.recipients } };
		});
	}

	async accepted(identity: MailIdentity, { accepted }: SentRecord): Promise<void> {
		const [, pending, partial] = markers(identity);
		await serially(this.scope, async () => {
			if (identity.recipients.some((recipient) => !accepted.includes(recipient))) {
				await this.helpers.checkProcessedAndRecord([partial], 'node', OPTIONS);
			}
			await this.helpers.removeProcessed([pending], 'node', OPTIONS);
			claimsInThisProcess.delete(this.claimKey(identity));
		});
	}

	async release(identity: MailIdentity): Promise<void> {
		const [mail, pending] = markers(identity);
		await serially(this.scope, async () => {
			await this.helpers.removeProcessed([mail, pending], 'node', OPTIONS);
			claimsInThisProcess.delete(this.claimKey(identity));
		});
	}

	private granted(identity: MailIdentity, execution: string): Claim {
		claimsInThisProcess.set(this.claimKey(identity), { execution, claimedAt: new Date().toISOString() });
		return { kind: 'granted' };
	}

	private claimKey(identity: MailIdentity): string {
		return `${this.scope}|${identity.key}`;
	}
}

function markers(identity: MailIdentity): [mail: string, pending: string, partial: string] {
	return [`mail:${identity.key}`, `pending:${identity.key}`, `partial:${identity.key}`];
}

/** Claims made in this n8n process and not settled yet: who made them, and when. */
const claimsInThisProcess = new Map<string, { execution: string; claimedAt: string }>();

/** One queue per workflow and node, for the whole n8n process: n8n's store would lose a write made at the same time. */
const queues = new Map<string, Promise<unknown>>();

async function serially<T>(scope: string, work: () => Promise<T>): Promise<T> {
	const before = queues.get(scope) ?? Promise.resolve();
	const run = before.then(work, work);
	const settled = run.catch(() => undefined);
	queues.set(scope, settled);
	try {
		return await run;
	} finally {
		if (queues.get(scope) === settled) queues.delete(scope);
	}
}
