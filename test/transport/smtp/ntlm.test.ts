import md4 from 'js-md4';
import { createTransport } from 'nodemailer';

import { ntlmAuthHandler, type NtlmAccount } from '../../../nodes/PayrollMail/transport/smtp/ntlmAuth';
import {
	ntlmV2ProofMatches,
	startNtlmSmtpServer,
	type NtlmServerOptions,
	type NtlmSmtpServer,
} from '../../support/ntlmSmtpServer';

const PASSWORD = 'Gehalt-März-2026!';
const exchange: NtlmServerOptions = { user: 'clerk', password: PASSWORD, domain: 'PAYROLL' };
const account: NtlmAccount = {
	user: 'clerk',
	password: PASSWORD,
	domain: 'PAYROLL',
	workstation: 'HR-LAPTOP-7',
};

interface SmtpError extends Error {
	code?: string;
	responseCode?: number;
}

let server: NtlmSmtpServer | undefined;

afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function start(options: Partial<NtlmServerOptions> = {}): Promise<NtlmSmtpServer> {
	server = await startNtlmSmtpServer({ ...exchange, ...options });
	return server;
}

async function sendPayslip(port: number, login: NtlmAccount): Promise<void> {
	const transporter = createTransport({
		host: '127.0.0.1',
		port,
		secure: false,
		ignoreTLS: true,
		auth: { user: login.user, pass: login.password, method: 'NTLM' },
		customAuth: { NTLM: ntlmAuthHandler(login) },
	});
	try {
		await transporter.sendMail({
			from: 'payroll@example.test',
			to: 'employee@example.test',
			subject: 'Payslip March',
			text: 'Your payslip is attached.',
		});
	} finally {
		transporter.close();
	}
}

async function rejectionOf(promise: Promise<unknown>): Promise<SmtpError> {
	try {
		await promise;
	} catch (error) {
		return error as SmtpError;
	}
	throw new Error('expected the send to fail');
}

describe('NTLM login (nodemailer customAuth)', () => {
	it('logs in with NTLMv2 and sends the mail', async () => {
		const { port, authAttempts, mails } = await start();

		await sendPayslip(port, account);

		expect(authAttempts).toHaveLength(1);
		expect(authAttempts[0]?.succeeded).toBe(true);
		expect(mails).toHaveLength(1);
		expect(mails[0]).toMatchObject({ from: 'payroll@example.test', to: ['employee@example.test'] });
		expect(mails[0]?.data).toContain('Subject: Payslip March');
	});

	it('sends an NTLMv2 response over the server target info, naming domain and workstation', async () => {
		const { port, authAttempts } = await start();

		await sendPayslip(port, account);

		const { negotiate, authenticate } = authAttempts[0] ?? {};
		expect(negotiate).toMatchObject({ domain: 'PAYROLL', workstation: 'HR-LAPTOP-7' });
		expect(authenticate).toMatchObject({
			user: 'clerk',
			domain: 'PAYROLL',
			workstation: 'HR-LAPTOP-7',
			echoedTargetInfo: true,
		});
		// 24 bytes would be an NTLMv1 (DES) response; NTLMv2 is a 16-byte proof plus a blob.
		expect(authenticate?.ntResponse.length).toBeGreaterThan(24);
		expect(authenticate?.lmResponse.length).toBe(24);
	});

	it('refuses a wrong password with the server reply and without the secret', async () => {
		const { port, authAttempts, commands, mails } = await start();

		const wrong = 'Falsch-Kennwort-42';
		const error = await rejectionOf(sendPayslip(port, { ...account, password: wrong }));

		expect(error.code).toBe('EAUTH');
		expect(error.responseCode).toBe(535);
		expect(error.message).toContain('535 5.7.3 Authentication unsuccessful');
		const ntHash = Buffer.from(md4.array(Buffer.from(wrong, 'utf16le')));
		const everything = `${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`;
		for (const secret of [wrong, ntHash.toString('hex'), ntHash.toString('base64')]) {
			expect(everything).not.toContain(secret);
		}
		expect(authAttempts).toHaveLength(1);
		expect(authAttempts[0]?.succeeded).toBe(false);
		expect(commands).not.toContain('MAIL');
		expect(mails).toHaveLength(0);
	});

	it('sends the Type 1 message again when the server prompts with "334 ntlm supported"', async () => {
		const { port, authAttempts, mails } = await start({ ignoreInitialResponse: true });

		await sendPayslip(port, account);

		expect(authAttempts).toHaveLength(1);
		expect(authAttempts[0]?.negotiate).toMatchObject({ domain: 'PAYROLL' });
		expect(authAttempts[0]?.succeeded).toBe(true);
		expect(mails).toHaveLength(1);
	});

	it('takes the domain from "DOMAIN\\user" when no domain is set', async () => {
		const { port, authAttempts } = await start();

		await sendPayslip(port, { ...account, user: 'PAYROLL\\clerk', domain: '' });

		expect(authAttempts[0]?.authenticate).toMatchObject({ user: 'clerk', domain: 'PAYROLL' });
		expect(authAttempts[0]?.succeeded).toBe(true);
	});

	it('sends no NTLMv1 response to a server that offers nothing better', async () => {
		const { port, authAttempts, commands } = await start({ offerNtlmV2: false });

		const error = await rejectionOf(sendPayslip(port, account));

		expect(error.code).toBe('EAUTH');
		expect(error.message).toContain('only NTLMv1');
		expect(authAttempts).toHaveLength(1);
		expect(authAttempts[0]?.authenticate).toBeUndefined();
		expect(commands).not.toContain('MAIL');
	});

	it('names the mechanisms on offer when the server refuses NTLM', async () => {
		const { port, authAttempts } = await start({ authMechanisms: ['LOGIN', 'PLAIN'] });

		const error = await rejectionOf(sendPayslip(port, account));

		expect(error.message).toMatch(/offers: (LOGIN PLAIN|PLAIN LOGIN)\)/);
		expect(error.message).toContain('504 5.7.4 Unrecognized authentication type');
		expect(authAttempts).toEqual([{ mechanism: 'NTLM', succeeded: false }]);
	});
});

describe('the test server NTLMv2 check', () => {
	// MS-NLMP 4.2.4: user "User", domain "Domain", password "Password", server challenge
	// 0123456789abcdef, client challenge aa..aa, time 0, target info Domain/Server.
	const serverChallenge = Buffer.from('0123456789abcdef', 'hex');
	const targetInfo = Buffer.concat([
		Buffer.from('02000c00', 'hex'),
		Buffer.from('Domain', 'utf16le'),
		Buffer.from('01000c00', 'hex'),
		Buffer.from('Server', 'utf16le'),
		Buffer.alloc(4),
	]);
	const blob = Buffer.concat([
		Buffer.from('0101000000000000', 'hex'),
		Buffer.alloc(8),
		Buffer.alloc(8, 0xaa),
		Buffer.alloc(4),
		targetInfo,
		Buffer.alloc(4),
	]);
	const ntResponse = Buffer.concat([Buffer.from('68cd0ab851e51c96aabc927bebef6a1c', 'hex'), blob]);

	it('accepts the specification example', () => {
		expect(ntlmV2ProofMatches('Password', 'User', 'Domain', serverChallenge, ntResponse)).toBe(
			true,
		);
	});

	it('rejects it for another password or domain', () => {
		expect(ntlmV2ProofMatches('password', 'User', 'Domain', serverChallenge, ntResponse)).toBe(
			false,
		);
		expect(ntlmV2ProofMatches('Password', 'User', 'Other', serverChallenge, ntResponse)).toBe(
			false,
		);
	});
});
