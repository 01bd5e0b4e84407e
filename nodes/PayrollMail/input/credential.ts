import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { configurationError } from '../core/mailError';
import type { SecretScrubber } from '../core/secretScrubber';
import type { TokenSource } from '../transport/smtp/oauthLogin';
import { readOAuth2SmtpSettings, readSmtpSettings, SmtpSettingsError, type SmtpSettings } from '../transport/smtp/smtpSettings';
import { credentialScrubber } from '../transport/smtp/smtpTransport';
import { CredentialTokens } from './oauth2Tokens';

/** What logs in to the mail server, and the scrubber that knows its secrets. */
export interface MailAccount {
	settings: SmtpSettings;
	scrubber: SecretScrubber;
	/** With the OAuth2 credential: where the XOAUTH2 login gets its tokens. */
	tokens?: TokenSource;
}

/**
 * The node's credential, checked: "Payroll Mail SMTP" (a password, or another login method), or
 * "Payroll Mail SMTP OAuth2" (tokens from n8n's OAuth2). A field to correct stops the node.
 */
export async function readMailAccount(context: IExecuteFunctions, authentication: 'smtp' | 'oAuth2'): Promise<MailAccount> {
	try {
		if (authentication === 'smtp') {
			const settings = readSmtpSettings(await context.getCredentials('payrollSmtpApi'));
			return { settings, scrubber: credentialScrubber(settings) };
		}
		return await readOAuth2Account(context);
	} catch (error) {
		const label = authentication === 'smtp' ? 'Payroll Mail SMTP' : 'Payroll Mail SMTP OAuth2 API';
		const message = error instanceof SmtpSettingsError ? `${label} credential: ${error.message}` : (error as Error).message;
		throw configurationError(context.getNode(), message);
	}
}

async function readOAuth2Account(context: IExecuteFunctions): Promise<MailAccount> {
	if (typeof context.helpers.refreshOAuth2Token !== 'function') {
		throw new Error('The OAuth2 credential needs n8n 1.119 or later, which renews its tokens for nodes: update n8n, or use the Payroll Mail SMTP credential with an app password');
	}
	const data = await context.getCredentials('payrollSmtpOAuth2Api');
	if (data.provider === 'google' && data.grantType === 'clientCredentials') {
		throw new Error('Google has no app-only sign-in for Gmail: choose a sign-in as the mailbox in the Payroll Mail SMTP OAuth2 API credential');
	}
	const tokenData = (data.oauthTokenData ?? {}) as IDataObject;
	if (data.grantType !== 'clientCredentials' && !tokenData.access_token && !tokenData.refresh_token) {
		throw new Error('The Payroll Mail SMTP OAuth2 API credential is not connected yet: open it and click "Connect my account"');
	}
	const settings = readOAuth2SmtpSettings(data);
	const scrubber = credentialScrubber(settings);
	scrubber.learn(
		...[data.clientSecret, tokenData.access_token, tokenData.refresh_token].filter((secret): secret is string => typeof secret === 'string'),
	);
	return { settings, scrubber, tokens: new CredentialTokens(context, 'payrollSmtpOAuth2Api', data, (secret) => scrubber.learn(secret)) };
}
