import { OUTCOME_UNKNOWN } from '../../core/clerkMessages';
import { mailError, type MailError } from '../../core/mailError';
import type { MessageOutcome } from '../delivery';
import type { MailLedger } from './mailLedger';
import type { MailIdentity } from './mailIdentity';

/**
 * Writes what became of a claimed mail: accepted for the recipients that took it, or released when
 * it never reached the server or every recipient refused it for good. A mail whose fate is unknown
 * keeps its claim. A write that fails costs the mail nothing it already has: a re-run reports it
 * as unconfirmed instead of skipping it, and the item says so.
 */
export async function settleClaim(ledger: MailLedger, identity: MailIdentity, outcome: MessageOutcome, execution?: string): Promise<MessageOutcome> {
	const accepted = identity.recipients.filter((recipient) => outcome.accepted.includes(recipient));
	try {
		const { sentAt, messageId, response } = outcome;
		if (accepted.length) await ledger.accepted(identity, { accepted, sentAt, messageId, response, execution });
		else if (outcome.error?.code !== OUTCOME_UNKNOWN) await ledger.release(identity);
		return outcome;
	} catch (error) {
		return { ...outcome, ledgerError: `Skip Already Sent could not record what became of this mail: ${(error as Error).message}` };
	}
}

export function ledgerFailure(error: Error): MailError {
	return mailError(
		'validation',
		'ELEDGER',
		`Not sent: Skip Already Sent could not record the mail before sending it (${error.message}), so a re-run could send it twice`,
		{ permanent: false },
	);
}
