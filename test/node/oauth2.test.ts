import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { captureLogs } from '../harness/logCapture';
import { captureOutput } from '../support/captureOutput';
import { makeTestCertificates, type TestCertificates } from '../support/certificates';
import { OAuthServer } from '../support/oauthServer';
import { findLeaks, randomSecret } from '../support/secretLeaks';
import { TestSmtpServer, type TestServerOptions } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

/**
 * The "Payroll Mail SMTP OAuth2 API" credential through n8n's engine: n8n-core's own
 * refreshOAuth2Token against a loopback token endpoint that rotates refresh tokens and rejects a
 * used one, and a loopback SMTP server (STARTTLS) that takes XOAUTH2 only with a token that
 * endpoint issued and has not expired. Microsoft's replies are the server's, word for word.
 */
const MAILBOX = 'payroll@contoso.example';
const CLIENT = { clientId: 'payroll-app', clientSecret: 'client-secret-7731' };

let certificates: TestCertificates;
let oauth: OAuthServer;
let smtp: TestSmtpServer;
beforeAll(() => {
	certificates = makeTestCertificates();
});
afterEach(async () => {
	await smtp?.close();
	await oauth?.close();
});

async function start(oauthOptions: { firstRefreshToken?: string; tokenLifetimeSeconds?: number } = {}, smtpOptions: TestServerOptions = {}) {
	oauth = await OAuthServer.start({ ...CLIENT, ...oauthOptions });
	smtp = await TestSmtpServer.start({
		tls: 'starttls',
		certificate: certificates.forLoopbackIp,
		authMethods: ['XOAUTH2'],
		authRequired: true,
		acceptsAccessToken: (user, token) => user === MAILBOX && oauth.accepts(token),
		// Microsoft refuses a bad token at once, without Gmail's error challenge.
		authFailureText: () => '5.7.3 Authentication unsuccessful [BN0PR04CA0001.namprd04.prod.outlook.com]',
		...smtpOptions,
	});
}

/** A custom-provider credential against the loopback servers, as n8n would hold it. */
function credential(grantType: string, oauthTokenData: IDataObject = {}): ICredentialDataDecryptedObject {
	return {
		provider: 'custom',
		grantType,
		customAccessTokenUrl: oauth.url,
		customAuthUrl: 'http://127.0.0.1:9/authorize',
		customScope: 'https://outlook.office365.com/.default',
		customAuthentication: 'body',
		...CLIENT,
		user: MAILBOX,
		host: '127.0.0.1',
		port: smtp.port,
		connection: 'startTls',
		caCertificate: certificates.ca.cert,
		oauthTokenData,
	};
}

const statuses = (outputs: Array<Array<{ json: IDataObject }>>) => outputs.map((items) => items.map((item) => mailOf(item).status));
const logins = () => smtp.authAttempts().map((attempt) => attempt.succeeded);

describe('app-only sending (client credentials)', () => {
	it('fetches a token for the run, logs in with it, and n8n keeps it in the credential', async () => {
		await start();
		const stored = credential('clientCredentials');
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(3)), oauthCredential: stored });
		expect(statuses(outputs)).toEqual([['sent', 'sent', 'sent'], []]);
		expect(oauth.requests).toEqual([{ grantType: 'client_credentials', clientId: CLIENT.clientId, scope: 'https://outlook.office365.com/.default' }]);
		expect(oauth.issued).toHaveLength(1);
		expect((stored.oauthTokenData as IDataObject).access_token).toBe(oauth.issued[0]);
		expect(logins()).toEqual([true]);
		expect(smtp.messages.every((message) => message.secure && message.user === MAILBOX)).toBe(true);
	});
});

describe('signing in as the mailbox (authorization code): refresh tokens rotate', () => {
	it('three monthly runs: each refreshes once with the token the run before stored; a stale copy of the credential fails', async () => {
		await start({ firstRefreshToken: 'rt-from-consent' });
		const stored = credential('pkce', { access_token: 'at-from-consent', refresh_token: 'rt-from-consent', token_type: 'Bearer' });
		const staleCopy = structuredClone(stored);
		for (let month = 1; month <= 3; month++) {
			// A month on, the access token stored with the credential has long expired.
			oauth.expireAccessTokens();
			(stored.oauthTokenData as IDataObject).n8n_expires_at = String(Date.now() - 1000);
			const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(2)), oauthCredential: stored });
			expect([month, statuses(outputs)]).toEqual([month, [['sent', 'sent'], []]]);
			// n8n stored the rotated refresh token the endpoint returned: the only one that works now.
			expect((stored.oauthTokenData as IDataObject).refresh_token).toBe(oauth.refreshToken);
		}
		expect(oauth.requests.map((request) => request.refreshToken)).toEqual(['rt-from-consent', expect.any(String), expect.any(String)]);
		expect(new Set(oauth.requests.map((request) => request.refreshToken)).size).toBe(3);
		expect(smtp.messages).toHaveLength(6);

		// Had the rotated token not been stored, the next run would have refreshed with a used one.
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(1)), oauthCredential: staleCopy });
		expect(mailOf(outputs[1][0]).error).toMatchObject({ stage: 'auth', message: expect.stringMatching(/No OAuth2 access token could be obtained|reconnect/i) });
		expect(smtp.messages).toHaveLength(6);
	});

	it('says the credential is not connected when it holds no token yet', async () => {
		await start();
		const { error } = await runPayrollMail({ server: smtp, items: employeeItems(employees(1)), oauthCredential: credential('pkce') });
		expect(error?.message).toMatch(/not connected yet: open it and click "Connect my account"/);
		expect(smtp.connections).toHaveLength(0);
	});
});

describe('a token that expires in the middle of a run', () => {
	it('refused by the server (535 5.7.3): renewed once, the login tried again with the new token, the run goes on', async () => {
		await start({}, {
			onMessageEvent: (event, message) => {
				if (event === 'accepted' && message === 2) oauth.expireAccessTokens();
			},
		});
		const stored = credential('clientCredentials');
		const { outputs } = await runPayrollMail({
			server: smtp,
			items: employeeItems(employees(4)),
			oauthCredential: stored,
			parameters: clerkParameters({ options: { mailsPerConnection: 1, parallelConnections: 1 } }),
		});
		expect(statuses(outputs)).toEqual([['sent', 'sent', 'sent', 'sent'], []]);
		expect(oauth.issued).toHaveLength(2);
		// One refusal of the expired token, never a second attempt with it.
		expect(logins()).toEqual([true, true, false, true, true]);
	});

	it('known to be near its end: a connection opened after that logs in with a new token, none refused', async () => {
		// n8n renews a token with less than 5 minutes left: a 301-second token is good for 1 s.
		await start({ tokenLifetimeSeconds: 301 });
		const { outputs } = await runPayrollMail({
			server: smtp,
			items: employeeItems(employees(3)),
			oauthCredential: credential('clientCredentials'),
			parameters: clerkParameters({ mailDelay: 1.2, options: { mailsPerConnection: 1 } }),
		});
		expect(statuses(outputs)).toEqual([['sent', 'sent', 'sent'], []]);
		expect(oauth.issued.length).toBeGreaterThanOrEqual(2);
		expect(logins().every(Boolean)).toBe(true);
	});
});

describe('a token the server will not take however new', () => {
	it('(the app lacks the permission) renewed once, then the run stops with what to check: no loop of token requests', async () => {
		await start({}, { acceptsAccessToken: () => false });
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(5)), oauthCredential: credential('clientCredentials') });
		expect(outputs[1]).toHaveLength(5);
		expect(mailOf(outputs[1][0]).error).toMatchObject({
			stage: 'auth',
			message: expect.stringMatching(/^The server refused the OAuth2 login: 535 5\.7\.3 .*SMTP\.SendAsApp .*Add-MailboxPermission/),
		});
		expect(oauth.issued).toHaveLength(2);
		expect(logins()).toEqual([false, false]);
		expect(smtp.messages).toHaveLength(0);
	});
});

describe('a refusal a new token cannot change', () => {
	it('535 5.7.139 to the OAuth2 login: no token renewed (each renewal rotates the refresh token), what to switch on said', async () => {
		await start({}, { acceptsAccessToken: () => false, authFailureText: () => '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.' });
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(2)), oauthCredential: credential('clientCredentials') });
		expect(mailOf(outputs[1][0]).error).toMatchObject({ stage: 'auth', message: expect.stringContaining('Set-CASMailbox') });
		expect(oauth.issued).toHaveLength(1);
		expect(logins()).toEqual([false]);
	});
});

describe('Gmail: a refused token answered with an error challenge (334), as Google does', () => {
	it('nodemailer asks for a renewed token on the same connection; the mail goes out', async () => {
		// Without authFailureText the server answers XOAUTH2 with Google's 334 JSON challenge.
		let first = true;
		await start({}, {
			authFailureText: undefined,
			acceptsAccessToken: (_user, token) => {
				const good = !first && oauth.accepts(token);
				first = false;
				return good;
			},
		});
		const stored = credential('clientCredentials');
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(2)), oauthCredential: stored });
		expect(statuses(outputs)).toEqual([['sent', 'sent'], []]);
		expect(oauth.issued).toHaveLength(2);
		expect(logins()).toEqual([false, true]);
	});

	it('refused again after the renewal: the run stops there, two tokens asked for in all', async () => {
		await start({}, { authFailureText: undefined, acceptsAccessToken: () => false });
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(4)), oauthCredential: credential('clientCredentials') });
		expect(outputs[1]).toHaveLength(4);
		expect(mailOf(outputs[1][0]).error).toMatchObject({ stage: 'auth', message: expect.stringMatching(/^The server refused the OAuth2 login/) });
		expect(oauth.issued).toHaveLength(2);
		expect(logins()).toEqual([false, false]);
	});
});

describe('tokens, refresh tokens and the client secret: never in outputs, errors, logs or printed output', () => {
	it('a token endpoint and an SMTP server that quote them back', async () => {
		const secrets = [CLIENT.clientSecret];
		const minted = (kind: string) => {
			const token = `${kind}${randomSecret().replace(/[\s"\\%&+/=:]/g, '.')}`;
			secrets.push(token);
			return token;
		};
		oauth = await OAuthServer.start({ ...CLIENT, firstRefreshToken: minted('rt'), mintToken: minted });
		smtp = await TestSmtpServer.start({
			tls: 'starttls',
			certificate: certificates.forLoopbackIp,
			authMethods: ['XOAUTH2'],
			authRequired: true,
			acceptsAccessToken: (_user, token) => oauth.accepts(token),
			authFailureText: (auth) => `5.7.3 refused ${auth.accessToken} ${Buffer.from(`user=${auth.username}\x01auth=Bearer ${auth.accessToken}\x01\x01`).toString('base64')}`,
			acceptedText: () => `2.0.0 queued (${secrets.at(-1)})`,
		});
		// The stored access token has "an hour left" to n8n, and the server no longer takes it.
		const stored = credential('authorizationCode', {
			access_token: minted('at'),
			refresh_token: oauth.refreshToken,
			token_type: 'Bearer',
			n8n_expires_at: String(Date.now() + 3_600_000),
		});
		const { result: logged, output } = await captureOutput(() =>
			captureLogs(() =>
				runPayrollMail({
					server: smtp,
					items: employeeItems(employees(3)),
					oauthCredential: stored,
					parameters: clerkParameters({ options: { smtpLog: true, mailsPerConnection: 2 } }),
				}),
			),
		);
		const { result, logs } = logged;
		expect(statuses(result.outputs)).toEqual([['sent', 'sent', 'sent'], []]);
		expect(logs.join('\n')).toMatch(/S: 535 5\.7\.3 refused \*\*\*/);
		expect(secrets.length).toBeGreaterThanOrEqual(4);
		for (const [label, text] of Object.entries({ outputs: JSON.stringify(result.outputs), log: logs.join('\n'), console: output })) {
			expect([label, findLeaks(text, secrets)]).toEqual([label, []]);
		}
	});
});

describe('what Microsoft 365 and Google answer, understood', () => {
	const passwordServer = async (options: TestServerOptions) => {
		smtp = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD }, ...options });
	};

	it('550 5.7.30 to a password: use the OAuth2 credential', async () => {
		await passwordServer({ users: {}, authFailureCode: 550, authFailureText: () => '5.7.30 Basic authentication is not supported for Client Submission' });
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(3)) });
		expect(outputs[1]).toHaveLength(3);
		expect(mailOf(outputs[1][0]).error).toMatchObject({ stage: 'auth', message: expect.stringMatching(/no longer takes a password .* "Payroll Mail SMTP OAuth2 API" credential/) });
		expect(smtp.authAttempts()).toHaveLength(1);
	});

	it('535 5.7.139: SMTP AUTH is off for the mailbox or tenant, and how to switch it on', async () => {
		await passwordServer({ users: {}, authFailureText: () => '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.' });
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(2)) });
		expect(mailOf(outputs[1][0]).error).toMatchObject({ stage: 'auth', message: expect.stringContaining('Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false') });
		expect(smtp.authAttempts()).toHaveLength(1);
	});

	it('432 4.3.2 (too many connections): fewer connections, the mail tried again, no item failed', async () => {
		let data = 0;
		await passwordServer({
			refuseMessage: () => (++data === 2 ? { code: 432, text: '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded' } : undefined),
		});
		const { outputs } = await runPayrollMail({
			server: smtp,
			items: employeeItems(employees(6)),
			parameters: clerkParameters({ options: { parallelConnections: 3, maxRetries: 0, retryWait: 0.05 } }),
		});
		expect(statuses(outputs)).toEqual([['sent', 'sent', 'sent', 'sent', 'sent', 'sent'], []]);
		expect(outputs[0].map((item) => mailOf(item).attempts).sort()).toEqual([1, 1, 1, 1, 1, 2]);
		expect(smtp.messages).toHaveLength(6);
	});

	it('a per-minute throttle (451 4.7.500): waited for and tried again, said as such if it never passes', async () => {
		await passwordServer({ refuseMessage: () => ({ code: 451, text: '4.7.500 Server busy. Please try again later. [throttled]' }) });
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(1)), parameters: clerkParameters({ options: { maxRetries: 1, retryWait: 0.05 } }) });
		expect(mailOf(outputs[1][0])).toMatchObject({ attempts: 2, error: { message: expect.stringMatching(/^The provider is slowing this account down/), permanent: false } });
	});

	const quotaTest = async (server: TestServerOptions) => {
		await passwordServer(server);
		const { outputs } = await runPayrollMail({ server: smtp, items: employeeItems(employees(6)), parameters: clerkParameters({ options: { maxRetries: 2, retryWait: 0.05 } }) });
		expect(statuses(outputs)).toEqual([['sent', 'sent'], ['failed', 'failed', 'failed', 'failed']]);
		expect(mailOf(outputs[1][0]).error).toMatchObject({ message: expect.stringMatching(/sending quota for this account is used up/) });
		for (const item of outputs[1].slice(1)) {
			expect(mailOf(item)).toMatchObject({ attempts: 0, error: { code: 'EQUOTA', message: expect.stringMatching(/Nothing more was tried; run the workflow again .* with Skip Already Sent on/) } });
		}
		// Three attempts in all: never one refused attempt per remaining employee.
		expect(smtp.mailFromCount()).toBe(3);
	};

	it('the daily quota (Microsoft, after DATA): sending stops at once, the rest not tried and resumable', async () => {
		let data = 0;
		await quotaTest({
			refuseMessage: () =>
				++data === 3 ? { code: 554, text: '5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception' } : undefined,
		});
	});

	it('the daily quota (Gmail, at MAIL FROM): sending stops at once, the rest not tried and resumable', async () => {
		let senders = 0;
		await quotaTest({
			refuseSender: () => (++senders === 3 ? { code: 550, text: '5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852' } : undefined),
		});
	});
});
