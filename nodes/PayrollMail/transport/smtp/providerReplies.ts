import type { FailureStage } from '../../core/mailError';
import type { RunEffect } from '../mailCarrier';

export interface ProviderReply {
	stage: FailureStage;
	message: string;
	/** Worth another attempt, within the batch rules. */
	transient: boolean;
	effect?: RunEffect;
}

/**
 * The replies of Microsoft 365 and Google that say more than their code: each with what a clerk
 * should do, and what it means for the mails still to go.
 */
export function recogniseProviderReply(words: string): ProviderReply | undefined {
	if (/\b5\.7\.30\b/.test(words) || /basic authentication is not supported/i.test(words)) {
		return {
			stage: 'auth',
			transient: false,
			message:
				`Microsoft 365 no longer takes a password for sending from this account (${words}): ` +
				'create a "Payroll Mail SMTP OAuth2 API" credential and choose Authentication → OAuth2 in the node',
		};
	}
	if (/\b5\.7\.139\b/.test(words) || /SmtpClientAuthentication is disabled/i.test(words)) {
		return {
			stage: 'auth',
			transient: false,
			message:
				`Sending over SMTP is switched off for this mailbox or the whole Microsoft 365 organisation (${words}). ` +
				'An Exchange administrator switches it on for the mailbox: Set-CASMailbox -Identity <mailbox> ' +
				'-SmtpClientAuthenticationDisabled $false (or in the admin center: the user → Mail → Manage email apps → Authenticated SMTP)',
		};
	}
	if (/SubmissionQuotaExceeded|\b5\.4\.5\b|daily (user )?sending (quota|limit)/i.test(words)) {
		return {
			stage: 'data',
			transient: false,
			effect: 'stopRun',
			message: `The provider's sending quota for this account is used up for now (${words})`,
		};
	}
	if (/\b4\.3\.2\b.*(thread|concurren)|concurrent connections?.*(limit|exceed)|too many concurrent/i.test(words)) {
		return {
			stage: 'connection',
			transient: true,
			effect: 'fewerConnections',
			message: `The provider allows fewer connections at once for this account (${words}): fewer were used`,
		};
	}
	return undefined;
}

/** A temporary refusal that says the account sends too fast: waited for, and tried again. */
export function isThrottling(words: string): boolean {
	return /^4\d\d/.test(words) && /throttl|rate limit|too many (messages|mails|requests)|receiving mail at a rate|\b4\.7\.(0|500|501|502)\b/i.test(words);
}
