import type { NodemailerError } from 'nodemailer/lib/errors';

import { outcomeUnknown } from '../../core/clerkMessages';
import { mailError, type FailureStage } from '../../core/mailError';
import { DeliveryFailure, type RecipientRefusal } from '../mailCarrier';
import { isThrottling, recogniseProviderReply } from './providerReplies';

export interface FailureContext {
	/** The SASL mechanism the credential forces, if any. */
	forcedMechanism?: string;
	/** What the server's EHLO offered, if it got that far. */
	offeredAuthMethods?: string[];
	/** The connection broke after the server had the whole message, before its verdict. */
	outcomeUnknown?: boolean;
	/** The login is XOAUTH2 with tokens from the "Payroll Mail SMTP OAuth2 API" credential. */
	oauth2Credential?: boolean;
	/** Why STARTTLS was a must: Connection Security Automatic (a host beyond this computer) or STARTTLS (Required). */
	encryptionDemanded?: 'automatic' | 'required';
}

const CERTIFICATE_PROBLEM = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME_MISMATCH/;

/** What to do about a certificate n8n cannot trust depends on why: each cause has its own remedy. */
function certificateMessage(reason: string): string {
	const said = `The server's certificate could not be verified (${reason.trim()})`;
	if (/EXPIRED|NOT_YET_VALID|certificate has expired/i.test(reason)) {
		return `${said}: it is out of date. The server's administrator must renew it; until then nothing is sent`;
	}
	if (/ALTNAME|HOSTNAME_MISMATCH|does not match|Hostname\/IP/i.test(reason)) {
		return `${said}: it is made out to another name. Enter the server's name as Host, or, when Host is an IP address, the name on the certificate under TLS Server Name in the credential`;
	}
	return `${said}. If your company runs its own certificate authority, add its certificate under Company CA Certificate in the credential (Advanced Connection Settings)`;
}
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'ETIMEDOUT', 'EPROTOCOL']);

export function classifySmtpError(error: unknown, context: FailureContext): DeliveryFailure {
	if (error instanceof DeliveryFailure) return error;
	const err = (error ?? {}) as NodemailerError;
	const code = err.code ?? 'EUNKNOWN';
	const responseCode = err.responseCode;
	const serverWords = (err.response ?? '').trim();
	const base = {
		responseCode,
		command: err.command,
		permanent: err.permanent ?? (responseCode !== undefined && responseCode >= 500),
	};
	const failure = (stage: FailureStage, message: string, transient = false) =>
		new DeliveryFailure(mailError(stage, code, message, base), transient, recipientRefusals(err.rejectedErrors));

	if (context.outcomeUnknown && CONNECTION_CODES.has(code)) {
		return new DeliveryFailure(
			outcomeUnknown('The connection was lost after the whole mail was sent and before the server confirmed it', base),
			false,
		);
	}
	const provider = serverWords ? recogniseProviderReply(serverWords) : undefined;
	if (provider) {
		const { stage, message, transient, effect } = provider;
		return new DeliveryFailure(mailError(stage, code, message, base), transient, recipientRefusals(err.rejectedErrors), effect);
	}
	const certificateProblem = [err.originalCode, code, err.message].find((text) => CERTIFICATE_PROBLEM.test(text ?? ''));
	if (certificateProblem) return failure('tls', certificateMessage(`${err.originalCode ?? ''} ${err.message ?? ''}`));
	if (code === 'ETLS' || code === 'EREQUIRETLS') {
		const notOffered = /STARTTLS/i.test(err.command ?? '') || /STARTTLS/i.test(err.message);
		return failure(
			'tls',
			!notOffered || serverWords.startsWith('4')
				? `Encryption could not be set up: ${serverWords || err.message}`
				: context.encryptionDemanded === 'automatic'
					? 'The server offers no encryption (no STARTTLS), so nothing was sent and the password was not given to it. ' +
						'If it is a relay inside your company network that has none, choose Connection Security → Plain Text in the credential; ' +
						'otherwise choose SSL/TLS (port 465) if the server offers that, or ask your provider'
					: 'The server does not offer STARTTLS and the credential requires it: ' +
						'choose SSL/TLS (port 465) if the server offers that, or ask your provider',
		);
	}
	if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'EOAUTH2') {
		return failure('auth', authMessage(err, serverWords, context));
	}
	if (isThrottling(serverWords)) {
		const stage = code === 'EENVELOPE' ? 'envelope' : code === 'EMESSAGE' ? 'data' : 'connection';
		return failure(stage, `The provider is slowing this account down (${serverWords}): it was tried again, waiting longer each time`, true);
	}
	if (code === 'EENVELOPE') {
		const sender = /^MAIL\b/i.test(err.command ?? '');
		return failure(
			'envelope',
			/relay|authenticat/i.test(serverWords)
				? `The server will not pass the mail on: ${serverWords}. It takes mail only from logged-in clients: check Authentication, User and Password in the credential`
				: sender
					? `The server refused the sender: ${serverWords || err.message}. Check "From Email" and that the account may send as this address`
					: !responseCode || responseCode >= 500
						? `The server refused the recipient: ${serverWords || err.message}. Check the employee's address`
						: `The server could not take the mail for ${err.rejected?.join(', ') || 'this recipient'} just now: ${serverWords || err.message}. This is usually temporary (mailbox busy or full): run this item again later`,
			!base.permanent && responseCode !== undefined,
		);
	}
	if (code === 'EMESSAGE') {
		const tooLarge = responseCode === 552;
		return failure(
			'data',
			tooLarge
				? `The server refused the message as too large: ${serverWords}. Make the attachments smaller or ask the provider for its size limit`
				: `The server refused the message: ${serverWords || err.message}`,
			!base.permanent,
		);
	}
	if (CONNECTION_CODES.has(code)) {
		return failure('connection', connectionMessage(err, serverWords), !base.permanent);
	}

	return failure('connection', `Sending failed: ${err.message ?? String(error)}`, false);
}

function authMessage(err: NodemailerError, serverWords: string, context: FailureContext): string {
	const { forcedMechanism, offeredAuthMethods } = context;
	if (forcedMechanism && offeredAuthMethods && !offeredAuthMethods.includes(forcedMechanism)) {
		const offered = offeredAuthMethods.length
			? `it offers ${offeredAuthMethods.join(', ')}`
			: 'it offers no login at all';
		return (
			`The server does not offer ${forcedMechanism} login (${offered}${serverWords ? `; it answered ${serverWords}` : ''}). ` +
			'Choose an offered method, or Automatic, under Authentication in the credential'
		);
	}
	// nodemailer reports a token endpoint's refusal (or an answer it cannot read) as EAUTH of the
	// XOAUTH2 command without a server reply: the SMTP server never saw a login.
	const tokenRefused = err.code === 'EOAUTH2' || err.originalCode === 'EOAUTH2' || (/XOAUTH2/i.test(err.command ?? '') && !err.response);
	const words = serverWords || err.message;
	if (context.oauth2Credential) {
		return tokenRefused
			? `No OAuth2 access token could be obtained: ${err.message}. Open the "Payroll Mail SMTP OAuth2 API" credential and reconnect it ` +
					'(for app-only sending: check Client ID, Client Secret and Tenant ID)'
			: `The server refused the OAuth2 login: ${words}. Check Mailbox in the credential. Microsoft 365: the app needs SMTP.SendAsApp ` +
					'(app-only, with admin consent and Add-MailboxPermission for this mailbox) or SMTP.Send (signing in as the mailbox); ' +
					'Google: the scope https://mail.google.com/';
	}
	if (tokenRefused) {
		return `No OAuth2 access token could be obtained from the Access Token URL: ${err.message}. Check Client ID, Client Secret, Refresh Token and Access Token URL in the credential`;
	}
	return `The server refused the login: ${words}. Check User and Password in the "Payroll Mail SMTP" credential`;
}

function connectionMessage(err: NodemailerError, serverWords: string): string {
	if (err.code === 'ETIMEDOUT') {
		const wait = {
			CONNECT_TIMEOUT: 'to the connection',
			GREETING_TIMEOUT: 'with its greeting',
			UPGRADE_TIMEOUT: 'to the encryption upgrade',
			SOCKET_TIMEOUT: 'in the middle of the conversation',
		}[err.timeoutType ?? 'SOCKET_TIMEOUT'];
		return `The server did not answer in time ${wait}. Check Host and Port, or try again later`;
	}
	if (serverWords) return `The server turned the connection away: ${serverWords}. Try again later`;
	const reason = err.originalCode ?? err.code;
	return `Could not talk to the server (${reason}: ${err.message}). Check Host and Port, and that n8n may reach the server`;
}

export function recipientRefusals(errors: NodemailerError[] | undefined): RecipientRefusal[] {
	return (errors ?? []).map((error) => ({
		recipient: error.recipient ?? '',
		response: error.response ?? error.message,
		responseCode: error.responseCode,
		transient: error.permanent === false,
	}));
}
