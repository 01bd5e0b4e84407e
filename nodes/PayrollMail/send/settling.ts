/** How the dispatcher settles a mail: its Skip Already Sent record, and the errors it reports for mails it did not send. */
import { OUTCOME_UNKNOWN, outcomeUnknown } from '../core/clerkMessages';
import { mailError, type MailError } from '../core/mailError';
import { DeliveryFailure } from '../transport/mailCarrier';
import type { MessageOutcome } from './delivery';
import type { MailLedger } from './ledger/mailLedger';
import type { MailIdentity } from './ledger/mailIdentity';

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
		if (accepted.length)
			await ledger.accepted(identity, {
				accepted,
				sentAt,
				messageId,
				response,
				execution,
			});
		else if (outcome.error?.code !== OUTCOME_UNKNOWN) await ledger.release(identity);
		return outcome;
	} catch (error) {
		return {
			...outcome,
			ledgerError: `Skip Already Sent could not record what became of this mail: ${(error as Error).message}`,
		};
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

/** The mails after a provider's quota refusal: not tried, so that the account is not refused once per employee. */
export function notTriedAfter(quota: MailError): MailError {
	return mailError(
		quota.stage,
		'EQUOTA',
		`Not sent: ${quota.message}. Nothing more was tried; run the workflow again once the quota is back, ` +
			'with Skip Already Sent on, and what was sent is skipped',
		{ permanent: false },
	);
}

export function cancelledOnTheWire(graceMs: number): MailError {
	return outcomeUnknown(`The execution was cancelled while this mail was being sent, and the server had not confirmed it ${graceMs / 1000} s later`);
}

export function unexpected(error: unknown): DeliveryFailure {
	return new DeliveryFailure(mailError('data', 'EUNKNOWN', `Sending failed: ${(error as Error)?.message ?? String(error)}`), false);
}
