import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a token request carried, for the tests to look at. */
export interface TokenRequest {
	grantType: string;
	clientId: string;
	scope?: string;
	refreshToken?: string;
}

export interface OAuthServerOptions {
	clientId: string;
	clientSecret: string;
	/** The refresh token the consent screen gave n8n: the first one that works. */
	firstRefreshToken?: string;
	/** Lifetime of an access token, in seconds, as `expires_in` says it. */
	tokenLifetimeSeconds?: number;
	/** Makes each token issued (access and refresh); random hex by default. */
	mintToken?: (kind: 'at' | 'rt') => string;
}

/**
 * A loopback OAuth2 token endpoint as strict as the strictest provider: every refresh rotates the
 * refresh token and the used one is dead from then on (Microsoft's `AADSTS70000`); client
 * credentials get a token per request. Access tokens it issued can be checked (for the SMTP server)
 * and revoked, as a provider's expiry would.
 */
export class OAuthServer {
	readonly requests: TokenRequest[] = [];

	/** The access tokens issued, oldest first, expired ones included. */
	readonly issued: string[] = [];

	/** The one refresh token that works now. */
	refreshToken: string | undefined;

	private readonly liveTokens = new Map<string, number>();

	private constructor(
		private readonly server: Server,
		private readonly options: OAuthServerOptions,
	) {
		this.refreshToken = options.firstRefreshToken;
	}

	static async start(options: OAuthServerOptions): Promise<OAuthServer> {
		const server = createServer();
		const self = new OAuthServer(server, options);
		server.on('request', (request: IncomingMessage, response: ServerResponse) => {
			let body = '';
			request.on('data', (chunk: Buffer) => (body += chunk.toString()));
			request.on('end', () => {
				const { status, answer } = self.answer(new URLSearchParams(body), request.headers.authorization);
				response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		return self;
	}

	/** The token endpoint, the Access Token URL of the credential. */
	get url(): string {
		return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
	}

	/** Whether the SMTP server should take this access token now. */
	accepts(token: string): boolean {
		const expiresAt = this.liveTokens.get(token);
		return expiresAt !== undefined && expiresAt > Date.now();
	}

	/** Every access token issued so far stops working, as if its hour were over. */
	expireAccessTokens(): void {
		this.liveTokens.clear();
	}

	async close(): Promise<void> {
		await new Promise((resolve) => this.server.close(resolve));
	}

	private answer(form: URLSearchParams, authorization: string | undefined): { status: number; answer: object } {
		const basic = authorization?.startsWith('Basic ') ? Buffer.from(authorization.slice(6), 'base64').toString().split(':') : [];
		const clientId = form.get('client_id') ?? decodeURIComponent(basic[0] ?? '');
		const clientSecret = form.get('client_secret') ?? decodeURIComponent(basic[1] ?? '');
		const grantType = form.get('grant_type') ?? '';
		this.requests.push({ grantType, clientId, scope: form.get('scope') ?? undefined, refreshToken: form.get('refresh_token') ?? undefined });
		if (clientId !== this.options.clientId || clientSecret !== this.options.clientSecret) {
			return { status: 401, answer: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
		}
		if (grantType === 'client_credentials') return { status: 200, answer: this.issue() };
		if (grantType === 'refresh_token') {
			if (!this.refreshToken || form.get('refresh_token') !== this.refreshToken) {
				return { status: 400, answer: { error: 'invalid_grant', error_description: 'AADSTS70000: The provided value for the refresh token is not valid (it was used already).' } };
			}
			this.refreshToken = this.mint('rt');
			return { status: 200, answer: { ...this.issue(), refresh_token: this.refreshToken } };
		}
		return { status: 400, answer: { error: 'unsupported_grant_type' } };
	}

	private mint(kind: 'at' | 'rt'): string {
		return this.options.mintToken?.(kind) ?? `${kind}-${randomBytes(12).toString('hex')}`;
	}

	private issue(): object {
		const lifetime = this.options.tokenLifetimeSeconds ?? 3600;
		const accessToken = this.mint('at');
		this.liveTokens.set(accessToken, Date.now() + lifetime * 1000);
		this.issued.push(accessToken);
		return { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime };
	}
}
