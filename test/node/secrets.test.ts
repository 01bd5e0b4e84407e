import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import { testCredential, type HarnessItem } from '../harness';
import { captureLogs } from '../harness/logCapture';
import { captureOutput } from '../support/captureOutput';
import { findLeaks, randomSecret } from '../support/secretLeaks';
import { startNtlmSmtpServer } from '../support/ntlmSmtpServer';
import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, PACKAGE_DIR, realPdf, runPayrollMail } from './payrollRun';

const PASSWORD = randomSecret();
const WRONG_PASSWORD = randomSecret();
const ACCESS_TOKEN = randomSecret().replace(/[\s"\\]/g, '.');
const ISSUED_TOKEN = randomSecret().replace(/[\s"\\]/g, '.');
const CLIENT_SECRET = randomSecret();
const REFRESH_TOKEN = randomSecret();
const PDF_PASSWORD = randomSecret();
const SECRETS = [PASSWORD, WRONG_PASSWORD, ACCESS_TOKEN, ISSUED_TOKEN, CLIENT_SECRET, REFRESH_TOKEN, PDF_PASSWORD];
/** User names of three lengths, so that the SASL strings put the password at each base64 alignment. */
const USERS = ['ab@corp.example', 'abc@corp.example', 'abcd@corp.example'];

const base64 = (text: string) => Buffer.from(text).toString('base64');
const saslPlain = (user: string, password: string) => base64(`\0${user}\0${password}`);
const xoauth2 = (user: string, token: string) => base64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);

function expectNoSecretIn(label: string, text: string) {
	const leaks = findLeaks(text, SECRETS);
	if (leaks.length) throw new Error(`${label}:\n${leaks.join('\n')}`);
}

const PARAMETERS: INodeParameters = clerkParameters({
	bccEmail: 'archive@corp.example',
	options: { retryWait: 0.02, maxRetries: 1, greetingTimeout: 1, smtpLog: true },
});

/**
 * Runs the node through the engine and scans everything that leaves it: outputs, the error, every
 * line given to n8n's logger (at any level) and everything printed.
 */
async function scanRun(
	server: { port: number },
	credential: ICredentialDataDecryptedObject,
	{ parameters = PARAMETERS, items = employeeItems(employees(3)) }: { parameters?: INodeParameters; items?: HarnessItem[] } = {},
) {
	const { result: logged, output } = await captureOutput(() =>
		captureLogs(() =>
			runPayrollMail({
				server: server as TestSmtpServer,
				items,
				parameters,
				credential: { host: '127.0.0.1', port: server.port, connection: 'plaintext', ...credential },
			}),
		),
	);
	const { result, logs } = logged;
	expectNoSecretIn('outputs', JSON.stringify(result.outputs));
	expectNoSecretIn('error', JSON.stringify(result.error ?? {}));
	expectNoSecretIn('error text', `${result.error?.message} ${result.error?.description} ${result.error?.stack}`);
	expectNoSecretIn('log', logs.join('\n'));
	expectNoSecretIn('console', output);
	return { ...result, logs };
}

const errorOf = (result: { outputs: Array<Array<{ json: IDataObject }>> }, output = 1) => mailOf(result.outputs[output][0]).error as IDataObject;

describe('a server that echoes the login back: no secret in outputs, errors, logs or printed output', () => {
	it.each(USERS)('a wrong password whose 535 quotes the PLAIN and LOGIN strings, user %s', async (user) => {
		const server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
			authRequired: true,
			users: { [user]: PASSWORD },
			authFailureText: (auth) =>
				`5.7.8 ${auth.method} ${saslPlain(auth.username ?? '', auth.password ?? '')} ${base64(auth.password ?? '')} (${auth.password}) refused`,
		});
		try {
			for (const authMethod of ['plain', 'login', 'auto']) {
				const result = await scanRun(server, { authMethod, user, password: WRONG_PASSWORD });
				// The failure path ran: every item failed at the login, quoting the (scrubbed) reply.
				expect(result.outputs[1]).toHaveLength(3);
				expect(errorOf(result)).toMatchObject({ stage: 'auth', message: expect.stringMatching(/refused the login: 535 5\.7\.8 .*\*\*\*/) });
				expect(result.logs.join('\n')).toMatch(/Payroll Mail SMTP S: 535 5\.7\.8 .*\*\*\*/);
			}
			expect(server.authAttempts()).toHaveLength(3);
		} finally {
			await server.close();
		}
	});

	it('the right password, echoed in the 250 that accepts each mail and in a recipient refusal', async () => {
		const user = USERS[0];
		const server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['PLAIN'],
			authRequired: true,
			users: { [user]: PASSWORD },
			acceptedText: () => `2.0.0 queued for ${saslPlain(user, PASSWORD)} / ${encodeURIComponent(PASSWORD)}`,
			refuseRecipient: (address) => (address === 'employee2@example.com' ? { code: 550, text: `5.1.1 no such user (login ${PASSWORD})` } : undefined),
		});
		try {
			const result = await scanRun(server, { authMethod: 'plain', user, password: PASSWORD });
			// The refused employee's item fails although the archive copy was taken.
			expect(result.outputs.map((items) => items.map((item) => mailOf(item).status))).toEqual([['sent', 'sent'], ['failed']]);
			expect(mailOf(result.outputs[0][0]).response).toMatch(/^250 2\.0\.0 queued for \*\*\* \/ \*\*\*$/);
			expect(JSON.stringify(mailOf(result.outputs[1][0]))).toContain('no such user (login ***)');
		} finally {
			await server.close();
		}
	});

	it('XOAUTH2: a refused token whose reply quotes the whole XOAUTH2 string', async () => {
		const user = USERS[1];
		const server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['XOAUTH2'],
			authRequired: true,
			accessTokens: { [user]: 'another-token' },
			authFailureText: (auth) => `5.7.3 bad token in ${xoauth2(auth.username ?? '', auth.accessToken ?? '')}`,
		});
		try {
			const result = await scanRun(server, { authMethod: 'xoauth2', user, accessToken: ACCESS_TOKEN });
			expect(errorOf(result)).toMatchObject({ stage: 'auth', message: expect.stringContaining('535 5.7.3 bad token in ***') });
		} finally {
			await server.close();
		}
	});

	it('NTLM: a wrong password', async () => {
		const server = await startNtlmSmtpServer({ user: USERS[0], password: PASSWORD, domain: 'PAYROLL' });
		try {
			const result = await scanRun(server, { authMethod: 'ntlm', user: USERS[0], password: WRONG_PASSWORD, ntlmDomain: 'PAYROLL' });
			expect(result.outputs[1]).toHaveLength(3);
			expect(errorOf(result).stage).toBe('auth');
		} finally {
			await server.close();
		}
	});
});

describe('an OAuth2 token endpoint that echoes the request back', () => {
	let endpoint: Server;
	let reply: (body: string) => { status: number; type: string; body: string };
	let tokenUrl: string;
	beforeAll(async () => {
		endpoint = createServer((request, response) => {
			let body = '';
			request.on('data', (chunk: Buffer) => (body += chunk.toString()));
			request.on('end', () => {
				const { status, type, body: answer } = reply(body);
				response.writeHead(status, { 'content-type': type }).end(answer);
			});
		});
		await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
		tokenUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/token`;
	});
	afterAll(async () => new Promise((resolve) => endpoint.close(resolve)));

	const refreshing = (user: string) => ({ authMethod: 'xoauth2', user, clientId: 'payroll-app', clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN, accessUrl: tokenUrl });

	it.each([
		['a JSON error quoting the form it got', (body: string) => ({ status: 400, type: 'application/json', body: JSON.stringify({ error: 'invalid_client', error_description: `rejected: ${body}` }) })],
		['a form-encoded answer nobody can parse as JSON', (body: string) => ({ status: 400, type: 'text/plain', body })],
	])('%s: the item says the token could not be obtained, and no secret shows', async (_name, answer) => {
		reply = answer;
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: ['XOAUTH2'], authRequired: true });
		try {
			const result = await scanRun(server, refreshing(USERS[2]));
			expect(result.outputs[1]).toHaveLength(3);
			const { message } = errorOf(result) as { message: string };
			expect(message).toMatch(/^No OAuth2 access token could be obtained from the Access Token URL/);
			expect(message).not.toMatch(/User and Password/);
			expect(server.authAttempts()).toHaveLength(0);
		} finally {
			await server.close();
		}
	});

	it('an access token obtained during the run is scrubbed like the credential\'s own secrets', async () => {
		reply = () => ({ status: 200, type: 'application/json', body: JSON.stringify({ access_token: ISSUED_TOKEN, expires_in: 3600, token_type: 'Bearer' }) });
		const user = USERS[0];
		const server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['XOAUTH2'],
			authRequired: true,
			accessTokens: { [user]: ISSUED_TOKEN },
			acceptedText: () => `2.0.0 queued, ${xoauth2(user, ISSUED_TOKEN)} ${ISSUED_TOKEN}`,
		});
		try {
			const result = await scanRun(server, refreshing(user));
			expect(result.outputs[0]).toHaveLength(3);
			expect(mailOf(result.outputs[0][0]).response).toBe('250 2.0.0 queued, *** ***');
		} finally {
			await server.close();
		}
	});
});

describe('the PDF password', () => {
	it('is in no output, error or log line, whether the PDF can be encrypted or not', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: [] });
		try {
			const items = employeeItems(employees(2));
			items[0].binary!.data.data = await realPdf('Payslip of Employee 1');
			// The second "PDF" only starts like one: encrypting it fails, on its item alone.
			items[1].binary!.data.data = Buffer.from(`%PDF-1.7 not really a PDF ${PDF_PASSWORD}`);
			const parameters = clerkParameters({ options: { pdfPassword: PDF_PASSWORD, smtpLog: true } });
			const result = await scanRun(server, { authMethod: 'none' }, { parameters, items });
			expect(result.outputs[0]).toHaveLength(1);
			expect(result.outputs[1]).toHaveLength(1);
			expect(errorOf(result)).toMatchObject({ stage: 'attachment', message: expect.stringMatching(/could not be encrypted/) });
		} finally {
			await server.close();
		}
	});
});

describe('the credential test', () => {
	it('quotes the server\'s refusal without the login it echoes', async () => {
		const user = USERS[1];
		const server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['PLAIN'],
			authRequired: true,
			users: { [user]: PASSWORD },
			authFailureText: (auth) => `5.7.8 refused ${saslPlain(auth.username ?? '', auth.password ?? '')}`,
		});
		try {
			const { result, output } = await captureOutput(() =>
				testCredential({
					packageDir: PACKAGE_DIR,
					credentialType: 'payrollSmtpApi',
					data: { host: '127.0.0.1', port: server.port, connection: 'plaintext', authMethod: 'plain', user, password: WRONG_PASSWORD },
				}),
			);
			expect(result).toEqual({ status: 'Error', message: expect.stringMatching(/^Login failed: The server refused the login: 535 5\.7\.8 refused \*\*\*/) });
			expectNoSecretIn('credential test', `${result.message} ${output}`);
		} finally {
			await server.close();
		}
	});
});
