import { createTransport } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

import { tlsOptions, usesImplicitTls, type Protection } from './connectionSecurity';
import { ntlmAuthHandler } from './ntlmAuth';
import { oauthLogin, serverRefusedToken, type TokenSource } from './oauthLogin';
import { ServerDialogue, type TranscriptSink } from './serverDialogue';
import { SecretScrubber } from '../../core/secretScrubber';
import type { AuthMethod, SmtpSettings } from './smtpSettings';
import { mailError } from '../../core/mailError';
import { DeliveryFailure, type MailCarrier, type WireEnvelope } from '../mailCarrier';
import { classifySmtpError, recipientRefusals } from './smtpFailure';
import './dotStuffing';
import './recipientNotify';
import type { QuietEnvelope } from './recipientNotify';

/** How the node drives the connection (the defaults are the node's parameters' own). */
export interface TransportTuning {
	/** Connections open at once, each sending one message at a time. */
	parallelConnections: number;
	/** Messages sent over one connection before it is replaced; 0 for no limit. */
	mailsPerConnection: number;
	connectionTimeoutMs: number;
	greetingTimeoutMs: number;
	/** Longest silence of the server in the middle of a conversation. */
	socketTimeoutMs: number;
}


const SASL_MECHANISM: Record<Exclude<AuthMethod, 'auto' | 'none'>, string> = {
	plain: 'PLAIN',
	login: 'LOGIN',
	cramMd5: 'CRAM-MD5',
	ntlm: 'NTLM',
	xoauth2: 'XOAUTH2',
};

/** One pooled SMTP connection set, opened from the credential, used for a whole execution. */
export interface SmtpTransport extends MailCarrier {
	/** Connects, negotiates TLS and logs in exactly as a send would, then hangs up; says how the connection was protected. */
	verify(): Promise<Protection>;
}

/** The SASL mechanism forced by the credential, undefined when the server may choose. */
export function forcedMechanism(settings: SmtpSettings): string | undefined {
	const { authMethod } = settings;
	return authMethod === 'auto' || authMethod === 'none' ? undefined : SASL_MECHANISM[authMethod];
}

export function smtpTransportOptions(
	settings: SmtpSettings,
	tuning: TransportTuning,
	dialogue: ServerDialogue,
	tokens?: TokenSource,
): SMTPPool.Options {
	return {
		pool: true,
		maxConnections: tuning.parallelConnections,
		maxMessages: tuning.mailsPerConnection || Number.POSITIVE_INFINITY,
		// The pool would resend a message whose connection broke, even after the server had the
		// whole of it; the dispatcher decides about retries, knowing what the server saw.
		maxRequeues: 0,
		host: settings.host,
		port: settings.port,
		...tlsOptions(settings),
		name: settings.clientHostName || undefined,
		connectionTimeout: tuning.connectionTimeoutMs,
		greetingTimeout: tuning.greetingTimeoutMs,
		socketTimeout: tuning.socketTimeoutMs,
		logger: dialogue.logger,
		transactionLog: true,
		...(tokens ? oauthLogin(settings.user, tokens) : authOptions(settings)),
	};
}

function authOptions(settings: SmtpSettings): Partial<SMTPPool.Options> {
	const { authMethod, user, password } = settings;
	if (authMethod === 'none' || (authMethod === 'auto' && !user)) return {};
	// Log in even when the server does not advertise AUTH: a credential with a login must never
	// turn into an unauthenticated send.
	const always = { forceAuth: true };
	if (authMethod === 'xoauth2') {
		return {
			...always,
			auth: {
				type: 'OAuth2',
				user,
				accessToken: settings.accessToken || undefined,
				clientId: settings.clientId || undefined,
				clientSecret: settings.clientSecret || undefined,
				refreshToken: settings.refreshToken || undefined,
				accessUrl: settings.accessUrl || undefined,
			},
		};
	}
	const method = forcedMechanism(settings);
	const customAuth =
		authMethod === 'ntlm'
			? {
					NTLM: ntlmAuthHandler({
						user,
						password,
						domain: settings.ntlmDomain,
						workstation: settings.ntlmWorkstation,
					}),
				}
			: undefined;
	return { ...always, auth: { user, pass: password, method }, customAuth };
}

export interface TransportExtras {
	/** Receives the SMTP conversation as it is. */
	transcript?: TranscriptSink;
	/** Learns each access token nodemailer obtains during the run, so that it is scrubbed like the others. */
	scrubber?: SecretScrubber;
	/** For the OAuth2 credential: where the XOAUTH2 login gets its tokens. */
	tokens?: TokenSource;
}

/** Opens the pooled transport. */
export function openSmtpTransport(settings: SmtpSettings, tuning: TransportTuning, extras: TransportExtras = {}): SmtpTransport {
	const { transcript, scrubber, tokens } = extras;
	const dialogue = new ServerDialogue(transcript);
	const transporter = createTransport(smtpTransportOptions(settings, tuning, dialogue, tokens));
	// A token the server refused is renewed once, and the login tried again on a new connection.
	const withTokenRenewal = async <T>(attempt: () => Promise<T>): Promise<T> =>
		attempt().catch(async (error: unknown) =>
			tokens && serverRefusedToken(error) && (await tokens.renewAfterRefusal()) ? attempt() : Promise.reject(error),
		);
	transporter.on('token', (token: { accessToken?: string }) => scrubber?.learn(token.accessToken));
	const classify = (error: unknown) =>
		classifySmtpError(error, {
			forcedMechanism: forcedMechanism(settings),
			offeredAuthMethods: dialogue.offeredAuthMethods(),
			outcomeUnknown: dialogue.takeUnknownOutcome(),
			oauth2Credential: tokens !== undefined,
			encryptionDemanded: settings.connection === 'auto' ? 'automatic' : 'required',
		});

	// nodemailer sends an 8-bit body to a 7-bit server and a UTF-8 address to a server without
	// SMTPUTF8 all the same: the one would be mangled on the way, the other misdelivered.
	const requireExtension = async (extension: string, refusal: () => DeliveryFailure) => {
		if (dialogue.offersExtension(extension) === undefined) await transporter.verify();
		if (!dialogue.offersExtension(extension)) throw refusal();
	};

	return {
		async send(mail, signal) {
			try {
				const { envelope } = mail;
				if (envelope.use8BitMime) await requireExtension('8BITMIME', no8BitMime);
				const international = [envelope.from, ...envelope.to].filter((address) => /[\u0080-\uffff]/.test(address));
				if (international.length) await requireExtension('SMTPUTF8', () => noSmtpUtf8(international));
				const info = await withTokenRenewal(async () =>
					transporter.sendMail({ ...mail, envelope: asMailboxes(envelope), dsn: dsnOf(envelope), signal }),
				);
				return {
					messageId: info.messageId,
					accepted: info.accepted.map(String),
					refusals: recipientRefusals(info.rejectedErrors),
					response: info.response,
				};
			} catch (error) {
				throw classify(error);
			}
		},
		sessionOpened: dialogue.sessionOpened,
		async verify() {
			try {
				await withTokenRenewal(async () => transporter.verify());
				return usesImplicitTls(settings) ? 'sslTls' : dialogue.upgradedWithStartTls() ? 'startTls' : 'none';
			} catch (error) {
				throw classify(error);
			}
		},
		close() {
			transporter.close();
		},
	};
}

/**
 * Address objects, which nodemailer takes as they are instead of parsing the text again, and the
 * archive copy's recipients, which ask for no delivery report.
 */
function asMailboxes({ from, to, use8BitMime, deliveryReports }: WireEnvelope): Mail.Envelope & QuietEnvelope & { use8BitMime?: boolean } {
	return {
		from: { name: '', address: from },
		to: to.map((address) => ({ name: '', address })),
		use8BitMime,
		quietRecipients: deliveryReports?.quietRecipients,
	};
}

/**
 * Reports of failure and delay, not of success (a payroll run would fill the mailbox), with the
 * returned mail's headers only: the payslip itself never comes back. nodemailer asks only a server
 * that offers DSN.
 */
function dsnOf({ deliveryReports }: WireEnvelope): SMTPConnection.DSNOptions | undefined {
	return deliveryReports && { envid: deliveryReports.envelopeId, ret: 'HDRS', notify: ['FAILURE', 'DELAY'] };
}

function no8BitMime(): DeliveryFailure {
	return new DeliveryFailure(
		mailError('data', 'E8BITMIME', 'The server does not offer 8BITMIME, so it cannot take an 8bit body: choose another Transfer Encoding'),
		false,
	);
}

function noSmtpUtf8(addresses: string[]): DeliveryFailure {
	const quoted = addresses.map((address) => `"${address}"`).join(', ');
	return new DeliveryFailure(
		mailError(
			'envelope',
			'ESMTPUTF8',
			`The server does not offer SMTPUTF8, so it cannot take ${quoted} (characters beyond ASCII before the @). ` +
				'Ask the employee for an address without them, or your provider for SMTPUTF8',
		),
		false,
	);
}

/**
 * What must never leave the node, for this credential: its secrets, and the SASL strings
 * made of them, which a server may echo whole.
 */
export function credentialScrubber(settings: SmtpSettings): SecretScrubber {
	const { user, password, accessToken, clientSecret, refreshToken } = settings;
	const composites = [
		...(password ? [`\0${user}\0${password}`, `${user}\0${user}\0${password}`] : []),
		...(accessToken ? [`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`] : []),
	];
	return new SecretScrubber([password, accessToken, clientSecret, refreshToken], composites);
}
