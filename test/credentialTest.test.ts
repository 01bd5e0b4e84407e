import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { testCredential } from './harness';
import { PACKAGE_DIR } from './node/payrollRun';
import { makeTestCertificates, type TestCertificates } from './support/certificates';
import { captureOutput } from './support/captureOutput';
import { TestSmtpServer } from './support/testSmtpServer';

const USER = 'payroll@example.com';
const PASSWORD = 'Secret-Payroll-Password-7731';

let certificates: TestCertificates;
let server: TestSmtpServer;
beforeAll(async () => {
	certificates = makeTestCertificates();
	server = await TestSmtpServer.start({
		tls: 'starttls',
		certificate: certificates.forLoopbackIp,
		authMethods: ['PLAIN', 'LOGIN'],
		authRequired: true,
		users: { [USER]: PASSWORD },
	});
});
afterAll(async () => server.close());

/** The credential test as n8n's Test button runs it, with everything printed meanwhile. */
async function pressTest(data: ICredentialDataDecryptedObject) {
	return captureOutput(() => testCredential({ packageDir: PACKAGE_DIR, credentialType: 'payrollSmtpApi', data }));
}

const credential = (fields: ICredentialDataDecryptedObject = {}) => ({
	host: '127.0.0.1',
	port: server.port,
	connection: 'startTls',
	authMethod: 'auto',
	user: USER,
	password: PASSWORD,
	advancedTls: true,
	caCertificate: certificates.ca.cert,
	...fields,
});

describe('the credential test behind n8n\'s Test button', () => {
	it('passes when it can connect, encrypt and log in, and sends no mail', async () => {
		const before = server.authAttempts().length;
		const { result } = await pressTest(credential());
		expect(result).toEqual({ status: 'OK', message: 'Connected, login accepted; the connection is encrypted with STARTTLS' });
		expect(server.authAttempts().slice(before)).toEqual([{ method: 'PLAIN', username: USER, succeeded: true }]);
		expect(server.mailFromCount()).toBe(0);
		expect(server.messages).toHaveLength(0);
	});

	it('fails a wrong password at the login step with the server\'s words, and no password anywhere', async () => {
		const wrong = 'Wrong-Password-For-Test-5512';
		const { result, output } = await pressTest(credential({ password: wrong }));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^Login failed: The server refused the login: 535 5\.7\.8 Authentication credentials invalid/);
		for (const text of [result.message, output]) {
			expect(text).not.toContain(wrong);
			expect(text).not.toContain(PASSWORD);
		}
	});

	it('fails an untrusted certificate at the encryption step', async () => {
		const { result } = await pressTest(credential({ caCertificate: '' }));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^Encryption \(TLS\) failed: The server's certificate could not be verified/);
	});

	it('fails a closed port at the connection step', async () => {
		const closed = await TestSmtpServer.start();
		const port = closed.port;
		await closed.close();
		const { result } = await pressTest(credential({ port }));
		expect(result.message).toMatch(/^Connecting failed: Could not talk to the server \(ECONNREFUSED/);
	});

	it.each([
		[{ host: '' }, /Host is empty/],
		[{ port: 70000 }, /Port 70000 is not a port number/],
		[{ caCertificate: 'not a certificate' }, /Company CA Certificate is not a PEM certificate/],
		[{ authMethod: 'xoauth2' }, /XOAUTH2 needs an Access Token, or a Client ID, Client Secret and Refresh Token/],
		[{ authMethod: 'ntlm', user: '' }, /User is empty: ntlm authentication needs the account name/],
	])('names the field to correct: %o', async (fields, message) => {
		const before = server.connections.length;
		const { result } = await pressTest(credential(fields));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(message);
		// Caught before connecting: the server never saw a connection.
		expect(server.connections).toHaveLength(before);
	});
});
