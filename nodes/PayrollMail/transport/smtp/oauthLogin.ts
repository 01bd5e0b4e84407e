import type SMTPPool from 'nodemailer/lib/smtp-pool';

import { recogniseProviderReply } from './providerReplies';

/** An access token for an XOAUTH2 login, and when it stops working, where known (ms since the epoch). */
export interface AccessToken {
	value: string;
	expiresAt?: number;
}

/**
 * Where an XOAUTH2 login gets its access tokens: n8n's OAuth2 credential, through the node. A
 * token is asked for at every new connection, so a connection opened after the token expired
 * logs in with a new one.
 */
export interface TokenSource {
	/** The token to log in with: the one held while it is fresh, else a new one. */
	current(): Promise<AccessToken>;
	/**
	 * After the server refused the token held: gets a new one and says true, or says false when
	 * the one held is brand new and a new one would be refused too. Never twice the same token.
	 */
	renewAfterRefusal(): Promise<boolean>;
}

/** nodemailer's options for an XOAUTH2 login whose tokens come from `tokens`. */
export function oauthLogin(user: string, tokens: TokenSource): Partial<SMTPPool.Options> {
	return {
		forceAuth: true,
		auth: {
			type: 'OAuth2',
			user,
			// nodemailer asks at each new connection, and with renew once the server (Gmail) sent
			// its error challenge for the token just used.
			provisionCallback: (_user, renew, callback) => {
				const token = renew ? tokens.renewAfterRefusal().then(async () => tokens.current()) : tokens.current();
				token.then(
					({ value, expiresAt }) => callback(null, value, expiresAt),
					(error: Error) => callback(error, ''),
				);
			},
		},
	};
}

/**
 * The server refused the login with the token (it answered), as opposed to no token being had, and
 * not for a reason a new token cannot change (SMTP AUTH switched off, for one): each renewal
 * rotates a Microsoft refresh token, so none is spent in vain.
 */
export function serverRefusedToken(error: unknown): boolean {
	const { code, command, response } = (error ?? {}) as { code?: string; command?: string; response?: string };
	return code === 'EAUTH' && /XOAUTH2/i.test(command ?? '') && !!response && !recogniseProviderReply(response);
}
