import { randomBytes } from 'node:crypto';

import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import { readSmtpSettings } from '../../nodes/PayrollMail/transport/smtpSettings';
import { openSmtpTransport, DEFAULT_TUNING } from '../../nodes/PayrollMail/transport/smtpTransport';
import { captureOutput } from '../support/captureOutput';
import { startNtlmSmtpServer } from '../support/ntlmSmtpServer';
import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, runPayrollMail, SMTP_USER } from './payrollRun';

/** Distinctive values, so that any trace of one in any output is unmistakable. */
const secret = (label: string) => `${label}-${randomBytes(9).toString('hex')}`;
const PASSWORD = secret('password');
const WRONG_PASSWORD = secret('wrong-password');
const ACCESS_TOKEN = secret('access-token');
const CLIENT_SECRET = secret('client-secret');
const REFRESH_TOKEN = secret('refresh-token');
const ALL_SECRETS = [PASSWORD, WRONG_PASSWORD, ACCESS_TOKEN, CLIENT_SECRET, REFRESH_TOKEN];
const TRACES = ALL_SECRETS.flatMap((value) => [value, Buffer.from(value).toString('base64')]);

function expectNoSecretIn(text: string) {
	for (const trace of TRACES) expect(text).not.toContain(trace);
}

const PARAMETERS: INodeParameters = clerkParameters({
	bccEmail: 'archive@example.com',
	options: { retryWait: 0.02, maxRetries: 1, greetingTimeout: 1, smtpLog: true },
});

/** Runs the node through the engine and scans its outputs, its error and everything printed. */
async function scanRun(server: { port: number }, credential: ICredentialDataDecryptedObject, count = 4) {
	const { result, output } = await captureOutput(() =>
		runPayrollMail({
			server: server as TestSmtpServer,
			items: employeeItems(employees(count)),
			parameters: PARAMETERS,
			credential: { host: '127.0.0.1', port: server.port, connection: 'plaintext', ...credential },
		}),
	);
	expectNoSecretIn(JSON.stringify(result.outputs));
	expectNoSecretIn(JSON.stringify(result.error ?? {}));
	expectNoSecretIn(`${result.error?.message} ${result.error?.description} ${result.error?.stack}`);
	expectNoSecretIn(output);
	return result;
}

describe('no secret in outputs, errors or printed output, whatever goes wrong', () => {
	it('a wrong password', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: ['PLAIN', 'LOGIN'], authRequired: true, users: { [SMTP_USER]: PASSWORD } });
		try {
			for (const authMethod of ['plain', 'login', 'cramMd5', 'auto']) {
				const result = await scanRun(server, { authMethod, user: SMTP_USER, password: WRONG_PASSWORD });
				expect(result.outputs[1]).toHaveLength(4);
			}
		} finally {
			await server.close();
		}
	});

	it('refused recipients, a connection cut during and after DATA, with the right password', async () => {
		const server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['LOGIN'],
			authRequired: true,
			users: { [SMTP_USER]: PASSWORD },
			refuseRecipient: (address) => (address === 'employee1@example.com' ? { code: 550, text: '5.1.1 user unknown' } : undefined),
			dataFault: (data) => (data === 1 ? 'duringData' : data === 3 ? 'beforeReply' : undefined),
		});
		try {
			const result = await scanRun(server, { authMethod: 'login', user: SMTP_USER, password: PASSWORD }, 5);
			expect(result.outputs[1].length).toBeGreaterThan(0);
			expect(result.outputs[0].length).toBeGreaterThan(0);
		} finally {
			await server.close();
		}
	});

	it('STARTTLS required but missing', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: PASSWORD } });
		try {
			await scanRun(server, { connection: 'startTls', authMethod: 'login', user: SMTP_USER, password: PASSWORD });
		} finally {
			await server.close();
		}
	});

	it('a refused XOAUTH2 token, and refresh data that cannot reach a token endpoint', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: ['XOAUTH2'], authRequired: true, accessTokens: { [SMTP_USER]: 'other' } });
		try {
			await scanRun(server, { authMethod: 'xoauth2', user: SMTP_USER, accessToken: ACCESS_TOKEN });
			await scanRun(server, {
				authMethod: 'xoauth2',
				user: SMTP_USER,
				clientId: 'client-1',
				clientSecret: CLIENT_SECRET,
				refreshToken: REFRESH_TOKEN,
				accessUrl: `http://127.0.0.1:${server.port}/token`,
			});
		} finally {
			await server.close();
		}
	});

	it('a wrong NTLM password', async () => {
		const server = await startNtlmSmtpServer({ user: SMTP_USER, password: PASSWORD, domain: 'PAYROLL' });
		try {
			const result = await scanRun(server, { authMethod: 'ntlm', user: SMTP_USER, password: WRONG_PASSWORD, ntlmDomain: 'PAYROLL' });
			expect(result.outputs[1]).toHaveLength(4);
		} finally {
			await server.close();
		}
	});
});

describe('the SMTP conversation log', () => {
	it('shows the conversation with every credential removed, including the LOGIN exchange', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: ['PLAIN', 'LOGIN'], users: { [SMTP_USER]: PASSWORD } });
		try {
			for (const authMethod of ['plain', 'login']) {
				const lines: string[] = [];
				const transport = openSmtpTransport(
					readSmtpSettings({ host: '127.0.0.1', port: server.port, connection: 'plaintext', authMethod, user: SMTP_USER, password: PASSWORD }),
					DEFAULT_TUNING,
					(line) => lines.push(line),
				);
				await transport.send({ from: SMTP_USER, to: 'anna@example.com', subject: 'Payslip', text: 'attached' });
				transport.close();
				const transcript = lines.join('\n');
				expect(transcript).toMatch(/^C: EHLO /m);
				expect(transcript).toMatch(/^C: AUTH /m);
				expect(transcript).toMatch(/^S: 235 /m);
				expect(transcript).toMatch(/^S: 250 .*queued/m);
				expectNoSecretIn(transcript);
			}
		} finally {
			await server.close();
		}
	});
});
