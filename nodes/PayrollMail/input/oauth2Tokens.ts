import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { AccessToken, TokenSource } from '../transport/smtp/oauthLogin';

/** A token closer than this to its end is renewed before a connection logs in with it. */
const RENEW_BEFORE_END_MS = 5 * 60_000;
/**
 * A token obtained this recently because the server refused the one before is not renewed again
 * when refused too: the credential (its permissions, the mailbox), not the token's age, is wrong.
 */
const BRAND_NEW_MS = 60_000;

/**
 * Access tokens from n8n's OAuth2 credential. n8n refreshes them (`helpers.refreshOAuth2Token`,
 * n8n 1.119 and later) and keeps what the token endpoint returned in the credential, a rotated
 * refresh token included: a refresh token never used twice, and never let die unused.
 *
 * - Client credentials (app-only): a token is fetched for the run.
 * - Authorization code: the stored token while n8n knows it has over 5 minutes left, else a
 *   refreshed one; during the run, a refreshed one once it nears its end.
 */
export class CredentialTokens implements TokenSource {
	private held: AccessToken | undefined;

	/** When the token held was obtained because the server refused the one before (0: it was not). */
	private renewedAfterRefusalAt = 0;

	private refreshing: Promise<AccessToken> | undefined;

	constructor(
		private readonly context: IExecuteFunctions,
		private readonly credentialType: string,
		credential: IDataObject,
		/** Told every token obtained, so that none reaches an output or a log. */
		private readonly learn: (secret: string) => void,
	) {
		const stored = (credential.oauthTokenData ?? {}) as IDataObject;
		const expiresAt = Number(stored.n8n_expires_at);
		if (credential.grantType !== 'clientCredentials' && typeof stored.access_token === 'string' && expiresAt > 0) {
			this.held = { value: stored.access_token, expiresAt };
		}
	}

	async current(): Promise<AccessToken> {
		const { held } = this;
		if (held && (held.expiresAt ?? 0) - RENEW_BEFORE_END_MS > Date.now()) return held;
		return this.refresh();
	}

	async renewAfterRefusal(): Promise<boolean> {
		// Another connection refused at the same moment is already getting the new token.
		if (this.refreshing) return this.refreshing.then(() => true);
		if (this.renewedAfterRefusalAt && Date.now() - this.renewedAfterRefusalAt < BRAND_NEW_MS) return false;
		await this.refresh();
		this.renewedAfterRefusalAt = Date.now();
		return true;
	}

	/** One refresh at a time, however many connections ask at once. */
	private async refresh(): Promise<AccessToken> {
		this.refreshing ??= this.fetch().finally(() => (this.refreshing = undefined));
		return this.refreshing;
	}

	private async fetch(): Promise<AccessToken> {
		// Called on the node's context, as n8n's own nodes call its OAuth2 helpers.
		const data = (await this.context.helpers.refreshOAuth2Token.call(this.context, this.credentialType)) as IDataObject;
		const value = String(data.access_token ?? '');
		if (!value) throw new Error('the token endpoint returned no access token');
		this.learn(value);
		if (typeof data.refresh_token === 'string') this.learn(data.refresh_token);
		const expiresAt = Number(data.n8n_expires_at) || (Number(data.expires_in) > 0 ? Date.now() + Number(data.expires_in) * 1000 : undefined);
		this.held = { value, expiresAt };
		this.renewedAfterRefusalAt = 0;
		return this.held;
	}
}
