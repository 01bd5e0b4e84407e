import { mailError, type MailError } from './mailError';

/**
 * What a clerk is told in more than one situation, written once. Messages that belong to one
 * situation stay beside the code that finds it.
 */

/** `mail.error.code` of a mail that may have been delivered: it is never sent again by itself. */
export const OUTCOME_UNKNOWN = 'EOUTCOMEUNKNOWN';

const CHECK_FIRST = 'Check the archive copy (BCC) or ask the employee before sending it again';

/** A mail the server may hold: the connection broke, or a cancel cut the wait for its verdict. */
export function outcomeUnknown(
	whatHappened: string,
	details: { responseCode?: number; command?: string; advice?: string } = {},
): MailError {
	const { advice = CHECK_FIRST, ...reply } = details;
	return mailError('data', OUTCOME_UNKNOWN, `${whatHappened}: it may or may not have been delivered. ${advice}`, { ...reply, permanent: false });
}

/** A mail the execution was cancelled before. */
export const CANCELLED_BEFORE_SENDING: MailError = mailError(
	'connection',
	'ECANCELLED',
	'Not sent: the execution was cancelled before this mail went out',
	{ permanent: false },
);
