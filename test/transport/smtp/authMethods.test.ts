import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { expectFailure, expectSent, sendOne } from '../../support/sendOne';
import { TestSmtpServer, type TestServerOptions } from '../../support/testSmtpServer';

const USER = 'payroll@example.com';
const PASSWORD = 'correct horse battery staple';
const TOKEN = 'ya29.access-token-for-payroll';

async function withServer(options: TestServerOptions, run: (server: TestSmtpServer) => Promise<void>) {
	const server = await TestSmtpServer.start({
		tls: 'none',
		users: { [USER]: PASSWORD },
		accessTokens: { [USER]: TOKEN },
		...options,
	});
	try {
		await run(server);
	} finally {
		await server.close();
	}
}

const credential = (server: TestSmtpServer, fields: Record<string, unknown>) => ({
	host: '127.0.0.1',
	port: server.port,
	connection: 'plaintext',
	user: USER,
	...fields,
});

describe.each([
	['plain', 'PLAIN'],
	['login', 'LOGIN'],
	['cramMd5', 'CRAM-MD5'],
])('forced %s', (authMethod, mechanism) => {
	const offered = { authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'], authRequired: true };

	it(`logs in with ${mechanism} and sends`, async () => {
		await withServer(offered, async (server) => {
			expectSent(await sendOne(credential(server, { authMethod, password: PASSWORD })));
			expect(server.authAttempts()).toEqual([{ method: mechanism, username: USER, succeeded: true }]);
			expect(server.messages[0].user).toBe(USER);
		});
	});

	it('with a wrong password fails at the auth stage with the server\'s words, once, without MAIL FROM', async () => {
		await withServer(offered, async (server) => {
			const failure = expectFailure(await sendOne(credential(server, { authMethod, password: 'wrong-secret-42' })));
			expect(failure.detail).toMatchObject({ stage: 'auth', code: 'EAUTH', responseCode: 535, permanent: true });
			expect(failure.message).toContain('535 5.7.8 Authentication credentials invalid');
			expect(failure.message).not.toContain('wrong-secret-42');
			expect(server.authAttempts()).toEqual([{ method: mechanism, username: USER, succeeded: false }]);
			expect(server.mailFromCount()).toBe(0);
		});
	});

	it('when the server does not offer it, fails naming what it offers, without MAIL FROM', async () => {
		const others = ['PLAIN', 'LOGIN', 'CRAM-MD5'].filter((name) => name !== mechanism);
		await withServer({ authMethods: others }, async (server) => {
			const failure = expectFailure(await sendOne(credential(server, { authMethod, password: PASSWORD })));
			expect(failure.detail.stage).toBe('auth');
			expect(failure.message).toContain(`does not offer ${mechanism} login (it offers ${others.join(', ')}`);
			expect(server.mailFromCount()).toBe(0);
		});
	});
});

describe('forced login against a server that offers no AUTH at all', () => {
	it('never degrades to an unauthenticated send', async () => {
		await withServer({ authMethods: [] }, async (server) => {
			const failure = expectFailure(await sendOne(credential(server, { authMethod: 'login', password: PASSWORD })));
			expect(failure.detail.stage).toBe('auth');
			expect(failure.message).toContain('it offers no login at all');
			expect(server.messages).toHaveLength(0);
			expect(server.mailFromCount()).toBe(0);
		});
	});

	it('automatic with a user does not either', async () => {
		await withServer({ authMethods: [] }, async (server) => {
			expectFailure(await sendOne(credential(server, { authMethod: 'auto', password: PASSWORD })));
			expect(server.mailFromCount()).toBe(0);
		});
	});
});

describe('automatic', () => {
	it('uses a method the server offers', async () => {
		await withServer({ authMethods: ['CRAM-MD5'], authRequired: true }, async (server) => {
			expectSent(await sendOne(credential(server, { authMethod: 'auto', password: PASSWORD })));
			expect(server.authAttempts()).toEqual([{ method: 'CRAM-MD5', username: USER, succeeded: true }]);
		});
	});

	it('without a user sends without AUTH', async () => {
		await withServer({ authMethods: ['PLAIN'] }, async (server) => {
			expectSent(await sendOne(credential(server, { authMethod: 'auto', user: '' })));
			expect(server.authAttempts()).toHaveLength(0);
			expect(server.messages).toHaveLength(1);
		});
	});
});

describe('none', () => {
	it('sends no AUTH command even when a user is filled in', async () => {
		await withServer({ authMethods: ['PLAIN', 'LOGIN'] }, async (server) => {
			expectSent(await sendOne(credential(server, { authMethod: 'none', password: PASSWORD })));
			expect(server.authAttempts()).toHaveLength(0);
			expect(server.messages[0].user).toBeUndefined();
		});
	});

	it('is refused by a server that requires a login, at the envelope stage', async () => {
		await withServer({ authMethods: ['PLAIN'], authRequired: true }, async (server) => {
			const failure = expectFailure(await sendOne(credential(server, { authMethod: 'none' })));
			expect(failure.detail.stage).toBe('envelope');
			expect(failure.detail.responseCode).toBe(530);
		});
	});
});

describe('xoauth2', () => {
	const offered = { authMethods: ['XOAUTH2'], authRequired: true };

	it('logs in with an access token', async () => {
		await withServer(offered, async (server) => {
			expectSent(await sendOne(credential(server, { authMethod: 'xoauth2', accessToken: TOKEN })));
			expect(server.authAttempts()).toEqual([{ method: 'XOAUTH2', username: USER, succeeded: true }]);
		});
	});

	it('with a wrong token fails at the auth stage without the token in the message', async () => {
		await withServer(offered, async (server) => {
			const failure = expectFailure(
				await sendOne(credential(server, { authMethod: 'xoauth2', accessToken: 'stale-token-77' })),
			);
			expect(failure.detail.stage).toBe('auth');
			expect(failure.message).not.toContain('stale-token-77');
			expect(server.mailFromCount()).toBe(0);
		});
	});

	describe('with refresh data', () => {
		let tokenEndpoint: Server;
		let tokenRequests: URLSearchParams[];
		beforeAll(async () => {
			tokenRequests = [];
			tokenEndpoint = createServer((request, response) => {
				let body = '';
				request.on('data', (chunk) => (body += chunk));
				request.on('end', () => {
					const form = new URLSearchParams(body);
					tokenRequests.push(form);
					const valid = form.get('client_secret') === 'client-secret-1' && form.get('refresh_token') === 'refresh-1';
					response.writeHead(valid ? 200 : 400, { 'content-type': 'application/json' });
					response.end(JSON.stringify(valid ? { access_token: TOKEN, expires_in: 3600 } : { error: 'invalid_grant' }));
				});
			});
			await new Promise<void>((resolve) => tokenEndpoint.listen(0, '127.0.0.1', resolve));
		});
		afterAll(async () => {
			await new Promise((resolve) => tokenEndpoint.close(resolve));
		});
		const refreshCredential = (server: TestSmtpServer, refreshToken: string) =>
			credential(server, {
				authMethod: 'xoauth2',
				clientId: 'client-1',
				clientSecret: 'client-secret-1',
				refreshToken,
				accessUrl: `http://127.0.0.1:${(tokenEndpoint.address() as AddressInfo).port}/token`,
			});

		it('obtains a token from the token URL and logs in', async () => {
			await withServer(offered, async (server) => {
				expectSent(await sendOne(refreshCredential(server, 'refresh-1')));
				expect(tokenRequests.at(-1)?.get('grant_type')).toBe('refresh_token');
				expect(server.authAttempts()).toEqual([{ method: 'XOAUTH2', username: USER, succeeded: true }]);
			});
		});

		it('reports a refused refresh at the auth stage, before any AUTH', async () => {
			await withServer(offered, async (server) => {
				const failure = expectFailure(await sendOne(refreshCredential(server, 'revoked-refresh-9')));
				expect(failure.detail.stage).toBe('auth');
				expect(failure.message).not.toMatch(/revoked-refresh-9|client-secret-1/);
				expect(server.mailFromCount()).toBe(0);
			});
		});
	});
});
